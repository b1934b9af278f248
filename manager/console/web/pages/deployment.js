// One deployment: the topology, live; executions with progress and
// streamed events, cancel, resume, any workflow with a parameters form;
// inputs, outputs, capabilities; node instances (secrets masked);
// dependencies.
import { call, get, getList, enc, stream } from '../api.js';
import { h, fill, table, toast, showError, ago, labels, badge, kv, masked, json, elapsed } from '../dom.js';
import { definitionsForm, values } from '../form.js';
import { Topology } from '../topology.js';
import { dependenciesOverview, statusOf } from './deployments.js';

const ACTIVE = new Set(['pending', 'started', 'cancelling']);
const STATE_MSG = /: (\w+)$/;
// The events log keeps this many lines (the oldest go first).
const MAX_LOG_LINES = 5000;

// perf is what the browser test reads: the delay from an engine event's
// timestamp to its DOM update, per state change.
const perf = (window.__gantry = window.__gantry || { latencies: [] });

export async function deploymentPage(main, ctx, id) {
  // The deployment's record and its plan are two reads (the record stays
  // small for the many who only list or check it).
  const [dep, plan, insts, execs, deps] = await Promise.all([
    get(`/deployments/${enc(id)}`), get(`/deployments/${enc(id)}/plan`),
    getList(`/deployments/${enc(id)}/node-instances`),
    getList(`/executions?deployment_id=${enc(id)}`), getList('/dependencies')]);
  const uses = deps.filter((d) => d.source_deployment_id === id);
  const usedBy = deps.filter((d) => d.target_deployment_id === id);
  const page = { id, ctx, plan, execs, stops: [], watched: null, rows: new Map() };
  ctx.onLeave(() => page.stops.forEach((f) => f()));

  const topo = h('div', { id: 'topology' });
  page.topology = new Topology(topo, plan, insts, uses.map((d) => d.target_deployment_id), (iid) => focusInstance(page, iid));
  page.execList = h('div');
  page.execPanel = h('section', { 'aria-labelledby': 'exec-title' });
  page.outputs = h('div');
  page.instTable = h('div');
  page.depGraph = h('section', { 'aria-labelledby': 'deps-title' });

  fill(main,
    h('h1', {}, 'Deployment ', h('span', { class: 'mono' }, id)),
    h('p', {}, 'Blueprint ', h('a', { href: `#/blueprints` }, dep.blueprint_id), ' · created ', ago(dep.created_at), ' ', labels(dep.labels)),
    ctx.canWrite ? actions(page) : null,
    h('h2', {}, 'Topology'),
    h('div', { class: 'legend', 'aria-hidden': 'true' },
      [['started', '#1a7f37'], ['in progress', '#bf8700'], ['uninitialized', '#d0d7de'], ['stopped / deleted', '#6e7781']].map(([t, c]) => h('span', {}, h('i', { style: `background:${c}` }), t)),
      h('span', {}, '— contained in'), h('span', {}, '- - relationship'), h('span', {}, 'Enter or click a node: show / hide its instances')),
    topo,
    h('h2', {}, 'Executions'), page.execList, page.execPanel,
    h('h2', {}, 'Outputs'), page.outputs,
    h('h2', {}, 'Capabilities'), h('div', { id: 'capabilities' }),
    h('h2', {}, 'Inputs'), kv(dep.inputs, 'No inputs.'),
    h('h2', {}, 'Dependencies'), dependencies(uses, usedBy), page.depGraph,
    h('h2', {}, 'Node instances'), page.instTable);
  await page.topology.render();
  perf.firstPaintDeployment = performance.now();
  renderInstances(page, insts);
  renderExecs(page);
  loadOutputs(page);
  drawDependencies(page, [...uses, ...usedBy]);
  const active = execs.filter((e) => ACTIVE.has(e.status)).sort((a, b) => (a.created_at < b.created_at ? 1 : -1))[0];
  const lastOne = [...execs].sort((a, b) => (a.created_at < b.created_at ? 1 : -1))[0];
  if (active || lastOne) watch(page, active || lastOne);
}

function actions(page) {
  const wfs = Object.keys(page.plan.workflows || {}).sort();
  const pick = h('select', { id: 'wf-pick', name: 'workflow' }, wfs.map((w) => h('option', { value: w, selected: w === 'install' }, w)));
  const params = h('div', { class: 'contents' });
  const out = h('div', { class: 'span', 'aria-live': 'polite' });
  const showParams = () => params.replaceChildren(...definitionsForm(page.plan.workflows[pick.value]?.parameters, 'wp'));
  pick.addEventListener('change', showParams);
  const form = h('form', { class: 'grid', id: 'start-workflow' },
    h('label', { for: 'wf-pick' }, 'Workflow'), pick, params,
    h('span'), h('div', { class: 'row' }, h('button', { class: 'primary', type: 'submit' }, 'Start')));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); start(page, pick.value, values(params), out); });
  showParams();
  return h('div', { class: 'panel' },
    h('div', { class: 'row' },
      h('button', { type: 'button', class: 'primary', id: 'do-install', onclick: () => start(page, 'install', {}, out) }, 'Install'),
      h('button', { type: 'button', id: 'do-uninstall', onclick: () => start(page, 'uninstall', {}, out) }, 'Uninstall'),
      h('button', { type: 'button', class: 'danger', onclick: () => removeDeployment(page) }, 'Delete deployment')),
    h('details', {}, h('summary', {}, 'Run any workflow with parameters'), form), out);
}

async function start(page, workflow, parameters, out) {
  out.replaceChildren();
  try {
    // follow: the page streams its events at once (ExecOptions.Follow).
    const e = await call('POST', '/executions', { deployment_id: page.id, workflow_id: workflow, parameters, options: { follow: true } });
    toast(`${workflow} started`);
    page.execs.unshift(e);
    renderExecs(page);
    watch(page, e);
  } catch (e) { showError(out, e); }
}

async function removeDeployment(page) {
  if (!confirm(`Delete deployment ${page.id}?`)) return;
  try {
    await call('DELETE', `/deployments/${enc(page.id)}`);
    toast(`Deployment ${page.id} deleted`);
    location.hash = '#/deployments';
  } catch (e) { toast(e.message, true); }
}

function dependencies(uses, usedBy) {
  const rows = [...uses.map((d) => ['uses', d.target_deployment_id, d.dependency_creator]),
    ...usedBy.map((d) => ['used by', d.source_deployment_id, d.dependency_creator])];
  if (!rows.length) return h('p', { class: 'muted' }, 'No dependencies on other deployments.');
  return table(['', 'deployment', 'through'], rows.map(([rel, d, c]) =>
    h('tr', {}, h('td', {}, rel), h('td', {}, h('a', { href: `#/deployment/${enc(d)}` }, d)), h('td', { class: 'mono' }, c))));
}

// drawDependencies pictures this deployment with those it uses and those
// using it, each told by its last execution.
async function drawDependencies(page, links) {
  if (!links.length) return;
  const ids = new Set(links.flatMap((d) => [d.source_deployment_id, d.target_deployment_id]));
  const last = new Map();
  await Promise.all([...ids].map(async (d) => {
    const ex = d === page.id ? page.execs : await getList(`/executions?deployment_id=${enc(d)}`).catch(() => []);
    last.set(d, [...ex].sort((a, b) => (a.created_at < b.created_at ? 1 : -1))[0]);
  }));
  await dependenciesOverview(page.depGraph, links, (d) => statusOf(last.get(d)), page.id);
}

async function loadOutputs(page) {
  const caps = document.getElementById('capabilities');
  try { page.outputs.replaceChildren(kv(await get(`/deployments/${enc(page.id)}/outputs`), 'No outputs.')); } catch (e) { showError(page.outputs, e); }
  try { caps.replaceChildren(kv(await get(`/deployments/${enc(page.id)}/capabilities`), 'No capabilities.')); } catch (e) { showError(caps, e); }
}

const byName = (a, b) => a.localeCompare(b, undefined, { numeric: true });

function renderInstances(page, insts) {
  page.rows.clear();
  const order = new Map(page.plan.nodes.map((n, k) => [n.id, k]));
  insts = [...insts].sort((a, b) => (order.get(a.node_id) - order.get(b.node_id)) || byName(a.id, b.id));
  const rows = insts.map((i) => {
    const state = h('td', {}, badge(i.state));
    const err = h('td', { class: 'err' });
    const tr = h('tr', { id: `inst-${i.id}`, tabindex: -1 }, h('td', { class: 'mono' }, i.id), h('td', {}, i.node_id), state,
      h('td', { class: 'mono' }, i.host_id || ''), h('td', { class: 'mono', style: 'white-space:pre-wrap' }, Object.keys(i.runtime_properties || {}).length ? json(masked(i.runtime_properties)) : ''), err);
    page.rows.set(i.id, { tr, state, err });
    return tr;
  });
  page.instTable.replaceChildren(table(['instance', 'node', 'state', 'host', 'runtime properties (secrets masked)', 'failed operation'], rows));
}

function focusInstance(page, iid) {
  const r = page.rows.get(iid);
  if (r) { r.tr.scrollIntoView({ block: 'center' }); r.tr.focus(); }
}

function renderExecs(page) {
  const ex = [...page.execs].sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
  if (!ex.length) { page.execList.replaceChildren(h('p', { class: 'muted' }, 'No executions yet.')); return; }
  page.execList.replaceChildren(table(['id', 'workflow', 'status', 'created', 'ended', 'error', ''], ex.map((e) =>
    h('tr', { 'data-exec': e.id }, h('td', { class: 'mono' }, e.id), h('td', {}, e.workflow_id), h('td', {}, badge(e.status)),
      h('td', {}, ago(e.created_at)), h('td', {}, ago(e.ended_at)), h('td', { class: 'err' }, e.error || ''),
      h('td', {}, h('button', { type: 'button', 'aria-label': `Show execution ${e.id}`, onclick: () => watch(page, e) }, 'Show'))))));
}

// watch shows one execution: its progress, its events (the stored ones,
// then streamed live while it runs), cancel and resume.
async function watch(page, e) {
  page.stops.forEach((f) => f());
  page.stops = [];
  page.watched = e.id;
  const log = h('div', { class: 'events', role: 'log', 'aria-label': `Events of execution ${e.id}`, tabindex: 0 });
  const prog = h('div', { class: 'row', 'aria-live': 'polite' });
  const failures = h('ul', { class: 'problems' });
  const buttons = h('div', { class: 'row' });
  page.execPanel.replaceChildren(h('h3', { id: 'exec-title' }, `Execution ${e.id} (${e.workflow_id})`), buttons, prog, failures, log);
  let ex = e;
  const counts = { done: 0, failed: 0 };
  let lastP = null;
  const draw = (p) => {
    lastP = p;
    const started = ex.started_at ? Date.parse(ex.started_at) : Date.now();
    const end = ex.ended_at ? Date.parse(ex.ended_at) : Date.now();
    const total = p ? p.operations : null;
    const done = p ? p.done : counts.done;
    fill(prog, badge(ex.status), ' ',
      total ? h('span', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': total, 'aria-valuenow': done, 'aria-label': 'operations done' }, h('span', { style: `width:${(100 * done) / total}%` })) : '',
      ` ${done}${total ? ' / ' + total : ''} operations done`, p ? ` · ${p.running} running` : '', ` · ${p ? p.failed : counts.failed} failed`,
      ` · elapsed ${elapsed(end - started)}`, ex.error ? h('span', { class: 'err' }, ` · ${ex.error}`) : '');
    buttons.replaceChildren();
    if (page.ctx.canWrite && ACTIVE.has(ex.status)) {
      buttons.append(h('button', { type: 'button', id: 'cancel-exec', onclick: () => act(page, ex, 'cancel') }, 'Cancel'),
        h('button', { type: 'button', class: 'danger', onclick: () => act(page, ex, 'cancel', true) }, 'Force cancel'));
    }
    if (page.ctx.canWrite && (ex.status === 'failed' || ex.status === 'cancelled')) {
      buttons.append(h('button', { type: 'button', id: 'resume-exec', onclick: () => act(page, ex, 'resume') }, 'Resume'));
    }
  };
  let last = 0;
  let openedAt = Infinity; // when the event stream connected
  // Events are queued as they arrive and applied together at the next
  // animation frame: one layout and paint per frame however many came.
  let queue = [];
  let frame = 0;
  const flush = () => {
    frame = 0;
    const batch = queue;
    queue = [];
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40; // read before any write
    const lines = document.createDocumentFragment();
    const changed = [];
    for (const { ev, received } of batch) {
      if (apply(page, ev, failures)) changed.push({ ev, received });
      if (ev.type === 'task_succeeded' || ev.type === 'task_failed') counts.done++;
      if (ev.type === 'task_failed') counts.failed++;
      const cls = ev.type.endsWith('failed') || ev.level === 'error' ? 'ev-error' : ev.type.endsWith('succeeded') ? 'ev-ok' : ev.level === 'warning' ? 'ev-warn' : '';
      lines.append(h('div', { class: cls }, `${new Date(ev.timestamp).toLocaleTimeString()} ${ev.type}${ev.node_instance_id ? ' ' + ev.node_instance_id : ''}${ev.operation ? ' ' + ev.operation : ''}  ${ev.message}${ev.error ? '\n    ' + ev.error : ''}`));
    }
    page.topology.flush();
    log.append(lines);
    for (let n = log.childElementCount - MAX_LOG_LINES; n > 0; n--) log.firstChild.remove();
    if (atBottom) log.scrollTop = log.scrollHeight;
    if (!ACTIVE.has(ex.status)) draw(lastP); // an ended execution: its counts come from its events
    // ms: engine to DOM, end to end; dom: receipt to the DOM change. The
    // change is in the DOM now, and painted at the end of this frame.
    const now = Date.now(), pnow = performance.now();
    for (const { ev, received } of changed) {
      perf.latencies.push({ ms: now - Date.parse(ev.timestamp), dom: pnow - received, live: Date.parse(ev.timestamp) >= openedAt });
    }
  };
  const onEvent = (ev) => {
    if (ev.seq <= last) return;
    last = ev.seq;
    queue.push({ ev, received: performance.now() });
    if (!frame) frame = requestAnimationFrame(flush);
  };
  page.stops.push(() => { if (frame) cancelAnimationFrame(frame); });
  draw(null);
  if (!ACTIVE.has(e.status)) {
    (await getList(`/executions/${enc(e.id)}/events?limit=2000`)).forEach(onEvent);
    return;
  }
  // A running execution: the stream replays what happened so far, then
  // follows; no separate read (one round trip less before the first event).
  let poll;
  const tick = async () => {
    try { draw(await get(`/executions/${enc(e.id)}/progress`)); } catch { draw(null); }
  };
  poll = setInterval(tick, 1000);
  tick();
  const stop = stream(e.id, last, onEvent, async (ended) => {
    clearInterval(poll);
    ex = ended || await get(`/executions/${enc(e.id)}`);
    const i = page.execs.findIndex((x) => x.id === ex.id);
    if (i >= 0) page.execs[i] = ex; else page.execs.unshift(ex);
    draw(null);
    renderExecs(page);
    loadOutputs(page);
    renderInstances(page, await getList(`/deployments/${enc(page.id)}/node-instances`));
  }, () => { openedAt = Math.min(openedAt, Date.now()); });
  page.stops.push(stop, () => clearInterval(poll));
}

// apply turns one event into the picture and the tables: state changes
// recolour an instance, failed tasks mark it and name the operation. It
// returns whether the event changed an instance's state.
function apply(page, ev, failures) {
  const iid = ev.node_instance_id;
  if (ev.type === 'state_changed' && iid) {
    const m = STATE_MSG.exec(ev.message);
    if (!m) return false;
    page.topology.set(iid, { state: m[1] });
    const r = page.rows.get(iid);
    if (r) r.state.replaceChildren(badge(m[1]));
    return true;
  }
  if (ev.type === 'task_failed' && iid) {
    page.topology.set(iid, { failed: true });
    const r = page.rows.get(iid);
    if (r) r.err.textContent = `${ev.operation}: ${ev.error || ev.message}`;
    failures.append(h('li', { class: 'err', 'data-failed-op': ev.operation }, h('code', {}, `${iid} ${ev.operation}`), ' ', ev.error || ev.message));
  }
  return false;
}

async function act(page, ex, verb, force) {
  try {
    const e = await call('POST', `/executions/${enc(ex.id)}/${verb}${force ? '?force=true' : ''}`);
    toast(`${verb} requested`);
    if (verb === 'resume') watch(page, e || ex);
  } catch (err) { toast(err.message, true); }
}
