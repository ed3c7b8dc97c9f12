// Live prices: the campaign page's ticker (#price) and the home page's
// (.ticker, one per campaign).  Each price is computed here every 100 ms
// from the same formula as the server (SPEC 4.4), in integer satoshis with
// BigInt, using the server's clock (offset measured at load from the
// data-now of the page): no request per tick.  On a campaign page, once a
// second the campaign's JSON is checked; when someone else bought, the
// page reloads.  Without JavaScript the prices are those of page load.
(function () {
  'use strict';
  var clock = document.querySelector('[data-now]');
  var els = Array.prototype.slice.call(
    document.querySelectorAll('#price, .ticker'));
  var page = document.getElementById('campaign');
  if (!clock || els.length === 0 || typeof BigInt === 'undefined') {
    return;
  }
  var CAP = 2100000000000000n;
  var offset = Number(clock.dataset.now) - Date.now();
  var tickers = els.map(function (el) {
    return {
      el: el,
      min: BigInt(el.dataset.min),
      plast: BigInt(el.dataset.plast),
      t0: BigInt(el.dataset.t0),
      t1: BigInt(el.dataset.t1)
    };
  });

  function priceAt(k, t) {
    if (k.plast === 0n || t >= k.t1) {
      return k.min;
    }
    if (t < k.t0) {
      t = k.t0;
    }
    var p0 = k.plast * 2n;
    if (p0 > CAP) {
      p0 = CAP;
    }
    if (p0 <= k.min || k.t1 <= k.t0) {
      return k.min;
    }
    var num = (p0 - k.min) * (k.t1 - t);
    var den = k.t1 - k.t0;
    var p = k.min + (num + den - 1n) / den;
    return p > CAP ? CAP : p;
  }
  function btc(sat) {
    var s = sat.toString().padStart(9, '0');
    return s.slice(0, -8) + '.' + s.slice(-8);
  }
  function tick() {
    var t = BigInt(Date.now() + offset);
    tickers.forEach(function (k) {
      var text = btc(priceAt(k, t));
      if (k.el.textContent !== text) {
        k.el.textContent = text;
      }
    });
  }
  function check() {
    fetch('/api/c/' + page.dataset.id + '.json', { cache: 'no-store' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (s && String(s.slots_sold) !== page.dataset.sold) {
          window.location.reload();
        }
      })
      .catch(function () {})
      .then(function () { window.setTimeout(check, 1000); });
  }
  tick();
  window.setInterval(tick, 100);
  if (page) {
    window.setTimeout(check, 1000);
  }
})();
