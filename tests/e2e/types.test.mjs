// The TypeScript declarations shipped beside the loader (`/consent.d.ts`) describe the API as
// it is: they type-check a storefront's code under --strict, refuse what the API refuses, and
// name every member, purpose and event that the loader and the catalog have, no more.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useBrowser, withServer, openPage, repo } from './helpers.mjs';

const shared = useBrowser();
const declared = readFileSync(join(repo, 'dist/consent.d.ts'), 'utf8');
/** The text of one declaration: an interface to its closing brace, a type alias to its `;`. */
const block = (name) => declared.slice(declared.indexOf(name)).split(name.startsWith('type') ? ';' : '\n  }')[0];

test('a storefront\'s TypeScript checks against the declarations under --strict', () => {
  const tsc = join(repo, 'tests/e2e/node_modules/.bin/tsc');
  const out = execFileSync(tsc, ['--noEmit', '--strict', '--target', 'es2020', '--lib', 'es2020,dom',
    join(repo, 'tests/e2e/types/usage.ts'), join(repo, 'dist/consent.d.ts')], { encoding: 'utf8' });
  assert.equal(out, '');
});

test('the declarations name every purpose of the catalog and every event the loader fires', () => {
  const purposes = JSON.parse(readFileSync(join(repo, 'policy/purposes.json'), 'utf8')).purposes.map((p) => p.id).sort();
  const union = [...block('type DosmartPurposeId').matchAll(/'([a-z_]+)'/g)].map((m) => m[1]).sort();
  assert.deepEqual(union, purposes);
  const loader = readFileSync(join(repo, 'static/consent.js'), 'utf8');
  const fired = [...loader.matchAll(/new CustomEvent\('([^']+)'/g)].map((m) => m[1]).sort();
  const events = [...block('interface WindowEventMap').matchAll(/'(dosmart:[^']+)'/g)].map((m) => m[1]).sort();
  assert.deepEqual(events, fired);
});

test('the declarations name every member of window.DosmartConsent, and it is served', () => withServer(async (server) => {
  const { context, page } = await openPage(shared.browser, server, { locale: 'en-US' });
  const members = (await page.evaluate(() => Object.keys(window.DosmartConsent))).sort();
  const typed = [...block('interface DosmartConsentApi').matchAll(/^\s{4}(?:readonly )?([a-zA-Z]+)[(:]/gm)].map((m) => m[1]).sort();
  assert.deepEqual(typed, members);
  const served = await fetch(`${server.base}/consent.d.ts`);
  assert.equal(served.status, 200);
  assert.equal(await served.text(), declared);
  await context.close();
}));
