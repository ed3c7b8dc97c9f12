// Live account page: polls /account/state.json every second and updates
// the balances and the deposits table, so a deposit shows as pending and
// then credited within 2 s without a reload.  The page works without it.
(function () {
  'use strict';
  var balance = document.getElementById('balance');
  var pending = document.getElementById('pending');
  var table = document.getElementById('deposits');
  if (!balance || !pending || !table || !window.fetch) {
    return;
  }
  function cell(row, text, cls) {
    var td = document.createElement('td');
    td.textContent = text;
    if (cls) {
      td.className = cls;
    }
    row.appendChild(td);
  }
  function render(state) {
    balance.textContent = state.balance;
    pending.textContent = state.pending;
    var body = table.tBodies[0];
    while (body.firstChild) {
      body.removeChild(body.firstChild);
    }
    state.deposits.forEach(function (d) {
      var row = document.createElement('tr');
      cell(row, d.at);
      cell(row, d.amount, 'num');
      cell(row, d.status);
      cell(row, String(d.confirmations), 'num');
      var tx = document.createElement('td');
      var code = document.createElement('code');
      code.textContent = d.txid + ':' + d.vout;
      tx.appendChild(code);
      row.appendChild(tx);
      body.appendChild(row);
    });
    table.hidden = state.deposits.length === 0;
    var none = document.getElementById('no-deposits');
    if (none) {
      none.hidden = state.deposits.length > 0;
    }
  }
  function poll() {
    fetch('/account/state.json', { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) { if (state) { render(state); } })
      .catch(function () {})
      .then(function () { window.setTimeout(poll, 1000); });
  }
  window.setTimeout(poll, 1000);
})();
