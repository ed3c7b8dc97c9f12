// Live dashboards (issue 15): an element with data-live="<url>" names the
// JSON twin of its page; every 5 s this script fetches it and writes each
// figure into the element whose data-fig names it: "c<id>-<key>" for a
// campaign of /my/campaigns.json, "slot-<key>" for a slot's own .json.
// The text is the server's, formatted as the page was, so the live page
// shows exactly what a reload would.  Without this script the page is
// complete; it only stops being live.
(function () {
  'use strict';
  var root = document.querySelector('[data-live]');
  if (!root || !window.fetch) {
    return;
  }
  var url = root.getAttribute('data-live');
  function put(key, value) {
    var el = document.querySelector('[data-fig="' + key + '"]');
    if (el && value !== undefined && value !== null &&
        el.textContent !== String(value)) {
      el.textContent = String(value);
    }
  }
  function apply(data) {
    if (data.campaigns) {
      data.campaigns.forEach(function (c) {
        ['sold', 'price', 'earned', 'earned_7d', 'impressions', 'clicks',
          'ctr'].forEach(function (k) { put('c' + c.id + '-' + k, c[k]); });
      });
    } else {
      ['impressions', 'clicks', 'ctr', 'seen'].forEach(function (k) {
        put('slot-' + k, data[k]);
      });
    }
  }
  function poll() {
    fetch(url, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { apply(data); } })
      .catch(function () { /* the next poll tries again */ })
      .then(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 5000);
}());
