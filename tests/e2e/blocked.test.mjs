// A page whose Content-Security-Policy refuses WebAssembly (no 'wasm-unsafe-eval'), or an old
// webview without it: the widget can never start there, and it is never a silent no-op. The
// banner, whose buttons could do nothing, gives way to a message in the user's language with the
// policy to read; asking for the choices says it again; the console names the cause.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, withServer, banner } from './helpers.mjs';

const shared = useBrowser();

const PAGE = (extra) => `<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Магазин</title></head>
<body><h1>Магазин</h1><script src="/consent.js" data-api="" ${extra} async></script></body></html>`;

async function open(server, { csp, locale, extra = '' }) {
  const context = await shared.browser.newContext({ locale });
  await context.route(`${server.base}/strict.html`, (route) => route.fulfill({
    contentType: 'text/html', headers: csp ? { 'content-security-policy': csp } : {}, body: PAGE(extra),
  }));
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${server.base}/strict.html`);
  return { context, page, errors };
}

test('a policy without wasm-unsafe-eval: the user is told the settings cannot open here, with the policy, and the console names the fix', () => withServer(async (server) => {
  const { context, page, errors } = await open(server, { csp: "script-src 'self'; object-src 'none'; base-uri 'none'", locale: 'ru-RU' });
  const alert = page.getByRole('alert').filter({ hasText: 'Настройки конфиденциальности не удалось открыть на этой странице' });
  await alert.waitFor();
  const link = alert.getByRole('link', { name: 'Политика конфиденциальности' });
  const href = await link.getAttribute('href');
  assert.match(href, /\/v1\/policy\/2026-11\/source\?lang=ru$/);
  const source = await fetch(new URL(href, server.base));
  assert.equal(source.status, 200, 'the link opens the policy');
  assert.ok(errors.some((e) => e.includes("add 'wasm-unsafe-eval' to script-src")), errors.join(' | '));
  assert.equal(await banner(page).count(), 0, 'the banner, which could do nothing here, is gone');
  // Asked for the choices, it says it again, once; it never tries a load that cannot work.
  const loads = [];
  page.on('request', (r) => { if (r.url().includes('consent-widget')) loads.push(r.url()); });
  await page.evaluate(() => window.DosmartConsent.openChoices());
  assert.equal(await page.getByRole('alert').filter({ hasText: 'Настройки' }).count(), 1);
  assert.deepEqual(loads, []);
  await context.close();
}));

test('a browser without WebAssembly: the same message, in Kazakh, with the page\'s own policy page', () => withServer(async (server) => {
  const context = await shared.browser.newContext({ locale: 'kk-KZ' });
  await context.addInitScript(() => { delete window.WebAssembly; });
  await context.route(`${server.base}/strict.html`, (route) => route.fulfill({
    contentType: 'text/html', body: PAGE('data-policy-url="https://www.dosmart.kz/privacy"').replace('lang="ru"', 'lang="kk"'),
  }));
  const page = await context.newPage();
  await page.goto(`${server.base}/strict.html`);
  const alert = page.getByRole('alert').filter({ hasText: 'Құпиялылық баптауларын осы бетте ашу мүмкін болмады' });
  await alert.waitFor();
  assert.equal(await alert.getByRole('link').getAttribute('href'), 'https://www.dosmart.kz/privacy');
  await context.close();
}));
