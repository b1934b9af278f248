// The topology picture: one box per node (type, instance count, a bar of
// its instances' states), containment and other relationships as edges,
// laid out by dagre (vendor/dagre.esm.js, from npm). A node's instances
// show as coloured squares when it is expanded; big nodes start collapsed
// (counts only) so that 1,000 instances stay one quick picture. Updates
// touch one node's box only.
const NS = 'http://www.w3.org/2000/svg';
const CONTAINED = 'cloudify.relationships.contained_in';
const PROXY = 'cloudify.nodes.DeploymentProxy';
const W = 230, HEAD = 72, CHIP = 12, PER_ROW = 17;
// A node starts expanded when it has at most this many instances and the
// deployment at most AUTO_TOTAL.
const AUTO_NODE = 24, AUTO_TOTAL = 200;
export const STATES = ['uninitialized', 'initializing', 'creating', 'created', 'configuring', 'configured', 'starting', 'started', 'stopping', 'stopped', 'deleting', 'deleted'];

let dagre = null;
const loading = import('./vendor/dagre.esm.js').then((m) => { dagre = m.default || m; }, () => { dagre = null; });

function s(tag, attrs, ...kids) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'style') el.style.cssText = v;
    else if (v !== undefined) el.setAttribute(k, v);
  }
  for (const k of kids) if (k !== null && k !== undefined) el.append(k);
  return el;
}

const isA = (r, t) => r.type === t || (r.type_hierarchy || []).includes(t);

export class Topology {
  // plan: the deployment's plan; instances: its node instances;
  // external: ids of deployments this one depends on.
  constructor(el, plan, instances, external, onSelect) {
    this.el = el;
    this.plan = plan;
    this.external = external || [];
    this.onSelect = onSelect;
    this.inst = new Map(instances.map((i) => [i.id, { id: i.id, node: i.node_id, state: i.state, failed: false }]));
    this.byNode = new Map(plan.nodes.map((n) => [n.id, []]));
    for (const i of this.inst.values()) (this.byNode.get(i.node) || this.byNode.set(i.node, []).get(i.node)).push(i.id);
    const total = this.inst.size;
    this.expanded = new Set(plan.nodes.filter((n) => total <= AUTO_TOTAL && this.byNode.get(n.id).length <= AUTO_NODE).map((n) => n.id));
    this.chips = new Map();
    this.boxes = new Map();
  }

  async render() {
    await loading;
    if (!dagre) return this.renderList();
    const g = new dagre.graphlib.Graph({ multigraph: true });
    g.setGraph({ rankdir: 'TB', nodesep: 40, ranksep: 60, marginx: 16, marginy: 16 });
    g.setDefaultEdgeLabel(() => ({}));
    for (const n of this.plan.nodes) g.setNode(n.id, { width: W, height: this.height(n.id) });
    for (const d of this.external) g.setNode(`dep:${d}`, { width: W, height: 44 });
    for (const n of this.plan.nodes) {
      for (const [i, r] of (n.relationships || []).entries()) {
        // Targets above their sources: the target exists first.
        g.setEdge(r.target_id, n.id, { contained: isA(r, CONTAINED), label: r.type.split('.').pop(), width: 10, height: 10 }, `${n.id}#${i}`);
      }
      if ((n.type_hierarchy || []).includes(PROXY) || n.type === PROXY) {
        for (const d of this.external) g.setEdge(`dep:${d}`, n.id, { proxy: true, label: 'deployment', width: 10, height: 10 }, `${n.id}>${d}`);
      }
    }
    dagre.layout(g);
    const gg = g.graph();
    const svg = s('svg', { width: gg.width, height: gg.height, role: 'group', 'aria-label': 'Topology of the deployment' },
      s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 1, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
        s('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#57606a' }))));
    for (const e of g.edges()) {
      const ed = g.edge(e);
      const pts = ed.points.map((p) => `${p.x},${p.y}`).join(' L');
      svg.append(s('path', { class: `edge ${ed.contained ? 'contained' : 'rel'}`, d: `M${pts}`, 'marker-start': 'url(#arrow)' }));
      const mid = ed.points[Math.floor(ed.points.length / 2)];
      svg.append(s('text', { class: 'edgelabel', x: mid.x + 6, y: mid.y }, ed.label));
    }
    for (const n of this.plan.nodes) {
      const p = g.node(n.id);
      const box = s('g', { class: 'node', transform: `translate(${p.x - W / 2},${p.y - p.height / 2})`, tabindex: 0, role: 'button', 'data-node': n.id });
      box.addEventListener('click', () => this.toggle(n.id));
      box.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); this.toggle(n.id); } });
      this.boxes.set(n.id, box);
      this.drawNode(n, box, p.height);
      svg.append(box);
    }
    for (const d of this.external) {
      const p = g.node(`dep:${d}`);
      const a = s('a', { href: `#/deployment/${encodeURIComponent(d)}` },
        s('rect', { x: p.x - W / 2, y: p.y - 22, width: W, height: 44, rx: 8, fill: '#ddf4ff', stroke: '#0550ae', 'stroke-dasharray': '4 3' }),
        s('text', { x: p.x - W / 2 + 10, y: p.y + 5, class: 'edgelabel', style: 'font-size:13px;fill:#0550ae' }, `deployment ${d}`));
      svg.append(a);
    }
    this.el.replaceChildren(svg);
  }

  height(nodeID) {
    if (!this.expanded.has(nodeID)) return HEAD;
    return HEAD + Math.ceil(Math.max(1, this.byNode.get(nodeID).length) / PER_ROW) * CHIP + 8;
  }

  counts(nodeID) {
    const c = {};
    for (const id of this.byNode.get(nodeID) || []) { const st = this.inst.get(id).state; c[st] = (c[st] || 0) + 1; }
    return c;
  }

  drawNode(n, box, height) {
    const ids = this.byNode.get(n.id) || [];
    const c = this.counts(n.id);
    const failed = ids.some((id) => this.inst.get(id).failed);
    box.classList.toggle('failed', failed);
    const summary = STATES.filter((st) => c[st]).map((st) => `${c[st]} ${st}`).join(', ') || 'no instances';
    box.setAttribute('aria-label', `node ${n.id}, ${n.type}, ${ids.length} instance${ids.length === 1 ? '' : 's'}: ${summary}${failed ? ', an operation failed' : ''}`);
    box.setAttribute('aria-expanded', String(this.expanded.has(n.id)));
    const kids = [s('rect', { class: 'box', width: W, height, rx: 8 }),
      s('text', { class: 'title', x: 10, y: 18 }, `${n.id}  ×${ids.length}`),
      s('text', { x: 10, y: 34, class: 'edgelabel' }, n.type.length > 34 ? '…' + n.type.slice(-33) : n.type),
      s('title', {}, `${n.id} (${n.type}): ${summary}`)];
    // The state bar: one segment per state, in lifecycle order.
    let x = 10;
    for (const st of STATES) {
      if (!c[st]) continue;
      const w = Math.max(2, ((W - 20) * c[st]) / ids.length);
      kids.push(s('rect', { class: `st-${st}`, x, y: 40, width: w, height: 8 }));
      x += w;
    }
    const open = this.expanded.has(n.id);
    kids.push(s('text', { x: 10, y: 63, class: 'edgelabel' }, `${open ? '▾' : '▸'} ${summary.length > 40 ? summary.slice(0, 39) + '…' : summary}`));
    if (open) {
      ids.forEach((id, k) => {
        const i = this.inst.get(id);
        const chip = s('rect', { class: `inst st-${i.state}${i.failed ? ' err' : ''}`, x: 10 + (k % PER_ROW) * CHIP, y: HEAD + Math.floor(k / PER_ROW) * CHIP, width: CHIP - 2, height: CHIP - 2, 'data-inst': id },
          s('title', {}, `${id}: ${i.state}`));
        chip.addEventListener('click', (ev) => { ev.stopPropagation(); this.onSelect(id); });
        this.chips.set(id, chip);
        kids.push(chip);
      });
    }
    box.replaceChildren(...kids);
  }

  toggle(nodeID) {
    if (this.expanded.has(nodeID)) this.expanded.delete(nodeID); else this.expanded.add(nodeID);
    this.render().then(() => this.boxes.get(nodeID)?.focus());
  }

  // set updates one instance (state, or failed) and redraws its node only.
  set(instID, change) {
    const i = this.inst.get(instID);
    if (!i) return;
    Object.assign(i, change);
    const box = this.boxes.get(i.node);
    if (box) {
      const n = this.plan.nodes.find((x) => x.id === i.node);
      this.drawNode(n, box, this.height(i.node));
    } else if (this.list) this.renderList();
  }

  // renderList is the picture's stand-in when the layout library is not
  // bundled (a plain `go build`): nodes, hosts, relationships and counts.
  renderList() {
    this.list = true;
    const rows = this.plan.nodes.map((n) => {
      const c = this.counts(n.id);
      const tr = document.createElement('tr');
      const rels = (n.relationships || []).map((r) => `${r.type.split('.').pop()} → ${r.target_id}`).join(', ');
      for (const v of [n.id, n.type, rels, STATES.filter((st) => c[st]).map((st) => `${c[st]} ${st}`).join(', ')]) {
        const td = document.createElement('td');
        td.textContent = v;
        tr.append(td);
      }
      return tr;
    });
    const t = document.createElement('table');
    t.innerHTML = '<caption class="muted">The picture needs the layout library (make build); the topology as a list:</caption><thead><tr><th>node</th><th>type</th><th>relationships</th><th>instances</th></tr></thead>';
    const tb = document.createElement('tbody');
    tb.append(...rows);
    t.append(tb);
    this.el.replaceChildren(t);
  }
}
