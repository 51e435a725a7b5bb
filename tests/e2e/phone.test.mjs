// The widget as a shopper meets it on a phone (390 × 844, touch), in Kazakh and Russian: no dead
// ends, a choices screen that fits a thumb, feedback that is seen and goes, one way to withdraw,
// and the app's own screen. Screenshots of every view go to $SCREENSHOTS (docs/screenshots).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useBrowser, withServer, banner, outboxEmpty, consentsOf, ledgerOf, screenshot, widgetShown, userToken,
} from './helpers.mjs';

const shared = useBrowser();
const phone = { width: 390, height: 844 };
const words = {
  kk: {
    locale: 'kk-KZ', choose: 'Таңдау', accept: 'Барлығын қабылдау', save: 'Сақтау', back: 'Артқа',
    surveys: 'Сауалнамалар', research: 'Зерттеулер', clause: '2.2.6-тармақ', myData: 'Менің деректерім',
    settings: 'Құпиялылық баптаулары', saved: 'Таңдауыңыз сақталды.', withdrawn: '«Сауалнамалар» үшін келісім кері қайтарылды',
    application: 'Жазбаша өтініш (дәлел)', contents: 'Мазмұны', section2: '2. ДЕРБЕС ДЕРЕКТЕРДІ ЖИНАУ',
  },
  ru: {
    locale: 'ru-RU', choose: 'Выбрать', accept: 'Принять все', save: 'Сохранить', back: 'Назад',
    surveys: 'Опросы', research: 'Исследования', clause: 'Пункт 2.2.6', myData: 'Мои данные',
    settings: 'Настройки конфиденциальности', saved: 'Ваш выбор сохранён.', withdrawn: 'Согласие отозвано: «Опросы»',
    application: 'Письменное заявление (подтверждение)', contents: 'Содержание', section2: '2. СБОР И ОБРАБОТКА',
  },
};

async function onPhone(server, lang, { colorScheme = 'light', path = '/', init } = {}) {
  const context = await shared.browser.newContext({
    locale: words[lang].locale, colorScheme, viewport: phone, hasTouch: true, isMobile: true,
  });
  if (init) await context.addInitScript(init);
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(server.base + path);
  return { context, page };
}

const shown = (page) => page.getByRole('dialog').filter({ visible: true });
const switchOf = (page, name) => shown(page).getByRole('switch', { name });

/// Every control of the widget now on screen, with its size: none may be under 44 × 44 px.
const smallControls = (page) => page.evaluate(() => {
  const root = document.querySelector('#dosmart-consent-host').shadowRoot;
  return [...root.querySelectorAll('button, a[href], summary, [role=switch], input, select')]
    .filter((e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden')
    .map((e) => {
      const r = e.getBoundingClientRect();
      return { control: (e.getAttribute('aria-label') || e.textContent).trim().slice(0, 40), width: Math.round(r.width), height: Math.round(r.height) };
    })
    .filter((c) => c.width < 44 || c.height < 44);
});

for (const lang of ['kk', 'ru']) {
  const w = words[lang];

  test(`${lang}: Back returns from the policy and "my data" to the choices, with unsaved switches kept`, () => withServer(async (server) => {
    const { context, page } = await onPhone(server, lang);
    await widgetShown(page);
    await banner(page).getByRole('button', { name: w.choose }).click();
    await switchOf(page, w.surveys).click();
    assert.equal(await switchOf(page, w.surveys).getAttribute('aria-checked'), 'true');

    await shown(page).getByRole('button', { name: w.clause }).click();
    await shown(page).locator('#dc-c2-2-6').waitFor();
    await shown(page).getByRole('button', { name: w.back }).click();
    assert.equal(await switchOf(page, w.surveys).getAttribute('aria-checked'), 'true', 'kept across the policy');
    assert.equal(await page.evaluate(() => {
      let e = document.activeElement;
      while (e.shadowRoot && e.shadowRoot.activeElement) e = e.shadowRoot.activeElement;
      return e.textContent;
    }), w.clause, 'focus is back on the clause that was opened');

    await shown(page).getByRole('button', { name: w.myData }).click();
    await shown(page).getByRole('button', { name: w.back }).waitFor();
    await page.keyboard.press('Escape'); // Escape is Back too
    assert.equal(await switchOf(page, w.surveys).getAttribute('aria-checked'), 'true', 'kept across "my data"');

    await shown(page).getByRole('button', { name: w.save, exact: true }).click();
    await outboxEmpty(page);
    assert.equal((await consentsOf(server)).purposes.find((p) => p.purpose === 'surveys').granted, true);
    assert.deepEqual(page.errors, []);
    await context.close();
  }));

  test(`${lang}: Save and the other answers are in view without scrolling, and stay there`, () => withServer(async (server) => {
    for (const viewport of [phone, { width: 320, height: 568 }]) {
      const { context, page } = await onPhone(server, lang);
      await page.setViewportSize(viewport);
      await widgetShown(page);
      await banner(page).getByRole('button', { name: w.choose }).click();
      const footer = shown(page).locator('.dc-dialog-foot');
      const inView = async () => {
        for (const button of await footer.getByRole('button').all()) {
          const box = await button.boundingBox();
          assert.ok(box.y >= 0 && box.y + box.height <= viewport.height && box.x >= 0 && box.x + box.width <= viewport.width,
            `${await button.innerText()} at ${viewport.width}px: ${JSON.stringify(box)}`);
        }
      };
      assert.equal(await footer.getByRole('button').count(), 3, '[Refuse all] [Save] [Accept all]');
      await inView();
      await shown(page).locator('.dc-dialog-body').evaluate((b) => { b.scrollTop = b.scrollHeight; });
      await inView();
      // The switch is on its title's line at every width.
      const title = await shown(page).getByRole('heading', { name: w.research }).boundingBox();
      const toggle = await switchOf(page, w.research).boundingBox();
      assert.ok(Math.abs((title.y + title.height / 2) - (toggle.y + toggle.height / 2)) < toggle.height / 2,
        `on one line at ${viewport.width}px: ${JSON.stringify({ title, toggle })}`);
      assert.equal(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), 0, 'no sideways scroll');
      await context.close();
    }
  }));

  test(`${lang}: every control measures at least 44 × 44 px, in every view`, () => withServer(async (server) => {
    const { context, page } = await onPhone(server, lang);
    await widgetShown(page);
    await screenshot(page, `banner-phone-${lang}`);
    assert.deepEqual(await smallControls(page), [], 'banner');
    await banner(page).getByRole('button', { name: w.choose }).click();
    await shown(page).locator('summary').click();
    assert.deepEqual(await smallControls(page), [], 'choices, with the necessary group open');
    await shown(page).getByRole('button', { name: w.clause }).click();
    await shown(page).locator('#dc-c2-2-6').waitFor();
    await shown(page).getByRole('button', { name: w.contents }).click();
    await screenshot(page, `contents-phone-${lang}`);
    assert.deepEqual(await smallControls(page), [], 'policy and its contents');
    await shown(page).getByRole('button', { name: w.back }).click();
    await shown(page).getByRole('button', { name: w.myData }).click();
    await shown(page).locator('.dc-category').first().waitFor();
    await screenshot(page, `my-data-phone-${lang}`);
    assert.deepEqual(await smallControls(page), [], 'my data');
    await page.keyboard.press('Escape');
    await shown(page).getByRole('button', { name: w.accept }).click();
    await page.getByRole('status').filter({ hasText: w.saved }).waitFor();
    await screenshot(page, `saved-phone-${lang}`);
    assert.deepEqual(await smallControls(page), [], 'settings button and toast');
    await context.close();
  }));

  test(`${lang}: "saved" shows beside the settings button, never over it, and goes by itself`, () => withServer(async (server) => {
    const { context, page } = await onPhone(server, lang);
    await widgetShown(page);
    await banner(page).getByRole('button', { name: w.accept }).click();
    const toast = page.getByRole('status').filter({ hasText: w.saved });
    await toast.waitFor();
    const settings = page.getByRole('button', { name: new RegExp(`^${w.settings} \\d/6$`) });
    assert.match(await settings.innerText(), /6\/6/, 'the button shows the state');
    const [a, b] = [await toast.boundingBox(), await settings.boundingBox()];
    const apart = a.x >= b.x + b.width || b.x >= a.x + a.width || a.y >= b.y + b.height || b.y >= a.y + a.height;
    assert.ok(apart, `toast ${JSON.stringify(a)} and button ${JSON.stringify(b)} do not overlap`);
    assert.ok(b.width <= 90, `the settings button is compact: ${b.width}px`);
    await settings.tap(); // still usable while the toast shows
    await shown(page).waitFor();
    await page.keyboard.press('Escape');
    await page.getByText(w.saved).waitFor({ state: 'hidden', timeout: 8000 });
    await context.close();
  }));

  test(`${lang}: turning a purpose off and saving tells the user at once that the withdrawal applies`, () => withServer(async (server) => {
    const { context, page } = await onPhone(server, lang);
    await widgetShown(page);
    await banner(page).getByRole('button', { name: w.accept }).click();
    await outboxEmpty(page);
    await page.getByRole('button', { name: new RegExp(`^${w.settings} \\d/6$`) }).tap();
    await switchOf(page, w.surveys).tap();
    await shown(page).getByRole('button', { name: w.save, exact: true }).tap();
    const told = page.getByRole('status').filter({ hasText: w.withdrawn });
    await told.waitFor();
    await told.getByRole('button', { name: w.application }).waitFor();
    await screenshot(page, `withdrawn-phone-${lang}`);
    await told.getByRole('button', { name: w.application }).tap();
    await shown(page).locator('pre.dc-application').waitFor();
    await screenshot(page, `application-phone-${lang}`);
    await shown(page).locator('.dc-send-to').waitFor();
    const withdrawals = (await ledgerOf(server)).filter((e) => e.kind === 'withdrawal');
    assert.equal(withdrawals.length, 1);
    await context.close();
  }));

  test(`${lang}: the policy keeps the reader's place: a trail of the section, contents to clauses, and back`, () => withServer(async (server) => {
    const { context, page } = await onPhone(server, lang, { colorScheme: lang === 'kk' ? 'dark' : 'light' });
    await widgetShown(page);
    await banner(page).getByRole('button', { name: w.choose }).click();
    await screenshot(page, `choices-phone-${lang}`);
    await shown(page).locator('summary').click();
    await screenshot(page, `choices-necessary-phone-${lang}`);
    await shown(page).getByRole('button', { name: w.clause }).click();
    const item = shown(page).locator('#dc-c2-2-6');
    await item.waitFor();
    const trail = shown(page).locator('.dc-trail');
    await page.waitForFunction((section) => {
      const t = document.querySelector('#dosmart-consent-host').shadowRoot.querySelector('.dc-trail-path');
      return t && t.textContent.startsWith(section) && t.textContent.includes('› 2.2');
    }, w.section2);
    const [bar, cited] = [await trail.boundingBox(), await item.boundingBox()];
    assert.ok(cited.y >= bar.y + bar.height - 1 && cited.y < phone.height, `the cited item is in view below the trail: ${JSON.stringify({ bar, cited })}`);
    await screenshot(page, `policy-phone-${lang}`);
    await trail.getByRole('button', { name: w.contents }).click();
    const toc = shown(page).locator('.dc-toc');
    const entries = await toc.locator('a').allInnerTexts();
    assert.ok(entries.some((e) => e.startsWith('2.2. ')), `clauses listed: ${entries.slice(0, 8)}`);
    assert.ok(!entries.some((e) => /^(\d+\.) \1/.test(e)), 'no number said twice');
    await toc.getByRole('link', { name: /^2\.5\. / }).click();
    await page.waitForFunction(() => document.querySelector('#dosmart-consent-host').shadowRoot.querySelector('.dc-trail-path').textContent.includes('› 2.5'));
    await context.close();
  }));
}

test('kk: the in-app screen is never blank; Back and the app\'s own back go one screen back, the last closes the screen', () => withServer(async (server) => {
  const token = await userToken(server, 'app-user');
  const { context, page } = await onPhone(server, 'kk', {
    path: `/app.html#token=${token}&lang=kk`,
    init: () => {
      window.__native = [];
      window.ReactNativeWebView = {
        postMessage: (json) => {
          const m = JSON.parse(json);
          window.__native.push(m.type);
          if (m.type === 'handshake') setTimeout(() => window.DosmartConsent.receive({ type: 'handshake', nonce: m.payload.nonce }));
        },
      };
    },
  });
  const w = words.kk;
  const closes = () => page.evaluate(() => window.__native.filter((t) => t === 'close').length);
  const oneScreen = async (what) => {
    assert.equal(await shown(page).count(), 1, `${what}: one screen shows`);
    const box = await shown(page).boundingBox();
    assert.ok(box.width >= phone.width - 1 && box.height >= phone.height - 1, `${what}: it fills the webview`);
  };
  await shown(page).waitFor();
  await oneScreen('choices');
  await screenshot(page, 'in-app-choices-phone-kk');
  // A top bar: the back arrow first, then the title.
  const head = shown(page).locator('.dc-dialog-head');
  assert.equal(await head.locator('button').first().getAttribute('aria-label'), w.back);

  await switchOf(page, w.surveys).tap();
  await shown(page).getByRole('button', { name: w.myData }).tap();
  await oneScreen('my data');
  await shown(page).getByRole('button', { name: w.back }).tap();
  await oneScreen('back from my data');
  await shown(page).getByRole('button', { name: w.clause }).tap();
  await shown(page).locator('#dc-c2-2-6').waitFor();
  await screenshot(page, 'in-app-policy-phone-kk');
  // The app's own back button or gesture: one screen back at every depth.
  await page.evaluate(() => window.DosmartConsent.receive({ type: 'close' }));
  await oneScreen('native back from the policy');
  assert.equal(await switchOf(page, w.surveys).getAttribute('aria-checked'), 'true', 'unsaved switch kept');
  assert.equal(await closes(), 0, 'nothing closed the screen yet');

  await shown(page).getByRole('button', { name: w.save, exact: true }).tap();
  await page.getByRole('status').filter({ hasText: w.saved }).waitFor();
  await oneScreen('after saving');
  assert.equal(await closes(), 0, 'saving does not close the screen');

  await shown(page).getByRole('button', { name: w.back }).tap();
  await page.waitForFunction(() => window.__native.includes('close'));
  await oneScreen('after asking the app to close');
  await page.evaluate(() => window.DosmartConsent.receive({ type: 'close' }));
  await page.waitForFunction(() => window.__native.filter((t) => t === 'close').length === 2);
  assert.deepEqual(page.errors, []);
  await context.close();
}));

test('ru: Tab order: the banner first; after answering, focus is back where it was; choices open on the first switch', () => withServer(async (server) => {
  const { context, page } = await onPhone(server, 'ru');
  await widgetShown(page);
  const focused = () => page.evaluate(() => {
    let e = document.activeElement;
    while (e.shadowRoot && e.shadowRoot.activeElement) e = e.shadowRoot.activeElement;
    const label = e.getAttribute('aria-labelledby');
    return `${e.getAttribute('role') || e.tagName}:${(label ? e.getRootNode().getElementById(label).textContent : e.textContent).trim()}`;
  });
  await page.keyboard.press('Tab');
  assert.ok(await page.evaluate(() => {
    let e = document.activeElement;
    while (e.shadowRoot && e.shadowRoot.activeElement) e = e.shadowRoot.activeElement;
    return e.closest('.dc-banner') !== null;
  }), `the first Tab stop is in the banner, not the page: ${await focused()}`);

  // From the page's first link, Shift+Tab reaches the banner's answers.
  const firstLink = page.locator('a[href]').first();
  const linkText = (await firstLink.textContent()).trim();
  await firstLink.focus();
  await page.keyboard.press('Shift+Tab');
  assert.equal(await focused(), 'BUTTON:Выбрать');
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Shift+Tab');
  assert.equal(await focused(), 'BUTTON:Принять все');
  await page.keyboard.press('Enter');
  await banner(page).waitFor({ state: 'detached' });
  assert.equal(await focused(), `A:${linkText}`, 'focus returns to where it was before the banner');

  await page.getByRole('button', { name: 'Настройки конфиденциальности' }).focus();
  await page.keyboard.press('Enter');
  await shown(page).waitFor();
  assert.equal(await focused(), 'switch:Предложения и продвижение', 'the choices open on the first switch');
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'BUTTON:Пункт 2.2.4', 'in each row the switch comes before its clause');
  await context.close();
}));
