// Hostile strings render as text, never as markup: in what the company holds about a user (set
// through the service API), in a published edition of the policy, and in the language asked
// for. Real Chromium, the real server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useBrowser, withServer, phone, userToken, api, repo, serviceToken, staffToken, widgetShown, screenshot, kazakhstanToday } from './helpers.mjs';

const shared = useBrowser();
const XSS = '<img src=x onerror="window.__xss=(window.__xss||0)+1">';
const RLO = '\u202Eпатент ‮.exe Айгерим';
const shown = (page) => page.getByRole('dialog').filter({ visible: true });

async function open(server, path, locale = 'en-US') {
  const context = await shared.browser.newContext({ locale, viewport: phone, hasTouch: true, isMobile: true });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(server.base + path);
  return { context, page };
}

/** No script of the hostile strings ran, and no element came of them, on the page or in the widget. */
async function nothingRan(page) {
  await page.waitForTimeout(300); // an onerror fires once the image fails to load
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'no injected script ran');
  const images = await page.evaluate(() => {
    const root = document.querySelector('#dosmart-consent-host')?.shadowRoot;
    return document.querySelectorAll('img[src="x"]').length + (root ? root.querySelectorAll('img[src="x"]').length : 0);
  });
  assert.equal(images, 0, 'no element was made of them');
}

const upsert = (server, items) => fetch(`${server.base}/v1/admin/subjects/demo-user/data`, {
  method: 'PUT',
  headers: { authorization: `Bearer ${serviceToken()}`, 'content-type': 'application/json' },
  body: JSON.stringify({ items }),
});

test('held data: markup, a right-to-left override and the longest allowed name are shown as text; a 10 kB name is refused with its error', () => withServer(async (server) => {
  const tooLong = await upsert(server, [{ category: 'full_name', value: 'W'.repeat(10 * 1024), source: 'user' }]);
  assert.equal(tooLong.status, 422);
  assert.match((await tooLong.json()).message, /items\[0\]\.value.*longer than 2000/);
  const longest = 'Ж'.repeat(1000) + 'W'.repeat(1000);
  const stored = await upsert(server, [
    { category: 'full_name', value: XSS, source: 'user' },
    { category: 'social_name', value: RLO, source: 'user' },
    { category: 'search_history', value: longest, source: 'company' },
  ]);
  assert.equal(stored.status, 200, await stored.text());

  const { context, page } = await open(server, '/');
  await widgetShown(page);
  await page.evaluate(() => window.DosmartConsent.openChoices());
  await shown(page).getByRole('button', { name: 'My data' }).click();
  await shown(page).getByText(XSS, { exact: true }).waitFor();
  await nothingRan(page);
  const rlo = shown(page).getByText(RLO, { exact: true });
  await rlo.waitFor();
  assert.equal(await rlo.evaluate((e) => getComputedStyle(e).unicodeBidi), 'isolate', 'the override cannot turn the text around it');
  await shown(page).getByText(longest, { exact: true }).waitFor();
  const overflow = await shown(page).evaluate((dialog) => [...dialog.querySelectorAll('*')]
    .filter((e) => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible').length
    + (document.documentElement.scrollWidth > window.innerWidth ? 1 : 0));
  assert.equal(overflow, 0, 'the 2,000-character value wraps: nothing scrolls sideways');
  await shown(page).getByText(XSS, { exact: true }).scrollIntoViewIfNeeded();
  await screenshot(page, 'hostile-my-data-phone-en');
  assert.deepEqual(page.errors, []);
  await context.close();
}));

test('a published edition with markup in a clause: the policy shows it as text', () => withServer(async (server) => {
  const today = kazakhstanToday();
  const sources = {};
  for (const lang of ['kk', 'ru']) {
    sources[lang] = readFileSync(join(repo, `policy/editions/2026-11/${lang}.md`), 'utf8')
      .replace(/^edition: .*$/m, 'edition: "2026-12"')
      .replace(/^published: .*$/m, `published: ${today}`)
      .replace(/^(2\.1\. .*)$/m, `$1 ${XSS} ${RLO}`);
  }
  await api(server, '/v1/admin/editions', { method: 'POST', token: staffToken('policy_editor'), body: { sources } });
  const served = await (await fetch(`${server.base}/v1/policy/2026-12?lang=ru`)).text();
  assert.ok(served.includes('<img src=x'), 'the server keeps the text as published');

  const { context, page } = await open(server, '/', 'ru-RU');
  await widgetShown(page);
  await page.evaluate(() => window.DosmartConsent.openPolicy('2.1'));
  await shown(page).getByText(XSS, { exact: false }).first().waitFor();
  await nothingRan(page);
  assert.deepEqual(page.errors, []);
  await context.close();
}));

test('a hostile language from the app, the page or a query is refused or ignored, never run', () => withServer(async (server) => {
  const query = await fetch(`${server.base}/v1/policy?lang=${encodeURIComponent(XSS)}`);
  assert.equal(query.status, 422);
  assert.equal(query.headers.get('content-type'), 'application/json');
  assert.equal(query.headers.get('x-content-type-options'), 'nosniff');
  assert.equal((await query.json()).error, 'unknown_language');

  const token = await userToken(server, 'app-user');
  const { context, page } = await open(server, `/app.html#token=${token}&lang=${encodeURIComponent(XSS)}`, 'ru-RU');
  await widgetShown(page);
  await shown(page).getByRole('button', { name: 'Сохранить', exact: true }).waitFor(); // the browser's language instead
  // Refused to the caller with what is offered, the string cut short.
  await assert.rejects(page.evaluate((lang) => window.DosmartConsent.setLanguage(lang), XSS), /language `<img src=x onerr` is not offered \(kk, ru, en\)/);
  await assert.rejects(page.evaluate((lang) => window.DosmartConsent.receive({ type: 'set_language', lang }), XSS), /is not offered/);
  await shown(page).getByRole('button', { name: 'Сохранить', exact: true }).waitFor();
  assert.equal(await page.evaluate(() => document.querySelector('#dosmart-consent-host').shadowRoot.querySelector('[lang]').lang), 'ru');
  await nothingRan(page);
  assert.deepEqual(page.errors, []);
  await context.close();
}));
