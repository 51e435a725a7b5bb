// The widget embedded with one script tag on a page it does not control, and in the app's webview.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, withServer, banner, openPage, outboxEmpty, consentsOf, ledgerOf, eventsIn, userToken, phone, widgetShown } from './helpers.mjs';

const shared = useBrowser();
const runs = (page) => page.evaluate(() => window.__analyticsRuns || 0);
const consentCalls = (page) => page.evaluate(() =>
  window.dataLayer.map((entry) => (entry[0] === 'consent' ? `${entry[1]}:${entry[2].analytics_storage}` : entry.event || '?')));

test('a gated script runs only after its purpose is granted, once, and not again on re-render', () => withServer(async (server) => {
  const { context, page } = await openPage(shared.browser, server, { locale: 'en-US' });
  await banner(page).waitFor();
  // The loader has the widget's state (and has run its gating over it): the definite moment.
  await page.waitForFunction(() => window.DosmartConsent.getState() !== null);
  assert.equal(await runs(page), 0, 'not before consent');
  await banner(page).getByRole('button', { name: 'Refuse optional' }).click();
  await page.getByRole('status').filter({ hasText: 'saved' }).waitFor();
  assert.equal(await runs(page), 0, 'not after refusal');

  await page.getByRole('button', { name: 'Privacy settings' }).first().click();
  await page.getByRole('switch', { name: 'Research with partners' }).click();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.locator('#analytics-status').filter({ hasText: 'Analytics ran 1 time' }).waitFor();

  // More changes and re-renders: language, another purpose. The script stays run once.
  await page.getByRole('button', { name: 'Privacy settings' }).first().click();
  await page.getByRole('button', { name: 'Русский' }).click();
  await page.getByRole('switch', { name: 'Опросы' }).click();
  await page.getByRole('button', { name: 'Сохранить', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'сохранён' }).waitFor();
  assert.equal(await runs(page), 1);
  const state = await page.evaluate(() => window.DosmartConsent.getState());
  assert.equal(state.purposes.research, true);
  assert.equal(state.purposes.surveys, true);
  await page.reload();
  await page.locator('#analytics-status').filter({ hasText: 'Analytics ran 1 time' }).waitFor();
  await context.close();
}));

test('gated iframes load only with consent; after a withdrawal nothing more is activated', () => withServer(async (server) => {
  const { context, page } = await openPage(shared.browser, server, { locale: 'en-US', bypassCSP: true });
  await banner(page).waitFor();
  // Resolves once the loader's MutationObserver (a microtask queued by the insertion, so ahead
  // of ours) has looked at the new elements.
  const addGated = () => page.evaluate(async () => {
    const frame = document.createElement('iframe');
    frame.setAttribute('data-src', '/healthz');
    frame.setAttribute('data-consent', 'research');
    frame.className = 'gated-frame';
    document.body.appendChild(frame);
    const script = document.createElement('script');
    script.type = 'text/plain';
    script.setAttribute('data-consent', 'research');
    script.text = 'window.__lateRuns = (window.__lateRuns || 0) + 1;';
    document.body.appendChild(script);
    await Promise.resolve();
  });
  await page.waitForFunction(() => window.DosmartConsent.getState() !== null);
  await addGated();
  assert.equal(await page.evaluate(() => document.querySelector('.gated-frame').getAttribute('src')), null, 'no load before consent');
  await banner(page).getByRole('button', { name: 'Accept all' }).click();
  await page.waitForFunction(() => document.querySelector('.gated-frame').getAttribute('src') === `${location.origin}/healthz`);
  assert.equal(await page.evaluate(() => window.__lateRuns), 1);

  // Withdraw research (2.6): the API reports it, and what is added afterwards stays inert.
  await page.getByRole('button', { name: 'Privacy settings' }).first().click();
  await page.getByRole('dialog').getByRole('switch', { name: 'Research with partners' }).click();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Consent withdrawn' }).waitFor();
  await page.waitForFunction(() => window.DosmartConsent.getState().purposes.research === false);
  await page.evaluate(() => { document.querySelectorAll('.gated-frame').forEach((f) => f.remove()); });
  await addGated();
  assert.equal(await page.evaluate(() => document.querySelector('.gated-frame').getAttribute('src')), null, 'not after withdrawal');
  assert.equal(await page.evaluate(() => window.__lateRuns), 1, 'the late script did not run');
  await context.close();
}));

test('consent default comes before any gated script, and an update follows each change in order', () => withServer(async (server) => {
  const { context, page } = await openPage(shared.browser, server, { locale: 'en-US' });
  await banner(page).waitFor();
  const { wait_for_update: wait, ...defaults } = await page.evaluate(() => window.dataLayer.find((e) => e[0] === 'consent' && e[1] === 'default')[2]);
  assert.deepEqual(defaults, {
    ad_storage: 'denied', ad_user_data: 'denied', ad_personalization: 'denied', analytics_storage: 'denied',
    functionality_storage: 'granted', personalization_storage: 'denied', security_storage: 'granted',
  });
  assert.equal(wait, 500, 'the tags wait for the update');
  const unanswered = await page.evaluate(() => window.DosmartConsent.getState());
  assert.deepEqual(unanswered.consent_mode, defaults, 'the loader default is the widget default');

  await page.evaluate(() => {
    window.__events = [];
    window.addEventListener('dosmart:consent', (e) => window.__events.push(e.detail.purposes.research));
  });
  await banner(page).getByRole('button', { name: 'Accept all' }).click();
  await page.locator('#analytics-status').filter({ hasText: 'ran 1' }).waitFor();
  await page.getByRole('button', { name: 'Privacy settings' }).first().click();
  await page.getByRole('switch', { name: 'Research with partners' }).click();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Consent withdrawn' }).waitFor();
  await page.waitForFunction(() => window.dataLayer.filter((e) => e[0] === 'consent').length === 3);
  const order = await page.evaluate(() => window.dataLayer
    .map((e) => (e[0] === 'consent' ? `${e[1]}:${e[2].analytics_storage}:${e[2].ad_storage}` : e.event)));
  assert.deepEqual(order, ['default:denied:denied', 'update:granted:granted', 'dosmart_consent_update', 'analytics_ran',
    'update:denied:granted', 'dosmart_consent_update']);
  assert.deepEqual(await page.evaluate(() => window.__events.slice(-2)), [true, false], 'the DOM event carries each state');
  await context.close();
}));

test('Global Privacy Control refuses promotion and targeting, says so, and is recorded', () => withServer(async (server) => {
  const context = await shared.browser.newContext({ locale: 'en-US' });
  await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }));
  const page = await context.newPage();
  await page.goto(server.base + '/');
  await banner(page).getByText('Global Privacy Control').waitFor();
  await banner(page).getByRole('button', { name: 'Accept all' }).click();
  await page.getByRole('status').filter({ hasText: 'saved' }).waitFor();
  await outboxEmpty(page);
  const state = await consentsOf(server);
  const on = Object.fromEntries(state.purposes.map((p) => [p.purpose, p.granted]));
  assert.equal(on.promotion, false);
  assert.equal(on.personalised_ads, false);
  assert.equal(on.research, true, 'other purposes as the user chose');
  assert.equal(eventsIn(await ledgerOf(server)).filter((e) => e.kind === 'gpc_honoured').length, 1);
  await page.getByRole('button', { name: 'Privacy settings' }).first().click();
  assert.equal(await page.getByRole('switch', { name: 'Personalised offers and ad targeting' }).isDisabled(), true);
  await context.close();
}));

test('a hostile host stylesheet does not break the widget, and the widget does not restyle the host', () => withServer(async (server) => {
  const context = await shared.browser.newContext({ locale: 'en-US' });
  const bare = await context.newPage();
  await bare.route('**/consent.js', (route) => route.abort());
  await bare.goto(server.base + '/');
  const hostStyle = (page) => page.evaluate(() => ['h1', 'p', 'button.shop-link', 'body'].map((sel) => {
    const s = getComputedStyle(document.querySelector(sel));
    return [sel, s.fontFamily, s.fontSize, s.color, s.display, s.margin].join('|');
  }));
  const without = await hostStyle(bare);
  const page = await context.newPage();
  await page.goto(server.base + '/');
  await banner(page).waitFor();
  await widgetShown(page);
  assert.deepEqual(await hostStyle(page), without, 'host elements look the same with the widget');

  await page.addStyleTag({ content: '* { all: unset !important } button { display: none !important } section { visibility: hidden }' });
  const accept = banner(page).getByRole('button', { name: 'Accept all' });
  const box = await accept.boundingBox();
  assert.ok(box && box.width > 100 && box.height >= 44, `the button keeps its size: ${JSON.stringify(box)}`);
  assert.equal(await accept.evaluate((b) => getComputedStyle(b).display), 'block');
  await accept.click();
  await page.getByRole('status').filter({ hasText: 'saved' }).waitFor();
  const shown = await page.getByRole('button', { name: 'Privacy settings' }).boundingBox();
  assert.ok(shown && shown.x >= 0 && shown.x + shown.width <= 1280, 'the widget stays in the viewport');
  await context.close();
}));

test('the banner overlays without shifting the page', () => withServer(async (server) => {
  const context = await shared.browser.newContext({ locale: 'kk-KZ', viewport: phone });
  const page = await context.newPage();
  await page.goto(server.base + '/');
  const before = await page.evaluate(() => [document.querySelector('h1').getBoundingClientRect().top, document.documentElement.scrollHeight]);
  await banner(page).waitFor();
  const after = await page.evaluate(() => [document.querySelector('h1').getBoundingClientRect().top, document.documentElement.scrollHeight]);
  assert.deepEqual(after, before);
  const shifts = await page.evaluate(() => new Promise((ok) => {
    let total = 0;
    new PerformanceObserver((list) => { for (const e of list.getEntries()) total += e.value; }).observe({ type: 'layout-shift', buffered: true });
    setTimeout(() => ok(total), 300);
  }));
  assert.equal(shifts, 0, 'cumulative layout shift');
  await context.close();
}));

test('calls made before the widget loaded are run once it has', () => withServer(async (server) => {
  const context = await shared.browser.newContext({ locale: 'en-US' });
  await context.addInitScript(() => { window.dosmartConsentQueue = [['openPolicy', '2.2.5']]; });
  const page = await context.newPage();
  await page.goto(server.base + '/');
  await page.locator('#dc-c2-2-5').waitFor();
  await page.getByRole('dialog', { name: 'Privacy policy' }).waitFor();
  // And a call through the API object before the wasm is ready (the loader is there at once).
  const context2 = await shared.browser.newContext({ locale: 'en-US' });
  const page2 = await context2.newPage();
  await page2.route('**/consent-widget_bg.wasm', async (route) => { await new Promise((r) => setTimeout(r, 800)); await route.continue(); });
  await page2.goto(server.base + '/');
  await page2.waitForFunction(() => window.DosmartConsent);
  await page2.evaluate(() => window.DosmartConsent.openChoices());
  await page2.getByRole('dialog', { name: 'Consent settings' }).waitFor();
  await context.close();
  await context2.close();
}));

test('in-app mode: each native bridge gets the documented messages; token refresh and language from native', () => withServer(async (server) => {
  const context = await shared.browser.newContext({ locale: 'en-US', viewport: phone });
  await context.addInitScript(() => {
    window.__native = { ios: [], android: [], rn: [] };
    // The app confirms the token it put in the address, as docs/embedding.md says.
    const heard = (kind, m) => {
      window.__native[kind].push(m);
      if (m.type === 'handshake') setTimeout(() => window.DosmartConsent.receive({ type: 'handshake', nonce: m.payload.nonce }));
    };
    window.webkit = { messageHandlers: { dosmartConsent: { postMessage: (m) => heard('ios', m) } } };
    window.DosmartConsentAndroid = { postMessage: (json) => heard('android', JSON.parse(json)) };
    window.ReactNativeWebView = { postMessage: (json) => heard('rn', JSON.parse(json)) };
  });
  const page = await context.newPage();
  const framing = (await fetch(`${server.base}/app.html`)).headers.get('content-security-policy');
  assert.match(framing, /frame-ancestors 'none'/, 'no other site may frame the in-app page');
  const first = await userToken(server, 'app-user-1');
  await page.goto(`${server.base}/app.html#token=${first}&lang=kk`);
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  assert.equal(new URL(page.url()).hash, '', 'the token is taken out of the address');
  assert.equal(await page.locator('.dc-root').getAttribute('lang'), 'kk');
  const types = (kind) => page.evaluate((k) => window.__native[k].map((m) => m.type), kind);
  await page.waitForFunction(() => window.__native.rn.some((m) => m.type === 'consent_changed'));
  for (const kind of ['ios', 'android', 'rn']) {
    const seen = await types(kind);
    assert.deepEqual(seen.slice(0, 2), ['handshake', 'ready'], kind);
    assert.ok(seen.includes('consent_changed'), `${kind}: ${seen}`);
  }
  const message = await page.evaluate(() => window.__native.android.find((m) => m.type === 'consent_changed'));
  assert.equal(message.source, 'dosmart-consent');
  assert.equal(message.payload.purposes.research, false, 'nothing granted before the user answers');
  assert.equal(message.payload.purposes.service, true, 'necessary purposes are on');

  await dialog.getByRole('switch', { name: 'Сауалнамалар' }).click();
  await dialog.getByRole('button', { name: 'Сақтау', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'сақталды' }).waitFor();
  assert.equal((await consentsOf(server, 'app-user-1')).purposes.find((p) => p.purpose === 'surveys').granted, true);

  // The app refreshes the token (another account here, to see which one the next call uses)
  // and switches the language.
  await page.evaluate((t) => window.DosmartConsent.receive({ type: 'token_refresh', token: t }), await userToken(server, 'app-user-2'));
  await page.evaluate(() => window.postMessage(JSON.stringify({ type: 'set_language', lang: 'en' }), '*'));
  await dialog.getByRole('switch', { name: 'Research with partners' }).click();
  await dialog.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'saved' }).waitFor();
  const second = await consentsOf(server, 'app-user-2');
  assert.equal(second.purposes.find((p) => p.purpose === 'research').granted, true, 'the refreshed token was used');

  // React Native on Android posts to document; a message of another origin is never heard.
  // The other origin's message comes last: had it been heard, the widget would end in Russian.
  await page.evaluate(() => {
    document.dispatchEvent(new MessageEvent('message', { origin: location.origin, data: JSON.stringify({ type: 'set_language', lang: 'kk' }) }));
    window.dispatchEvent(new MessageEvent('message', { origin: 'https://evil.example', source: window, data: JSON.stringify({ type: 'set_language', lang: 'ru' }) }));
    document.dispatchEvent(new MessageEvent('message', { origin: 'https://evil.example', data: JSON.stringify({ type: 'set_language', lang: 'ru' }) }));
  });
  await dialog.getByRole('button', { name: 'Сақтау', exact: true }).waitFor();
  assert.equal(await page.locator('.dc-root').getAttribute('lang'), 'kk', 'the other origin was not heard');
  await page.evaluate(() => document.dispatchEvent(new MessageEvent('message', { origin: location.origin, data: JSON.stringify({ type: 'set_language', lang: 'ru' }) })));
  await dialog.getByRole('button', { name: 'Сохранить', exact: true }).waitFor();
  await page.evaluate(() => window.DosmartConsent.receive({ type: 'set_language', lang: 'en' }));
  await dialog.getByRole('button', { name: 'Back' }).click();
  await page.waitForFunction(() => window.__native.ios.some((m) => m.type === 'close'));
  for (const kind of ['ios', 'android', 'rn']) assert.ok((await types(kind)).includes('close'), kind);
  await context.close();
}));
