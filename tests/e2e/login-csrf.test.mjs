// Login CSRF into the in-app page: a link to app.html#token=THEIRS, opened in a browser, must
// not put the user's answers into the sender's account. A token in the address counts only when
// the app's native side confirms it (the handshake of docs/embedding.md). Real Chromium, the
// real server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, withServer, consentsOf, userToken, phone, widgetShown } from './helpers.mjs';

const shared = useBrowser();

const BRIDGES = {
  'no native bridge (a plain browser)': null,
  'a bridge that answers the handshake with another nonce': () => {
    window.ReactNativeWebView = {
      postMessage: (json) => {
        const m = JSON.parse(json);
        if (m.type === 'handshake') setTimeout(() => window.DosmartConsent.receive({ type: 'handshake', nonce: '0'.repeat(32) }));
      },
    };
  },
};

for (const [name, bridge] of Object.entries(BRIDGES)) {
  test(`a token in the in-app page's address is ignored with ${name}: the answer stays out of that account`, () => withServer(async (server) => {
    const attacker = await userToken(server, 'attacker');
    const context = await shared.browser.newContext({ locale: 'en-US', viewport: phone });
    if (bridge) await context.addInitScript(bridge);
    const page = await context.newPage();
    const warnings = [];
    page.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text()); });
    await page.goto(`${server.base}/app.html#token=${attacker}&lang=en`);
    await widgetShown(page);
    assert.equal(new URL(page.url()).hash, '', 'the token is taken out of the address all the same');
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('switch', { name: 'Surveys' }).click();
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'saved' }).waitFor();
    assert.equal((await consentsOf(server, 'attacker')).answered, false, 'nothing reached the account named in the link');
    assert.equal(await page.locator('.dc-root').getAttribute('lang'), 'en', 'the language from the address still applies');
    assert.ok(warnings.some((w) => /token in the address was ignored/.test(w)), warnings.join(' | '));
    await context.close();
  }));
}
