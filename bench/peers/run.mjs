// This widget against vanilla-cookieconsent 3.1.0 and Klaro 0.7.22, in one run, interleaved, in
// real headless Chromium: the same host page from one brotli-serving origin (127.0.0.1), this
// widget and its API from another (127.0.0.2, the consent server serving dist/), the same six
// consent purposes and Russian texts. Medians of RUNS loads per figure, on a desktop profile and
// a throttled phone (CDP: 4x CPU, 1.6 Mbps down, 750 kbps up, 150 ms RTT). Prints the table and
// PASS/FAIL per target, and writes both into BENCHMARKS.md. Started by scripts/bench-peers.sh.
// DEBUG=1 also prints each load: what came before the banner, and for a returning view when the
// consent manager ran, when the gated script was parsed and inserted, and each resource's timing.
// Note that a run also writes BENCHMARKS.md, whatever its RUNS.
import { createServer } from 'node:http';
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { brotliCompressSync, constants } from 'node:zlib';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir, cpus, totalmem } from 'node:os';
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const RUNS = Number(process.env.RUNS || 9);
const HOST = 'http://127.0.0.1:8611';
const API = 'http://127.0.0.2:8612';

const purposes = JSON.parse(readFileSync(join(repo, 'policy/purposes.json'), 'utf8')).purposes
  .filter((p) => !p.ground).map((p) => ({ id: p.id, title: p.title.ru, summary: p.summary.ru }))
  .slice(0, 6);
const texts = {
  title: 'Как мы используем ваши данные',
  body: 'Для работы сервиса dosmart.kz обрабатывает IP-адрес, cookies, контактные данные и сведения о заказах. Для рекламы, конкурсов, опросов и исследований — только с вашего согласия.',
  acceptAll: 'Принять все', refuse: 'Отказаться от необязательных', choose: 'Выбрать', save: 'Сохранить выбор',
};

// ---- the host pages: the same shop, each with one consent manager ----
const shop = `<header><b>dosmart.kz</b></header><main><h1>Күнделікті тауарлар</h1>
  <ul>${['Шай', 'Қымыз', 'Бауырсақ', 'Құрт'].map((p) => `<li>${p} — 1 290 ₸</li>`).join('')}</ul></main>`;
const page = (head, body) => `<!doctype html><html lang="ru"><head><meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1"><title>bench</title>${head}</head>
  <body>${shop}${body}</body></html>`;
const pages = {
  ours: page(`<script src="${API}/consent.js" data-api="${API}" data-lang="ru" async></script>`,
    `<script type="text/plain" data-consent="research" src="/gated.js"></script>`),
  vcc: page(`<link rel="stylesheet" href="/vcc/cookieconsent.css">`,
    `<script type="text/plain" data-category="research" src="/gated.js"></script>
     <script src="/vcc/cookieconsent.umd.js"></script><script src="/vcc-config.js"></script>`),
  klaro: page(`<script src="/klaro-config.js"></script><script defer data-config="klaroConfig" src="/klaro/klaro.js"></script>`,
    `<script type="text/plain" data-type="text/javascript" data-name="research" data-src="/gated.js"></script>`),
};
const vccConfig = `CookieConsent.run({
  hideFromBots: false,
  categories: Object.assign({ necessary: { enabled: true, readOnly: true } }, ${JSON.stringify(Object.fromEntries(purposes.map((p) => [p.id, {}])))}),
  language: { default: 'ru', translations: { ru: {
    consentModal: { title: ${JSON.stringify(texts.title)}, description: ${JSON.stringify(texts.body)},
      acceptAllBtn: ${JSON.stringify(texts.acceptAll)}, acceptNecessaryBtn: ${JSON.stringify(texts.refuse)}, showPreferencesBtn: ${JSON.stringify(texts.choose)} },
    preferencesModal: { title: 'Настройки', acceptAllBtn: ${JSON.stringify(texts.acceptAll)}, acceptNecessaryBtn: ${JSON.stringify(texts.refuse)},
      savePreferencesBtn: ${JSON.stringify(texts.save)}, sections: ${JSON.stringify(purposes.map((p) => ({ title: p.title, description: p.summary, linkedCategory: p.id })))} },
  } } },
});`;
const klaroConfig = `var klaroConfig = {
  version: 1, elementID: 'klaro', storageMethod: 'cookie', cookieName: 'klaro', lang: 'ru', acceptAll: true, hideDeclineAll: false,
  translations: { ru: { consentNotice: { description: ${JSON.stringify(texts.body)} }, acceptAll: ${JSON.stringify(texts.acceptAll)},
    decline: ${JSON.stringify(texts.refuse)}, purposes: ${JSON.stringify(Object.fromEntries(purposes.map((p) => [p.id, p.title])))} } },
  services: ${JSON.stringify(purposes.map((p) => ({ name: p.id, title: p.title, purposes: [p.id] })))},
};`;
const gated = 'window.__gatedAt = performance.now();';

// ---- the host origin: brotli, as a CDN would ----
const files = {
  '/ours.html': pages.ours, '/vcc.html': pages.vcc, '/klaro.html': pages.klaro,
  '/vcc-config.js': vccConfig, '/klaro-config.js': klaroConfig, '/gated.js': gated,
  '/vcc/cookieconsent.css': readFileSync(join(here, 'node_modules/vanilla-cookieconsent/dist/cookieconsent.css')),
  '/vcc/cookieconsent.umd.js': readFileSync(join(here, 'node_modules/vanilla-cookieconsent/dist/cookieconsent.umd.js')),
  '/klaro/klaro.js': readFileSync(join(here, 'node_modules/klaro/dist/klaro.js')),
};
const types = { html: 'text/html; charset=utf-8', js: 'text/javascript', css: 'text/css' };
const compressed = Object.fromEntries(Object.entries(files).map(([path, body]) => [path,
  brotliCompressSync(Buffer.from(body), { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } })]));
const host = createServer((req, res) => {
  const path = new URL(req.url, HOST).pathname;
  if (!files[path]) { res.writeHead(404); res.end(); return; }
  res.writeHead(200, {
    'content-type': types[path.split('.').pop()], 'content-encoding': 'br', vary: 'Accept-Encoding',
    'cache-control': path.endsWith('.html') ? 'no-cache' : 'public, max-age=31536000',
  });
  res.end(compressed[path]);
});

// ---- the consent server (release build) on the other origin ----
function startConsentServer() {
  const dir = mkdtempSync(join(tmpdir(), 'consent-bench-'));
  const child = spawn(join(repo, 'target/release/consent-server'), [
    '--bind', '127.0.0.2:8612', '--database', `sqlite://${join(dir, 'bench.db')}`,
    '--widget-dir', join(repo, 'dist'), '--allow-origin', HOST,
  ], {
    env: { ...process.env, RUST_LOG: 'warn', CONSENT_JWT_SECRET: randomBytes(32).toString('hex'), CONSENT_SERVER_SECRET: randomBytes(32).toString('hex'), CONSENT_RECEIPT_KEY: randomBytes(32).toString('hex') },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return child;
}

async function waitFor(url) {
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(url)).ok) return; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

// ---- one measured page view ----
/** Installed before the page's own scripts: long tasks, layout shifts, and the first animation
 *  frame in which the manager's answer buttons are on screen (open shadow roots searched too). */
async function observeInPage(context, lib) {
  if (process.env.DEBUG) {
    await context.addInitScript(() => {
      window.__marks = [];
      let api;
      Object.defineProperty(window, 'DosmartConsent', { configurable: true, get: () => api, set: (v) => { api = v; window.__marks.push(['loader ran', Math.round(performance.now())]); } });
      new MutationObserver((records) => {
        for (const r of records) for (const n of r.addedNodes) {
          if (n.tagName === 'SCRIPT' && (n.type === 'text/javascript' || n.type === '') && /gated/.test(n.src)) window.__marks.push(['gated inserted' + (n.hasAttribute('data-consent-ran') ? ' (live)' : ''), Math.round(performance.now())]);
          if (n.tagName === 'SCRIPT' && n.type === 'text/plain') window.__marks.push(['gated parsed', Math.round(performance.now())]);
        }
      }).observe(document, { childList: true, subtree: true });
    });
  }
  const selector = { ours: 'button[data-action="accept_all"]', vcc: '#cc-main .cm__btn', klaro: '.klaro .cookie-notice .cm-btn' }[lib];
  await context.addInitScript((wanted) => {
    const find = (root) => {
      for (const el of root.querySelectorAll(wanted)) {
        const r = el.getBoundingClientRect();
        const style = getComputedStyle(el);
        if (r.width > 0 && r.height > 0 && style.visibility !== 'hidden' && Number(style.opacity) > 0.5) return el;
      }
      for (const el of root.querySelectorAll('*')) if (el.shadowRoot) { const f = find(el.shadowRoot); if (f) return f; }
      return null;
    };
    const look = () => { if (find(document)) window.__shownAt = performance.now(); else requestAnimationFrame(look); };
    requestAnimationFrame(look);
    window.__longTasks = []; window.__shifts = 0; window.__frames = [];
    // Long animation frames name the scripts that ran in them: what is the manager's own cost.
    new PerformanceObserver((l) => {
      for (const f of l.getEntries()) {
        window.__frames.push({ start: f.startTime, duration: f.duration, scripts: f.scripts.map((x) => ({ src: x.sourceURL, duration: x.duration, start: x.startTime, compiled: x.executionStart - x.startTime, forced: x.forcedStyleAndLayoutDuration, invoker: `${x.invokerType} ${x.invoker} ${x.sourceFunctionName}@${x.sourceCharPosition}` })) });
      }
    }).observe({ type: 'long-animation-frame', buffered: true });
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longTasks.push([e.startTime, e.duration]); }).observe({ type: 'longtask', buffered: true });
    new PerformanceObserver((l) => { for (const e of l.getEntries()) if (!e.hadRecentInput) window.__shifts += e.value; }).observe({ type: 'layout-shift', buffered: true });
  }, selector);
}

async function profileSession(page, profile) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });
  if (profile === 'phone') {
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 150, downloadThroughput: 200000, uploadThroughput: 93750 });
  }
  const bytes = [];
  let offset = null; // wall-clock ms minus CDP monotonic ms
  cdp.on('Network.requestWillBeSent', (e) => { if (offset === null) offset = e.wallTime * 1000 - e.timestamp * 1000; });
  cdp.on('Network.responseReceived', (e) => bytes.push({ id: e.requestId, url: e.response.url, size: 0 }));
  cdp.on('Network.loadingFinished', (e) => {
    const entry = bytes.find((b) => b.id === e.requestId);
    if (entry) { entry.size = e.encodedDataLength; entry.done = offset + e.timestamp * 1000; }
  });
  return bytes;
}

async function firstAndReturning(browser, lib, profile) {
  const context = await browser.newContext({ locale: 'ru-RU', viewport: profile === 'phone' ? { width: 390, height: 844 } : { width: 1280, height: 800 } });
  await observeInPage(context, lib);
  const page = await context.newPage();
  const network = await profileSession(page, profile);
  await page.goto(`${HOST}/${lib}.html`, { waitUntil: 'commit' });
  const shownAt = await (await page.waitForFunction(() => window.__shownAt, null, { timeout: 60000 })).jsonValue();
  const visibleWall = (await page.evaluate(() => performance.timeOrigin)) + shownAt;
  const before = network.filter((b) => b.done && b.done <= visibleWall && !b.url.endsWith(`/${lib}.html`));
  const fetchedBefore = before.reduce((n, b) => n + b.size, 0);
  if (process.env.DEBUG) console.log(lib, profile, Math.round(shownAt), before.map((b) => `${b.url.split('/').pop()}:${b.size}:${Math.round(b.done - visibleWall)}`));
  // The manager's own cost before the banner: long animation frames in which its scripts ran,
  // and its longest script. A bare page under 4× CPU has a long start-up task of the browser's
  // own too, which is nobody's cost here (shown as "all long tasks").
  const script = { ours: '/consent.js', vcc: '/cookieconsent.umd.js', klaro: '/klaro.js' }[lib];
  const { longScripts, ...inPage } = await page.evaluate(([t, name]) => {
    const frames = window.__frames.filter((f) => f.start <= t && f.scripts.some((x) => x.src.endsWith(name)));
    const scripts = frames.flatMap((f) => f.scripts.filter((x) => x.src.endsWith(name)));
    return {
      blocking: frames.reduce((n, f) => n + Math.max(0, f.duration - 50), 0),
      longest: Math.max(0, ...scripts.map((x) => x.duration)),
      allLong: Math.max(0, ...window.__longTasks.filter(([start]) => start <= t).map(([, d]) => d)),
      cls: window.__shifts,
      longScripts: scripts.filter((x) => x.duration >= 20).map((x) => `${Math.round(x.start)}+${Math.round(x.duration)}ms (compile ${Math.round(x.compiled)}, style/layout ${Math.round(x.forced)}) ${x.invoker}`),
    };
  }, [shownAt, script]);

  if (process.env.DEBUG && longScripts.length) console.log(lib, profile, 'banner at', Math.round(shownAt), 'its scripts of 20 ms or more before it:', longScripts);
  // Accept all, as a shopper would, and let the answer settle.
  const accept = { ours: 'button[data-action="accept_all"]', vcc: '#cc-main [data-role="all"]', klaro: '.klaro .cookie-notice .cm-btn-success' }[lib];
  await page.locator(accept).first().click();
  await page.waitForFunction(() => window.__gatedAt !== undefined, null, { timeout: 60000 });
  if (lib === 'ours') await page.waitForFunction(() => localStorage.getItem('dosmart-consent:outbox') === null && localStorage.getItem('dosmart-consent:state') !== null, null, { timeout: 60000 });

  const again = await context.newPage();
  const returning = await profileSession(again, profile);
  await again.goto(`${HOST}/${lib}.html`);
  const gatedAt = await (await again.waitForFunction(() => window.__gatedAt, null, { polling: 'raf', timeout: 60000 })).jsonValue();
  const wasm = returning.some((b) => b.url.endsWith('.wasm'));
  if (process.env.DEBUG) {
    console.log(lib, profile, 'returning', Math.round(gatedAt), JSON.stringify(await again.evaluate(() => window.__marks)), await again.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const at = (x) => Math.round(x);
      return [`html ${at(nav.responseEnd)} dcl ${at(nav.domContentLoadedEventStart)}`,
        ...performance.getEntriesByType('resource').map((r) => `${r.name.split('/').pop()} ${at(r.startTime)}-${at(r.responseEnd)} ${r.transferSize}B`)].join(' | ');
    }));
  }
  await context.close();
  return { shownAt, fetchedBefore, ...inPage, gatedAt, wasm };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

// ---- the run ----
if (!existsSync(join(repo, 'dist/consent.js'))) throw new Error('build the widget first: scripts/build-widget.sh');
await new Promise((r) => host.listen(8611, '127.0.0.1', r));
const server = startConsentServer();
try {
  await waitFor(`${API}/healthz`);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const libs = (process.env.LIBS || 'ours,vcc,klaro').split(',');
  const results = {};
  for (const profile of ['desktop', 'phone']) {
    for (let run = 0; run < RUNS; run++) {
      for (const lib of libs) {
        const r = await firstAndReturning(browser, lib, profile);
        ((results[profile] ??= {})[lib] ??= []).push(r);
      }
      process.stdout.write(`\r${profile}: ${run + 1}/${RUNS}`);
    }
    process.stdout.write('\n');
  }
  await browser.close();
  // LIBS= with fewer than the three managers is for looking (DEBUG=1): no table, BENCHMARKS.md untouched.
  if (libs.length === 3) writeReport(results);
} finally {
  server.kill();
  host.close();
}

/** The medians, the ratios to vanilla-cookieconsent and the targets' PASS/FAIL, printed and written into BENCHMARKS.md. */
function writeReport(results) {
  const libs = ['ours', 'vcc', 'klaro'];
  const figure = (profile, lib, key) => median(results[profile][lib].map((r) => Number(r[key])));
  const names = { ours: 'this widget', vcc: 'vanilla-cookieconsent 3.1.0', klaro: 'Klaro 0.7.22' };
  const rows = [];
  for (const profile of ['phone', 'desktop']) {
    for (const [label, key, unit] of [
      ['navigation → banner buttons visible', 'shownAt', 'ms'], ['bytes fetched before the banner is visible', 'fetchedBefore', 'B'],
      ['blocking time of its long frames before the banner', 'blocking', 'ms'], ['its longest script before the banner', 'longest', 'ms'],
      ['longest task of any kind before the banner', 'allLong', 'ms'], ['CLS', 'cls', ''],
      ['returning visit: navigation → gated script ran', 'gatedAt', 'ms'],
    ]) {
      const cells = libs.map((lib) => figure(profile, lib, key));
      const ratio = cells[1] ? ` (${(cells[0] / cells[1]).toFixed(2)}×)` : '';
      const fmt = (v) => (unit === 'B' ? `${Math.round(v).toLocaleString('en')} B` : unit === 'ms' ? `${Math.round(v)} ms` : v.toFixed(3));
      rows.push(`| ${profile} | ${label} | ${fmt(cells[0])}${ratio} | ${fmt(cells[1])} | ${fmt(cells[2])} |`);
    }
    const wasmLoads = results[profile].ours.filter((r) => r.wasm).length;
    rows.push(`| ${profile} | returning visits that fetched wasm | ${wasmLoads} of ${RUNS} | — | — |`);
  }
  // scripts/size.sh's figure: the wasm, its glue, and the catalog and words the API serves it.
  const sizes = execFileSync(`${repo}/scripts/size.sh`).toString();
  const widgetBytes = Number(/the widget behind it[^:]*: (\d+) B/.exec(sizes)[1]);
  const worst = (key) => Math.max(...results.phone.ours.map((r) => r[key]));
  const targets = [
    ['first visit, phone: time to banner ≤ 1.0× vanilla-cookieconsent', figure('phone', 'ours', 'shownAt') <= figure('phone', 'vcc', 'shownAt')],
    ['first visit, desktop: time to banner ≤ 1.0× vanilla-cookieconsent', figure('desktop', 'ours', 'shownAt') <= figure('desktop', 'vcc', 'shownAt')],
    ['at most 15 KB brotli fetched before the banner is visible', Math.max(figure('phone', 'ours', 'fetchedBefore'), figure('desktop', 'ours', 'fetchedBefore')) <= 15 * 1024],
    [`CLS 0 and none of its scripts runs 50 ms or more before the banner (phone; the worst of the loads: CLS ${worst('cls').toFixed(3)}, its longest script ${Math.round(worst('longest'))} ms, each load's: ${results.phone.ours.map((r) => Math.round(r.longest)).join(', ')})`, worst('cls') === 0 && worst('longest') < 50],
    ['returning visit, phone: gated script within 1.1× vanilla-cookieconsent, no wasm', figure('phone', 'ours', 'gatedAt') <= 1.1 * figure('phone', 'vcc', 'gatedAt') && results.phone.ours.every((r) => !r.wasm)],
    ['returning visit, desktop: gated script within 1.1× vanilla-cookieconsent, no wasm', figure('desktop', 'ours', 'gatedAt') <= 1.1 * figure('desktop', 'vcc', 'gatedAt') && results.desktop.ours.every((r) => !r.wasm)],
    [`the whole Yew widget, loaded lazily, ≤ 100 KB brotli (now ${(widgetBytes / 1024).toFixed(1)} KB)`, widgetBytes <= 100 * 1024],
  ];
  const machine = `${cpus().length} × ${cpus()[0].model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${execFileSync('/usr/bin/chromium', ['--version']).toString().trim()}`;
  const report = [
    '## This widget against its peers (first visit, returning visit)', '',
    `Command: \`./scripts/bench-peers.sh\` (RUNS=${RUNS}). Machine: ${machine}. Run ${new Date().toISOString().slice(0, 16)}Z.`,
    'Host page from one brotli-serving origin, this widget and its API from another (the consent server serving `dist/`);',
    `the same ${purposes.length} consent purposes and Russian texts; medians of ${RUNS} loads, interleaved. Phone: CDP 4× CPU, 1.6 Mbps down, 750 kbps up, 150 ms RTT.`,
    '', `| profile | figure | ${names.ours} | ${names.vcc} | ${names.klaro} |`, '| --- | --- | ---: | ---: | ---: |', ...rows, '',
    'Targets:', '', ...targets.map(([what, ok]) => `- ${ok ? 'PASS' : 'FAIL'}: ${what}`), '',
  ].join('\n');
  console.log(report);
  const file = join(repo, 'BENCHMARKS.md');
  const existing = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\n';
  const start = existing.indexOf('## This widget against its peers');
  const end = start < 0 ? -1 : existing.indexOf('\n## ', start + 1);
  const updated = start < 0 ? `${existing.trimEnd()}\n\n${report}` : existing.slice(0, start) + report + (end < 0 ? '' : '\n' + existing.slice(end + 1));
  writeFileSync(file, updated.endsWith('\n') ? updated : `${updated}\n`);
}
