// The app's three bridges speaking to the in-app page as each platform delivers messages: iOS
// and Android through evaluateJavaScript (DosmartConsent.receive), Android's postWebMessage and
// React Native's postMessage as a message event with an empty origin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, withServer, consentsOf, userToken, phone } from './helpers.mjs';

const shared = useBrowser();

/** A message as React Native's WebView (or Android's postWebMessage) delivers it. */
const fromReactNative = (page, target, message) => page.evaluate(([to, m]) => {
  (to === 'document' ? document : window).dispatchEvent(new MessageEvent('message', { origin: '', data: JSON.stringify(m) }));
}, [target, message]);

for (const platform of ['iOS (window)', 'Android (document)']) {
  test(`React Native on ${platform}: the handshake and the language come as messages with an empty origin, and are heard`, () => withServer(async (server) => {
    const context = await shared.browser.newContext({ locale: 'en-US', viewport: phone });
    const target = platform.includes('document') ? 'document' : 'window';
    await context.addInitScript((to) => {
      window.__native = [];
      window.ReactNativeWebView = {
        postMessage: (json) => {
          const m = JSON.parse(json);
          window.__native.push(m.type);
          const reply = (message) => (to === 'document' ? document : window)
            .dispatchEvent(new MessageEvent('message', { origin: '', data: JSON.stringify(message) }));
          if (m.type === 'handshake') setTimeout(() => reply({ type: 'handshake', nonce: m.payload.nonce }));
        },
      };
    }, target);
    const page = await context.newPage();
    await page.goto(`${server.base}/app.html#token=${await userToken(server, 'rn-user')}&lang=kk`);
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Сақтау', exact: true }).waitFor();
    await fromReactNative(page, target, { type: 'set_language', lang: 'en' });
    await dialog.getByRole('switch', { name: 'Surveys' }).click();
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'saved' }).waitFor();
    const state = await consentsOf(server, 'rn-user');
    assert.equal(state.purposes.find((p) => p.purpose === 'surveys').granted, true, 'the handshake was heard: the account got the answer');
    assert.deepEqual((await page.evaluate(() => window.__native)).slice(0, 2), ['handshake', 'ready']);
    await context.close();
  }));
}

test('an empty-origin message from another window (a frame in the page) is not heard', () => withServer(async (server) => {
  const context = await shared.browser.newContext({ locale: 'en-US', viewport: phone });
  await context.addInitScript(() => {
    window.webkit = { messageHandlers: { dosmartConsent: { postMessage: (m) => {
      if (m.type === 'handshake') setTimeout(() => window.DosmartConsent.receive({ type: 'handshake', nonce: m.payload.nonce }));
    } } } };
  });
  const page = await context.newPage();
  await page.goto(`${server.base}/app.html#token=${await userToken(server, 'ios-user')}&lang=kk`);
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('button', { name: 'Сақтау', exact: true }).waitFor();
  await page.evaluate(() => {
    const frame = document.createElement('iframe');
    document.body.appendChild(frame);
    window.dispatchEvent(new MessageEvent('message', { origin: '', source: frame.contentWindow, data: JSON.stringify({ type: 'set_language', lang: 'ru' }) }));
  });
  // Heard, this one switches to English; the frame's, had it been heard, to Russian first.
  await page.evaluate(() => window.DosmartConsent.receive({ type: 'set_language', lang: 'en' }));
  await dialog.getByRole('button', { name: 'Save', exact: true }).waitFor();
  await page.waitForTimeout(200);
  assert.equal(await page.locator('.dc-root').getAttribute('lang'), 'en', 'the frame was not heard');
  await context.close();
}));
