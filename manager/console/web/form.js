// Forms generated from a blueprint's input definitions or a workflow's
// parameters (tosca PropertyDef: type, default, required, constraints).
import { h, json } from './dom.js';

const NUMERIC = new Set(['integer', 'float']);

function describe(c) {
  return Object.entries(c).map(([k, v]) => `${k.replace(/_/g, ' ')} ${json(v)}`).join(', ');
}

// field makes the control of one definition, with its constraints as HTML
// attributes where HTML has them (the server checks them all anyway).
function field(name, def, id) {
  const type = def.type || 'string';
  const cons = def.constraints || [];
  const attrs = { id, name, 'data-type': type };
  const valid = cons.find((c) => c.valid_values);
  if (valid) {
    const sel = h('select', attrs, def.required && !def.has_default ? h('option', { value: '' }, '— choose —') : null,
      valid.valid_values.map((v) => h('option', { value: json(v), selected: def.has_default && json(def.default) === json(v) }, json(v))));
    return sel;
  }
  if (type === 'boolean') {
    return h('select', attrs, h('option', { value: '' }, def.has_default ? `default (${def.default})` : '— choose —'),
      h('option', { value: 'true' }, 'true'), h('option', { value: 'false' }, 'false'));
  }
  const dflt = def.has_default ? def.default : undefined;
  if (NUMERIC.has(type)) {
    Object.assign(attrs, { type: 'number', step: type === 'integer' ? '1' : 'any' });
    for (const c of cons) {
      if ('greater_or_equal' in c) attrs.min = c.greater_or_equal;
      if ('less_or_equal' in c) attrs.max = c.less_or_equal;
      if ('in_range' in c) [attrs.min, attrs.max] = c.in_range;
    }
  } else if (type === 'string') {
    attrs.type = 'text';
    for (const c of cons) {
      if ('min_length' in c) attrs.minlength = c.min_length;
      if ('max_length' in c) attrs.maxlength = c.max_length;
      if ('length' in c) attrs.minlength = attrs.maxlength = c.length;
      if ('pattern' in c) attrs.pattern = c.pattern;
    }
  } else {
    const ta = h('textarea', { ...attrs, placeholder: 'JSON or YAML-like scalar' });
    if (dflt !== undefined) ta.value = json(dflt);
    return ta;
  }
  if (dflt !== undefined) attrs.value = typeof dflt === 'string' ? dflt : json(dflt);
  if (def.required && !def.has_default) attrs.required = true;
  return h('input', attrs);
}

// definitionsForm renders one labelled control per definition, in name order.
export function definitionsForm(defs, prefix) {
  const names = Object.keys(defs || {}).sort();
  if (!names.length) return [h('p', { class: 'muted', style: 'grid-column:1/3' }, 'No inputs.')];
  return names.flatMap((name) => {
    const d = defs[name] || {};
    const id = `${prefix}-${name}`;
    const need = d.required && !d.has_default;
    const help = [d.description, d.type && `type ${d.type}`, d.has_default && `default ${json(d.default)}`,
      need && 'required', ...(d.constraints || []).map(describe)].filter(Boolean).join(' · ');
    return [h('label', { for: id }, name, need ? ' *' : ''), field(name, d, id),
      h('div', { class: 'help', id: `${id}-help` }, help)];
  });
}

// values reads a generated form back: typed values of the fields that
// were filled in (an empty field keeps the default).
export function values(form) {
  const out = {};
  for (const el of form.querySelectorAll('[data-type]')) {
    const raw = el.value.trim();
    if (raw === '') continue;
    const t = el.dataset.type;
    if (el.tagName === 'SELECT' && t !== 'boolean') out[el.name] = parse(raw);
    else if (t === 'integer') out[el.name] = parseInt(raw, 10);
    else if (t === 'float') out[el.name] = parseFloat(raw);
    else if (t === 'boolean') out[el.name] = raw === 'true';
    else if (t === 'string') out[el.name] = raw;
    else out[el.name] = parse(raw);
  }
  return out;
}

function parse(raw) {
  try { return JSON.parse(raw); } catch { return raw; }
}
