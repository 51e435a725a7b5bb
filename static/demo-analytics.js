// The demo's "analytics": gated by data-consent="research", so it runs only once research is granted.
window.__analyticsRuns = (window.__analyticsRuns || 0) + 1;
window.dataLayer.push({ event: 'analytics_ran' });
document.getElementById('analytics-status').textContent =
  'Analytics ran ' + window.__analyticsRuns + ' time(s), at ' + new Date().toLocaleTimeString();
