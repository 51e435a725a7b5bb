// Google Consent Mode and Google Tag Manager as Google documents them: the default first, every
// command an `arguments` object as gtag() pushes it, a custom event after each update, and
// listeners that never see the state go backwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, withServer, banner, widgetShown } from './helpers.mjs';

const shared = useBrowser();

/** The dataLayer as GTM reads it: what kind each entry is, and what it says. */
const layer = (page) => page.evaluate(() => window.dataLayer.map((entry) => ({
  kind: Object.prototype.toString.call(entry).slice(8, -1),
  said: entry.event || [entry[0], entry[1]].join(' '),
  values: entry[2] || entry.dosmart_consent || null,
})));

async function open(server, body) {
  const context = await shared.browser.newContext({ locale: 'en-US' });
  await context.route(`${server.base}/tags.html`, (route) => route.fulfill({
    contentType: 'text/html',
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tags</title>${body}</head><body><h1>Shop</h1></body></html>`,
  }));
  const page = await context.newPage();
  await page.goto(`${server.base}/tags.html`);
  return { context, page };
}

test('with GTM and no gtag(), the loader pushes arguments objects, the default first, and an event after each update', () => withServer(async (server) => {
  const { context, page } = await open(server, `
    <script>window.dataLayer = window.dataLayer || []; window.dataLayer.push({ 'gtm.start': Date.now(), event: 'gtm.js' });</script>
    <script src="/consent.js" data-api="" async></script>`);
  await banner(page).getByRole('button', { name: 'Accept all' }).click();
  await widgetShown(page);
  await page.waitForFunction(() => window.dataLayer.some((e) => e.event === 'dosmart_consent_update'));
  const entries = await layer(page);
  const said = entries.map((e) => e.said);
  assert.deepEqual(said, ['gtm.js', 'consent default', 'consent update', 'dosmart_consent_update'], JSON.stringify(said));
  const [, defaults, update, event] = entries;
  assert.equal(defaults.kind, 'Arguments', 'GTM ignores arrays');
  assert.equal(update.kind, 'Arguments');
  assert.equal(defaults.values.wait_for_update, 500);
  assert.equal(defaults.values.analytics_storage, 'denied');
  assert.equal(update.values.analytics_storage, 'granted');
  assert.equal(event.values.purposes.research, true, 'the event carries the state, for triggers and variables');
  assert.equal(event.values.answered, true);
  await context.close();
}));

test('with the inline default snippet before gtag.js, the default precedes config and the loader only updates', () => withServer(async (server) => {
  // As docs/embedding.md writes it: the snippet, then Google's tag (async, here a stand-in
  // that only records its load), then the page's config, then the loader.
  const { context, page } = await open(server, `
    <script>
      window.dataLayer = window.dataLayer || [];
      function gtag(){dataLayer.push(arguments);}
      gtag('consent', 'default', {
        ad_storage: 'denied', ad_user_data: 'denied', ad_personalization: 'denied',
        analytics_storage: 'denied', functionality_storage: 'granted',
        personalization_storage: 'denied', security_storage: 'granted', wait_for_update: 500
      });
    </script>
    <script>gtag('js', new Date()); gtag('config', 'G-TEST');</script>
    <script src="/consent.js" data-api="" async></script>`);
  await banner(page).getByRole('button', { name: 'Refuse optional' }).click();
  await widgetShown(page);
  await page.waitForFunction(() => window.dataLayer.some((e) => e.event === 'dosmart_consent_update'));
  const said = (await layer(page)).map((e) => e.said);
  assert.deepEqual(said, ['consent default', 'js ' + said[1].slice(3), 'config G-TEST', 'consent update', 'dosmart_consent_update'], JSON.stringify(said));
  await context.close();
}));

test("a returning visitor's listener never sees the state go backwards when the widget takes over", () => withServer(async (server) => {
  const context = await shared.browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  await page.goto(server.base + '/');
  await banner(page).getByRole('button', { name: 'Accept all' }).click();
  await page.getByRole('status').filter({ hasText: 'saved' }).waitFor();
  await context.addInitScript(() => {
    window.__seen = [];
    window.addEventListener('dosmart:consent', (e) => window.__seen.push([e.detail.answered, e.detail.purposes.research, e.detail.edition]));
  });
  await page.reload();
  await page.waitForFunction(() => window.__seen.length > 0);
  // The page opens the choices: the wasm loads and takes over from the kept answer.
  await page.evaluate(() => window.DosmartConsent.openChoices());
  await page.getByRole('dialog').getByRole('switch', { name: 'Research with partners' }).waitFor();
  await page.waitForTimeout(300);
  const seen = await page.evaluate(() => window.__seen);
  assert.ok(seen.length >= 1);
  for (const [answered, research, edition] of seen) {
    assert.deepEqual([answered, research, edition], [true, true, '2026-11'], JSON.stringify(seen));
  }
  await context.close();
}));
