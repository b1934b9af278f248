// Cluster: what the server runs on. For a store that several processes
// share (etcd): its members and which leads, the workers registered and
// the executions they hold (with what is left of each lease), and the
// executions queued that no worker holds yet (the server reads the
// records of those only, never every execution). Read every REFRESH ms
// while the page is open.
import { get, enc } from '../api.js';
import { h, fill, table, ago, badge } from '../dom.js';

const REFRESH = 2000;

// leaseLeft is what remains of a lease (nanoseconds) as text.
const leaseLeft = (ns) => (ns ? `${Math.max(0, Math.round(ns / 1e9))}s` : '');

export async function clusterPage(main, ctx) {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const when = h('p', { class: 'muted' });
  fill(main, h('h1', {}, 'Cluster'), when, body);
  let timer = null;
  let stopped = false;
  ctx.onLeave(() => { stopped = true; clearTimeout(timer); });
  const refresh = async () => {
    const info = await get('/version');
    if (stopped) return;
    fill(body, render(info));
    when.textContent = `Gantry ${info.version} · store ${info.store} · read ${new Date().toLocaleTimeString()}`;
  };
  await refresh();
  const again = () => {
    timer = setTimeout(async () => {
      try { await refresh(); } catch (e) { when.textContent = `Not refreshed: ${e.message}`; }
      if (!stopped) again();
    }, REFRESH);
  };
  again();
}

function render(info) {
  const c = info.cluster;
  if (!c) {
    return [h('p', { id: 'no-cluster' }, 'This server keeps its state in one bbolt file: it runs every execution itself, and there is no cluster or worker to show. A server on etcd (',
      h('code', {}, '--store etcd://…'), ') shows its members, workers and queue here.')];
  }
  const execs = c.executions || [];
  const byID = new Map(execs.map((e) => [e.id, e]));
  const claimed = new Set((c.claims || []).map((cl) => cl.execution_id));
  const execLink = (id) => {
    const e = byID.get(id);
    return e ? [h('a', { href: `#/deployment/${enc(e.deployment_id)}` }, `${e.workflow_id} of ${e.deployment_id}`), ' ', badge(e.status)] : h('span', { class: 'mono' }, id);
  };
  const queued = execs.filter((e) => !claimed.has(e.id));
  return [
    c.error ? h('p', { class: 'err', role: 'alert' }, c.error) : null,
    h('h2', { id: 'members-title' }, `Members (${(c.members || []).length})`),
    table(['name', 'client URLs', 'leader', 'state'], (c.members || []).map((m) => h('tr', { class: 'member' },
      h('td', { class: 'mono' }, m.name), h('td', { class: 'mono' }, (m.client_urls || []).join(', ')),
      h('td', {}, m.leader ? 'leader' : ''), h('td', {}, m.error ? h('span', { class: 'err' }, m.error) : 'answering')))),
    h('h2', { id: 'workers-title' }, `Workers (${(c.workers || []).length})`),
    (c.workers || []).length ? table(['name', 'host', 'pid', 'slots', 'running', 'started', 'lease left'], c.workers.map((w) => h('tr', { class: 'worker' },
      h('td', { class: 'mono' }, w.name), h('td', { class: 'mono' }, w.host.split(' ')[0]), h('td', {}, w.pid), h('td', {}, w.parallel),
      h('td', {}, (c.claims || []).filter((cl) => cl.holder.name === w.name).length), h('td', {}, ago(w.started)), h('td', {}, leaseLeft(w.lease_ttl_ns)))))
      : h('p', { class: 'muted' }, 'No worker is registered: queued executions wait (start one with `gantry worker`).'),
    h('h2', { id: 'claims-title' }, `Running (${(c.claims || []).length})`),
    (c.claims || []).length ? table(['execution', 'held by', 'fencing token', 'since', 'lease left'], c.claims.map((cl) => h('tr', { class: 'claim' },
      h('td', {}, execLink(cl.execution_id)), h('td', { class: 'mono' }, cl.holder.name || cl.holder.host), h('td', {}, cl.token),
      h('td', {}, ago(cl.since)), h('td', {}, leaseLeft(cl.lease_ttl_ns)))))
      : h('p', { class: 'muted' }, 'No execution is running.'),
    h('h2', { id: 'queue-title' }, `Queued (${c.queued || 0})`),
    queued.length ? table(['execution', 'queued'], queued.map((e) => h('tr', { class: 'queued' }, h('td', {}, execLink(e.id)), h('td', {}, ago(e.created_at)))),
      c.queued > queued.length ? `The first ${queued.length}, oldest first.` : undefined)
      : h('p', { class: 'muted' }, 'Nothing waits for a worker.'),
  ];
}
