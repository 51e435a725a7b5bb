// A stand-in for Google's gtag on the demo storefront: shows every Consent Mode call on the page.
window.dataLayer = window.dataLayer || [];
window.gtag = function () {
  window.dataLayer.push(arguments);
  var line = document.createElement('li');
  line.textContent = [].slice.call(arguments, 0, 2).join(' ') + ' ' + JSON.stringify(arguments[2]);
  var log = document.getElementById('gtag-log');
  if (log) log.appendChild(line); else (window.__earlyGtag = window.__earlyGtag || []).push(line);
};
