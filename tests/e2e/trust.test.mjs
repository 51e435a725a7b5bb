// Consent that is never over-granted and never lost, on a flaky mobile network, and gated
// elements that user-written HTML cannot turn into script. Real Chromium, the real server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, withServer, banner, openPage, outboxEmpty, consentsOf, ledgerOf, eventsIn, userToken, widgetShown } from './helpers.mjs';

const shared = useBrowser();
const runs = (page) => page.evaluate(() => window.__analyticsRuns || 0);
const research = (state) => state.purposes.find((p) => p.purpose === 'research').granted;
const choicesRecords = async (server, user) => (await ledgerOf(server, user)).filter((e) => e.kind === 'choices').length;
const isPut = (route) => route.request().method() === 'PUT';

async function acceptAllOnline(page) {
  await banner(page).getByRole('button', { name: 'Accept all' }).click();
  await page.locator('#analytics-status').filter({ hasText: 'Analytics ran 1 time' }).waitFor();
  await outboxEmpty(page);
}

async function refuseResearchInChoices(page) {
  await page.getByRole('button', { name: 'Privacy settings' }).first().click();
  await page.getByRole('switch', { name: 'Research with partners' }).click();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
}

test('a refusal saved while the server is out of reach applies at once, and after a reload, until it is delivered', () => withServer(async (server) => {
  const { context, page } = await openPage(shared.browser, server, { locale: 'en-US' });
  await acceptAllOnline(page);
  await page.evaluate(() => {
    window.__events = [];
    window.addEventListener('dosmart:consent', (e) => window.__events.push(e.detail.purposes.research));
  });

  await context.route('**/v1/consents', (route) => (isPut(route) ? route.abort() : route.continue()));
  await refuseResearchInChoices(page);
  await page.getByRole('status').filter({ hasText: 'No connection' }).waitFor();
  assert.equal((await page.evaluate(() => window.DosmartConsent.getState())).purposes.research, false, 'getState');
  assert.equal((await page.evaluate(() => window.DosmartConsent.getState())).consent_mode.analytics_storage, 'denied');
  assert.deepEqual(await page.evaluate(() => window.__events), [false], 'the dosmart:consent event');
  const lastUpdate = await page.evaluate(() => window.dataLayer.filter((e) => e[0] === 'consent').pop());
  assert.deepEqual([lastUpdate[1], lastUpdate[2].analytics_storage], ['update', 'denied'], 'Consent Mode update sent');
  assert.equal(research(await consentsOf(server)), true, 'the server has not heard yet');

  // A reload while the refusal is still on its way: the server says yes, the user said no.
  // The page hands over the token late: the refusal, made signed in, still applies meanwhile.
  await context.route('**/demo/token', async (route) => {
    await new Promise((ok) => setTimeout(ok, 1000));
    await route.continue();
  });
  await page.reload();
  await page.waitForFunction(() => window.DosmartConsent.getState() !== null);
  await page.waitForTimeout(1500);
  assert.equal(await runs(page), 0, 'the research-gated script did not run again');
  assert.equal((await page.evaluate(() => window.DosmartConsent.getState())).purposes.research, false);

  await context.unroute('**/v1/consents');
  await outboxEmpty(page, 20000);
  assert.equal(research(await consentsOf(server)), false, 'delivered');
  assert.equal(await choicesRecords(server), 2, 'accept all, then the refusal: once each');
  await context.close();
}));

test('a response lost after the server stored the choices: the retry stores nothing twice', () => withServer(async (server) => {
  const { context, page } = await openPage(shared.browser, server, { locale: 'en-US' });
  await banner(page).waitFor();
  let lost = 0;
  await context.route('**/v1/consents', async (route) => {
    if (!isPut(route) || lost > 0) return route.continue();
    lost += 1;
    await route.fetch(); // the server commits the write ...
    await route.abort('connectionreset'); // ... and the answer never arrives
  });
  await banner(page).getByRole('button', { name: 'Accept all' }).click();
  await page.getByRole('status').filter({ hasText: 'Your choices are saved.' }).waitFor({ timeout: 20000 });
  await outboxEmpty(page);
  assert.equal(lost, 1, 'one answer was lost');
  assert.equal(await choicesRecords(server), 1, 'one click, one consent record');
  await context.close();
}));

test('two tabs of one browser never send the same outbox item twice', () => withServer(async (server) => {
  const { context, page: first } = await openPage(shared.browser, server, { locale: 'en-US' });
  await banner(first).waitFor();
  await outboxEmpty(first);
  const sent = [];
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  await context.route('**/v1/consents', async (route) => {
    if (!isPut(route)) return route.continue();
    sent.push(route.request().headers()['idempotency-key']);
    await held; // the first tab's delivery is in flight, holding the outbox lock
    return route.continue();
  });
  await banner(first).getByRole('button', { name: 'Accept all' }).click();
  await first.waitForFunction(() => localStorage.getItem('dosmart-consent:outbox') !== null);
  const second = await context.newPage();
  await second.goto(server.base + '/');
  // The second tab has found the same item and waits for the lock: the definite moment.
  await second.waitForFunction(async () => (await navigator.locks.query()).pending.some((l) => l.name === 'dosmart-consent-outbox'));
  release();
  await outboxEmpty(first);
  await outboxEmpty(second);
  assert.equal(sent.length, 1, `one PUT for one click: ${sent}`);
  assert.equal(await choicesRecords(server), 1);
  await context.close();
}));

test('gating fails closed: empty, unknown or misspelt purposes and javascript: URLs never run, and the console names them', () => withServer(async (server) => {
  const { context, page } = await openPage(shared.browser, server, { locale: 'en-US', bypassCSP: true });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await banner(page).waitFor();
  await page.evaluate(async () => {
    const add = (html) => document.body.insertAdjacentHTML('beforeend', html);
    add('<script type="text/plain" data-consent="" id="empty">window.__ran = (window.__ran || []).concat("empty")</script>');
    add('<script type="text/plain" data-consent="reserch" id="misspelt">window.__ran = (window.__ran || []).concat("misspelt")</script>');
    add('<script type="text/plain" data-consent="research" id="good">window.__ran = (window.__ran || []).concat("good")</script>');
    // What a seller's product description could hold, past an HTML sanitiser that keeps data-*.
    add('<iframe data-consent="" data-src="javascript:parent.__xss = (parent.__xss || 0) + 1" id="xss-empty"></iframe>');
    add('<iframe data-consent="research" data-src="javascript:parent.__xss = (parent.__xss || 0) + 1" id="xss"></iframe>');
    add('<iframe data-consent="research" data-src="data:text/html,<script>parent.__xss=1</script>" id="xss-data"></iframe>');
    await Promise.resolve();
  });
  await banner(page).getByRole('button', { name: 'Refuse optional' }).click();
  await page.getByRole('status').filter({ hasText: 'saved' }).waitFor();
  await page.getByRole('button', { name: 'Privacy settings' }).first().click();
  await page.getByRole('switch', { name: 'Research with partners' }).click();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.waitForFunction(() => (window.__ran || []).includes('good'));
  assert.deepEqual(await page.evaluate(() => window.__ran), ['good'], 'only the well-formed, granted script ran');
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'no javascript: or data: frame ran');
  for (const id of ['xss-empty', 'xss', 'xss-data']) {
    assert.equal(await page.evaluate((i) => document.getElementById(i).getAttribute('src'), id), null, id);
  }
  const said = errors.join('\n');
  assert.match(said, /data-consent names no purpose/);
  assert.match(said, /unknown purpose "reserch"/);
  assert.match(said, /must be an http\(s\) URL, not javascript:/);
  assert.match(said, /not data:/);
  await context.close();
}));

test('with data-nonce on the loader only elements carrying that nonce are activated', () => withServer(async (server) => {
  const context = await shared.browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  await page.route('**/nonce-page.html', (route) => route.fulfill({
    contentType: 'text/html',
    body: `<!doctype html><html lang="en"><head><title>nonce</title>
      <script src="/consent.js" data-api="" data-nonce="r4nd0m" async></script></head><body>
      <h1>Shop</h1>
      <script type="text/plain" data-consent="research" nonce="r4nd0m">window.__ran = (window.__ran || []).concat('site')</script>
      <div class="review"><script type="text/plain" data-consent="research">window.__ran = (window.__ran || []).concat('user')</script>
      <iframe data-consent="research" data-src="/healthz" id="user-frame"></iframe></div>
      </body></html>`,
  }));
  await page.goto(server.base + '/nonce-page.html');
  await banner(page).getByRole('button', { name: 'Accept all' }).click();
  await page.waitForFunction(() => (window.__ran || []).includes('site'));
  assert.deepEqual(await page.evaluate(() => window.__ran), ['site']);
  assert.equal(await page.evaluate(() => document.getElementById('user-frame').getAttribute('src')), null);
  await context.close();
}));

test('a token that expired while choices waited: the page is asked for a fresh one, and they are delivered', () => withServer(async (server) => {
  const context = await shared.browser.newContext({ locale: 'en-US' });
  await context.addInitScript((token) => {
    window.__asked = 0;
    window.dosmartConsentConfig = {
      token,
      refreshToken: async () => {
        window.__asked += 1;
        // The same account's token, issued a second later than the one that expired.
        await new Promise((ok) => setTimeout(ok, 1100));
        return (await (await fetch('/demo/token?user=first-user')).json()).token;
      },
    };
    window.addEventListener('dosmart:token-expired', () => { window.__expiredEvents = (window.__expiredEvents || 0) + 1; });
  }, await userToken(server, 'first-user'));
  // The token expires between loading the page and saving: the server answers 401 once.
  let expired = 0;
  const sentWith = [];
  await context.route('**/v1/consents', (route) => {
    if (isPut(route)) sentWith.push(route.request().headers().authorization);
    if (!isPut(route) || expired > 0) return route.continue();
    expired += 1;
    return route.fulfill({ status: 401, contentType: 'application/json', body: JSON.stringify({ error: 'unauthorized', message: 'the token has expired' }) });
  });
  const page = await context.newPage();
  await page.goto(server.base + '/');
  await widgetShown(page);
  await banner(page).getByRole('button', { name: 'Accept all' }).click();
  await page.waitForFunction(() => window.__asked >= 1); // the page was asked for a token
  await outboxEmpty(page, 20000);
  assert.ok(await page.evaluate(() => window.__expiredEvents) >= 1, 'dosmart:token-expired fired');
  assert.equal(sentWith.length, 2, 'sent once more after the refusal');
  assert.notEqual(sentWith[1], sentWith[0], 'with the fresh token');
  const state = await consentsOf(server, 'first-user');
  assert.equal(state.answered, true, 'delivered for the account that chose');
  assert.equal(research(state), true);
  assert.equal(await choicesRecords(server, 'first-user'), 1);
  await context.close();
}));

test('a refusal by the server keeps the choices, tells the user and the page, and they go later', () => withServer(async (server) => {
  const { context, page } = await openPage(shared.browser, server, { locale: 'ru-RU' });
  await banner(page).waitFor();
  await page.evaluate(() => window.addEventListener('dosmart:consent-error', (e) => { window.__problems = (window.__problems || []).concat(e.detail); }));
  let refused = 0;
  await context.route('**/v1/consents', (route) => {
    if (!isPut(route) || refused > 0) return route.continue();
    refused += 1;
    return route.fulfill({ status: 400, contentType: 'application/json', body: JSON.stringify({ error: 'bad_request', message: 'временная ошибка прокси' }) });
  });
  await banner(page).getByRole('button', { name: 'Принять все' }).click();
  await page.getByRole('alert').filter({ hasText: 'Ошибка: временная ошибка прокси' }).waitFor();
  const problem = (await page.evaluate(() => window.__problems))[0];
  assert.deepEqual([problem.what, problem.status, problem.error], ['choices_held', 400, 'bad_request']);
  assert.notEqual(await page.evaluate(() => localStorage.getItem('dosmart-consent:outbox')), null, 'kept');
  // The error stays, with a way to try again now.
  await page.getByRole('alert').getByRole('button', { name: 'Повторить' }).click();
  await outboxEmpty(page);
  assert.equal((await consentsOf(server)).answered, true, 'delivered on the next try');
  await page.getByRole('status').filter({ hasText: 'Ваш выбор сохранён.' }).waitFor();
  await context.close();
}));

test('a server over its limit (429, Retry-After): the choices wait as long as it asks, the user is told, and they land once', () => withServer(async (server) => {
  const { context, page } = await openPage(shared.browser, server, { locale: 'en-US' });
  await banner(page).waitFor();
  const sent = [];
  await context.route('**/v1/consents', (route) => {
    if (!isPut(route)) return route.continue();
    sent.push(Date.now());
    if (sent.length > 1) return route.continue();
    return route.fulfill({
      status: 429,
      headers: { 'Retry-After': '3' },
      contentType: 'application/json',
      body: JSON.stringify({ error: 'rate_limited', message: 'too many requests from this device or user: try again in 3 s' }),
    });
  });
  await banner(page).getByRole('button', { name: 'Accept all' }).click();
  await page.getByRole('status').filter({ hasText: 'The server cannot take your choices just now' }).waitFor();
  assert.equal((await page.evaluate(() => window.DosmartConsent.getState())).purposes.research, true, 'applies while it waits');
  assert.notEqual(await page.evaluate(() => localStorage.getItem('dosmart-consent:outbox')), null, 'kept');
  await outboxEmpty(page, 20000);
  assert.equal(sent.length, 2, `sent twice: ${sent.length}`);
  assert.ok(sent[1] - sent[0] >= 2900, `waited ${sent[1] - sent[0]} ms of the 3 s asked`);
  assert.equal(await choicesRecords(server), 1, 'one click, one consent record');
  await context.close();
}));

test('faults one after another (500s, a request hanging past the timeout, the server down, a reload mid-send): every choice and event lands exactly once, and the user is told what waits', () => withServer(async (server) => {
  const { context, page } = await openPage(shared.browser, server, { locale: 'en-US' });
  await banner(page).waitFor();
  let fault = 'failing';
  let sentBeforeReload;
  const reachedServer = new Promise((ok) => { sentBeforeReload = ok; });
  await context.route(/\/v1\/(consents|events)$/, async (route) => {
    if (route.request().method() === 'GET' || fault === 'none') return route.continue();
    if (fault === 'failing') return route.fulfill({ status: 500, contentType: 'application/json', body: '{"error":"internal","message":"boom"}' });
    if (fault === 'hanging') return; // never answered: the widget gives up at its own timeout
    if (fault === 'down') return route.abort('connectionrefused');
    // The server stores it; the page reloads before the answer arrives.
    await route.fetch();
    sentBeforeReload();
  });
  const status = page.getByRole('status');
  const tryNow = () => page.evaluate(() => window.dispatchEvent(new Event('online')));

  await banner(page).getByRole('button', { name: 'Accept all' }).click();
  await status.filter({ hasText: 'The server cannot take your choices just now' }).waitFor();
  assert.equal((await page.evaluate(() => window.DosmartConsent.getState())).purposes.research, true, 'applies while it waits');

  fault = 'hanging';
  await tryNow();
  await status.filter({ hasText: 'No connection' }).waitFor({ timeout: 20000 });

  fault = 'down';
  await tryNow();
  await page.waitForTimeout(300);
  await status.filter({ hasText: 'No connection' }).waitFor();

  fault = 'reloading';
  await tryNow();
  await reachedServer;
  fault = 'none';
  // The page hands over the user's token late after the reload: the choices, made signed in,
  // must wait for it, for sent as the device they would be stored a second time.
  await context.route('**/demo/token', async (route) => {
    await new Promise((ok) => setTimeout(ok, 1500));
    await route.continue();
  });
  await page.reload();
  await page.waitForFunction(() => window.DosmartConsent.getState() !== null);
  await outboxEmpty(page, 30000);

  const ledger = await ledgerOf(server);
  assert.equal(ledger.filter((e) => e.kind === 'choices').length, 1, 'one answer, one consent record');
  assert.equal(ledger.filter((e) => e.kind === 'choices_carried_from_device').length, 0, 'nothing was stored as the device');
  const ids = eventsIn(ledger).map((e) => e.id);
  assert.ok(ids.length >= 2, `the banner's events arrived: ${ids.length}`);
  assert.equal(new Set(ids).size, ids.length, 'no event stored twice');
  assert.equal(research(await consentsOf(server)), true);
  await context.close();
}));

test('choices made signed in wait for that account: another account signed in meanwhile neither gets them nor loses its own', () => withServer(async (server) => {
  const { context, page } = await openPage(shared.browser, server, { locale: 'en-US' });
  await banner(page).waitFor();
  await outboxEmpty(page);
  await context.setOffline(true);
  await banner(page).getByRole('button', { name: 'Accept all' }).click();
  await page.getByRole('status').filter({ hasText: 'No connection' }).waitFor();

  // Another person signs in on this browser before the network returns, and refuses.
  const other = await userToken(server, 'other-user');
  await page.evaluate((token) => window.DosmartConsent.setToken(token), other);
  await context.setOffline(false);
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  await page.evaluate(() => window.DosmartConsent.openChoices());
  await page.getByRole('button', { name: 'Save', exact: true }).waitFor();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.waitForFunction(() => (JSON.parse(localStorage.getItem('dosmart-consent:outbox') || '{}').pending_choices || []).length === 1);

  const theirs = await consentsOf(server, 'other-user');
  assert.equal(theirs.answered, true, "the other account's own answer was stored");
  assert.equal(research(theirs), false, 'as they chose it, not as the first user did');
  assert.equal((await consentsOf(server)).answered, false, "the first user's choices did not go as another account");

  // The first user signs in again: their choices go, as them, once.
  await page.evaluate((token) => window.DosmartConsent.setToken(token), await userToken(server, 'demo-user'));
  await outboxEmpty(page);
  assert.equal(research(await consentsOf(server)), true);
  assert.equal(await choicesRecords(server), 1, 'one answer, one consent record');
  assert.equal(research(await consentsOf(server, 'other-user')), false, 'the other account keeps its own answer');
  const kinds = async (user) => eventsIn(await ledgerOf(server, user)).map((e) => e.kind);
  assert.ok((await kinds('demo-user')).includes('accept_all'), "the first user's click is in their own record");
  assert.ok(!(await kinds('other-user')).includes('accept_all'), "and not in the other account's");
  assert.ok((await kinds('other-user')).includes('choices_saved'), 'which holds its own');
  await context.close();
}));

test('a device id the server does not recognise is replaced, and the answer still lands', () => withServer(async (server) => {
  const context = await shared.browser.newContext({ locale: 'en-US' });
  // An anonymous visitor: the page hands over no token.
  await context.route('**/anon.html', (route) => route.fulfill({
    contentType: 'text/html',
    body: '<!doctype html><html lang="en"><head><title>anon</title><script src="/consent.js" data-api="" async></script></head><body><h1>Shop</h1></body></html>',
  }));
  const page = await context.newPage();
  await page.goto(server.base + '/anon.html');
  await widgetShown(page);
  // The device the browser holds stops being recognised (another server secret, storage
  // edited) between loading the page and answering.
  const planted = '6f1c1d64-5b8e-4c1e-9a53-0d3f3c2b7a10';
  await page.evaluate((id) => {
    localStorage.setItem('dosmart-consent:device', id);
    localStorage.setItem('dosmart-consent:device-proof', '00'.repeat(32));
  }, planted);
  await banner(page).getByRole('button', { name: 'Accept all' }).click();
  await page.getByRole('status').filter({ hasText: 'saved' }).waitFor();
  const device = await page.evaluate(() => localStorage.getItem('dosmart-consent:device'));
  assert.ok(device && device !== planted, `a new device was issued: ${device}`);
  await context.close();
}));
