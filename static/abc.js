// What every page may use, all optional (the pages work without it):
// - copy buttons: <button type="button" class="copy" data-copy="ID"
//   hidden> copies the text of element ID and says so in a live region;
//   they stay hidden without JavaScript, where the text is selectable;
// - relative times: <time datetime="ISO" data-rel> shows "in 52 min" /
//   "3 h ago" and is kept current every 15 s (the same words as
//   web/humane.c writes; the absolute time is in its title).
(function () {
  'use strict';
  var S = 1000, MIN = 60 * S, H = 60 * MIN, DAY = 24 * H;

  function amount(d) {
    if (d < 90 * S) { return Math.round(d / S) + ' s'; }
    if (d < 90 * MIN) { return Math.round(d / MIN) + ' min'; }
    if (d < 36 * H) { return Math.round(d / H) + ' h'; }
    return Math.round(d / DAY) + ' days';
  }
  function rel(then, now) {
    var d = then - now;
    if (d > -5 * S && d < 5 * S) { return 'just now'; }
    return d > 0 ? 'in ' + amount(d) : amount(-d) + ' ago';
  }
  function refreshTimes() {
    var now = Date.now();
    document.querySelectorAll('time[data-rel][datetime]').forEach(function (t) {
      var ms = Date.parse(t.getAttribute('datetime'));
      if (!isNaN(ms)) {
        var text = rel(ms, now);
        if (t.textContent !== text) { t.textContent = text; }
      }
    });
  }
  window.abcRel = rel;
  window.abcRefreshTimes = refreshTimes;

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (ok, fail) {
      var ta = document.createElement('textarea');
      ta.value = text;
      ta.setAttribute('readonly', '');
      ta.className = 'offscreen';
      document.body.appendChild(ta);
      ta.select();
      var done = false;
      try { done = document.execCommand('copy'); } catch (e) { done = false; }
      document.body.removeChild(ta);
      if (done) { ok(); } else { fail(); }
    });
  }
  function setUpCopy(b) {
    var target = document.getElementById(b.dataset.copy);
    if (!target) { return; }
    var said = document.createElement('span');
    said.className = 'copy-said';
    said.setAttribute('role', 'status');
    b.insertAdjacentElement('afterend', said);
    b.hidden = false;
    b.addEventListener('click', function () {
      copyText(target.textContent.trim()).then(function () {
        said.textContent = 'Copied.';
      }, function () {
        var r = document.createRange();
        r.selectNodeContents(target);
        var sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(r);
        said.textContent = 'Selected: press Ctrl+C to copy.';
      });
      window.setTimeout(function () { said.textContent = ''; }, 4000);
    });
  }
  function start() {
    document.querySelectorAll('button.copy[data-copy]').forEach(setUpCopy);
    refreshTimes();
    window.setInterval(refreshTimes, 15000);
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
