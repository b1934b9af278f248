// What the pictures share: the layout library (dagre, from npm, copied to
// vendor/ by `make console-assets`; null without it), SVG elements, and
// the dependency graph between deployments.
const NS = 'http://www.w3.org/2000/svg';

export let dagre = null;
export const loading = import('./vendor/dagre.esm.js').then((m) => { dagre = m.default || m; }, () => { dagre = null; });

export function s(tag, attrs, ...kids) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'style') el.style.cssText = v;
    else if (v !== undefined) el.setAttribute(k, v);
  }
  for (const k of kids) if (k !== null && k !== undefined) el.append(k);
  return el;
}

// svgOf is an empty picture of a laid-out graph, with its arrow marker
// (id arrow-KEY: one per picture on a page).
export function svgOf(g, label, key) {
  const gg = g.graph();
  return s('svg', { width: gg.width, height: gg.height, role: 'group', 'aria-label': label },
    s('defs', {}, s('marker', { id: `arrow-${key}`, viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
      s('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#57606a' }))));
}

// edgeOf draws one edge with its label; the arrow's tip touches the
// edge's first end (what the other depends on), outside the box there.
export function edgeOf(ed, cls, key, attrs) {
  const pts = ed.points.map((p) => `${p.x},${p.y}`).join(' L');
  const mid = ed.points[Math.floor(ed.points.length / 2)];
  return [s('path', { class: `edge ${cls}`, d: `M${pts}`, 'marker-start': `url(#arrow-${key})`, ...attrs }),
    s('text', { class: 'edgelabel', x: mid.x + 6, y: mid.y }, ed.label)];
}

const DW = 250, DH = 52;

// dependencyGraph draws deployments and the dependencies between them
// (deps: the API's dependency records), each deployment a link to its
// page, its last execution told in words (status(id) returns them). The
// deployment `here`, if given, is outlined. Without the layout library it
// returns null (the caller lists the dependencies in a table).
export async function dependencyGraph(deps, status, here) {
  await loading;
  if (!dagre || !deps.length) return null;
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 40, ranksep: 70, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  const ids = new Set(deps.flatMap((d) => [d.source_deployment_id, d.target_deployment_id]));
  for (const id of ids) g.setNode(id, { width: DW, height: DH });
  // Providers above their consumers.
  for (const d of deps) {
    g.setEdge(d.target_deployment_id, d.source_deployment_id, { label: d.dependency_creator.length > 30 ? d.dependency_creator.slice(0, 29) + '…' : d.dependency_creator, width: 10, height: 10 },
      `${d.source_deployment_id}>${d.target_deployment_id}>${d.dependency_creator}`);
  }
  dagre.layout(g);
  const svg = svgOf(g, 'Dependencies between deployments', 'deps');
  for (const e of g.edges()) {
    svg.append(...edgeOf(g.edge(e), 'dep', 'deps', { 'data-edge': `${e.w}>${e.v}` }));
  }
  for (const id of ids) {
    const p = g.node(id);
    const st = status(id);
    const a = s('a', { href: `#/deployment/${encodeURIComponent(id)}`, 'data-deployment': id, class: 'depbox',
      'aria-label': `deployment ${id}: ${st}; uses ${deps.filter((d) => d.source_deployment_id === id).map((d) => d.target_deployment_id).join(', ') || 'nothing'}` },
    s('rect', { x: p.x - DW / 2, y: p.y - DH / 2, width: DW, height: DH, rx: 8, class: id === here ? 'here' : '' }),
    s('text', { x: p.x - DW / 2 + 10, y: p.y - 5, class: 'title' }, id),
    s('text', { x: p.x - DW / 2 + 10, y: p.y + 14, class: 'edgelabel' }, st));
    svg.append(a);
  }
  return svg;
}
