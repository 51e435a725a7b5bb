/*
 * dosmart consent: the one script tag.
 *
 *   <script src="https://consent.dosmart.kz/consent.js" data-api="https://consent.dosmart.kz" data-lang="kk" async></script>
 *
 * Mounts the widget in a shadow root of its own (the page's CSS cannot restyle it, its CSS cannot
 * leak out), sets Google Consent Mode defaults at once, runs gated scripts and iframes only once
 * their purposes are granted, answers window.DosmartConsent, fires `dosmart:consent` on window,
 * and in the app's webview (data-mode="app") talks to the native side. Docs: docs/embedding.md.
 *
 * It costs the page as little as it can: the build (scripts/build-widget.sh) puts the banner,
 * prerendered from the widget's own components in kk, ru and en, and the CSS into this file, so
 * the banner is painted without any other request; the wasm loads behind it. A returning visitor
 * whose answer is known and fresh gets their gated scripts and Consent Mode update from the state
 * kept in localStorage, and no wasm at all until something needs it.
 */
(function () {
  'use strict';
  // The page's HTML may hold markup nobody scripted (a product description, a review), and an
  // element's `name` or `id` shadows globals and the document's own members (DOM clobbering):
  // `<img name="currentScript">` is `document.currentScript`, `<a id="dataLayer">` is
  // `window.dataLayer`. So the document is read through its prototype, which markup cannot
  // shadow, and a global only where a script put it (an own property of window, of the type
  // expected); anything else is ignored and said so in the console.
  var DOC = Document.prototype;
  /** `document[name]` as the browser defines it, whatever the page's markup names itself. */
  function fromDocument(name) {
    for (var proto = DOC; proto; proto = Object.getPrototypeOf(proto)) {
      var own = Object.getOwnPropertyDescriptor(proto, name);
      if (own) return own.get ? own.get.call(document) : own.value;
    }
  }
  function makeElement(tag) { return DOC.createElement.call(document, tag); }
  function queryAll(selector) { return DOC.querySelectorAll.call(document, selector); }
  function onDocument(type, listener) { EventTarget.prototype.addEventListener.call(document, type, listener); }
  var warned = {};
  function warn(what) { if (!warned[what]) console.warn('dosmart consent: ' + what); warned[what] = true; }
  function isPlainObject(value) {
    return value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
  }
  /** A global the page's scripts set, if `valid` says it is what they would set. */
  function pageGlobal(name, valid) {
    var value = Object.prototype.hasOwnProperty.call(window, name) ? window[name] : undefined;
    if (value === undefined ? name in window : !valid(value)) { warn('window.' + name + ' ignored: markup, or not what a script sets'); value = undefined; }
    return value;
  }
  function isFunction(value) { return typeof value === 'function'; }

  // The loader never reads these as `document.x`; the page's owner is told they are shadowed.
  ['currentScript', 'body', 'documentElement', 'baseURI', 'createElement', 'querySelectorAll', 'addEventListener'].forEach(function (name) {
    if (document[name] !== fromDocument(name)) warn('document.' + name + ' ignored: shadowed by markup');
  });

  var existing = pageGlobal('DosmartConsent', isPlainObject);
  if (existing && typeof existing.version === 'string') return; // loaded twice: keep the first

  // Read once, here: only while this script runs is it the script running.
  var script = fromDocument('currentScript');
  if (!(script instanceof HTMLScriptElement)) script = null;
  var data = (script && script.dataset) || {};
  // Where the widget's files are: beside this script, never anywhere the page's markup says.
  var base = script ? new URL('.', script.src).href : new URL('/', location.href).href;
  var inApp = data.mode === 'app';
  // With data-nonce, only elements carrying the same nonce are ever activated: HTML that users
  // wrote (a product description, a review) cannot bring in a gated element of its own.
  var requiredNonce = data.nonce || '';
  var pageConfig = pageGlobal('dosmartConsentConfig', isPlainObject) || {};
  var fragment = fromFragment();
  var config = Object.assign({ api: data.api || '', lang: data.lang || '', tokenUrl: data.tokenUrl || '', policyUrl: data.policyUrl || '', inApp: inApp },
    pageConfig, { lang: fragment.lang || pageConfig.lang || data.lang || '' });

  // Consent Mode v2 before any tag can run: what the necessary purposes grant, every optional
  // type denied. Written by the build from the catalog (`consent_mode` in policy/purposes.json),
  // so it is the widget's own consent_mode for a user who has not answered; an end-to-end test
  // holds them equal. Served straight from static/ (development) nothing is granted.
  var DEFAULTS = /*@dosmart-consent-default@*/null || {
    ad_storage: 'denied', ad_user_data: 'denied', ad_personalization: 'denied', analytics_storage: 'denied',
    functionality_storage: 'denied', personalization_storage: 'denied', security_storage: 'denied',
  };
  // Google's tags hold their first hit this long for the update that follows the default.
  var WAIT_FOR_UPDATE_MS = 500;
  // A page that set the default itself, in the inline snippet before its tags (docs/embedding.md),
  // keeps it: the loader only updates.
  if (!defaultSetByPage()) signal('default', Object.assign({}, DEFAULTS, { wait_for_update: WAIT_FOR_UPDATE_MS }));

  // Filled in by the build, as JSON text: {glue, wasm, styles, banner, banner_gpc, settings};
  // null when served straight from static/ (development), which loads the widget as it is.
  // Text, parsed only when wanted: a returning visitor's page need not compile the markup.
  var BUILD_TEXT = /*@dosmart-build@*/null;
  var built = null;
  function build() { return built || (built = JSON.parse(BUILD_TEXT)); }
  var KEYS = { state: 'dosmart-consent:state', lang: 'dosmart-consent:lang', outbox: 'dosmart-consent:outbox', served: 'dosmart-consent:' };
  /** A kept answer older than this is checked by the widget against the server. */
  var FRESH_MS = 24 * 3600 * 1000;
  /** How long the app has to answer the handshake for a token in the address. */
  var HANDSHAKE_MS = 5000;

  var current = null;
  // The first answer is always told, even one equal to the default: the tags wait for it.
  var lastSignalled = null;
  var subscribers = [];
  var widget = null;
  var loading = null;
  var waiting = [];
  var host = null;
  var shadow = null;
  var root = null;
  var prerendered = null;
  var pressed = false; // a pointer is down on the prerendered banner
  var handingOver = false; // the widget took over during that press
  var lastOnPage = null;
  var token = config.token || '';
  // Anyone can send a link to app.html#token=THEIRS: opened in a browser, the user's answers
  // would go into the sender's account (login CSRF). A token in the address counts only once
  // the app's native side confirms it, answering a fresh nonce sent through its bridge; the
  // widget waits for that (or gives up) before it starts. Without a bridge it is dropped.
  var handshake = fragment.token ? askNative(fragment.token) : null;

  var api = {
    version: '1',
    showBanner: function () { command('showBanner'); },
    openChoices: function () { command('openChoices'); },
    /** @param {string} [clause] e.g. "2.2.5" */
    openPolicy: function (clause) { command('openPolicy', clause); },
    close: function () { command('close'); },
    setLanguage: function (lang) { command('setLanguage', lang); },
    setToken: function (fresh) {
      var before = personOf(token);
      token = fresh || '';
      if (personOf(token) !== before) anotherPerson();
      command('setToken', fresh);
    },
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
      else if (message.type === 'handshake' && handshake) handshake.answer(message.nonce);
    },
  };
  window.DosmartConsent = api;

  // Calls the page made before this script ran: window.dosmartConsentQueue = [["openChoices"], …]
  var early = pageGlobal('dosmartConsentQueue', Array.isArray) || [];
  window.dosmartConsentQueue = { push: function (call) { invoke(call); } };
  early.forEach(invoke);
  function invoke(call) {
    if (call && typeof api[call[0]] === 'function') api[call[0]].apply(api, [].slice.call(call, 1));
  }

  /** Everything the page or the user asks of the widget: it loads the widget if need be. */
  function command(name, arg) {
    if (widget) widget.consentCommand(name, arg === undefined ? null : arg);
    else { waiting.push([name, arg]); loadWidget(); }
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

  /** Sends the native side a nonce to answer with `{type: "handshake", nonce}`; `settled`
   *  resolves once it has (the token is then used) or cannot (the token is dropped). */
  function askNative(addressToken) {
    var nonce = Array.prototype.map.call(crypto.getRandomValues(new Uint8Array(16)), function (b) {
      return (b + 256).toString(16).slice(1);
    }).join('');
    var done;
    var asked = { settled: new Promise(function (resolve) { done = resolve; }), answer: null };
    function settle(confirmed) {
      asked.answer = function () {};
      if (confirmed) { token = addressToken; config.token = addressToken; }
      else warn('token in the address was ignored: only the app may hand one over (handshake)');
      done();
    }
    asked.answer = function (answered) { if (answered === nonce) settle(true); };
    if (!toNative('handshake', { nonce: nonce })) settle(false);
    else setTimeout(function () { settle(false); }, HANDSHAKE_MS);
    return asked;
  }

  function signal(kind, values) { gtagCommand('consent', kind, values); }

  /** A command as Google's tags read it: through the page's gtag() when it has one, else pushed
   *  as gtag() pushes it, an `arguments` object (GTM ignores arrays). */
  function gtagCommand() {
    var gtag = pageGlobal('gtag', isFunction);
    if (gtag) gtag.apply(null, arguments);
    else dataLayer().push(arguments);
  }

  /** The page's dataLayer: an array whose push GTM may replace; anything else is made anew. */
  function dataLayer() {
    var layer = pageGlobal('dataLayer', Array.isArray);
    return layer || (window.dataLayer = []);
  }

  function defaultSetByPage() {
    var layer = pageGlobal('dataLayer', Array.isArray);
    return Boolean(layer) && layer.some(function (entry) {
      return Boolean(entry) && entry[0] === 'consent' && entry[1] === 'default';
    });
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
    try { url = new URL(raw, fromDocument('baseURI')); } catch (e) { return refuse(element, attribute + ' is not a URL') || null; }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      return refuse(element, attribute + ' must be an http(s) URL, not ' + url.protocol) || null;
    }
    return url.href;
  }

  // Gated scripts and iframes: run once, only when every purpose they name is granted.
  function activate(state) {
    if (!state || !state.answered) return;
    queryAll('script[type="text/plain"][data-consent]:not([data-consent-ran])').forEach(function (gated) {
      if (!trusted(gated) || !granted(gated, state)) return;
      if (gated.hasAttribute('src') && !safeUrl(gated, 'src')) return;
      gated.setAttribute('data-consent-ran', '');
      var live = makeElement('script');
      [].forEach.call(gated.attributes, function (a) {
        if (a.name !== 'type' && a.name !== 'data-consent-ran') live.setAttribute(a.name, a.value);
      });
      if (requiredNonce) live.nonce = requiredNonce;
      live.type = gated.getAttribute('data-type') || 'text/javascript';
      if (!gated.src) live.text = gated.text;
      live.setAttribute('data-consent-ran', '');
      gated.parentNode.insertBefore(live, gated.nextSibling);
    });
    queryAll('iframe[data-src][data-consent]:not([data-consent-ran])').forEach(function (frame) {
      if (!trusted(frame) || !granted(frame, state)) return;
      var src = safeUrl(frame, 'data-src');
      if (!src) return;
      frame.setAttribute('data-consent-ran', '');
      frame.src = src;
    });
  }

  new MutationObserver(function () { keepHostAttached(); activate(current); })
    .observe(fromDocument('documentElement'), { childList: true, subtree: true });

  /** A router that replaces the body (React, Vue, Turbo, Next.js) takes the host away with the
   *  old one. It goes into the new body before the next frame, the widget inside it as it was:
   *  its state, the settings button, an open dialog. */
  function keepHostAttached() {
    var body = fromDocument('body');
    if (host && !host.isConnected && body) body.insertBefore(host, body.firstChild);
  }

  /** Sends the app a message through every bridge present; whether there was one. */
  function toNative(type, payload) {
    if (!inApp) return false;
    var message = { source: 'dosmart-consent', type: type, payload: payload };
    var json = JSON.stringify(message);
    var webkit = pageGlobal('webkit', Boolean);
    var handler = webkit && webkit.messageHandlers && webkit.messageHandlers.dosmartConsent;
    if (handler && typeof handler.postMessage === 'function') handler.postMessage(message);
    var android = pageGlobal('DosmartConsentAndroid', Boolean);
    if (android && typeof android.postMessage === 'function') android.postMessage(json);
    var reactNative = pageGlobal('ReactNativeWebView', Boolean);
    if (reactNative && typeof reactNative.postMessage === 'function') reactNative.postMessage(json);
    return [handler, android, reactNative].some(function (bridge) { return bridge && typeof bridge.postMessage === 'function'; });
  }
  if (inApp) {
    // React Native's WebView posts to window on iOS and to document on Android, with an empty
    // origin, as Android's postWebMessage does. Heard: those, and messages of the page's own
    // origin, from this window alone. A framed or opened page is never heard: the browser gives
    // its messages its own origin (or "null") and its window as the source.
    var fromNative = function (e) {
      var fromApp = e.origin === '' || e.origin === location.origin;
      if (fromApp && (e.source === window || e.source === null)) api.receive(e.data);
    };
    window.addEventListener('message', fromNative);
    onDocument('message', fromNative);
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
    if (kind === 'ready_view') { handOver(); return; }
    if (kind !== 'change') return;
    // What the widget says is kept for the next page view (see rememberedAnswer).
    if (payload.answered) keep(KEYS.state, JSON.stringify({ state: payload, at: Date.now(), person: fingerprint(personOf(token)) }));
    apply(payload);
  }

  /** The state as the page sees it: gating, Consent Mode, subscribers, the event, the app. */
  function apply(payload) {
    current = payload;
    var signals = JSON.stringify(payload.consent_mode);
    var state = api.getState();
    // Once told, Consent Mode hears every change, a step back to the default too.
    if ((payload.answered || lastSignalled !== null) && signals !== lastSignalled) {
      lastSignalled = signals;
      signal('update', payload.consent_mode);
      // For GTM triggers: a custom event after each update, with the state that made it.
      dataLayer().push({ event: 'dosmart_consent_update', dosmart_consent: api.getState() });
    }
    activate(payload);
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
    var refresh = (pageGlobal('dosmartConsentConfig', isPlainObject) || {}).refreshToken; // as it is now
    if (typeof refresh !== 'function') return;
    Promise.resolve()
      .then(function () { return refresh(); })
      .then(function (token) { if (typeof token === 'string' && token) api.setToken(token); })
      .catch(function (e) { console.error('dosmart consent: refreshToken failed', e); });
  }

  function stored(key) { try { return localStorage.getItem(key); } catch (e) { return null; } }
  function keep(key, value) { try { localStorage.setItem(key, value); } catch (e) { /* private mode: forgets sooner */ } }

  /** Tells one account's token from another's without keeping the token. */
  function fingerprint(text) {
    var h = 5381;
    for (var i = 0; i < text.length; i++) h = ((h << 5) + h + text.charCodeAt(i)) | 0;
    return text ? String(h >>> 0) : '';
  }

  /** Who a token names: its `sub`, read but not verified, only to tell one person from another
   *  (a forged one can only make the loader more careful). '' for no token; the token itself
   *  when it cannot be read. */
  function personOf(t) {
    if (!t) return '';
    try {
      var sub = JSON.parse(atob(t.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))).sub;
      return typeof sub === 'string' && sub ? 'user:' + sub : t;
    } catch (e) { return t; }
  }

  /** Signed in, out, or as someone else: nothing the one before granted applies any more. Their
   *  own kept answer applies at once where this browser has it; otherwise, until the widget has
   *  their state, only the necessary purposes do: gating pauses, Consent Mode goes back to the
   *  default. */
  function anotherPerson() {
    var theirs = rememberedAnswer();
    if (theirs) apply(Object.assign({}, theirs, { lang: language() }));
    else if (current) apply(necessaryOnly(current));
  }

  function necessaryOnly(state) {
    var optional = BUILD_TEXT ? build().consent_purposes : null;
    var purposes = {};
    Object.keys(state.purposes).forEach(function (p) {
      purposes[p] = Boolean(optional) && optional.indexOf(p) < 0 && state.purposes[p] === true;
    });
    return { answered: false, edition: state.edition, purposes: purposes, consent_mode: DEFAULTS, gpc: state.gpc, lang: state.lang };
  }

  /** As the widget chooses: the page's, then the user's own, then the browser's, then Kazakh. */
  function language() {
    var known = ['kk', 'ru', 'en'];
    if (known.indexOf(config.lang) >= 0) return config.lang;
    if (known.indexOf(stored(KEYS.lang)) >= 0) return stored(KEYS.lang);
    var tags = navigator.languages || [navigator.language || ''];
    for (var i = 0; i < tags.length; i++) {
      var primary = String(tags[i]).split(/[-_]/)[0].toLowerCase();
      if (known.indexOf(primary) >= 0) return primary;
    }
    return 'kk';
  }

  /** The answer this browser gave, if it can stand in for the widget: fresh, fully delivered, same account. */
  function rememberedAnswer() {
    if (!BUILD_TEXT || inApp) return null;
    var saved = null;
    try { saved = JSON.parse(stored(KEYS.state) || 'null'); } catch (e) { return null; }
    if (!saved || !saved.state || !saved.state.answered) return null;
    if (!(Date.now() - saved.at < FRESH_MS)) return null;
    if (stored(KEYS.outbox) !== null) return null; // something waits to be sent: the widget sends it
    if (saved.person !== fingerprint(personOf(token))) return null; // another person's
    return saved.state;
  }

  /** Paints the build's markup (banner or settings button) until the widget takes over. */
  function showPrerendered(kind) {
    var lang = language();
    var gpc = navigator.globalPrivacyControl === true;
    var html = kind === 'settings' ? build().settings[lang] : (gpc ? build().banner_gpc : build().banner)[lang];
    removePrerendered();
    prerendered = makeElement('div');
    prerendered.className = 'dc-root';
    prerendered.lang = lang;
    prerendered.setAttribute('data-prerendered', kind);
    prerendered.innerHTML = html; // the build's own markup, never page or user input
    prerendered.addEventListener('click', onPrerenderedClick);
    prerendered.addEventListener('pointerdown', onPress);
    if (kind === 'settings' && remembered) {
      // "3/6": how many consent purposes are on, from the kept answer.
      var ids = build().consent_purposes;
      prerendered.querySelector('.dc-count').textContent =
        ids.filter(function (p) { return remembered.purposes[p] === true; }).length + '/' + ids.length;
    }
    shadow.insertBefore(prerendered, root);
  }

  function removePrerendered() {
    if (prerendered) prerendered.remove();
    prerendered = null;
    if (root) root.style.visibility = '';
  }

  /** The widget has taken over: its own view replaces the prerendered one, but not under a
   *  finger. A press must end on what it began on, or its click goes nowhere and the tap is
   *  lost: until then the widget's view stays hidden behind the prerendered one. */
  function handOver() {
    handingOver = pressed;
    if (pressed) root.style.visibility = 'hidden';
    else removePrerendered();
  }

  function onPress() {
    pressed = true;
    window.addEventListener('pointerup', onRelease, true);
    window.addEventListener('pointercancel', onRelease, true);
  }

  function onRelease() {
    window.removeEventListener('pointerup', onRelease, true);
    window.removeEventListener('pointercancel', onRelease, true);
    pressed = false;
    if (!handingOver) return;
    handingOver = false;
    // The click comes after the release (after a touch, in a later task): the prerendered
    // banner stays until it has been handled, or until it is clear that none is coming.
    var late = setTimeout(handedOver, 500);
    window.addEventListener('click', afterClick, true);
    function afterClick() { setTimeout(handedOver, 0); }
    function handedOver() {
      clearTimeout(late);
      window.removeEventListener('click', afterClick, true);
      removePrerendered();
    }
  }

  /** A click before the widget runs is not lost: answers close the banner at once and are
   *  carried out by the widget when it has loaded. */
  function onPrerenderedClick(event) {
    var button = event.target.closest('[data-action]');
    if (!button) return;
    var action = button.getAttribute('data-action');
    if (action.indexOf('lang:') === 0) {
      var chosen = action.slice(5);
      keep(KEYS.lang, chosen);
      if (config.lang) config.lang = chosen; // the user's own choice beats the page's from now on
      showPrerendered(prerendered.getAttribute('data-prerendered'));
      prerendered.querySelector('[data-action="' + action + '"]').focus();
      command('setLanguage', chosen); // the widget may already be running behind the banner
      return;
    }
    if (action === 'accept_all' || action === 'refuse_optional') {
      removePrerendered();
      // Focus goes back where it was before the banner, not to the top of the page.
      if (lastOnPage && lastOnPage.isConnected) lastOnPage.focus();
    }
    command('act', action);
  }

  /** A new edition is noticed without the wasm: one small, cacheable request. */
  function checkEdition(known) {
    fetch(apiUrl('/v1/policy/current'))
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (edition) { if (edition && edition.version !== known) loadWidget(); })
      .catch(function () { /* offline: the kept answer stands */ });
  }

  /** Signed in with no answer kept here: has the user answered on another device? */
  function answeredElsewhere() {
    return fetch(apiUrl('/v1/consents'), { headers: { Authorization: 'Bearer ' + token } })
      .then(function (r) { return r.ok ? r.json() : { answered: false }; })
      .then(function (state) { return state.answered === true; })
      .catch(function () { return false; });
  }

  function loadWidget() {
    if (unavailable) { showUnavailable(); return null; }
    if (loading) return loading;
    if (handshake) return (loading = handshake.settled.then(function () { handshake = loading = null; return loadWidget(); }));
    if (!fromDocument('body')) { onDocument('DOMContentLoaded', loadWidget); return null; }
    attachHost();
    var glue = base + (BUILD_TEXT ? build().glue : 'consent-widget.js');
    var wasm = base + (BUILD_TEXT ? build().wasm : 'consent-widget_bg.wasm');
    var lang;
    loading = import(glue)
      .then(function (module) {
        // Beside the wasm, not after it: the catalog and the widget's words in the one language
        // it will speak, which the wasm does not carry. Asked again if the user switched meanwhile.
        var asked = language();
        return Promise.all([module.default({ module_or_path: wasm }), served(asked)]).then(function (got) {
          lang = language();
          return lang === asked ? got[1] : served(lang);
        }).then(function (read) {
          module.mountConsentWidget(root, config, onEvent, read[0], lang, read[1]);
          widget = module;
          waiting.splice(0).forEach(function (c) { command(c[0], c[1]); });
          toNative('ready', { version: api.version });
        });
      })
      .catch(function (e) {
        loading = null;
        var blocked = blockedBy(e);
        if (blocked) {
          // It will not load on this page, however often it is asked: say why, once, and tell
          // whoever asked for a screen.
          console.error('dosmart consent: the widget cannot start on this page: ' + blocked, e);
          showUnavailable();
          return;
        }
        // Offline, or the network dropped: what was asked waits, and the next try comes when
        // the browser is back online (or at the next call).
        console.error('dosmart consent could not start', e);
        window.addEventListener('online', loadWidget, { once: true });
      });
    return loading;
  }

  // What the page's Content-Security-Policy refused of the widget's, to name the cause.
  var refusedByPolicy = null;
  onDocument('securitypolicyviolation', function (e) {
    if (e.blockedURI === 'wasm-eval' || String(e.blockedURI).indexOf(base) === 0) refusedByPolicy = e;
  });

  /** Why the widget can never start on this page, if that is why it failed: its policy, or a
   *  browser without WebAssembly. Null for what may pass (the network). */
  function blockedBy(error) {
    if (typeof WebAssembly !== 'object') return 'this browser has no WebAssembly';
    var refused = refusedByPolicy;
    var compile = error instanceof WebAssembly.CompileError;
    // The violation event may come after the failure: the error's own words say it too.
    if ((refused && refused.blockedURI === 'wasm-eval') || (compile && /content.security.polic/i.test(error.message))) {
      return "the page's Content-Security-Policy does not allow WebAssembly: add 'wasm-unsafe-eval' to script-src";
    }
    if (refused) {
      return "the page's Content-Security-Policy (" + refused.effectiveDirective + ') refuses ' + refused.blockedURI;
    }
    return compile ? 'its WebAssembly could not be compiled' : null;
  }

  /** Said where the widget would have opened: it cannot here; the choices made so far stand;
   *  the policy can still be read. In the visitor's language, from the widget's words, which
   *  the API serves (and this browser may keep): only a page that needs them pays for them. */
  var unavailable = null;
  function showUnavailable() {
    if (unavailable) return;
    unavailable = makeElement('div');
    var lang = language();
    fromApi('/v1/texts?lang=' + lang, 'texts:' + lang).then(JSON.parse).then(function (words) {
      attachHost();
      // Its buttons could do nothing here: the message takes its place.
      removePrerendered();
      unavailable.className = 'dc-root dc-unavailable-root';
      unavailable.lang = lang;
      var place = makeElement('div');
      place.className = 'dc-toast';
      var alert = makeElement('div');
      alert.setAttribute('role', 'alert');
      var notice = makeElement('div');
      notice.className = 'dc-notice dc-notice-error dc-unavailable';
      var text = makeElement('p');
      text.textContent = words.widget_unavailable;
      notice.append(text);
      alert.append(notice);
      place.append(alert);
      unavailable.append(place);
      shadow.append(unavailable);
      return policyLink(lang, words.read_policy).then(function (link) { if (link) notice.append(link); });
    }).catch(function (e) {
      // Offline as well: the next ask tries again.
      unavailable = null;
      console.error('dosmart consent: cannot say that the widget cannot start', e);
    });
  }

  function httpUrl(text) {
    try {
      var url = new URL(text, location.href);
      return text && /^https?:$/.test(url.protocol) ? url.href : '';
    } catch (e) { return ''; }
  }

  /** The policy in force, to read without the widget: the page's own (data-policy-url), else
   *  the edition's text as the server keeps it. */
  function policyLink(lang, words) {
    var own = httpUrl(config.policyUrl);
    var href = own ? Promise.resolve(own) : fetch(apiUrl('/v1/policy/current'))
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (edition) {
        var published = lang === 'en' ? 'ru' : lang;
        return edition && apiUrl('/v1/policy/' + encodeURIComponent(edition.version) + '/source?lang=' + published);
      })
      .catch(function () { return null; });
    return href.then(function (url) {
      if (!url) return null;
      var link = makeElement('a');
      link.className = 'dc-notice-action';
      link.href = url;
      link.target = '_blank';
      link.rel = 'noopener';
      link.textContent = words;
      return link;
    });
  }

  function served(lang) {
    return Promise.all([fromApi('/v1/catalog', 'catalog'), fromApi('/v1/texts?lang=' + lang, 'texts:' + lang)]);
  }

  /** What the widget reads from the API before it starts; the last copy stands in offline. */
  function fromApi(path, key) {
    return fetch(apiUrl(path))
      .then(function (r) { if (!r.ok) throw new Error(path + ': ' + r.status); return r.text(); })
      .then(function (text) { keep(KEYS.served + key, text); return text; },
        function (e) { var kept = stored(KEYS.served + key); if (kept) return kept; throw e; });
  }

  function apiUrl(path) { return String(config.api).replace(/\/$/, '') + path; }

  /** The shadow root the widget lives in, made once. */
  function attachHost() {
    if (root) return;
    host = makeElement('div');
    host.id = 'dosmart-consent-host';
    // Takes no room: the widget inside is fixed-position, so the page never shifts.
    host.setAttribute('style', 'all: initial; position: static; display: contents;');
    shadow = host.attachShadow({ mode: 'open' });
    var style;
    if (BUILD_TEXT) {
      style = makeElement('style');
      style.textContent = build().styles;
    } else {
      style = makeElement('link');
      style.rel = 'stylesheet';
      style.href = base + 'consent.css';
    }
    root = makeElement('div');
    shadow.append(style, root);
    // First in the body: the banner is the first Tab stop, before the page's links.
    var body = fromDocument('body');
    body.insertBefore(host, body.firstChild);
    onDocument('focusin', function (e) { if (e.target !== host) lastOnPage = e.target; });
    window.__dosmartConsentEmbed = true;
  }

  /** After the page's own work: for what no one waits for. */
  function whenIdle(work) {
    if (window.requestIdleCallback) requestIdleCallback(work, { timeout: 1000 });
    else setTimeout(work, 200);
  }

  function mount() {
    if (remembered) {
      // The answer already applies; the settings button and the edition check can wait until
      // the page's own scripts (the gated ones among them) have run.
      whenIdle(function () {
        if (widget || loading) return;
        attachHost();
        showPrerendered('settings');
        checkEdition(remembered.edition);
      });
      return;
    }
    // The host and its styles now (the browser parses the CSS as they join the page), the
    // banner's markup in a task of its own.
    attachHost();
    if (BUILD_TEXT && !inApp && token) {
      answeredElsewhere().then(function (answered) {
        if (!answered && !widget) showPrerendered('banner');
        loadWidgetAfterPaint();
      });
    } else {
      nextTask(function () {
        if (BUILD_TEXT && !inApp && !widget) showPrerendered('banner');
        loadWidgetAfterPaint();
      });
    }
  }

  /** The loader's work before the banner comes in several short tasks, not one long one: on a
   *  slow phone a tap or a scroll on the page is never held up behind all of it. */
  function nextTask(work) {
    setTimeout(work, 0);
  }

  /** The banner first: the wasm is asked for only once the banner is on screen, so it neither
   *  competes with the banner for the network nor for the main thread. */
  function loadWidgetAfterPaint() {
    if (!prerendered) { loadWidget(); return; }
    requestAnimationFrame(function () { setTimeout(loadWidget, 0); });
  }

  // A returning visitor's answer applies before the page has even finished parsing: gated
  // elements run as they appear, the Consent Mode update goes out now.
  var remembered = rememberedAnswer();
  if (remembered) apply(Object.assign({}, remembered, { lang: language() }));
  if (fromDocument('body')) nextTask(mount);
  else onDocument('DOMContentLoaded', mount);
})();
