// Blueprints: list, upload (a folder or an archive; the upload is the
// validation: every problem is shown at its file and line), delete.
import { call, getList, enc } from '../api.js';
import { h, fill, table, toast, showError, ago, labels } from '../dom.js';
import { tarGz, folderFiles } from '../tar.js';

const TYPES = { '.zip': 'application/zip', '.tar.gz': 'application/gzip', '.tgz': 'application/gzip', '.yaml': 'application/yaml', '.yml': 'application/yaml' };

function archiveType(name) {
  const ext = Object.keys(TYPES).find((x) => name.toLowerCase().endsWith(x));
  return ext && TYPES[ext];
}

export async function blueprintsPage(main, ctx) {
  const list = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  fill(main, h('h1', {}, 'Blueprints'), ctx.canWrite ? uploadForm(ctx) : null, list);
  const bps = await getList('/blueprints');
  list.replaceChildren(bps.length ? table(['id', 'main file', 'description', 'labels', 'uploaded', ''],
    bps.map((b) => h('tr', {},
      h('td', { class: 'mono' }, b.id), h('td', { class: 'mono' }, b.main_file_name), h('td', {}, b.description || ''),
      h('td', {}, labels(b.labels)), h('td', {}, ago(b.created_at)),
      h('td', {}, h('a', { href: `#/deployments?new=${enc(b.id)}` }, 'Create deployment'),
        ctx.canWrite ? [' ', h('button', { class: 'danger', type: 'button', 'aria-label': `Delete blueprint ${b.id}`, onclick: () => remove(b.id, ctx) }, 'Delete')] : null))),
    'Blueprints stored on this server')
    : h('p', { class: 'muted' }, 'No blueprints yet.'));
}

async function remove(id, ctx) {
  if (!confirm(`Delete blueprint ${id}?`)) return;
  try {
    await call('DELETE', `/blueprints/${enc(id)}`);
    toast(`Blueprint ${id} deleted`);
    ctx.reload();
  } catch (e) { toast(e.message, true); }
}

function uploadForm(ctx) {
  const out = h('div', { 'aria-live': 'polite' });
  const id = h('input', { id: 'bp-id', name: 'id', required: true, pattern: '[A-Za-z0-9][A-Za-z0-9._\\-]*', autocomplete: 'off' });
  const main = h('input', { id: 'bp-main', name: 'main', value: 'blueprint.yaml' });
  const folder = h('input', { id: 'bp-folder', type: 'file', webkitdirectory: true, multiple: true });
  const archive = h('input', { id: 'bp-archive', type: 'file', accept: '.zip,.tar.gz,.tgz,.yaml,.yml' });
  const go = h('button', { class: 'primary', type: 'submit' }, 'Upload and validate');
  folder.addEventListener('change', () => {
    if (!id.value && folder.files.length) id.value = folder.files[0].webkitRelativePath.split('/')[0];
  });
  const form = h('form', { class: 'grid panel', 'aria-labelledby': 'bp-upload' },
    h('h2', { id: 'bp-upload', style: 'grid-column:1/3;margin:0' }, 'Upload a blueprint'),
    h('label', { for: 'bp-folder' }, 'Folder'), folder,
    h('label', { for: 'bp-archive' }, 'or archive'), archive,
    h('label', { for: 'bp-id' }, 'Blueprint id'), id,
    h('label', { for: 'bp-main' }, 'Main file'), main,
    h('span'), h('div', { class: 'row' }, go), h('div', { style: 'grid-column:1/3' }, out));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    out.replaceChildren();
    let body, type;
    const local = new Map();
    if (folder.files.length) {
      const files = folderFiles(folder.files);
      for (const f of files) local.set(f.path, f.file);
      body = await tarGz(files);
      type = 'application/gzip';
    } else if (archive.files.length) {
      body = archive.files[0];
      type = archiveType(body.name);
      if (type === 'application/yaml') local.set(body.name, body);
      if (!type) { out.replaceChildren(h('p', { class: 'err', role: 'alert' }, 'Choose a .zip, .tar.gz, .tgz or .yaml file.')); return; }
    } else {
      out.replaceChildren(h('p', { class: 'err', role: 'alert' }, 'Choose a folder or an archive.'));
      return;
    }
    go.disabled = true;
    try {
      const q = type === 'application/yaml' ? `?main=${enc(archive.files[0].name)}` : `?main=${enc(main.value)}`;
      await call('PUT', `/blueprints/${enc(id.value)}${q}`, body, type);
      toast(`Blueprint ${id.value} uploaded`);
      ctx.reload();
    } catch (e) {
      showError(out, e);
      await quoteLines(out, e.problems, local);
    } finally { go.disabled = false; }
  });
  return form;
}

// quoteLines shows, under each problem, the line of the uploaded file it
// points at (read from the files the browser still holds).
async function quoteLines(out, problems, local) {
  const items = out.querySelectorAll('.problems li');
  for (let i = 0; i < (problems || []).length; i++) {
    const p = problems[i];
    const f = local.get(p.file) || [...local.entries()].find(([k]) => p.file.endsWith('/' + k) || p.file.endsWith(k))?.[1];
    if (!f || !p.line) continue;
    const line = (await f.text()).split('\n')[p.line - 1];
    if (line !== undefined) items[i].append(h('pre', { class: 'mono', style: 'margin:.2rem 0' }, `${String(p.line).padStart(4)} | ${line}\n       ${' '.repeat(Math.max(0, p.column - 1))}^`));
  }
}
