// Secrets: names for everyone; operators create and delete; only admins
// read a value (the server refuses anyone else).
import { call, get, getList, enc } from '../api.js';
import { h, fill, table, toast, showError, ago } from '../dom.js';

export async function secretsPage(main, ctx) {
  const list = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  fill(main, h('h1', {}, 'Secrets'),
    h('p', { class: 'muted' }, ctx.role === 'admin' ? 'As an admin you may reveal values.' : 'Names only: values are for admins.'),
    ctx.canWrite ? createForm(ctx) : null, list);
  const secrets = await getList('/secrets');
  list.replaceChildren(secrets.length ? table(['key', 'visibility', 'updated', 'value', ''], secrets.map((sec) => {
    const value = h('td', { class: 'mono' }, h('span', { class: 'masked' }, 'hidden'));
    return h('tr', {}, h('td', { class: 'mono' }, sec.key), h('td', {}, sec.visibility), h('td', {}, ago(sec.updated_at || sec.created_at)), value,
      h('td', {}, ctx.role === 'admin' ? h('button', { type: 'button', 'aria-label': `Reveal secret ${sec.key}`, onclick: async () => {
        try { value.textContent = shown(await get(`/secrets/${enc(sec.key)}`)); } catch (e) { toast(e.message, true); }
      } }, 'Reveal') : null,
      ctx.canWrite ? h('button', { type: 'button', class: 'danger', 'aria-label': `Delete secret ${sec.key}`, onclick: async () => {
        if (!confirm(`Delete secret ${sec.key}?`)) return;
        try { await call('DELETE', `/secrets/${enc(sec.key)}`); ctx.reload(); } catch (e) { toast(e.message, true); }
      } }, 'Delete') : null));
  })) : h('p', { class: 'muted' }, 'No secrets.'));
}

// shown is a revealed value as text: a value that is not UTF-8 (a binary
// key, a keystore) comes as base64 ("encoding": "base64") and shows so.
function shown(sec) {
  return sec.encoding === 'base64' ? `base64: ${sec.value}` : sec.value;
}

function createForm(ctx) {
  const out = h('div', { style: 'grid-column:1/3', 'aria-live': 'polite' });
  const form = h('form', { class: 'grid panel', 'aria-labelledby': 'sec-title' },
    h('h2', { id: 'sec-title', style: 'grid-column:1/3;margin:0' }, 'New secret'),
    h('label', { for: 'sec-key' }, 'Key'), h('input', { id: 'sec-key', required: true, autocomplete: 'off' }),
    h('label', { for: 'sec-value' }, 'Value'), h('input', { id: 'sec-value', type: 'password', required: true, autocomplete: 'new-password' }),
    h('label', { for: 'sec-vis' }, 'Visibility'), h('select', { id: 'sec-vis' }, ['tenant', 'private', 'global'].map((v) => h('option', {}, v))),
    h('span'), h('div', { class: 'row' }, h('button', { class: 'primary', type: 'submit' }, 'Create'),
      h('label', {}, h('input', { type: 'checkbox', id: 'sec-over', style: 'min-width:0' }), ' overwrite')), out);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = (id) => form.querySelector(id);
    try {
      await call('POST', `/secrets${v('#sec-over').checked ? '?overwrite=true' : ''}`, { key: v('#sec-key').value, value: v('#sec-value').value, visibility: v('#sec-vis').value });
      toast(`Secret ${v('#sec-key').value} saved`);
      ctx.reload();
    } catch (e) { showError(out, e); }
  });
  return form;
}
