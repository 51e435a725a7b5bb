// An expired sign-in in the app's webview is never silent: the user is told why their choices
// wait, the app hears `token_expired`, and they go once the app hands over a fresh token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, withServer, consentsOf, userToken, phone, outboxEmpty } from './helpers.mjs';

const shared = useBrowser();

test('in the app, an expired token: the user sees why their choices wait, the app is asked, and they are delivered', () => withServer(async (server) => {
  const context = await shared.browser.newContext({ locale: 'en-US', viewport: phone });
  await context.exposeFunction('freshToken', () => userToken(server, 'app-expiring'));
  await context.addInitScript(() => {
    window.__native = [];
    window.webkit = { messageHandlers: { dosmartConsent: { postMessage: (m) => {
      window.__native.push(m.type);
      if (m.type === 'handshake') setTimeout(() => window.DosmartConsent.receive({ type: 'handshake', nonce: m.payload.nonce }));
      // The app signs the user in again, which takes it a moment.
      if (m.type === 'token_expired') setTimeout(async () => window.DosmartConsent.receive({ type: 'token_refresh', token: await window.freshToken() }), 1500);
    } } } };
  });
  // The token expires between opening the screen and saving: the server answers 401 once.
  let refused = 0;
  await context.route('**/v1/consents', (route) => {
    if (route.request().method() !== 'PUT' || refused > 0) return route.continue();
    refused += 1;
    return route.fulfill({ status: 401, contentType: 'application/json', body: JSON.stringify({ error: 'unauthorized', message: 'the token has expired' }) });
  });
  const page = await context.newPage();
  await page.goto(`${server.base}/app.html#token=${await userToken(server, 'app-expiring')}&lang=en`);
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('switch', { name: 'Surveys' }).click();
  await dialog.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByText('Your sign-in has expired: your choices are kept on this device and will be sent once you sign in again.').waitFor();
  assert.ok((await page.evaluate(() => window.__native)).includes('token_expired'), 'the app was asked for a fresh token');
  await outboxEmpty(page, 20000);
  await page.getByText('Your sign-in has expired').waitFor({ state: 'detached' });
  const state = await consentsOf(server, 'app-expiring');
  assert.equal(state.purposes.find((p) => p.purpose === 'surveys').granted, true, 'delivered with the fresh token');
  await context.close();
}));
