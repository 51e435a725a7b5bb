// Types of the dosmart.kz consent loader (`consent.js`): `window.DosmartConsent`, the page's
// configuration and queue, and the events on `window`. Shipped beside the loader
// (`/consent.d.ts`); docs/embedding.md describes each member. Reference it from a project with
// `/// <reference path="./consent.d.ts" />` or list it in tsconfig's "files".

export {};

declare global {
  /** A processing purpose of the catalog (`policy/purposes.json`). */
  type DosmartPurposeId =
    | 'service'
    | 'contracts'
    | 'legal_obligations'
    | 'it_providers'
    | 'service_messages'
    | 'promotion'
    | 'contests_publicity'
    | 'surveys'
    | 'personalised_ads'
    | 'research'
    | 'cross_border';

  type DosmartLang = 'kk' | 'ru' | 'en';

  /** A Google Consent Mode v2 type, as `gtag('consent', …)` names it. */
  type DosmartConsentModeType =
    | 'ad_storage'
    | 'ad_user_data'
    | 'ad_personalization'
    | 'analytics_storage'
    | 'functionality_storage'
    | 'personalization_storage'
    | 'security_storage';

  /** What `getState()` returns and the `dosmart:consent` event carries. */
  interface DosmartConsentState {
    /** Whether the person using the page has answered. */
    answered: boolean;
    /** The edition of the policy in force, e.g. "2026-11". */
    edition: string | null;
    /** Each purpose: granted or not (necessary purposes are always granted). */
    purposes: Record<DosmartPurposeId, boolean>;
    consent_mode: Record<DosmartConsentModeType, 'granted' | 'denied'>;
    /** The browser sends Global Privacy Control. */
    gpc: boolean;
    lang: DosmartLang;
  }

  /** A message from the native app (`receive`). */
  type DosmartNativeMessage =
    | { type: 'handshake'; nonce: string }
    | { type: 'set_language'; lang: DosmartLang }
    | { type: 'token_refresh'; token: string }
    | { type: 'close' };

  interface DosmartConsentApi {
    readonly version: string;
    /** Shows the banner again, answered or not. */
    showBanner(): void;
    /** Opens the per-purpose choices. */
    openChoices(): void;
    /** Opens the policy, at a clause or item if given, e.g. "2.2.5". */
    openPolicy(clause?: string): void;
    /** Closes every open screen (in the app: one screen back). */
    close(): void;
    setLanguage(lang: DosmartLang): void;
    /** Signed in, refreshed, or `null` for signed out; another `sub` is another person. */
    setToken(token: string | null): void;
    /** The state as the page sees it; `null` until one is known. */
    getState(): DosmartConsentState | null;
    /** Calls `listener` now (if a state is known) and on every change; returns the unsubscribe. */
    onChange(listener: (state: DosmartConsentState) => void): () => void;
    /** A message from the native app, as an object or its JSON text. */
    receive(message: DosmartNativeMessage | string): void;
  }

  /** Set before the loader's tag, or read from its `data-*` attributes. */
  interface DosmartConsentConfig {
    /** The consent server; '' for the page's own origin. */
    api?: string;
    lang?: DosmartLang;
    /** The signed-in user's token. */
    token?: string;
    /** Where the widget fetches a token itself (answers `{ "token": "…" }`). */
    tokenUrl?: string;
    /** The site's privacy policy page, linked where the widget cannot start. */
    policyUrl?: string;
    /** Asked for a fresh token when one expired while choices waited. */
    refreshToken?: () => string | Promise<string>;
  }

  /** What `dosmart:consent-error` carries: something the server refused. */
  interface DosmartConsentProblem {
    what: 'choices_held' | 'choices_dropped' | 'events_held' | 'event_dropped';
    status: number;
    error: string;
    message: string;
  }

  /** Calls made before the loader ran: `["openPolicy", "2.2.5"]`. */
  type DosmartQueuedCall = [keyof DosmartConsentApi, ...unknown[]];

  interface Window {
    DosmartConsent?: DosmartConsentApi;
    dosmartConsentConfig?: DosmartConsentConfig;
    dosmartConsentQueue?: DosmartQueuedCall[] | { push(call: DosmartQueuedCall): void };
  }

  interface WindowEventMap {
    'dosmart:consent': CustomEvent<DosmartConsentState>;
    'dosmart:consent-error': CustomEvent<DosmartConsentProblem>;
    'dosmart:token-expired': Event;
  }
}
