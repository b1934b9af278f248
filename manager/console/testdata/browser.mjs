// What the browser scenarios share: Chromium (Debian's, driven by
// playwright-core) with a fresh profile, the page, and the script errors
// and foreign requests seen, for the scenario to assert none at its end.
//
// Environment: GANTRY_URL; CHROMIUM (default /usr/bin/chromium);
// GANTRY_PROFILE_DIR (a fresh user data dir).
import { chromium } from 'playwright-core';
import { join } from 'node:path';
import assert from 'node:assert/strict';

export const T = 30_000;

export async function launch(env) {
  const base = env.GANTRY_URL;
  const context = await chromium.launchPersistentContext(env.GANTRY_PROFILE_DIR, {
    executablePath: env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  context.setDefaultTimeout(T);
  // Works offline: every request the page makes goes to the server.
  const foreign = [];
  context.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) foreign.push(r.url()); });
  const page = context.pages()[0] || await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => { errors.push(String(e)); console.log('page error:', String(e)); });
  page.on('console', (m) => { if (m.type() === 'error') console.log('console error:', m.text()); });
  return { context, page, errors, foreign, env };
}

// scenario runs steps on the launched browser b; when a step fails it
// keeps what the page showed (a screenshot under GANTRY_CONSOLE_SHOTS
// named failureShot, and the page's text) and fails. It then requires
// that nothing was loaded from elsewhere and no script failed, and closes
// the browser.
export async function scenario(b, failureShot, steps) {
  const { context, page, errors, foreign, env } = b;
  try {
    await steps();
  } catch (e) {
    if (env.GANTRY_CONSOLE_SHOTS) await page.screenshot({ path: join(env.GANTRY_CONSOLE_SHOTS, `${failureShot}.png`) }).catch(() => {});
    console.log('page at failure:\n' + await page.locator('body').innerText().catch(() => ''));
    throw e;
  }
  assert.deepEqual(foreign, [], 'nothing loaded from anywhere but the server');
  assert.deepEqual(errors, [], 'no script errors');
  await context.close();
}

// signIn signs in with a token; role names the principal's role.
export async function signIn(page, token, role) {
  await page.locator('#token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#who').filter({ hasText: role.toLowerCase() }).waitFor();
}
