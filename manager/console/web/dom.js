// Small DOM helpers: h() builds elements (text is always text, never HTML).
export function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'style') el.style.cssText = v; // CSSOM: allowed by the CSP, unlike a style attribute
    else el.setAttribute(k, v === true ? '' : v);
  }
  add(el, kids);
  return el;
}

function add(el, kids) {
  for (const k of kids) {
    if (k === undefined || k === null || k === false) continue;
    if (Array.isArray(k)) add(el, k);
    else el.append(k instanceof Node ? k : String(k));
  }
}

// fill replaces el's children with kids as h() takes them (null, false
// and undefined left out: DOM's replaceChildren would print "null").
export function fill(el, ...kids) {
  el.replaceChildren();
  add(el, kids);
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);

export function badge(status) {
  return h('span', { class: `badge s-${status}` }, status);
}

export function labels(ls) {
  return Object.entries(ls || {}).flatMap(([k, vs]) => vs.map((v) => h('span', { class: 'label' }, `${k}:${v}`)));
}

export function table(cols, rows, caption) {
  return h('table', {},
    caption && h('caption', { class: 'muted', style: 'text-align:left' }, caption),
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows));
}

export function toast(msg, isErr) {
  const t = h('div', { class: isErr ? 'err' : '' }, msg);
  document.getElementById('toast').append(t);
  setTimeout(() => t.remove(), isErr ? 9000 : 4000);
}

// show prints an error, with a blueprint's problems at their lines.
export function showError(where, e) {
  where.replaceChildren(h('p', { class: 'err', role: 'alert' }, e.message),
    e.problems && e.problems.length ? h('ul', { class: 'problems' }, e.problems.map((p) =>
      h('li', {}, h('code', {}, `${p.file}:${p.line}:${p.column}`), ' ', p.message, p.hint ? h('span', { class: 'muted' }, ` (${p.hint})`) : ''))) : '');
}

export function json(v) {
  if (v === undefined) return 'null';
  return typeof v === 'string' ? v : JSON.stringify(v, null, 1);
}

// Secrets never show: values of keys that name a secret, and tokens.
const SECRET_KEY = /pass|secret|token|private|credential|api_?key|^key$/i;
export function masked(obj) {
  if (Array.isArray(obj)) return obj.map(masked);
  if (obj && typeof obj === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(obj)) out[k] = SECRET_KEY.test(k) ? '••••••' : masked(v);
    return out;
  }
  if (typeof obj === 'string' && /^gtk_[0-9a-f]{16}_/.test(obj)) return '••••••';
  return obj;
}

export function kv(obj, empty) {
  const es = Object.entries(obj || {});
  if (!es.length) return h('p', { class: 'muted' }, empty || 'None.');
  return table(['name', 'value'], es.map(([k, v]) => h('tr', {}, h('td', { class: 'mono' }, k), h('td', { class: 'mono' }, json(v)))));
}

export function ago(t) {
  if (!t) return '';
  return new Date(t).toLocaleString();
}

export function elapsed(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}
