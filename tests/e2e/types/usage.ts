// A storefront's own TypeScript using the loader's declarations (dist/consent.d.ts), as
// docs/embedding.md shows it. Checked by `tsc --strict` in types.test.mjs; each
// `@ts-expect-error` line must be refused, or the check fails.

window.dosmartConsentConfig = {
  api: 'https://consent.dosmart.kz',
  lang: 'kk',
  policyUrl: 'https://www.dosmart.kz/privacy',
  refreshToken: async () => (await (await fetch('/session/consent-token')).json()).token as string,
};

window.dosmartConsentQueue = window.dosmartConsentQueue || [];
if (Array.isArray(window.dosmartConsentQueue)) window.dosmartConsentQueue.push(['openPolicy', '2.2.5']);

const consent = window.DosmartConsent;
if (consent) {
  const unsubscribe = consent.onChange((state) => {
    if (state.purposes.research) loadAnalytics();
    const ads: 'granted' | 'denied' = state.consent_mode.ad_storage;
    console.log(state.edition ?? 'no edition yet', state.lang, ads, state.gpc, state.answered);
  });
  consent.setToken('eyJ…');
  consent.setToken(null);
  consent.setLanguage('ru');
  consent.openPolicy();
  consent.receive({ type: 'token_refresh', token: 'eyJ…' });
  unsubscribe();
  const now = consent.getState();
  if (now) console.log(now.purposes.personalised_ads);

  // @ts-expect-error: a language the widget does not speak
  consent.setLanguage('de');
  // @ts-expect-error: a misspelt purpose
  if (now) console.log(now.purposes.reserch);
  // @ts-expect-error: no such message
  consent.receive({ type: 'reload' });
}

window.addEventListener('dosmart:consent', (event) => {
  const granted: boolean = event.detail.purposes.surveys;
  console.log(granted);
});
window.addEventListener('dosmart:consent-error', (event) => console.warn(event.detail.what, event.detail.status));
window.addEventListener('dosmart:token-expired', () => console.log('sign in again'));

function loadAnalytics(): void {}
