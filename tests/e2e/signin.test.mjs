// Signing in, switching accounts and signing out never grant what the person now using the page
// refused: a change of person is a new state, and until theirs is known only the necessary
// purposes apply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, withServer, banner, outboxEmpty, userToken, api } from './helpers.mjs';

const shared = useBrowser();

const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title></head>
<body><h1>Shop</h1><script src="/consent.js" data-api="" async></script></body></html>`;

async function open(server) {
  const context = await shared.browser.newContext({ locale: 'en-US' });
  await context.route(`${server.base}/plain.html`, (route) => route.fulfill({ contentType: 'text/html', body: PAGE }));
  const page = await context.newPage();
  await page.goto(`${server.base}/plain.html`);
  return { context, page };
}

async function answerAs(server, user, choices) {
  const token = await userToken(server, user);
  await api(server, '/v1/consents', { token, method: 'PUT', body: { policy_version: '2026-11', lang: 'en', choices } });
  return token;
}

/** Signs the page in as `token` (null: out) and, in the same task, adds a script gated by
 *  `purpose`: what the page sees at that moment. */
const switchPerson = (page, token, purpose) => page.evaluate(([t, p]) => {
  window.DosmartConsent.setToken(t);
  const gated = document.createElement('script');
  gated.type = 'text/plain';
  gated.setAttribute('data-consent', p);
  gated.text = `window.__ran = (window.__ran || []).concat('${p}');`;
  document.body.appendChild(gated);
  const update = window.dataLayer.filter((e) => e[0] === 'consent').pop()[2];
  return { granted: window.DosmartConsent.getState().purposes[p], update };
}, [token, purpose]);

test('signing in to an account that refused: the device\'s grant stops at once, before the account\'s state arrives', () => withServer(async (server) => {
  const { context, page } = await open(server);
  await banner(page).getByRole('button', { name: 'Accept all' }).click();
  await page.getByRole('status').filter({ hasText: 'saved' }).waitFor();
  await outboxEmpty(page);
  const account = await answerAs(server, 'refuser', { personalised_ads: false, research: false });
  // A returning visit: the page runs from the kept answer, no wasm.
  await page.reload();
  await page.waitForFunction(() => window.DosmartConsent.getState()?.purposes.personalised_ads === true);

  const seen = await switchPerson(page, account, 'personalised_ads');
  assert.equal(seen.granted, false, 'not granted at the moment of sign-in');
  assert.equal(seen.update.ad_storage, 'denied', 'Consent Mode back to the default at once');
  await page.waitForFunction(() => window.DosmartConsent.getState().answered === true);
  const state = await page.evaluate(() => window.DosmartConsent.getState());
  assert.equal(state.purposes.personalised_ads, false, 'the account\'s own state applies');
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => window.__ran), undefined, 'the gated ad script never ran');
  await context.close();
}));

test('signing out drops the account\'s grants at once', () => withServer(async (server) => {
  const { context, page } = await open(server);
  await banner(page).getByRole('button', { name: 'Refuse optional' }).click();
  await page.getByRole('status').filter({ hasText: 'saved' }).waitFor();
  await outboxEmpty(page);
  const account = await answerAs(server, 'granter', { research: true });

  const signedIn = await switchPerson(page, account, 'research');
  assert.equal(signedIn.granted, false, 'the device refused: nothing until the account\'s state is known');
  await page.waitForFunction(() => (window.__ran || []).includes('research'));
  assert.equal(await page.evaluate(() => window.DosmartConsent.getState().purposes.research), true, 'then the account\'s grant applies');

  const signedOut = await switchPerson(page, null, 'research');
  assert.equal(signedOut.granted, false, 'the account\'s grant is gone at sign-out');
  assert.equal(signedOut.update.analytics_storage, 'denied');
  // The device's answers went to the account at sign-in; signed out, it is a new device, and
  // the banner asks again.
  await banner(page).getByRole('button', { name: 'Accept all' }).waitFor();
  assert.equal(await page.evaluate(() => window.DosmartConsent.getState().purposes.research), false);
  await page.waitForTimeout(300);
  assert.deepEqual(await page.evaluate(() => window.__ran), ['research'], 'the script added after sign-out did not run');
  await context.close();
}));
