// The web console in headless Chromium (Debian's, driven by playwright-core)
// against a real `gantry server`. Run by browser_test.go, which starts the
// server and writes the tokens to files; nothing secret is on a command line.
//
// Environment: GANTRY_URL; GANTRY_TOKEN_{OPERATOR,VIEWER,ADMIN}_FILE;
// GANTRY_BLUEPRINTS (hello and the test blueprints, one folder each);
// CHROMIUM (default /usr/bin/chromium); GANTRY_PROFILE_DIR (a fresh user data
// dir); GANTRY_CONSOLE_SHOTS (where screenshots go, optional).
// Prints one line "METRICS {json}" at the end; any failed step exits 1.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { launch, scenario, signIn as signInWith } from './browser.mjs';

const env = process.env;
const base = env.GANTRY_URL;
const token = (role) => readFileSync(env[`GANTRY_TOKEN_${role}_FILE`], 'utf8').trim();
const bp = (name) => join(env.GANTRY_BLUEPRINTS, name);
const metrics = {};
const step = (msg) => console.log(`--- ${msg}`);

const b = await launch(env);
const { context, page } = b;

async function shot(name, fullPage = false) {
  if (env.GANTRY_CONSOLE_SHOTS) await page.screenshot({ path: join(env.GANTRY_CONSOLE_SHOTS, `${name}.png`), fullPage });
}

// stats summarises delays in ms.
function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, p50: q(0.5), p95: q(0.95), max: s[s.length - 1] };
}

// accessible checks the page's controls: every form control has a label
// (a <label for>, a wrapping label, or aria-label), every button and link
// a name, every focusable picture element a name; and that Tab reaches
// the first control of the page from the navigation.
async function accessible(where) {
  const bad = await page.evaluate(() => {
    const out = [];
    const name = (el) => (el.getAttribute('aria-label') || el.textContent || el.getAttribute('title') || '').trim();
    for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
      if (!el.labels?.length && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby')) out.push(`unlabelled ${el.tagName} ${el.id}`);
    }
    for (const el of document.querySelectorAll('button, a[href], [role=button], [tabindex="0"]')) {
      if (!name(el)) out.push(`nameless ${el.tagName} ${el.outerHTML.slice(0, 80)}`);
    }
    // Contrast (WCAG 2): text against the first opaque background behind
    // it, 4.5:1 (3:1 for large text). Disabled controls are exempt.
    const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
      .reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i], 0);
    const bg = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || c[3] === 1) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    for (const el of document.querySelectorAll('body *:not(svg *)')) {
      if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()) || el.closest('[disabled], [hidden]') || !el.offsetParent && el.tagName !== 'BODY') continue;
      const st = getComputedStyle(el);
      if (st.visibility === 'hidden' || el.getBoundingClientRect().left < 0) continue;
      const [a, b] = [lum(rgb(st.color).slice(0, 3)), lum(bg(el))];
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      const large = parseFloat(st.fontSize) >= 24 || (parseFloat(st.fontSize) >= 18.66 && Number(st.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) out.push(`contrast ${ratio.toFixed(2)}:1 of ${el.tagName}.${el.className} "${el.textContent.trim().slice(0, 30)}"`);
    }
    return out;
  });
  assert.deepEqual(bad, [], `accessible names and contrast on ${where}`);
}

const signIn = (role) => signInWith(page, token(role), role);

async function signOut() {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.locator('#signin').waitFor();
}

async function upload(name, dir) {
  await page.goto(`${base}/#/blueprints`);
  await page.locator('#bp-folder').setInputFiles(dir);
  await page.locator('#bp-id').fill(name);
  await page.getByRole('button', { name: 'Upload and validate' }).click();
}

async function createDeployment(blueprint, id, fill = {}, install = false) {
  await page.goto(`${base}/#/deployments?new=${blueprint}`);
  await page.locator('#dep-blueprint').selectOption(blueprint);
  const keys = Object.keys(fill);
  if (keys.length) await page.locator(`#in-${keys[0]}`).waitFor();
  await page.locator('#dep-id').fill(id);
  for (const [k, v] of Object.entries(fill)) await page.locator(`#in-${k}`).fill(String(v));
  if (install) await page.locator('#dep-install').check();
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await page.locator('h1', { hasText: `Deployment ${id}` }).waitFor();
}

await scenario(b, 'failure', async () => {
// 1. Sign in; first paint of the console.
step('sign in');
await page.goto(base + '/');
await page.locator('#signin').waitFor();
metrics.first_contentful_paint_ms = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime);
metrics.console_ready_ms = await page.evaluate(() => window.__gantry.ready);
await shot('signin');
await accessible('the sign-in page');
// First paint again, the browser warm (its process and the server's
// connection up, assets revalidated by ETag): what a reload costs.
{
  const warm = await context.newPage();
  await warm.goto(base + '/');
  await warm.locator('#signin').waitFor();
  metrics.first_contentful_paint_warm_ms = await warm.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime);
  metrics.console_ready_warm_ms = await warm.evaluate(() => window.__gantry.ready);
  await warm.close();
}
await page.locator('#token').fill('gtk_0000000000000000_' + '0'.repeat(64));
await page.getByRole('button', { name: 'Sign in' }).click();
await page.getByRole('alert').filter({ hasText: 'not recognised' }).waitFor();
await signIn('OPERATOR');
const cookies = await context.cookies();
const session = cookies.find((c) => c.name === 'gantry_session');
assert.ok(session && session.httpOnly && session.sameSite === 'Strict', 'HttpOnly SameSite=Strict session cookie');
assert.ok(!cookies.some((c) => c.value.includes(token('OPERATOR').split('_')[2])), 'no token in any cookie');
assert.equal(await page.evaluate(() => document.cookie), '', 'the page cannot read the cookie');

// 2. Blueprints: an invalid one shows its problems at their lines; hello uploads.
step('upload blueprints');
await upload('bad', bp('bad'));
await page.locator('.problems li code', { hasText: 'blueprint.yaml:7:11' }).waitFor();
await page.locator('.problems li code', { hasText: 'blueprint.yaml:9:61' }).waitFor();
await page.locator('.problems pre', { hasText: 'NoSuchType' }).waitFor();
await shot('blueprints-problems');
for (const name of ['hello', 'fail', 'slow', 'big', 'consumer']) {
  await upload(name, bp(name));
  await page.locator('td.mono', { hasText: new RegExp(`^${name}$`) }).waitFor();
}
await shot('blueprints');

// 3. A deployment through the inputs form (types, defaults, constraints).
step('create hello through the inputs form');
await page.goto(`${base}/#/deployments?new=hello`);
await page.locator('#in-web_port[type=number]').waitFor();
assert.equal(await page.locator('#in-greeting').inputValue(), 'Hello from Gantry', 'defaults filled in');
assert.match(await page.locator('#in-web_port-help').innerText(), /type integer.*default 8080/);
await shot('deployment-create');
await createDeployment('hello', 'hello', { web_port: 9090 });

// 4. Install; the instances turn started live (no reload).
step('install hello, live');
await page.evaluate(() => { window.__noReload = true; window.__gantry.latencies = []; });
await page.locator('#do-install').click();
await page.waitForFunction(() => document.querySelectorAll('#topology rect.inst.st-started').length === 3);
assert.ok(await page.evaluate(() => window.__noReload), 'updated in place, not reloaded');
await page.locator('#main .badge.s-terminated').first().waitFor();
const lat = await page.evaluate(() => window.__gantry.latencies);
assert.ok(lat.length >= 3, `state changes seen: ${lat.length}`);
metrics.event_to_dom_ms = stats(lat.filter((l) => l.live).map((l) => l.ms));
metrics.receipt_to_dom_ms = stats(lat.map((l) => Math.round(l.dom)));
metrics.event_to_dom_replayed_ms = stats(lat.filter((l) => !l.live).map((l) => l.ms));

// 5. Outputs.
step('outputs');
await page.locator('#main td.mono', { hasText: 'http://' }).filter({ hasText: ':9090' }).waitFor();
await page.locator('#topology').scrollIntoViewIfNeeded();
await shot('deployment', true);
// First paint of a deployment's page, loaded cold.
await page.goto('about:blank');
await page.goto(`${base}/#/deployment/hello`);
await page.locator('#topology svg').waitFor();
metrics.deployment_page_ms = await page.evaluate(() => window.__gantry.firstPaintDeployment);
// Page weight: every asset of the deployment page (all of the console)
// as transferred, compressed, on a cold cache.
const cold = await context.newPage();
await cold.route('**/*', (route) => route.continue({ headers: { ...route.request().headers(), 'cache-control': 'no-cache', 'if-none-match': '' } }));
await cold.goto(`${base}/#/deployment/hello`);
await cold.locator('#topology svg').waitFor();
metrics.page_weight = await cold.evaluate(() => {
  const es = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')].filter((e) => !e.name.includes('/api/') && !e.name.includes('/console/session'));
  return { files: es.length, encoded_bytes: es.reduce((n, e) => n + e.encodedBodySize, 0), decoded_bytes: es.reduce((n, e) => n + e.decodedBodySize, 0) };
});
await cold.close();

// 6. A failing install: the error at the failing operation.
step('failing install');
await createDeployment('fail', 'broken', {}, true);
await page.locator('[data-failed-op="cloudify.interfaces.lifecycle.create"]', { hasText: 'table users is locked' }).waitFor();
await page.locator('#main .badge.s-failed').first().waitFor();
await page.locator('#topology g.node.failed[data-node="database"]').waitFor();
await page.locator('#resume-exec').waitFor();
await shot('deployment-failed', true);

// 7. Cancel a long install.
step('cancel a long install');
await page.evaluate(() => { window.__gantry.latencies = []; });
await createDeployment('slow', 'slow', {}, true);
await page.locator('#cancel-exec').waitFor();
await page.waitForFunction(() => document.querySelectorAll('#topology rect.inst.st-started').length >= 2);
await shot('execution-running', true);
await page.locator('#cancel-exec').click();
await page.locator('#main .badge.s-cancelled').first().waitFor();
const started = await page.locator('#topology rect.inst.st-started').count();
assert.ok(started < 20, `cancelled midway (${started} of 20 started)`);
await page.locator('#resume-exec').waitFor();
const slow = await page.evaluate(() => window.__gantry.latencies);
metrics.event_to_dom_slow_install_ms = stats(slow.filter((l) => l.live).map((l) => l.ms));
metrics.receipt_to_dom_slow_install_ms = stats(slow.map((l) => Math.round(l.dom)));

// 8. 1,000 instances: collapsed by node with counts, expandable.
step('a thousand instances');
await createDeployment('big', 'big');
const t0 = Date.now();
await page.goto(`${base}/#/deployment/big`);
await page.locator('#topology g.node[data-node="worker"]').waitFor();
assert.equal(await page.locator('#topology g.node[data-node="worker"]').getAttribute('aria-expanded'), 'false');
assert.match(await page.locator('#topology g.node[data-node="worker"]').getAttribute('aria-label'), /1000 instances: 1000 uninitialized/);
await page.locator('#topology').scrollIntoViewIfNeeded();
await shot('deployment-1000-collapsed');
await page.locator('#topology g.node[data-node="worker"]').focus();
await page.keyboard.press('Enter');
await page.waitForFunction(() => document.querySelectorAll('#topology g.node[data-node="worker"] rect.inst').length === 1000);
metrics.thousand_instances_page_ms = Date.now() - t0;

// 9. Two deployments and their dependency.
step('dependency');
await createDeployment('consumer', 'consumer', {}, true);
await page.locator('#main .badge.s-terminated').first().waitFor();
await page.reload();
await page.locator('#main a[href="#/deployment/hello"]').first().waitFor();
await page.locator('#topology a[href="#/deployment/hello"]').waitFor();
// The deployment's own dependency picture: itself and the one it uses.
await page.locator('#depgraph a[data-deployment="consumer"]').waitFor();
await page.locator('#depgraph a[data-deployment="hello"]').waitFor();
await page.locator('#depgraph path[data-edge="consumer>hello"]').waitFor({ state: 'attached' });
await shot('deployment-dependency', true);
// The overview: both deployments and the edge between them, together,
// each a link to its page (keyboard: focus it, Enter).
await page.goto(`${base}/#/deployments`);
await page.locator('#depgraph path[data-edge="consumer>hello"]').waitFor({ state: 'attached' });
assert.match(await page.locator('#depgraph a[data-deployment="consumer"]').getAttribute('aria-label'), /deployment consumer: install terminated; uses hello/);
assert.match(await page.locator('#depgraph a[data-deployment="hello"]').getAttribute('aria-label'), /deployment hello: install terminated; uses nothing/);
assert.equal(await page.locator('#depgraph a[data-deployment]').count(), 2, 'only deployments with dependencies are pictured');
await page.locator('#depgraph').scrollIntoViewIfNeeded();
await shot('dependencies');
await page.locator('#depgraph a[data-deployment="hello"]').focus();
await page.keyboard.press('Enter');
await page.locator('h1', { hasText: 'Deployment hello' }).waitFor();

// 10. Secrets: operators see names and create; the deployments list filters.
step('secrets and list');
await page.goto(`${base}/#/secrets`);
await page.locator('#sec-key').fill('db_password');
await page.locator('#sec-value').fill('s3cr3t-value');
await page.getByRole('button', { name: 'Create', exact: true }).click();
await page.locator('td.mono', { hasText: 'db_password' }).waitFor();
assert.equal(await page.getByRole('button', { name: /Reveal/ }).count(), 0, 'operators cannot reveal values');
await page.goto(`${base}/#/deployments`);
await page.locator('#dep-filter').fill('failed');
await page.locator('p', { hasText: '1 of 5 deployments' }).waitFor();
await page.locator('#dep-filter').fill('');
await shot('deployments');
// Labels and names on every page; the keyboard reaches the pages from the
// skip link and the navigation.
for (const where of ['#/deployments', '#/deployment/hello', '#/deployment/consumer', '#/deployment/big', '#/blueprints', '#/secrets', '#/cluster', '#/deployments?new=hello']) {
  await page.goto(`${base}/${where}`);
  await page.locator('#main h1').waitFor();
  await page.waitForLoadState('networkidle');
  await accessible(where);
}
await page.goto(`${base}/#/deployments`);
await page.reload(); // a fresh document: focus starts at the top
await page.locator('#main h1').waitFor();
await page.keyboard.press('Tab'); // the skip link
assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
await page.keyboard.press('Tab');
assert.equal(await page.evaluate(() => document.activeElement.getAttribute('href')), '#/deployments');
await page.keyboard.press('Tab');
await page.keyboard.press('Enter'); // Blueprints
await page.locator('#main h1', { hasText: 'Blueprints' }).waitFor();
await signOut();
const old = await context.cookies();
assert.ok(!old.some((c) => c.name === 'gantry_session' && c.value), 'signed out: cookie cleared');

// 11. A viewer finds no write action, and the server refuses one anyway.
step('viewer');
await signIn('VIEWER');
const writes = /^(New deployment|Upload|Create|Delete|Install|Uninstall|Start|Cancel|Force cancel|Resume|Reveal)/;
for (const where of ['#/deployments', '#/deployment/hello', '#/deployment/broken', '#/blueprints', '#/secrets', '#/cluster']) {
  await page.goto(`${base}/${where}`);
  await page.locator('#main h1').waitFor();
  await page.waitForLoadState('networkidle');
  const labels = await page.locator('#main button, #main input[type=file], #main form').evaluateAll((els) => els.map((e) => e.textContent.trim() || e.id || e.tagName));
  assert.deepEqual(labels.filter((l) => writes.test(l) || /^(bp-|sec-|start-workflow|FORM)/.test(l)), [], `no write action on ${where}`);
  assert.ok(!/^null$/m.test(await page.locator('#main').innerText()), `no stray "null" on ${where}`);
}
await shot('viewer');
const refused = await page.evaluate(async () => {
  const s = await (await fetch('/console/session')).json();
  const r = await fetch('/api/v1/secrets', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf }, body: '{"key":"x","value":"y"}' });
  return r.status;
});
assert.equal(refused, 403, 'the server refuses a viewer write');
await signOut();

// 12. An admin reveals a secret's value.
step('admin');
await signIn('ADMIN');
await page.goto(`${base}/#/secrets`);
await page.getByRole('button', { name: 'Reveal secret db_password' }).click();
await page.locator('td.mono', { hasText: 's3cr3t-value' }).waitFor();
// A value that is not UTF-8 (here through the API) reveals as base64.
const binary = await page.evaluate(async () => {
  const s = await (await fetch('/console/session')).json();
  const r = await fetch('/api/v1/secrets', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf }, body: '{"key":"keystore","value":"/wD+","encoding":"base64"}' });
  return r.status;
});
assert.equal(binary, 201, 'a base64 value is accepted');
await page.reload();
await page.getByRole('button', { name: 'Reveal secret keystore' }).click();
await page.locator('td.mono', { hasText: 'base64: /wD+' }).waitFor();
});
console.log('METRICS ' + JSON.stringify(metrics));
