// The console's shell: sign-in, navigation (routes live in the URL's
// fragment: #/deployments, #/deployment/ID, #/blueprints, #/secrets,
// #/cluster), and
// the role that decides which write actions exist at all.
import { session, signIn, signOut, whenSignedOut } from './api.js';
import { h, $, showError } from './dom.js';
import { blueprintsPage } from './pages/blueprints.js';
import { deploymentsPage } from './pages/deployments.js';
import { deploymentPage } from './pages/deployment.js';
import { secretsPage } from './pages/secrets.js';
import { clusterPage } from './pages/cluster.js';

const perf = (window.__gantry = window.__gantry || { latencies: [] });
const main = $('#main');
let principal = null;
let leaving = [];

function ctx() {
  return {
    role: principal.role,
    canWrite: principal.role === 'operator' || principal.role === 'admin',
    reload: route,
    onLeave: (f) => leaving.push(f),
  };
}

function signInPage(msg) {
  principal = null;
  $('#nav').hidden = true;
  $('#signout').hidden = true;
  $('#who').textContent = '';
  const out = h('div', { 'aria-live': 'polite' }, msg ? h('p', { class: 'err', role: 'alert' }, msg) : null);
  const tok = h('input', { id: 'token', type: 'password', required: true, autocomplete: 'off', spellcheck: 'false' });
  const form = h('form', { class: 'grid panel', id: 'signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title', style: 'grid-column:1/3;margin:0' }, 'Sign in'),
    h('label', { for: 'token' }, 'API token'), tok,
    h('div', { class: 'help' }, 'A token from `gantry server tokens create`. The console keeps a session cookie, never the token.'),
    h('span'), h('button', { class: 'primary', type: 'submit' }, 'Sign in'), h('div', { style: 'grid-column:1/3' }, out));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      principal = await signIn(tok.value);
      tok.value = '';
      signedIn();
      if (!location.hash || location.hash === '#/signin') location.hash = '#/deployments'; else route();
    } catch (e) { showError(out, e); }
  });
  main.replaceChildren(form);
  tok.focus();
}

function signedIn() {
  $('#nav').hidden = false;
  $('#signout').hidden = false;
  $('#who').textContent = `${principal.name} (${principal.role})`;
}

async function route() {
  leaving.forEach((f) => f());
  leaving = [];
  if (!principal) return signInPage();
  const [path, q] = (location.hash.slice(1) || '/deployments').split('?');
  const query = new URLSearchParams(q || '');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.getAttribute('href') === `#/${parts[0]}` || (parts[0] === 'deployment' && a.getAttribute('href') === '#/deployments')) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  try {
    switch (parts[0]) {
      case 'blueprints': await blueprintsPage(main, ctx()); break;
      case 'secrets': await secretsPage(main, ctx()); break;
      case 'cluster': await clusterPage(main, ctx()); break;
      case 'deployment': await deploymentPage(main, ctx(), parts[1]); break;
      default: await deploymentsPage(main, ctx(), query);
    }
  } catch (e) {
    if (principal) showError(main, e);
  }
  const title = main.querySelector('h1');
  document.title = `${title ? title.textContent + ' · ' : ''}Gantry console`;
}

whenSignedOut(() => signInPage('Your session ended: sign in again.'));
$('#signout').addEventListener('click', async () => {
  try { await signOut(); } finally { signInPage(); }
});
window.addEventListener('hashchange', () => { route(); main.focus({ preventScroll: true }); });

principal = await session();
if (principal) signedIn();
await route();
perf.ready = performance.now();
