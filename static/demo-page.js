// The demo storefront's own script: the Consent Mode calls made before the log existed, and the
// shop's own "privacy settings" link.
(window.__earlyGtag || []).forEach(function (line) { document.getElementById('gtag-log').appendChild(line); });
document.getElementById('open-choices').addEventListener('click', function () {
  window.DosmartConsent.openChoices();
});
