// The topology picture: one box per node (type, instance count, a bar of
// its instances' states), containment and other relationships as edges,
// laid out by dagre (vendor/dagre.esm.js, from npm). A node's instances
// show as coloured squares when it is expanded; big nodes start collapsed
// (counts only) so that 1,000 instances stay one quick picture. Updates
// are cheap and batched: set() recolours one instance's square and keeps
// its node's counts (no recount); flush(), once per animation frame,
// redraws the header (state bar, summary, accessible name) of the nodes
// that changed, never the picture nor a node's squares.
import { dagre, loading, s, svgOf, edgeOf } from './graph.js';

const CONTAINED = 'cloudify.relationships.contained_in';
const PROXY = 'cloudify.nodes.DeploymentProxy';
const W = 230, HEAD = 72, CHIP = 12, PER_ROW = 17;
// A node starts expanded when it has at most this many instances and the
// deployment at most AUTO_TOTAL.
const AUTO_NODE = 24, AUTO_TOTAL = 200;
export const STATES = ['uninitialized', 'initializing', 'creating', 'created', 'configuring', 'configured', 'starting', 'started', 'stopping', 'stopped', 'deleting', 'deleted'];

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
    this.nodes = new Map(plan.nodes.map((n) => [n.id, n]));
    this.byNode = new Map(plan.nodes.map((n) => [n.id, []]));
    // Per node: instances by state, and how many failed; kept on set().
    this.tally = new Map(plan.nodes.map((n) => [n.id, { c: {}, failed: 0 }]));
    for (const i of this.inst.values()) {
      (this.byNode.get(i.node) || this.byNode.set(i.node, []).get(i.node)).push(i.id);
      const t = this.tally.get(i.node) || this.tally.set(i.node, { c: {}, failed: 0 }).get(i.node);
      t.c[i.state] = (t.c[i.state] || 0) + 1;
    }
    this.dirty = new Set();
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
    const svg = svgOf(g, 'Topology of the deployment', 'topo');
    for (const e of g.edges()) {
      const ed = g.edge(e);
      svg.append(...edgeOf(ed, ed.contained ? 'contained' : 'rel', 'topo'));
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
    return (this.tally.get(nodeID) || { c: {} }).c;
  }

  // head draws a node's header: the parts that change with its states.
  head(n, box) {
    const ids = this.byNode.get(n.id) || [];
    const c = this.counts(n.id);
    const failed = (this.tally.get(n.id) || {}).failed > 0;
    box.classList.toggle('failed', failed);
    const summary = STATES.filter((st) => c[st]).map((st) => `${c[st]} ${st}`).join(', ') || 'no instances';
    box.setAttribute('aria-label', `node ${n.id}, ${n.type}, ${ids.length} instance${ids.length === 1 ? '' : 's'}: ${summary}${failed ? ', an operation failed' : ''}`);
    const open = this.expanded.has(n.id);
    // The state bar: one segment per state, in lifecycle order.
    const kids = [s('title', {}, `${n.id} (${n.type}): ${summary}`)];
    let x = 10;
    for (const st of STATES) {
      if (!c[st]) continue;
      const w = Math.max(2, ((W - 20) * c[st]) / ids.length);
      kids.push(s('rect', { class: `st-${st}`, x, y: 40, width: w, height: 8 }));
      x += w;
    }
    kids.push(s('text', { x: 10, y: 63, class: 'edgelabel' }, `${open ? '▾' : '▸'} ${summary.length > 40 ? summary.slice(0, 39) + '…' : summary}`));
    box.head.replaceChildren(...kids);
  }

  drawNode(n, box, height) {
    const ids = this.byNode.get(n.id) || [];
    box.setAttribute('aria-expanded', String(this.expanded.has(n.id)));
    box.head = s('g', { class: 'head' });
    const kids = [s('rect', { class: 'box', width: W, height, rx: 8 }),
      s('text', { class: 'title', x: 10, y: 18 }, `${n.id}  ×${ids.length}`),
      s('text', { x: 10, y: 34, class: 'edgelabel' }, n.type.length > 34 ? '…' + n.type.slice(-33) : n.type),
      box.head];
    this.head(n, box);
    const open = this.expanded.has(n.id);
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

  // set updates one instance (state, or failed): its square at once (if
  // shown), its node's counts, and marks the node for flush().
  set(instID, change) {
    const i = this.inst.get(instID);
    if (!i) return;
    const t = this.tally.get(i.node);
    if (change.state !== undefined && change.state !== i.state) {
      t.c[i.state]--;
      if (!t.c[i.state]) delete t.c[i.state];
      t.c[change.state] = (t.c[change.state] || 0) + 1;
    }
    if (change.failed && !i.failed) t.failed++;
    Object.assign(i, change);
    const chip = this.chips.get(instID);
    if (chip && chip.isConnected) {
      chip.setAttribute('class', `inst st-${i.state}${i.failed ? ' err' : ''}`);
      chip.firstChild.textContent = `${instID}: ${i.state}`;
    }
    this.dirty.add(i.node);
  }

  // flush redraws the headers of the nodes set() changed since the last
  // flush (the list, without the layout library).
  flush() {
    if (!this.dirty.size) return;
    if (this.list) this.renderList();
    for (const id of this.dirty) {
      const box = this.boxes.get(id);
      if (box && box.head) this.head(this.nodes.get(id), box);
    }
    this.dirty.clear();
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
