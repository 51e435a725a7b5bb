/*
 * dosmart consent: the one script tag.
 *
 *   <script src="https://consent.dosmart.kz/consent.js" data-api="https://consent.dosmart.kz" data-lang="kk" async></script>
 *
 * Mounts the widget in a shadow root of its own (the page's CSS cannot restyle it, its CSS cannot
 * leak out), sets Google Consent Mode defaults at once, runs gated scripts and iframes only once
 * their purposes are granted, answers window.DosmartConsent, fires `dosmart:consent` on window,
 * and in the app's webview (data-mode="app") talks to the native side. Docs: docs/embedding.md.
 */
(function () {
  'use strict';
  if (window.DosmartConsent && window.DosmartConsent.version) return; // loaded twice: keep the first

  var script = document.currentScript;
  var data = (script && script.dataset) || {};
  var base = script ? new URL('.', script.src).href : new URL('/', location.href).href;
  var inApp = data.mode === 'app';
  // With data-nonce, only elements carrying the same nonce are ever activated: HTML that users
  // wrote (a product description, a review) cannot bring in a gated element of its own.
  var requiredNonce = data.nonce || '';
  var config = Object.assign({ api: data.api || '', lang: data.lang || '', tokenUrl: data.tokenUrl || '', inApp: inApp },
    window.dosmartConsentConfig || {}, fromFragment());

  // Consent Mode v2 before any tag can run: every optional signal denied (= the widget's
  // consent_mode for a user who has not answered; an end-to-end test holds them equal).
  var DEFAULTS = {
    ad_storage: 'denied', ad_user_data: 'denied', ad_personalization: 'denied', analytics_storage: 'denied',
    functionality_storage: 'granted', personalization_storage: 'denied', security_storage: 'granted',
  };
  signal('default', DEFAULTS);

  var current = null;
  var lastSignalled = JSON.stringify(DEFAULTS);
  var subscribers = [];
  var widget = null;
  var waiting = [];

  var api = {
    version: '1',
    showBanner: function () { command('showBanner'); },
    openChoices: function () { command('openChoices'); },
    /** @param {string} [clause] e.g. "2.2.5" */
    openPolicy: function (clause) { command('openPolicy', clause); },
    close: function () { command('close'); },
    setLanguage: function (lang) { command('setLanguage', lang); },
    setToken: function (token) { command('setToken', token); },
    getState: function () { return current && JSON.parse(JSON.stringify(current)); },
    onChange: function (callback) {
      subscribers.push(callback);
      if (current) callback(api.getState());
      return function unsubscribe() { subscribers = subscribers.filter(function (s) { return s !== callback; }); };
    },
    /** Messages from the native app: {type: "set_language", lang} | {type: "token_refresh", token} | {type: "close"} */
    receive: function (message) {
      if (typeof message === 'string') { try { message = JSON.parse(message); } catch (e) { return; } }
      if (!message || typeof message !== 'object') return;
      if (message.type === 'set_language') api.setLanguage(message.lang);
      else if (message.type === 'token_refresh') api.setToken(message.token);
      else if (message.type === 'close') api.close();
    },
  };
  window.DosmartConsent = api;

  // Calls the page made before this script ran: window.dosmartConsentQueue = [["openChoices"], …]
  var early = Array.isArray(window.dosmartConsentQueue) ? window.dosmartConsentQueue : [];
  window.dosmartConsentQueue = { push: function (call) { invoke(call); } };
  early.forEach(invoke);
  function invoke(call) {
    if (call && typeof api[call[0]] === 'function') api[call[0]].apply(api, [].slice.call(call, 1));
  }

  function command(name, arg) {
    if (widget) widget.consentCommand(name, arg === undefined ? null : arg);
    else waiting.push([name, arg]);
  }

  function fromFragment() {
    // In the app the token comes in the fragment (never the query: it would reach servers and
    // logs); it is taken out of the address at once.
    if (!inApp || !location.hash) return {};
    var params = new URLSearchParams(location.hash.slice(1));
    var found = {};
    if (params.get('token')) found.token = params.get('token');
    if (params.get('lang')) found.lang = params.get('lang');
    history.replaceState(null, '', location.pathname + location.search);
    return found;
  }

  function signal(kind, values) {
    if (typeof window.gtag === 'function') window.gtag('consent', kind, values);
    else (window.dataLayer = window.dataLayer || []).push(['consent', kind, values]);
  }

  // Fails closed: an element runs only when it names at least one purpose, every purpose it
  // names exists, and every one is granted. A mistake is named once in the console.
  var complained = typeof WeakSet === 'function' ? new WeakSet() : { has: function () { return false; }, add: function () {} };
  function refuse(element, why) {
    if (complained.has(element)) return false;
    complained.add(element);
    console.error('dosmart consent: not activated: ' + why, element);
    return false;
  }
  function granted(element, state) {
    var ids = (element.getAttribute('data-consent') || '').split(/\s+/).filter(Boolean);
    if (ids.length === 0) return refuse(element, 'data-consent names no purpose');
    for (var i = 0; i < ids.length; i++) {
      if (!Object.prototype.hasOwnProperty.call(state.purposes, ids[i])) {
        return refuse(element, 'data-consent names an unknown purpose "' + ids[i] + '"');
      }
    }
    return ids.every(function (p) { return state.purposes[p] === true; });
  }
  function trusted(element) {
    if (!requiredNonce) return true;
    var nonce = element.nonce || element.getAttribute('nonce') || '';
    return nonce === requiredNonce || refuse(element, 'its nonce is not the page\'s (data-nonce on the loader)');
  }
  /** Only http(s) addresses load: a javascript: or data: URL would run in the page's origin. */
  function safeUrl(element, attribute) {
    var raw = element.getAttribute(attribute);
    var url;
    try { url = new URL(raw, document.baseURI); } catch (e) { return refuse(element, attribute + ' is not a URL') || null; }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      return refuse(element, attribute + ' must be an http(s) URL, not ' + url.protocol) || null;
    }
    return url.href;
  }

  // Gated scripts and iframes: run once, only when every purpose they name is granted.
  function activate(state) {
    if (!state || !state.answered) return;
    document.querySelectorAll('script[type="text/plain"][data-consent]:not([data-consent-ran])').forEach(function (gated) {
      if (!trusted(gated) || !granted(gated, state)) return;
      if (gated.hasAttribute('src') && !safeUrl(gated, 'src')) return;
      gated.setAttribute('data-consent-ran', '');
      var live = document.createElement('script');
      [].forEach.call(gated.attributes, function (a) {
        if (a.name !== 'type' && a.name !== 'data-consent-ran') live.setAttribute(a.name, a.value);
      });
      if (requiredNonce) live.nonce = requiredNonce;
      live.type = gated.getAttribute('data-type') || 'text/javascript';
      if (!gated.src) live.text = gated.text;
      live.setAttribute('data-consent-ran', '');
      gated.parentNode.insertBefore(live, gated.nextSibling);
    });
    document.querySelectorAll('iframe[data-src][data-consent]:not([data-consent-ran])').forEach(function (frame) {
      if (!trusted(frame) || !granted(frame, state)) return;
      var src = safeUrl(frame, 'data-src');
      if (!src) return;
      frame.setAttribute('data-consent-ran', '');
      frame.src = src;
    });
  }

  new MutationObserver(function () { activate(current); }).observe(document.documentElement, { childList: true, subtree: true });

  function toNative(type, payload) {
    if (!inApp) return;
    var message = { source: 'dosmart-consent', type: type, payload: payload };
    var json = JSON.stringify(message);
    var w = window;
    if (w.webkit && w.webkit.messageHandlers && w.webkit.messageHandlers.dosmartConsent) w.webkit.messageHandlers.dosmartConsent.postMessage(message);
    if (w.DosmartConsentAndroid && typeof w.DosmartConsentAndroid.postMessage === 'function') w.DosmartConsentAndroid.postMessage(json);
    if (w.ReactNativeWebView && typeof w.ReactNativeWebView.postMessage === 'function') w.ReactNativeWebView.postMessage(json);
  }
  if (inApp) {
    // React Native's WebView posts to window on iOS and to document on Android. Only messages of
    // the page's own origin count: a framed or opened page of another origin is never heard.
    var fromNative = function (e) {
      if (e.origin === location.origin && (e.source === window || e.source === null)) api.receive(e.data);
    };
    window.addEventListener('message', fromNative);
    document.addEventListener('message', fromNative);
  }

  function onEvent(kind, payload) {
    if (kind === 'close') { toNative('close', {}); return; }
    if (kind === 'problem') {
      // Something the server refused: the page can log it; the widget tells the user.
      window.dispatchEvent(new CustomEvent('dosmart:consent-error', { detail: payload }));
      toNative('problem', payload);
      return;
    }
    if (kind === 'token_expired') { askForToken(); return; }
    if (kind !== 'change') return;
    current = payload;
    var signals = JSON.stringify(payload.consent_mode);
    if (payload.answered && signals !== lastSignalled) {
      lastSignalled = signals;
      signal('update', payload.consent_mode);
    }
    activate(payload);
    var state = api.getState();
    subscribers.forEach(function (s) { try { s(state); } catch (e) { setTimeout(function () { throw e; }); } });
    window.dispatchEvent(new CustomEvent('dosmart:consent', { detail: state }));
    toNative('consent_changed', state);
  }

  // The token expired while choices waited: ask the page (dosmartConsentConfig.refreshToken,
  // or a `dosmart:token-expired` listener) or the app (`token_expired`) for a fresh one, handed
  // back through setToken / token_refresh.
  function askForToken() {
    window.dispatchEvent(new CustomEvent('dosmart:token-expired'));
    toNative('token_expired', {});
    var refresh = window.dosmartConsentConfig && window.dosmartConsentConfig.refreshToken;
    if (typeof refresh !== 'function') return;
    Promise.resolve()
      .then(function () { return refresh(); })
      .then(function (token) { if (typeof token === 'string' && token) api.setToken(token); })
      .catch(function (e) { console.error('dosmart consent: refreshToken failed', e); });
  }

  function mount() {
    var host = document.createElement('div');
    host.id = 'dosmart-consent-host';
    // Takes no room: the widget inside is fixed-position, so the page never shifts.
    host.setAttribute('style', 'all: initial; position: static; display: contents;');
    var shadow = host.attachShadow({ mode: 'open' });
    var style = document.createElement('link');
    style.rel = 'stylesheet';
    style.href = base + 'consent.css';
    var root = document.createElement('div');
    shadow.append(style, root);
    document.body.appendChild(host);
    window.__dosmartConsentEmbed = true;
    import(base + 'consent-widget.js')
      .then(function (module) {
        return module.default({ module_or_path: base + 'consent-widget_bg.wasm' }).then(function () {
          module.mountConsentWidget(root, config, onEvent);
          widget = module;
          waiting.splice(0).forEach(function (c) { command(c[0], c[1]); });
          toNative('ready', { version: api.version });
        });
      })
      .catch(function (e) { console.error('dosmart consent could not start', e); });
  }
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
})();
