// Deployments: list with status and labels, a filter, and creation from a
// blueprint with a form generated from its inputs.
import { call, get, getList, enc } from '../api.js';
import { h, fill, table, toast, showError, ago, labels, badge } from '../dom.js';
import { dependencyGraph } from '../graph.js';
import { definitionsForm, values } from '../form.js';

// latest returns each deployment's most recent execution.
function latest(execs) {
  const by = new Map();
  for (const e of execs) {
    const cur = by.get(e.deployment_id);
    if (!cur || e.created_at > cur.created_at) by.set(e.deployment_id, e);
  }
  return by;
}

export function statusOf(e) {
  if (!e) return 'not installed';
  return `${e.workflow_id} ${e.status}`;
}

export async function deploymentsPage(main, ctx, query) {
  const filter = h('input', { id: 'dep-filter', type: 'search', placeholder: 'id, blueprint, label key:value or status', value: query.get('q') || '' });
  const list = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const create = h('div');
  fill(main, h('h1', {}, 'Deployments'),
    h('div', { class: 'row' }, h('label', { for: 'dep-filter' }, 'Filter'), filter,
      ctx.canWrite ? h('button', { type: 'button', id: 'new-deployment', onclick: () => createForm(create, ctx, '') }, 'New deployment') : null),
    create, list);
  const graph = h('section', { 'aria-labelledby': 'deps-title' });
  main.append(graph);
  const [deps, execs, links] = await Promise.all([getList('/deployments'), getList('/executions'), getList('/dependencies')]);
  const last = latest(execs);
  const rows = deps.map((d) => {
    const e = last.get(d.id);
    const text = [d.id, d.blueprint_id, statusOf(e), ...Object.entries(d.labels || {}).flatMap(([k, vs]) => vs.map((v) => `${k}:${v}`))].join(' ').toLowerCase();
    const tr = h('tr', { 'data-text': text },
      h('td', {}, h('a', { href: `#/deployment/${enc(d.id)}` }, d.id)), h('td', { class: 'mono' }, d.blueprint_id),
      h('td', {}, e ? [e.workflow_id, ' ', badge(e.status)] : h('span', { class: 'muted' }, 'not installed')),
      h('td', {}, labels(d.labels)), h('td', {}, ago(d.created_at)));
    return tr;
  });
  const apply = () => {
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const tr of rows) {
      tr.hidden = !words.every((w) => tr.dataset.text.includes(w));
      if (!tr.hidden) shown++;
    }
    count.textContent = `${shown} of ${rows.length} deployments`;
  };
  const count = h('p', { class: 'muted', 'aria-live': 'polite' });
  filter.addEventListener('input', apply);
  list.replaceChildren(count, table(['id', 'blueprint', 'last execution', 'labels', 'created'], rows));
  apply();
  await dependenciesOverview(graph, links, (id) => statusOf(last.get(id)));
  if (ctx.canWrite && query.has('new')) createForm(create, ctx, query.get('new'));
}

async function createForm(where, ctx, blueprintID) {
  const bps = await getList('/blueprints');
  const inputs = h('div', { style: 'display:contents' });
  const out = h('div', { style: 'grid-column:1/3', 'aria-live': 'polite' });
  const pick = h('select', { id: 'dep-blueprint', name: 'blueprint', required: true },
    h('option', { value: '' }, '— choose —'), bps.map((b) => h('option', { value: b.id, selected: b.id === blueprintID }, b.id)));
  const id = h('input', { id: 'dep-id', name: 'id', required: true, autocomplete: 'off' });
  const form = h('form', { class: 'grid panel', 'aria-labelledby': 'dep-create' },
    h('h2', { id: 'dep-create', style: 'grid-column:1/3;margin:0' }, 'New deployment'),
    h('label', { for: 'dep-blueprint' }, 'Blueprint'), pick,
    h('label', { for: 'dep-id' }, 'Deployment id'), id,
    h('h3', { style: 'grid-column:1/3;margin:.4rem 0 0;font-size:1rem' }, 'Inputs'), inputs,
    h('span'), h('div', { class: 'row' }, h('button', { class: 'primary', type: 'submit' }, 'Create'),
      h('label', {}, h('input', { type: 'checkbox', id: 'dep-install', style: 'min-width:0' }), ' and install')),
    out);
  const load = async () => {
    inputs.replaceChildren();
    if (!pick.value) return;
    if (!id.value) id.value = pick.value;
    const bp = await get(`/blueprints/${enc(pick.value)}`);
    inputs.replaceChildren(...definitionsForm(bp.input_definitions, 'in'));
  };
  pick.addEventListener('change', load);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    out.replaceChildren();
    try {
      const d = await call('POST', '/deployments', { id: id.value, blueprint_id: pick.value, inputs: values(inputs) });
      toast(`Deployment ${d.id} created`);
      if (form.querySelector('#dep-install').checked) {
        await call('POST', '/executions', { deployment_id: d.id, workflow_id: 'install', options: {} });
      }
      location.hash = `#/deployment/${enc(d.id)}`;
    } catch (e) { showError(out, e); }
  });
  where.replaceChildren(form);
  await load();
  (blueprintID ? id : pick).focus();
}

// dependenciesOverview pictures every deployment that uses or is used by
// another, and those dependencies (deployments with none stay out).
export async function dependenciesOverview(where, links, status, here) {
  if (!links.length) { where.replaceChildren(); return; }
  const svg = await dependencyGraph(links, status, here);
  fill(where, h(here ? 'h3' : 'h2', { id: 'deps-title' }, 'Dependencies between deployments'),
    h('p', { class: 'muted' }, 'An arrow points at the deployment used; the label names what records the dependency (a DeploymentProxy instance, or get_capability). Tab to a deployment, Enter to open it.'),
    svg ? h('div', { class: 'deps', id: 'depgraph' }, svg) : null,
    svg ? null : table(['deployment', 'uses', 'through'], links.map((d) => h('tr', {},
      h('td', {}, h('a', { href: `#/deployment/${enc(d.source_deployment_id)}` }, d.source_deployment_id)),
      h('td', {}, h('a', { href: `#/deployment/${enc(d.target_deployment_id)}` }, d.target_deployment_id)),
      h('td', { class: 'mono' }, d.dependency_creator)))));
}
