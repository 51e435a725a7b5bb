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

  function granted(purposes, state) {
    return purposes.split(/\s+/).filter(Boolean).every(function (p) { return state.purposes[p] === true; });
  }

  // Gated scripts and iframes: run once, only when every purpose they name is granted.
  function activate(state) {
    if (!state || !state.answered) return;
    document.querySelectorAll('script[type="text/plain"][data-consent]:not([data-consent-ran])').forEach(function (gated) {
      if (!granted(gated.getAttribute('data-consent'), state)) return;
      gated.setAttribute('data-consent-ran', '');
      var live = document.createElement('script');
      [].forEach.call(gated.attributes, function (a) {
        if (a.name !== 'type' && a.name !== 'data-consent-ran') live.setAttribute(a.name, a.value);
      });
      live.type = gated.getAttribute('data-type') || 'text/javascript';
      if (!gated.src) live.text = gated.text;
      live.setAttribute('data-consent-ran', '');
      gated.parentNode.insertBefore(live, gated.nextSibling);
    });
    document.querySelectorAll('iframe[data-src][data-consent]:not([data-consent-ran])').forEach(function (frame) {
      if (!granted(frame.getAttribute('data-consent'), state)) return;
      frame.setAttribute('data-consent-ran', '');
      frame.src = frame.getAttribute('data-src');
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
    // React Native's WebView posts to window on iOS and to document on Android.
    var fromNative = function (e) { if (e.source === window || e.source === null) api.receive(e.data); };
    window.addEventListener('message', fromNative);
    document.addEventListener('message', fromNative);
  }

  function onEvent(kind, payload) {
    if (kind === 'close') { toNative('close', {}); return; }
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
