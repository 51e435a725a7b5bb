// The pinned loader: a content-hashed name served immutable, loaded with the Subresource
// Integrity value the build prints; a loader whose bytes differ from that value never runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useBrowser, withServer, banner, repo } from './helpers.mjs';

const shared = useBrowser();
const [pinned, integrity] = readFileSync(join(repo, 'dist/consent.sri'), 'utf8').trim().split(' ');

async function open(server, sri) {
  const context = await shared.browser.newContext({ locale: 'en-US' });
  await context.route(`${server.base}/pinned.html`, (route) => route.fulfill({
    contentType: 'text/html',
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title></head><body><h1>Shop</h1>
      <script src="/${pinned}" integrity="${sri}" crossorigin="anonymous" data-api="" async></script></body></html>`,
  }));
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${server.base}/pinned.html`);
  return { context, page, errors };
}

test('the pinned loader with its integrity runs, and is cached for a year', () => withServer(async (server) => {
  assert.match(pinned, /^consent-[0-9a-f]{16}\.js$/);
  assert.match(integrity, /^sha384-[A-Za-z0-9+/]{64}$/);
  const response = await fetch(`${server.base}/${pinned}`);
  assert.equal(response.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal(await response.text(), await (await fetch(`${server.base}/consent.js`)).text(), 'the same bytes as consent.js');
  const { context, page } = await open(server, integrity);
  await banner(page).getByRole('button', { name: 'Accept all' }).click();
  await page.getByRole('status').filter({ hasText: 'saved' }).waitFor();
  await context.close();
}));

test('a loader whose bytes do not match the integrity value never runs', () => withServer(async (server) => {
  const wrong = integrity.slice(0, -4) + (integrity.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  const { context, page, errors } = await open(server, wrong);
  await page.waitForTimeout(1000);
  assert.equal(await page.evaluate(() => typeof window.DosmartConsent), 'undefined');
  assert.ok(errors.some((e) => /integrity/i.test(e)), errors.join(' | '));
  await context.close();
}));
