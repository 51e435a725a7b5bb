// Starts the real consent server (SQLite, demo mode serving the release build of the widget)
// and real headless Chromium.
import { spawn, execFileSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// --demo refuses the users' real token secret (its page hands tokens to anyone): user tokens
// come from the demo's own /demo/token; staff tokens are signed here.
const secrets = {
  CONSENT_STAFF_SECRET: 'e2e-staff-secret-0123456789abcdef012345678',
  CONSENT_SERVICE_SECRET: 'e2e-service-secret-0123456789abcdef0123456',
};

export async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'consent-e2e-'));
  const child = spawn(join(repo, 'target/debug/consent-server'), [
    '--demo', '--bind', '127.0.0.1:0', '--database', `sqlite://${join(dir, 'consent.db')}`,
    '--widget-dir', join(repo, 'dist'),
  ], { env: { ...withoutUserSecrets(process.env), ...secrets, RUST_LOG: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const base = await new Promise((ok, fail) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      // E2E_SERVER_LOG=FILE keeps the server's log, for a failure to be read later.
      if (process.env.E2E_SERVER_LOG) appendFileSync(process.env.E2E_SERVER_LOG, chunk);
      out += chunk;
      const found = out.match(/open (http:\/\/\S+?)\/\s/);
      if (found) ok(found[1]);
    });
    child.on('exit', (code) => fail(new Error(`server exited ${code}: ${out}`)));
  });
  return {
    base,
    stop() { child.kill(); rmSync(dir, { recursive: true, force: true }); },
  };
}

function withoutUserSecrets(env) {
  const { CONSENT_JWT_SECRET, CONSENT_SERVER_SECRET, ...rest } = env;
  return rest;
}

const b64url = (s) => Buffer.from(s).toString('base64url');

function jwt(secret, claims) {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify({ exp: Math.floor(Date.now() / 1000) + 600, ...claims }));
  const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

export const serviceToken = () =>
  jwt(secrets.CONSENT_SERVICE_SECRET, { sub: 'e2e-crm', aud: 'dosmart-consent-service' });
export const staffToken = (role) =>
  jwt(secrets.CONSENT_STAFF_SECRET, { sub: 'e2e-staff', aud: 'dosmart-consent-staff', role });
/// A signed-in user's token, as the site's login would hand it over.
export async function userToken(server, sub) {
  const response = await fetch(`${server.base}/demo/token?user=${encodeURIComponent(sub)}`);
  return (await response.json()).token;
}

export async function api(server, path, { token, method = 'GET', body } = {}) {
  const response = await fetch(server.base + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/// What the server holds for the demo user: their consent state and their ledger (audited
/// read), each record with its `kind` and `detail` (the API writes `record: {<kind>: detail}`),
/// without the records of staff looks such as this one.
export const consentsOf = async (server, user = 'demo-user') => api(server, '/v1/consents', { token: await userToken(server, user) });
export async function ledgerOf(server, user = 'demo-user') {
  const body = await api(server, `/v1/admin/subjects/${user}/records?reason=e2e%20check`, { token: staffToken('privacy_officer') });
  return body.records.consent_history
    .map((e) => ({ ...e, kind: Object.keys(e.record)[0], detail: Object.values(e.record)[0] }))
    .filter((e) => e.kind !== 'staff_access');
}
export const eventsIn = (ledger) => ledger.filter((e) => e.kind === 'event').map((e) => e.detail);

/// Publishes a new edition of the policy (both languages), as a policy editor would.
export async function publishEdition(server, version, published) {
  const sources = {};
  for (const lang of ['kk', 'ru']) {
    sources[lang] = readFileSync(join(repo, `policy/editions/2026-11/${lang}.md`), 'utf8')
      .replace(/^edition: .*$/m, `edition: "${version}"`)
      .replace(/^published: .*$/m, `published: ${published}`);
  }
  return api(server, '/v1/admin/editions', { method: 'POST', token: staffToken('policy_editor'), body: { sources } });
}

/// Today in Kazakhstan (UTC+5), the earliest day an edition may be published.
export const kazakhstanToday = () => new Date(Date.now() + 5 * 3600e3).toISOString().slice(0, 10);

/// Publishes the fixture edition 2026-12 (2026-11 with item 5 of 2.2 changed and a clause 2.9
/// added), dated today.
export async function publishFixture(server) {
  const sources = {};
  for (const lang of ['kk', 'ru']) {
    sources[lang] = readFileSync(join(repo, `policy/fixtures/2026-12/${lang}.md`), 'utf8')
      .replace(/^published: .*$/m, `published: ${kazakhstanToday()}`);
  }
  return api(server, '/v1/admin/editions', { method: 'POST', token: staffToken('policy_editor'), body: { sources } });
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

export const phone = { width: 360, height: 740 };
export const desktop = { width: 1280, height: 800 };

/// `bypassCSP` for tests that inject inline script (axe, hand-made gated elements): the demo
/// pages allow none, as the widget's own pages should.
/// Waits until the widget has taken over from the prerendered banner (`waitForWidget: false`
/// for a test of what comes before).
export async function openPage(browser, server, { locale = 'kk-KZ', colorScheme = 'light', viewport = desktop, path = '/', bypassCSP = false, waitForWidget = true } = {}) {
  const context = await browser.newContext({ locale, colorScheme, viewport, bypassCSP });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(server.base + path);
  if (waitForWidget) await widgetShown(page);
  return { context, page };
}

/// Waits until the widget has delivered everything it queued.
export async function outboxEmpty(page, timeout = 15000) {
  await page.waitForFunction(() => localStorage.getItem('dosmart-consent:outbox') === null, null, { timeout });
}

/// axe-core's WCAG 2.x A/AA violations inside the widget (in its shadow root).
export async function axe(page) {
  await page.addScriptTag({ path: join(repo, 'tests/e2e/node_modules/axe-core/axe.min.js') });
  const result = await page.evaluate(async () => {
    const r = await window.axe.run({ include: [{ fromShadowDom: ['#dosmart-consent-host', '.dc-root'] }] }, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    });
    if (r.passes.length === 0) throw new Error('axe checked nothing: the widget was not found');
    return r.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  });
  return result;
}

export async function screenshot(page, name) {
  const dir = process.env.SCREENSHOTS || join(repo, 'target/screenshots');
  execFileSync('mkdir', ['-p', dir]);
  await page.screenshot({ path: join(dir, `${name}.png`) });
}

export { randomUUID };

/// One headless Chromium for the test file; `withServer` gives each test a server and database
/// of its own.
export function useBrowser() {
  const shared = {};
  before(async () => { shared.browser = recorded(await launch()); });
  after(async () => { await shared.browser.close(); });
  return shared;
}

/// What the pages of the running test did: their console, their requests and answers, each
/// with the milliseconds since the test began. A failing test prints it, so that a failure
/// seen once can be read afterwards.
const trail = { started: Date.now(), lines: [], pages: new Set() };

function note(line) {
  trail.lines.push(`${Date.now() - trail.started} ms ${line}`);
}

/// Every page of every context the browser opens is followed into `trail`.
function recorded(browser) {
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (options) => {
    const context = await newContext(options);
    context.on('page', (page) => {
      trail.pages.add(page);
      page.on('close', () => trail.pages.delete(page));
      page.on('console', (m) => note(`console.${m.type()}: ${m.text()}`));
      page.on('pageerror', (e) => note(`page error: ${e.message}`));
      page.on('request', (r) => note(`> ${r.method()} ${r.url()}`));
      page.on('response', (r) => note(`< ${r.status()} ${r.url()}`));
      page.on('requestfailed', (r) => note(`failed ${r.url()}: ${r.failure()?.errorText}`));
    });
    return context;
  };
  return browser;
}

export async function withServer(body) {
  const server = await startServer();
  trail.started = Date.now();
  trail.lines = [];
  trail.pages.clear();
  try {
    await body(server);
  } catch (e) {
    for (const page of trail.pages) {
      // The catalog and words kept for offline use are left out: long, and never the cause.
      const kept = await page.evaluate(() => JSON.stringify({
        url: location.href,
        localStorage: Object.fromEntries(Object.entries(localStorage).filter(([key]) => !/:(texts:|catalog)/.test(key))),
        state: window.DosmartConsent?.getState() ?? null,
      })).catch((why) => `unreadable: ${why.message}`);
      note(`at the failure, a page held: ${kept}`);
    }
    e.message += `\n--- what the pages did:\n${trail.lines.join('\n')}`;
    throw e;
  } finally {
    server.stop();
  }
}

/// The widget itself has taken over from the loader's prerendered banner or button.
export async function widgetShown(page) {
  await page.waitForFunction(() => {
    const host = document.querySelector('#dosmart-consent-host');
    return host && !host.shadowRoot.querySelector('[data-prerendered]') && window.DosmartConsent.getState() !== null;
  });
}

/// The banner (or update notice): the region with the widget's buttons.
export const banner = (page) => page.getByRole('region').filter({ has: page.getByRole('button') }).first();
