// Live account page: polls /account/state.json every second and updates
// the balances, the deposits, the withdrawals and the history, so a
// deposit shows as pending and then credited within 2 s without a reload.
// A change is also said in words in the live region #live-notice (read
// out by screen readers), and the notice of an earlier form ("Your
// password is changed") goes away once something new happened, and from
// the address bar at once (a reload does not bring it back).  The page
// works without this script: it then shows what was true at load.
(function () {
  'use strict';
  var balance = document.getElementById('balance');
  var pending = document.getElementById('pending');
  var deposits = document.getElementById('deposits');
  var live = document.getElementById('live-notice');
  if (!balance || !pending || !deposits || !live || !window.fetch) {
    return;
  }
  if (window.history && window.history.replaceState &&
      /[?&]done=/.test(window.location.search)) {
    window.history.replaceState(null, '', window.location.pathname +
      window.location.hash);
  }
  // The baseline is what the page showed at load, not the first poll: a
  // deposit seen between the page's render and a first poll that failed
  // or came late is still news.
  function shownWithdrawals() {
    var table = document.getElementById('withdrawals');
    var rows = table ? table.querySelectorAll('tbody tr') : [];
    return Array.prototype.map.call(rows, function (tr) {
      var td = tr.querySelectorAll('td');
      return { status: td.length > 4 ? td[4].textContent : '' };
    });
  }
  var last = {
    balance: balance.textContent,
    pending: pending.textContent,
    withdrawals: shownWithdrawals(),
    key: null
  };

  function cell(row, text, cls) {
    var td = document.createElement('td');
    td.textContent = text;
    if (cls) {
      td.className = cls;
    }
    row.appendChild(td);
    return td;
  }
  function codeCell(row, text) {
    var td = cell(row, '');
    var code = document.createElement('code');
    code.className = 'token';
    code.textContent = text;
    td.appendChild(code);
  }
  function timeCell(row, d) {
    var td = cell(row, '');
    var t = document.createElement('time');
    t.setAttribute('datetime', d.at_iso || '');
    t.setAttribute('title', d.at || '');
    t.setAttribute('data-rel', '');
    t.textContent = d.at_rel || d.at || '';
    td.appendChild(t);
  }
  function fill(table, rows, make) {
    if (!table) {
      return;
    }
    var body = table.tBodies[0];
    while (body.firstChild) {
      body.removeChild(body.firstChild);
    }
    rows.forEach(function (d) {
      var row = document.createElement('tr');
      make(row, d);
      body.appendChild(row);
    });
    table.hidden = rows.length === 0;
  }
  function render(s) {
    balance.textContent = s.balance;
    pending.textContent = s.pending;
    fill(deposits, s.deposits, function (row, d) {
      timeCell(row, d);
      cell(row, d.amount, 'num');
      cell(row, d.status);
      cell(row, String(d.confirmations), 'num');
      codeCell(row, d.txid + ':' + d.vout);
    });
    var none = document.getElementById('no-deposits');
    if (none) {
      none.hidden = s.deposits.length > 0;
    }
    fill(document.getElementById('withdrawals'), s.withdrawals || [],
      function (row, w) {
        cell(row, String(w.id));
        timeCell(row, w);
        cell(row, w.amount, 'num');
        codeCell(row, w.address || '');
        cell(row, w.status);
        codeCell(row, w.txid || '');
      });
    var wh = document.getElementById('h-withdrawals');
    if (wh) {
      wh.hidden = !s.withdrawals || s.withdrawals.length === 0;
    }
    fill(document.getElementById('history'), s.history || [],
      function (row, h) {
        timeCell(row, h);
        cell(row, h.kind);
        cell(row, h.detail || '');
      });
  }
  // What changed since the last poll, in words; '' for nothing to say.
  function news(a, b) {
    var said = [];
    if (a.pending !== b.pending && Number(b.pending) > Number(a.pending)) {
      said.push('A deposit was seen: ' + b.pending + ' BTC pending.');
    }
    if (a.balance !== b.balance) {
      said.push('Your balance is now ' + b.balance + ' BTC.');
    }
    var sent = function (s) {
      return (s.withdrawals || []).filter(function (w) {
        return w.status === 'sent';
      }).length;
    };
    if (sent(b) > sent(a)) {
      said.push('Your withdrawal was sent.');
    }
    return said.join(' ');
  }
  function update(s) {
    var text = news(last, s);
    if (text !== '') {
      var done = document.getElementById('done-notice');
      if (done) {
        done.parentNode.removeChild(done);
      }
      live.textContent = text;
    }
    var key = JSON.stringify(s);
    if (key !== last.key) {
      render(s);
    }
    s.key = key;
    last = s;
  }
  function poll() {
    fetch('/account/state.json', { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) { if (s) { update(s); } })
      .catch(function () {})
      .then(function () { window.setTimeout(poll, 1000); });
  }
  window.setTimeout(poll, 1000);
})();
