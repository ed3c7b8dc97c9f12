// Campaign page: the live price ticker and live updates.  The price is
// computed here every 100 ms from the same formula as the server (SPEC
// 4.4), in integer satoshis with BigInt, using the server's clock (offset
// measured at load): no request per tick.  Once a second the campaign's
// JSON is checked; when someone else bought, the page reloads.
(function () {
  'use strict';
  var el = document.getElementById('price');
  var page = document.getElementById('campaign');
  if (!el || !page || typeof BigInt === 'undefined') {
    return;
  }
  var CAP = 2100000000000000n;
  var min = BigInt(el.dataset.min);
  var plast = BigInt(el.dataset.plast);
  var t0 = BigInt(el.dataset.t0);
  var t1 = BigInt(el.dataset.t1);
  var offset = Number(el.dataset.now) - Date.now();

  function priceAt(t) {
    if (plast === 0n || t >= t1) {
      return min;
    }
    if (t < t0) {
      t = t0;
    }
    var p0 = plast * 2n;
    if (p0 > CAP) {
      p0 = CAP;
    }
    if (p0 <= min || t1 <= t0) {
      return min;
    }
    var num = (p0 - min) * (t1 - t);
    var den = t1 - t0;
    var p = min + (num + den - 1n) / den;
    return p > CAP ? CAP : p;
  }
  function btc(sat) {
    var s = sat.toString().padStart(9, '0');
    return s.slice(0, -8) + '.' + s.slice(-8);
  }
  function tick() {
    el.textContent = btc(priceAt(BigInt(Date.now() + offset)));
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
  window.setTimeout(check, 1000);
})();
