// The banner that costs the page nothing: painted from the loader alone, a click before the wasm
// is not lost, a returning visitor loads no wasm, and the server serves the widget as a CDN would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, withServer, widgetShown, banner, outboxEmpty, consentsOf, ledgerOf, eventsIn, publishEdition, publishFixture, phone, screenshot, axe } from './helpers.mjs';

const shared = useBrowser();

/// Holds every .wasm response until `release()`; counts what was asked for.
async function holdWasm(context) {
  const asked = [];
  let release;
  const released = new Promise((resolve) => { release = resolve; });
  await context.route('**/*.wasm', async (route) => {
    asked.push(route.request().url());
    await released;
    await route.continue();
  });
  return { asked, release };
}

test('the banner is painted before the wasm arrives, and a click made then is recorded once it has', () => withServer(async (server) => {
  const context = await shared.browser.newContext({ locale: 'ru-RU', bypassCSP: true });
  const wasm = await holdWasm(context);
  const page = await context.newPage();
  await page.goto(server.base + '/');
  const region = banner(page);
  await region.getByRole('button', { name: 'Принять все' }).waitFor();
  assert.equal(await page.locator('.dc-root').first().getAttribute('lang'), 'ru');
  assert.deepEqual(await axe(page), [], 'the prerendered banner is as accessible as the widget\'s');
  // A language button swaps the prerendered banner, still without the wasm.
  await region.getByRole('button', { name: 'Қазақша' }).click();
  await region.getByRole('button', { name: 'Барлығын қабылдау' }).waitFor();
  await page.waitForFunction(() => window.DosmartConsent.getState() === null);
  assert.ok(wasm.asked.length > 0, 'the wasm was asked for, and is being held');

  await region.getByRole('button', { name: 'Барлығын қабылдау' }).click();
  await banner(page).waitFor({ state: 'detached' });
  wasm.release();
  await page.locator('#analytics-status').filter({ hasText: 'Analytics ran 1 time' }).waitFor();
  await outboxEmpty(page);
  const state = await consentsOf(server);
  assert.equal(state.answered, true);
  assert.equal(state.purposes.find((p) => p.purpose === 'research').granted, true);
  const kinds = eventsIn(await ledgerOf(server)).map((e) => e.kind);
  assert.equal(kinds.filter((k) => k === 'accept_all').length, 1, `recorded once: ${kinds}`);
  assert.equal(kinds.filter((k) => k === 'banner_shown').length, 1, `the banner the loader showed is recorded: ${kinds}`);
  assert.equal(await page.locator('.dc-root').last().getAttribute('lang'), 'kk', 'the language chosen on the prerendered banner');
  await context.close();
}));

/// The banner's shape: each element's tag, attributes and own text, with its ids numbered in the
/// order they appear (the loader's copy and the widget's have ids of their own).
function bannerShape(page) {
  return page.evaluate(() => {
    const section = [...document.querySelector('#dosmart-consent-host').shadowRoot.querySelectorAll('.dc-banner')].pop();
    const ids = new Map();
    const id = (v) => { if (!ids.has(v)) ids.set(v, `id${ids.size}`); return ids.get(v); };
    return [section, ...section.querySelectorAll('*')].map((e) => [
      e.tagName,
      [...e.attributes].map((a) => [a.name, ['id', 'aria-labelledby'].includes(a.name) ? id(a.value) : a.value]).sort(),
      [...e.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent.trim()).join(''),
    ]);
  });
}

test('the widget takes over from the prerendered banner with the same markup', () => withServer(async (server) => {
  const context = await shared.browser.newContext({ locale: 'ru-RU' });
  const wasm = await holdWasm(context);
  const page = await context.newPage();
  await page.goto(server.base + '/');
  await banner(page).getByRole('button', { name: 'Принять все' }).waitFor();
  assert.equal(await page.locator('[data-prerendered="banner"]').count(), 1, 'the loader\'s banner');
  const painted = await bannerShape(page);
  wasm.release();
  await widgetShown(page);
  assert.deepEqual(await bannerShape(page), painted, 'the widget\'s banner is the one the loader painted');
  await context.close();
}));

test('a press begun on the prerendered banner and ended after the widget took over is not lost', () => withServer(async (server) => {
  const context = await shared.browser.newContext({ locale: 'en-US' });
  const wasm = await holdWasm(context);
  const page = await context.newPage();
  await page.goto(server.base + '/');
  const accept = banner(page).getByRole('button', { name: 'Accept all' });
  const box = await accept.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  // The widget takes over while the finger is still on the button.
  wasm.release();
  await page.waitForFunction(() => [...document.querySelector('#dosmart-consent-host').shadowRoot.querySelectorAll('.dc-banner')]
    .some((b) => !b.closest('[data-prerendered]')));
  await page.mouse.up();
  await banner(page).waitFor({ state: 'detached' });
  await page.locator('#analytics-status').filter({ hasText: 'Analytics ran 1 time' }).waitFor();
  await outboxEmpty(page);
  const kinds = eventsIn(await ledgerOf(server)).map((e) => e.kind);
  assert.equal(kinds.filter((k) => k === 'accept_all').length, 1, `recorded once: ${kinds}`);
  await context.close();
}));

test('the wasm carries no words and no catalog: the widget fetches the language it speaks, another only on a switch', () => withServer(async (server) => {
  const context = await shared.browser.newContext({ locale: 'ru-RU' });
  const page = await context.newPage();
  const words = [];
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.pathname === '/v1/texts') words.push(url.searchParams.get('lang'));
  });
  await page.goto(server.base + '/');
  await widgetShown(page);
  await banner(page).getByRole('button', { name: 'Выбрать' }).click();
  const russian = page.getByRole('dialog', { name: 'Настройки согласия' });
  await russian.getByText('Участие в акциях, конкурсах', { exact: false }).waitFor();
  assert.deepEqual(words, ['ru'], 'only the language the visitor reads');

  const source = await (await fetch(server.base + '/consent.js')).text();
  const wasm = Buffer.from(await (await fetch(server.base + '/' + source.match(/consent-widget-[0-9a-f]{16}_bg\.wasm/)[0])).arrayBuffer());
  for (const word of ['Принять все', 'Барлығын қабылдау', 'Consent settings', 'Участие в акциях, конкурсах']) {
    assert.equal(wasm.includes(Buffer.from(word)), false, `the wasm has no "${word}"`);
  }

  // Offline, a language not yet read cannot be shown: the widget says so and stays in Russian.
  await context.setOffline(true);
  await russian.getByRole('button', { name: 'Қазақша' }).click();
  await page.getByRole('alert').filter({ hasText: 'Не удалось загрузить текст' }).waitFor();
  assert.equal(await russian.isVisible(), true);
  await screenshot(page, 'language-unavailable-desktop-ru');
  await context.setOffline(false);
  await page.getByRole('alert').getByRole('button', { name: 'Повторить' }).click();
  const kazakh = page.getByRole('dialog', { name: 'Келісім баптаулары' });
  await kazakh.getByText('Акцияларға, конкурстарға', { exact: false }).waitFor();
  assert.equal(await page.getByRole('alert').filter({ hasText: 'Қате' }).count(), 0, 'the failure is gone with the switch');
  assert.deepEqual(words.filter((l) => l === 'kk').length, 2, 'Kazakh asked twice: offline, then on retry');
  assert.deepEqual(words.filter((l) => l === 'ru').length, 1);
  await context.close();
}));

/// A first visit answered on the banner, delivered, and kept for the next page view.
async function answerFirstVisit(page, server, button) {
  await page.goto(server.base + '/');
  await banner(page).getByRole('button', { name: button }).click();
  await page.waitForFunction(() => localStorage.getItem('dosmart-consent:outbox') === null
    && JSON.parse(localStorage.getItem('dosmart-consent:state') || '{}').state?.answered === true);
}

test('a returning visitor fetches no wasm; their gated script runs from the kept answer', () => withServer(async (server) => {
  const context = await shared.browser.newContext({ locale: 'en-US' });
  const first = await context.newPage();
  await answerFirstVisit(first, server, 'Accept all');
  await first.close();

  const fetched = [];
  context.on('request', (r) => fetched.push(new URL(r.url()).pathname));
  const again = await context.newPage();
  const editionAsked = again.waitForResponse((r) => r.url().endsWith('/v1/policy/current'));
  await again.goto(server.base + '/');
  await again.locator('#analytics-status').filter({ hasText: 'Analytics ran 1 time' }).waitFor();
  const updates = await again.evaluate(() => window.dataLayer.filter((e) => e[0] === 'consent').map((e) => `${e[1]}:${e[2].analytics_storage}`));
  assert.deepEqual(updates, ['default:denied', 'update:granted']);
  await again.getByRole('button', { name: 'Privacy settings' }).waitFor();
  await editionAsked;
  assert.deepEqual(fetched.filter((p) => p.endsWith('.wasm') || p.includes('consent-widget')), [], `no widget: ${fetched}`);

  // Changing one's mind is one tap away: the settings button brings the widget.
  await again.getByRole('button', { name: 'Privacy settings' }).click();
  await again.getByRole('dialog', { name: 'Consent settings' }).waitFor();
  assert.ok(fetched.some((p) => p.endsWith('.wasm')), 'now the widget loads');
  await context.close();
}));

test('a newly published edition brings the notice on the next page view', () => withServer(async (server) => {
  const context = await shared.browser.newContext({ locale: 'ru-RU' });
  const page = await context.newPage();
  await answerFirstVisit(page, server, 'Отказаться от необязательных');
  await publishEdition(server, '2026-12', new Date(Date.now() + 5 * 3600e3).toISOString().slice(0, 10));
  const asked = [];
  page.on('request', (r) => asked.push(new URL(r.url()).pathname));
  await page.reload();
  await page.getByRole('region', { name: 'Новая редакция Политики конфиденциальности' }).waitFor();
  // The kept answer stood in for the widget until the edition check found the new edition.
  const check = asked.indexOf('/v1/policy/current');
  const wasm = asked.findIndex((p) => p.endsWith('.wasm'));
  assert.ok(check >= 0 && check < wasm, `the edition check brought the widget: ${asked}`);

  // Each time the notice appears is recorded once: here, and again on coming back from the text.
  const notice = page.getByRole('region', { name: 'Новая редакция Политики конфиденциальности' });
  await notice.getByRole('button', { name: 'Читать новый текст' }).click();
  await page.getByRole('dialog', { name: 'Политика конфиденциальности' }).waitFor();
  assert.equal(await notice.count(), 0, 'a screen open: no notice');
  await page.keyboard.press('Escape');
  await notice.waitFor();
  await outboxEmpty(page);
  const shown = eventsIn(await ledgerOf(server)).filter((e) => e.kind === 'update_notice_shown');
  assert.equal(shown.length, 2, 'the notice was shown twice');
  await context.close();
}));

test('the server serves the built widget: brotli or gzip, immutable hashed names, a revalidated loader', () => withServer(async (server) => {
  const get = (path, headers = {}) => fetch(server.base + path, { headers });
  const loader = await get('/consent.js', { 'accept-encoding': 'br' });
  assert.equal(loader.headers.get('content-encoding'), 'br');
  assert.equal(loader.headers.get('cache-control'), 'public, max-age=300');
  assert.equal(loader.headers.get('x-content-type-options'), 'nosniff');
  const source = await loader.text();
  const glue = source.match(/(consent-widget-[0-9a-f]{16}\.js)/)[1];
  const wasm = source.match(/(consent-widget-[0-9a-f]{16}_bg\.wasm)/)[1];
  assert.equal(glue.slice(15, 31), wasm.slice(15, 31), 'the glue and the wasm of one build');

  const etag = loader.headers.get('etag');
  assert.equal((await get('/consent.js', { 'if-none-match': etag })).status, 304);
  const gzipped = await get(`/${wasm}`, { 'accept-encoding': 'gzip' });
  assert.equal(gzipped.headers.get('content-encoding'), 'gzip');
  assert.equal(gzipped.headers.get('content-type'), 'application/wasm');
  assert.equal(gzipped.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal((await get(`/${glue}`, { 'accept-encoding': 'identity' })).headers.get('content-encoding'), null);
  assert.equal((await get('/nothing-here.js')).status, 404);
}));

test('the widget\'s own pages run under their Content-Security-Policy with no violation', () => withServer(async (server) => {
  const context = await shared.browser.newContext({ locale: 'kk-KZ' });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(e.message));
  const shop = await page.goto(server.base + '/shop.html');
  assert.match(shop.headers()['content-security-policy'], /script-src 'self' 'wasm-unsafe-eval'/);
  await banner(page).getByRole('button', { name: 'Барлығын қабылдау' }).click();
  await page.locator('#analytics-status').filter({ hasText: 'Analytics ran 1 time' }).waitFor();
  const app = await page.goto(server.base + '/app.html#lang=kk');
  assert.match(app.headers()['content-security-policy'], /frame-ancestors 'none'/);
  await page.getByRole('dialog').getByRole('button', { name: 'Сақтау', exact: true }).waitFor();
  assert.deepEqual(problems, [], 'no CSP violation, no error');
  await context.close();
}));

test('when the widget cannot be fetched, a click on the banner waits and is carried out once the network is back', () => withServer(async (server) => {
  const context = await shared.browser.newContext({ locale: 'en-US' });
  let refused = 0;
  await context.route('**/consent-widget-*.js', (route) => {
    if (refused > 0) return route.continue();
    refused += 1;
    return route.abort('internetdisconnected');
  });
  const page = await context.newPage();
  const failed = page.waitForEvent('requestfailed', (r) => r.url().includes('consent-widget-'));
  await page.goto(server.base + '/');
  await failed;
  await banner(page).getByRole('button', { name: 'Accept all' }).click();
  await banner(page).waitFor({ state: 'detached' });
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  await page.locator('#analytics-status').filter({ hasText: 'Analytics ran 1 time' }).waitFor();
  await outboxEmpty(page);
  assert.equal((await consentsOf(server)).answered, true);
  await context.close();
}));

for (const [locale, words] of [
  ['kk-KZ', { notice: 'Құпиялылық саясатының жаңа редакциясы', refuse: 'Міндетті емес мақсаттардан бас тарту', changed: 'Не өзгерді', title: '2026-11 редакциясынан бері не өзгерді', item: '2.2.5-тармақ · өзгертілді', added: '2.9-тармақ · жаңа тармақ', gone: 'Компания өз қалауы бойынша қолайлы деп санайтын', came: 'тек Пайдаланушының жеке келісімімен' }],
  ['ru-RU', { notice: 'Новая редакция Политики конфиденциальности', refuse: 'Отказаться от необязательных', changed: 'Что изменилось', title: 'Что изменилось с редакции 2026-11', item: 'Пункт 2.2.5 · изменён', added: 'Пункт 2.9 · новый пункт', gone: 'в любом виде, который Компания сочтет подходящим по собственному усмотрению,', came: 'только с отдельного согласия Пользователя,' }],
]) {
  test(`${locale}: the new edition's notice shows what changed since the edition accepted, clause by clause, the words marked`, () => withServer(async (server) => {
    const context = await shared.browser.newContext({ locale, viewport: phone });
    const page = await context.newPage();
    await answerFirstVisit(page, server, words.refuse);
    await publishFixture(server);
    await page.reload();
    const notice = page.getByRole('region', { name: words.notice });
    await notice.getByRole('button', { name: words.changed }).click();
    const dialog = page.getByRole('dialog', { name: words.title });
    await dialog.getByRole('heading', { name: words.item }).waitFor();
    await dialog.getByRole('heading', { name: words.added }).waitFor();
    assert.deepEqual(await dialog.locator('del').allInnerTexts(), [words.gone]);
    assert.deepEqual(await dialog.locator('ins').first().innerText(), words.came);
    assert.equal(await dialog.locator('.dc-change').count(), 2, 'only what changed');
    await screenshot(page, `what-changed-phone-${locale.slice(0, 2)}`);
    await context.close();
  }));
}
