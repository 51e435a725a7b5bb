// A single-page application's router replaces the whole body (React, Vue, Turbo, Next.js): the
// widget goes with it into the new page, and the page's new gated elements are checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, withServer, banner, openPage } from './helpers.mjs';

const shared = useBrowser();

/** What a router does on navigation: a new body in place of the old, then one frame. Answers
 *  whether the widget's host is in the new body once that frame comes. */
const navigate = (page, html) => page.evaluate(async (markup) => {
  const next = document.createElement('body');
  next.innerHTML = markup;
  document.body.replaceWith(next);
  await new Promise((frame) => requestAnimationFrame(frame));
  const host = document.getElementById('dosmart-consent-host');
  return Boolean(host) && host.parentNode === document.body && document.body === next;
}, html);

const NEXT_PAGE = '<main><h1>Catalog</h1></main>'
  + '<script type="text/plain" data-consent="research">window.__spaRuns = (window.__spaRuns || 0) + 1;</script>';

test('after the router replaces the body, the banner, the settings button and the API go on working', () => withServer(async (server) => {
  const { context, page } = await openPage(shared.browser, server, { locale: 'en-US', bypassCSP: true });
  await banner(page).waitFor();
  await page.waitForFunction(() => window.DosmartConsent.getState() !== null);

  assert.equal(await navigate(page, NEXT_PAGE), true, 'the host is in the new body within a frame');
  await banner(page).getByRole('button', { name: 'Accept all' }).click();
  await page.waitForFunction(() => window.__spaRuns === 1);

  // Another navigation with a dialog open: the dialog and what the user did stay.
  await page.getByRole('button', { name: 'Privacy settings' }).first().click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('switch', { name: 'Surveys' }).click();
  assert.equal(await navigate(page, '<main><h1>Product</h1></main>'), true);
  assert.equal(await dialog.getByRole('switch', { name: 'Surveys' }).getAttribute('aria-checked'), 'false');
  await dialog.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Consent withdrawn' }).waitFor();
  await page.waitForFunction(() => window.DosmartConsent.getState().purposes.surveys === false);

  // The page's own calls after navigation.
  await page.evaluate(() => window.DosmartConsent.openPolicy('2.6'));
  await page.getByRole('dialog').getByRole('heading', { level: 2 }).first().waitFor();
  await context.close();
}));

test('a returning visitor whose page never loaded the wasm keeps the settings button across navigations', () => withServer(async (server) => {
  const { context, page } = await openPage(shared.browser, server, { locale: 'en-US', bypassCSP: true });
  await banner(page).getByRole('button', { name: 'Accept all' }).click();
  await page.getByRole('status').filter({ hasText: 'saved' }).waitFor();
  await page.reload({ waitUntil: 'load' });
  const settings = page.getByRole('button', { name: 'Privacy settings' }).first();
  await settings.waitFor();
  assert.equal(await navigate(page, NEXT_PAGE), true);
  await page.waitForFunction(() => window.__spaRuns === 1);
  await settings.click();
  await page.getByRole('dialog').getByRole('switch', { name: 'Research with partners' }).waitFor();
  await context.close();
}));
