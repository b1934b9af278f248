// The console's cluster page in headless Chromium against a real `gantry
// server` on a real 3-member etcd cluster that queues every execution,
// with one real `gantry worker` of one slot. Run by browser_test.go, which
// queues two installs of testdata/blueprints/held first: the worker runs
// the first, held until the file GANTRY_RELEASE exists; the second waits
// in the queue behind it.
//
// Environment: as browser.mjs, GANTRY_TOKEN_VIEWER_FILE, GANTRY_RELEASE,
// GANTRY_CONSOLE_SHOTS (optional). Any failed step exits 1.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { launch, scenario, signIn } from './browser.mjs';

const env = process.env;
const base = env.GANTRY_URL;
const b = await launch(env);
const { page } = b;
const shot = async (name) => { if (env.GANTRY_CONSOLE_SHOTS) await page.screenshot({ path: join(env.GANTRY_CONSOLE_SHOTS, `${name}.png`), fullPage: true }); };

await scenario(b, 'cluster-failure', async () => {
  await page.goto(`${base}/#/cluster`);
  await signIn(page, readFileSync(env.GANTRY_TOKEN_VIEWER_FILE, 'utf8').trim(), 'viewer');
  await page.locator('h1', { hasText: 'Cluster' }).waitFor();
  // The members, one of them the leader.
  await page.locator('h2', { hasText: 'Members (3)' }).waitFor();
  assert.equal(await page.locator('tr.member').count(), 3);
  assert.equal(await page.locator('tr.member', { hasText: 'leader' }).count(), 1, 'one leader');
  assert.equal(await page.locator('tr.member', { hasText: 'answering' }).count(), 3);
  // The worker, running the first install; the second queued behind it.
  await page.locator('tr.worker', { hasText: 'w1' }).waitFor();
  const running = page.locator('tr.claim', { hasText: 'install of held1' });
  await running.waitFor();
  assert.match(await running.innerText(), /w1/, 'held by w1');
  await page.locator('tr.worker', { hasText: 'w1' }).locator('td').nth(4).filter({ hasText: /^1$/ }).waitFor();
  await page.locator('tr.queued', { hasText: 'install of held2' }).waitFor();
  await shot('cluster');
  assert.ok(!/^null$/m.test(await page.locator('#main').innerText()), 'no stray "null"');
  // A link to the deployment.
  await running.getByRole('link', { name: 'install of held1' }).click();
  await page.locator('h1', { hasText: 'Deployment held1' }).waitFor();
  await page.goBack();
  await page.locator('h1', { hasText: 'Cluster' }).waitFor();
  // Released, both run and the page shows it by itself.
  writeFileSync(env.GANTRY_RELEASE, '');
  await page.locator('p', { hasText: 'Nothing waits for a worker.' }).waitFor();
  await page.locator('p', { hasText: 'No execution is running.' }).waitFor();
});
console.log('CLUSTER OK');
