// The loader on a page whose HTML nobody scripted: a seller's description, a buyer's review, a
// CMS block. Markup with `name` and `id` shadows `document.currentScript`, the loader's globals
// and the page's dataLayer (DOM clobbering). It must neither send anything to another origin
// nor stop working. Real Chromium, the real server, and a second "evil" server on another port
// that records whatever reaches it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { useBrowser, withServer, banner, outboxEmpty, consentsOf, widgetShown } from './helpers.mjs';

const shared = useBrowser();

/** A server on another origin that answers everything and remembers it. */
async function evilOrigin() {
  const heard = [];
  const server = createServer((request, response) => {
    heard.push(`${request.method} ${request.url} authorization=${request.headers.authorization ? 'yes' : 'no'}`);
    response.writeHead(200, { 'access-control-allow-origin': '*', 'content-type': 'text/javascript' });
    response.end('window.__evilRan = true; export default function () {}');
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { base: `http://127.0.0.1:${server.address().port}`, heard, close: () => server.close() };
}

/** Each set is markup a user could write; `__EVIL__` is the other origin. */
const HOSTILE = {
  // One element each: the loader would read the img's data-api and src as its own tag's.
  'an img named currentScript that points data-api elsewhere, and forms shadowing the loader\'s globals': `
    <img name="currentScript" src="/healthz" data-api="__EVIL__" data-token-url="__EVIL__/token" alt="">
    <a id="DosmartConsent" href="__EVIL__">a link</a>
    <form id="dosmartConsentConfig" data-api="__EVIL__"><input name="api" value="__EVIL__"><input name="token" value="stolen"><input name="refreshToken"></form>
    <a id="dataLayer" href="__EVIL__">a link</a>`,
  // "Invalid base URL" and "dataLayer.push is not a function" before the fix.
  'a form named currentScript, a form named DosmartConsent with a version, a link named dataLayer': `
    <form name="currentScript" action="__EVIL__"></form>
    <form name="DosmartConsent"><input name="version" value="9"></form>
    <a id="dataLayer" href="__EVIL__">a link</a>
    <a id="dosmartConsentQueue" href="__EVIL__">a link</a>
    <a id="gtag" href="__EVIL__">a link</a>`,
  // The document's own members: the loader's host would go into a form, its gating would query an img.
  'markup named after the document\'s body, documentElement and baseURI': `
    <form name="body"></form>
    <img name="documentElement" src="/healthz" alt="">
    <img name="baseURI" src="/healthz" alt="">
    <form name="currentScript" data-api="__EVIL__"><input name="src" value="__EVIL__/x.js"></form>`,
};

function hostPage(markup, evil) {
  const user = markup.replaceAll('__EVIL__', evil);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A product</title></head>
<body>
  <section class="description">${user}</section>
  <script src="/consent.js" data-api="" data-token-url="/demo/token" async></script>
  <section class="reviews">${user}</section>
  <script type="text/plain" data-consent="research">window.__researchRan = true;</script>
</body></html>`;
}

for (const [name, markup] of Object.entries(HOSTILE)) {
  test(`clobbering markup before and after the tag (${name}): nothing reaches the other origin, and the banner still works`, () => withServer(async (server) => {
    const evil = await evilOrigin();
    try {
      const context = await shared.browser.newContext({ locale: 'en-US' });
      await context.route(`${server.base}/product.html`, (route) => route.fulfill({ contentType: 'text/html', body: hostPage(markup, evil.base) }));
      const page = await context.newPage();
      const warnings = [];
      page.on('console', (m) => { if (m.type() === 'warning' || m.type() === 'error') warnings.push(m.text()); });
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.base}/product.html`);

      await banner(page).getByRole('button', { name: 'Accept all' }).click();
      await widgetShown(page);
      await page.getByRole('status').filter({ hasText: 'Your choices are saved.' }).waitFor();
      await outboxEmpty(page);
      const state = await consentsOf(server);
      assert.equal(state.answered, true, 'the answer reached our own server');
      await page.waitForFunction(() => window.__researchRan === true);
      const consentCalls = await page.evaluate(() => Array.isArray(window.dataLayer) && window.dataLayer.filter((e) => e[0] === 'consent').map((e) => e[1]));
      assert.deepEqual(consentCalls, ['default', 'update'], 'Consent Mode still hears the default and the update');
      assert.equal(await page.evaluate(() => typeof window.DosmartConsent.getState), 'function', 'window.DosmartConsent is the loader\'s');

      assert.deepEqual(evil.heard, [], 'the other origin heard nothing');
      assert.equal(await page.evaluate(() => window.__evilRan), undefined, 'no script of the other origin ran');
      assert.deepEqual(errors, [], 'no error on the page');
      assert.ok(warnings.some((w) => /dosmart consent: .*ignored/.test(w)), `the loader says what it ignored: ${warnings.join(' | ')}`);
      await context.close();
    } finally {
      evil.close();
    }
  }));
}
