// The widget as users meet it: real headless Chromium, the real server on SQLite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  useBrowser, withServer, banner, openPage, outboxEmpty, consentsOf, ledgerOf, eventsIn, publishEdition, axe, screenshot,
  phone, desktop, widgetShown, repo,
} from './helpers.mjs';

const shared = useBrowser();
const granted = (state, purpose) => state.purposes.find((p) => p.purpose === purpose).granted;

test('each browser language gets the banner in it, with the right lang attribute', () => withServer(async (server) => {
  for (const [locale, lang, title, accept] of [
    ['kk-KZ', 'kk', 'Біз сіздің деректеріңізді қалай пайдаланамыз', 'Барлығын қабылдау'],
    ['ru-RU', 'ru', 'Как мы используем ваши данные', 'Принять все'],
    ['en-US', 'en', 'How we use your data', 'Accept all'],
  ]) {
    const { context, page } = await openPage(shared.browser, server, { locale, waitForWidget: false });
    const region = banner(page);
    await region.waitFor();
    // The prerendered banner first, then the widget's own: both in the browser's language.
    assert.equal(await region.getByRole('heading').innerText(), title);
    assert.equal(await page.locator('.dc-root').first().getAttribute('lang'), lang);
    await widgetShown(page);
    assert.equal(await region.getByRole('heading').innerText(), title);
    await region.getByRole('button', { name: accept }).waitFor();
    assert.equal(await page.locator('.dc-root').getAttribute('lang'), lang);
    assert.deepEqual(page.errors, []);
    await context.close();
  }
}));

test('the language switcher changes the widget at once and is remembered', () => withServer(async (server) => {
  // Clicked as soon as the banner shows: on the prerendered banner or on the widget's.
  const { context, page } = await openPage(shared.browser, server, { locale: 'kk-KZ', waitForWidget: false });
  await banner(page).getByRole('button', { name: 'Русский' }).click();
  await page.getByRole('button', { name: 'Принять все' }).waitFor();
  await widgetShown(page);
  assert.equal(await page.locator('.dc-root').getAttribute('lang'), 'ru');
  await page.reload();
  await page.getByRole('button', { name: 'Принять все' }).waitFor();
  await context.close();
}));

test('choose, switch on contests and publicity only, save: the server has exactly that, events once', () => withServer(async (server) => {
  const { context, page } = await openPage(shared.browser, server, { locale: 'en-US' });
  await banner(page).getByRole('button', { name: 'Choose' }).click();
  const dialog = page.getByRole('dialog', { name: 'Consent settings' });
  await dialog.waitFor();
  const contests = dialog.getByRole('switch', { name: 'Contests and publicity' });
  assert.equal(await contests.getAttribute('aria-checked'), 'false', 'nothing is pre-ticked');
  await contests.click();
  assert.equal(await contests.getAttribute('aria-checked'), 'true');
  // Necessary purposes are no choice: no switch, one collapsed group, the reason said once.
  assert.equal(await dialog.getByRole('switch', { name: 'Providing the service' }).count(), 0);
  const always = dialog.locator('details', { hasText: 'Always on (5)' });
  assert.equal(await always.evaluate((d) => d.open), false, 'collapsed');
  assert.equal(await always.getByText('(clause 2.7)').count(), 1);
  await dialog.getByText('Your name, photo or video may be published as a winner or participant in any media.').waitFor();
  await dialog.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Your choices are saved.' }).waitFor();
  await outboxEmpty(page);

  const state = await consentsOf(server);
  const on = state.purposes.filter((p) => !p.necessary && p.granted).map((p) => p.purpose);
  assert.deepEqual(on, ['contests_publicity']);
  assert.equal(state.accepted.method, 'button');

  const events = eventsIn(await ledgerOf(server));
  const kinds = events.map((e) => e.kind);
  for (const kind of ['banner_shown', 'choices_opened', 'choices_saved']) {
    assert.equal(kinds.filter((k) => k === kind).length, 1, `${kind} once: ${kinds}`);
  }
  assert.equal(new Set(events.map((e) => e.id)).size, events.length, 'no event twice');
  await page.reload();
  await page.getByRole('button', { name: 'Privacy settings' }).waitFor();
  assert.equal(await banner(page).count(), 0, 'the banner does not come back once answered');
  await context.close();
}));

test('offline: the answer waits, then is delivered exactly once when the network returns', () => withServer(async (server) => {
  const { context, page } = await openPage(shared.browser, server, { locale: 'ru-RU' });
  await banner(page).waitFor();
  await outboxEmpty(page);
  await context.setOffline(true);
  await page.getByRole('button', { name: 'Принять все' }).click();
  await page.getByRole('status').filter({ hasText: 'Нет связи' }).waitFor();
  const waiting = await page.evaluate(() => JSON.parse(localStorage.getItem('dosmart-consent:outbox')));
  assert.equal(waiting.pending_choices[0].update.choices.contests_publicity, true);
  assert.equal((await consentsOf(server)).answered, false, 'nothing reached the server yet');

  await context.setOffline(false);
  await outboxEmpty(page, 20000);
  const state = await consentsOf(server);
  assert.equal(state.answered, true);
  assert.equal(granted(state, 'research'), true);
  const ledger = await ledgerOf(server);
  assert.equal(ledger.filter((e) => e.kind === 'choices').length, 1, 'delivered exactly once');
  assert.equal(eventsIn(ledger).filter((e) => e.kind === 'accept_all').length, 1);
  await context.close();
}));

test('a keyboard-only user opens the choices, changes one, saves, and closes the dialog', () => withServer(async (server) => {
  const { context, page } = await openPage(shared.browser, server, { locale: 'en-US' });
  await banner(page).waitFor();
  const focused = () => page.evaluate(() => {
    let el = document.activeElement;
    while (el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
    const label = el.getAttribute('aria-labelledby');
    return `${el.getAttribute('role') || el.tagName}:${label ? el.getRootNode().getElementById(label).innerText : el.innerText}`;
  });
  const inDialog = () => page.evaluate(() => {
    let el = document.activeElement;
    while (el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
    return el.closest('[role=dialog]') !== null;
  });
  const tabTo = async (wanted) => {
    for (let i = 0; i < 60; i++) {
      const at = await focused();
      if (wanted instanceof RegExp ? wanted.test(at) : at === wanted) return;
      await page.keyboard.press('Tab');
    }
    assert.fail(`never reached ${wanted}, at ${await focused()}`);
  };
  await tabTo('BUTTON:Choose');
  await page.keyboard.press('Enter');
  await page.getByRole('dialog').waitFor();
  await tabTo('switch:Surveys');
  await page.keyboard.press('Space');
  await tabTo('BUTTON:Save');
  await page.keyboard.press('Enter');
  await page.getByRole('dialog').waitFor({ state: 'detached' });
  await outboxEmpty(page);
  assert.equal(granted(await consentsOf(server), 'surveys'), true);

  // Reopen from the settings button, close with Esc: focus goes back to the button.
  await tabTo(/^BUTTON:Privacy settings\s+1\/6$/);
  await page.keyboard.press('Enter');
  await page.getByRole('dialog').waitFor();
  assert.ok(await inDialog(), 'focus moves into the dialog');
  for (let i = 0; i < 40; i++) await page.keyboard.press('Tab');
  assert.ok(await inDialog(), 'focus stays trapped');
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'detached' });
  assert.match(await focused(), /^BUTTON:Privacy settings\s+1\/6$/, 'focus is restored');
  await context.close();
}));

test('axe-core finds no violations in the banner, choices, policy and my data (light and dark)', () => withServer(async (server) => {
  for (const colorScheme of ['light', 'dark']) {
    const { context, page } = await openPage(shared.browser, server, { locale: 'kk-KZ', colorScheme, bypassCSP: true });
    await banner(page).waitFor();
    await widgetShown(page);
    assert.deepEqual(await axe(page), [], `banner (${colorScheme})`);
    await banner(page).getByRole('button', { name: 'Таңдау' }).click();
    await page.getByRole('dialog').waitFor();
    assert.deepEqual(await axe(page), [], `choices (${colorScheme})`);
    await page.getByRole('dialog').getByRole('button', { name: '2.2.5-тармақ' }).click();
    await page.getByRole('dialog').getByText('ЖАЛПЫ ЕРЕЖЕЛЕР').first().waitFor();
    assert.deepEqual(await axe(page), [], `policy (${colorScheme})`);
    await page.keyboard.press('Escape'); // back to the choices
    await page.getByRole('dialog').getByRole('button', { name: 'Менің деректерім' }).click();
    await page.getByRole('dialog').getByText('Бет кескіні').waitFor();
    assert.deepEqual(await axe(page), [], `my data (${colorScheme})`);
    await context.close();
  }
}));

test('the policy opens at the clause a purpose cites, in the published language', () => withServer(async (server) => {
  const { context, page } = await openPage(shared.browser, server, { locale: 'en-US' });
  await banner(page).getByRole('button', { name: 'Choose' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Clause 2.2.5' }).click();
  const item = page.locator('#dc-c2-2-5');
  await item.waitFor();
  assert.match(await item.innerText(), /^5\) участия в акциях, конкурсах/);
  assert.equal(await page.locator('article.dc-policy-text').getAttribute('lang'), 'ru', 'legal text is marked Russian');
  await page.getByText('The policy is published in Kazakh and Russian only').waitFor();
  assert.ok(await item.evaluate((el) => el === el.getRootNode().activeElement), 'the cited item has focus');
  await context.close();
}));

test('a new edition: the notice names the date, Accept is recorded as acceptance by button', () => withServer(async (server) => {
  const { context, page } = await openPage(shared.browser, server, { locale: 'ru-RU' });
  await banner(page).getByRole('button', { name: 'Отказаться от необязательных' }).click();
  await page.getByRole('status').filter({ hasText: 'сохранён' }).waitFor();
  // Today in Kazakhstan (UTC+5): an edition cannot be published on a past date there.
  const today = new Date(Date.now() + 5 * 3600e3).toISOString().slice(0, 10);
  const published = await publishEdition(server, '2026-12', today);
  await page.reload();
  const notice = page.getByRole('region', { name: 'Новая редакция Политики конфиденциальности' });
  await notice.waitFor();
  assert.ok((await notice.innerText()).includes(published.deemed_accepted_from), 'names publication + 7 days');
  assert.equal((await consentsOf(server)).current_accepted, false);
  // "Read" opens the new text with Accept inside it, in a foot that stays in view.
  await notice.getByRole('button', { name: 'Читать новый текст' }).click();
  const text = page.getByRole('dialog', { name: 'Политика конфиденциальности' });
  await text.getByText('ОБЩИЕ ПОЛОЖЕНИЯ').first().waitFor();
  await text.locator('.dc-dialog-body').evaluate((b) => { b.scrollTop = b.scrollHeight / 2; });
  const accept = text.locator('.dc-dialog-foot').getByRole('button', { name: 'Принять' });
  assert.ok(await accept.isVisible(), 'Accept is in view in the middle of the text');
  await accept.click();
  await accept.waitFor({ state: 'detached' });
  await text.getByRole('button', { name: 'Закрыть' }).click();
  await notice.waitFor({ state: 'detached' });
  await outboxEmpty(page);
  const state = await consentsOf(server);
  assert.equal(state.current_accepted, true);
  assert.deepEqual([state.accepted.edition, state.accepted.method], ['2026-12', 'button']);
  await context.close();
}));

/// A Russian-speaking visitor accepts all, then turns contests and publicity off and saves: a
/// withdrawal (2.6).
async function acceptAllThenTurnOffContests(server) {
  const { context, page } = await openPage(shared.browser, server, { locale: 'ru-RU' });
  await banner(page).getByRole('button', { name: 'Принять все' }).click();
  await outboxEmpty(page);
  await page.getByRole('button', { name: 'Настройки конфиденциальности' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('switch', { name: 'Конкурсы и публикация' }).click();
  await dialog.getByRole('button', { name: 'Сохранить', exact: true }).click();
  return { context, page };
}

test('withdrawal: turning a purpose off and saving withdraws it at once; the application is the proof, with the address', () => withServer(async (server) => {
  const { context, page } = await acceptAllThenTurnOffContests(server);
  // Said at once, before the server has answered: it applies from now on.
  const told = page.getByRole('status').filter({ hasText: 'Согласие отозвано: «Конкурсы и публикация». Это действует уже сейчас' });
  await told.waitFor();
  assert.equal(await page.evaluate(() => window.DosmartConsent.getState().purposes.contests_publicity), false);
  await told.getByRole('button', { name: 'Письменное заявление (подтверждение)' }).click();
  const application = page.locator('pre.dc-application');
  await application.waitFor();
  const text = await application.innerText();
  assert.ok(text.includes('Айгерім Сәрсенқызы Ахметова'), 'filled in with the user name');
  assert.ok(text.includes('Конкурсы и публикация (п. 2.2.5)'));
  const address = '010000, г. Астана, ул. Примерная, 1 (адрес для демонстрации)';
  assert.ok(text.includes(address), 'the address is in the application');
  await page.getByRole('dialog').getByText(`Куда направить: ${address}`).waitFor();
  assert.ok(!text.includes('прекращение'), 'contests are not tied to the User Agreement: no such warning');
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Скачать (.txt)' }).click();
  assert.match((await download).suggestedFilename(), /^withdrawal-\d{4}-\d{2}-\d{2}\.txt$/);
  assert.equal(granted(await consentsOf(server), 'contests_publicity'), false);
  const withdrawals = (await ledgerOf(server)).filter((e) => e.kind === 'withdrawal');
  assert.equal(withdrawals.length, 1, 'recorded as one withdrawal');
  await context.close();
}));

test('my data: the history says in the user\'s language what happened, and lists no UI event', () => withServer(async (server) => {
  const { context, page } = await acceptAllThenTurnOffContests(server);
  await outboxEmpty(page);
  if (!(await page.getByRole('dialog').isVisible())) {
    await page.getByRole('button', { name: 'Настройки конфиденциальности' }).click();
  }
  await page.getByRole('dialog').getByRole('button', { name: 'Мои данные' }).click();
  const history = page.locator('.dc-history li');
  await history.first().waitFor();
  await history.last().scrollIntoViewIfNeeded();
  await screenshot(page, 'my-data-history-ru');
  const time = history.first().locator('time');
  const at = new Date(await time.getAttribute('datetime'));
  const inAlmaty = new Date(at.getTime() + 5 * 3600e3).toISOString().slice(0, 16).replace('T', ' ');
  assert.equal(await time.innerText(), inAlmaty, 'the time as in Kazakhstan (UTC+5), to the minute');
  const receiptButton = ' Скачать квитанцию';
  const lines = (await history.allInnerTexts()).map((line) => line.replace(/^[\d-]+ [\d:.]+ · /, '').replace(/ · 127\.0\.0\.1( Скачать квитанцию)?$/, '$1'));
  assert.equal(lines.length, 4, `one line per answer, none per UI event: ${lines.join(' | ')}`);
  assert.equal(lines[0], 'Вы отозвали согласие: Конкурсы и публикация (2.2.5)' + receiptButton, 'newest first');
  assert.equal(lines[1], 'Вы выключили: Конкурсы и публикация (2.2.5)' + receiptButton);
  assert.equal(lines[2], 'Вы приняли редакцию политики 2026-11 кнопкой');
  assert.match(lines[3], /^Вы включили: .*Конкурсы и публикация \(2\.2\.5\).*Опросы \(2\.2\.6\).* Скачать квитанцию$/);
  assert.ok((await ledgerOf(server)).some((e) => e.kind === 'event'), 'the ledger does hold UI events');

  // The receipt of the change, downloaded and checked with the command, with no server.
  const download = page.waitForEvent('download');
  await history.nth(1).getByRole('button', { name: 'Скачать квитанцию' }).click();
  const file = await (await download).path();
  const text = readFileSync(file, 'utf8');
  assert.ok(text.startsWith('Квитанция о согласии'), text);
  assert.ok(text.includes('Конкурсы и публикация (2.2.5): отказано'), text);
  const jwks = join(mkdtempSync(join(tmpdir(), 'jwks-')), 'jwks.json');
  writeFileSync(jwks, await (await fetch(`${server.base}/v1/receipts/jwks.json`)).text());
  const checked = execFileSync(join(repo, 'target/debug/consent-server'), ['receipt', 'verify', file, '--jwks', jwks], { encoding: 'utf8' });
  assert.match(checked, /^valid: receipt /);
  const jws = text.trimEnd().split('\n').pop();
  const signature = jws.lastIndexOf('.') + 1;
  const changed = jws.slice(0, signature) + (jws[signature] === 'A' ? 'B' : 'A') + jws.slice(signature + 1);
  writeFileSync(file, text.replace(jws, changed));
  assert.throws(() => execFileSync(join(repo, 'target/debug/consent-server'), ['receipt', 'verify', file, '--jwks', jwks], { encoding: 'utf8', stdio: 'pipe' }), (e) => e.status === 2 && /^INVALID: the signature does not match/.test(e.stdout), 'a changed signature does not verify');
  await context.close();
}));

test('screenshots for the README: phone and desktop, kk/ru/en, light and dark', () => withServer(async (server) => {
  const shots = [
    ['banner-desktop-kk-light', 'kk-KZ', 'light', desktop, null],
    ['banner-phone-ru-dark', 'ru-RU', 'dark', phone, null],
    ['choices-phone-en-light', 'en-US', 'light', phone, 'Choose'],
    ['choices-desktop-kk-dark', 'kk-KZ', 'dark', desktop, 'Таңдау'],
  ];
  for (const [name, locale, colorScheme, viewport, open] of shots) {
    const { context, page } = await openPage(shared.browser, server, { locale, colorScheme, viewport });
    await banner(page).waitFor();
    await widgetShown(page);
    if (open) {
      await banner(page).getByRole('button', { name: open }).click();
      await page.getByRole('dialog').waitFor();
    }
    // What the picture shows is what a user sees: the banner or dialog inside the viewport.
    const shown = await (open ? page.getByRole('dialog') : banner(page)).boundingBox();
    assert.ok(shown.x >= 0 && shown.y >= 0 && shown.x + shown.width <= viewport.width
      && shown.y + shown.height <= viewport.height, `${name}: ${JSON.stringify(shown)}`);
    await screenshot(page, name);
    await context.close();
  }
  // The app's webview: full screen, phone, Kazakh, dark.
  const { context, page } = await openPage(shared.browser, server, { locale: 'kk-KZ', colorScheme: 'dark', viewport: phone, path: '/app.html#lang=kk' });
  await page.getByRole('dialog').waitFor();
  await screenshot(page, 'in-app-phone-kk-dark');
  await context.close();
}));

test('usable at 320 px wide and at 200 % zoom: nothing overflows, every action is reachable', () => withServer(async (server) => {
  // 200 % zoom of a 1280 × 800 window is a 640 × 400 CSS-pixel viewport.
  for (const viewport of [{ width: 320, height: 640 }, { width: 640, height: 400 }]) {
    const { context, page } = await openPage(shared.browser, server, { locale: 'ru-RU', viewport });
    await banner(page).waitFor();
    await widgetShown(page);
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.equal(await overflow(), 0, `banner at ${viewport.width}px`);
    for (const name of ['Принять все', 'Отказаться от необязательных', 'Выбрать']) {
      const button = banner(page).getByRole('button', { name });
      await button.scrollIntoViewIfNeeded();
      assert.ok(await button.isVisible(), `${name} at ${viewport.width}px`);
    }
    await banner(page).getByRole('button', { name: 'Выбрать' }).click();
    const save = page.getByRole('button', { name: 'Сохранить', exact: true });
    await save.scrollIntoViewIfNeeded();
    assert.ok(await save.isVisible());
    assert.equal(await overflow(), 0, `choices at ${viewport.width}px`);
    await context.close();
  }
}));

test('the accessibility check itself catches a violation (so a clean result means something)', () => withServer(async (server) => {
  const { context, page } = await openPage(shared.browser, server, { locale: 'en-US', bypassCSP: true });
  await banner(page).waitFor();
  await widgetShown(page);
  await page.evaluate(() => {
    const root = document.querySelector('#dosmart-consent-host').shadowRoot.querySelector('.dc-root');
    const unlabelled = document.createElement('button');
    unlabelled.className = 'planted';
    root.appendChild(unlabelled);
  });
  const violations = await axe(page);
  assert.ok(violations.some((v) => v.startsWith('button-name')), violations.join('\n'));
  await context.close();
}));

test('a screen whose text failed to load says so and loads it on Retry (policy and my data)', () => withServer(async (server) => {
  const { context, page } = await openPage(shared.browser, server, { locale: 'en-US' });
  // The first request for each text fails, as on a dropped mobile connection.
  const failed = new Set();
  await context.route(/\/v1\/(policy\?|me\/data)/, (route) => {
    const path = new URL(route.request().url()).pathname;
    if (failed.has(path)) return route.continue();
    failed.add(path);
    return route.abort();
  });
  await banner(page).getByRole('button', { name: 'Choose' }).click();
  const shown = () => page.getByRole('dialog').filter({ visible: true });
  await shown().getByRole('button', { name: 'Clause 2.2.5' }).click();
  await shown().getByRole('alert').getByText('The text could not be loaded.').waitFor();
  await shown().getByRole('alert').getByRole('button', { name: 'Try again' }).click();
  await shown().locator('#dc-c2-2-5').waitFor();
  await page.keyboard.press('Escape');
  await shown().getByRole('button', { name: 'My data' }).click();
  await shown().getByRole('alert').getByRole('button', { name: 'Try again' }).click();
  await shown().locator('.dc-category').first().waitFor();
  assert.deepEqual([...failed].sort(), ['/v1/me/data', '/v1/policy']);
  await context.close();
}));
