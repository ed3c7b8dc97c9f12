// Browser test of deposits (SPEC §4.2, §9): a new user registers, gets a
// deposit address on /account (text and QR code), then pays into it with
// the bitcoind stand-in.  Without any reload, the open page must show the
// amount as pending, and after one block as credited (confirmed balance,
// nothing pending, the deposits table says "credited"), each within 3 s.
// Then part of it is withdrawn (SPEC §4.5) and shown as sent with its txid.
// Every page visited is checked (no console errors, no inline script,
// stylesheet applied) and saved as a full-page screenshot.
//
// Run through tests/e2e/run.sh (settings: see lib.mjs).
import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, RUN, Browser, newPassword, sim, steps } from './lib.mjs';

// SPEC §4.2 promises 2 s; the test allows 3 s.
const LIVE_MS = 3_000;

// A fresh user per run.
const NAME = `e2e-dep-${RUN}`;
const PASS = newPassword('deposit');
const AMOUNT = '0.25';
// BIP 173's regtest address: valid, and not the wallet's.
const EXTERNAL = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';

let b; // the user's browser
const step = steps(() => b);
let address = null;
let txid = null;

// Rows of the deposits table: [{amount, status, confirmations, tx}].
async function depositRows() {
    return b.page.$$eval('#deposits tbody tr', (trs) => trs.map((tr) => {
        const td = [...tr.cells].map((c) => c.textContent.trim());
        return { amount: td[1], status: td[2], confirmations: td[3], tx: td[4] };
    }));
}

// Wait (at most LIVE_MS, counted from `since`) until the open page shows
// the wanted balances; on a time-out, say what the page showed.
async function waitForBalances(want, since, what) {
    const left = Math.max(100, LIVE_MS - (Date.now() - since));
    try {
        await b.page.waitForFunction((w) => {
            const bal = document.getElementById('balance');
            const p = document.getElementById('pending');
            const rows = [...document.querySelectorAll('#deposits tbody tr')];
            return bal && p && bal.textContent.trim() === w.balance &&
                p.textContent.trim() === w.pending &&
                (!w.status || rows.some((r) => r.cells[2] &&
                    r.cells[2].textContent.trim() === w.status &&
                    r.cells[4].textContent.includes(w.txid)));
        }, want, { timeout: left, polling: 100 });
    } catch (e) {
        const seen = {
            balance: await b.text('#balance'),
            pending: await b.text('#pending'),
            rows: await depositRows(),
        };
        assert.fail(`${what}: not shown within ${LIVE_MS} ms without a reload; ` +
            `wanted ${JSON.stringify(want)}, the page shows ${JSON.stringify(seen)}`);
    }
    console.log(`# ${what}: shown after ${Date.now() - since} ms`);
}

describe(`deposits in a browser (${BASE}, user ${NAME})`, () => {
    before(async () => {
        b = new Browser('deposits');
        await b.open();
    });

    after(async () => {
        if (b) await b.close();
    });

    step('register a new user', async () => {
        await b.register(NAME, PASS); // on /account, "Your account, NAME"
        assert.equal(await b.text('#balance'), '0.00000000');
        assert.equal(await b.text('#pending'), '0.00000000');
        assert.equal(await b.page.locator('#address').count(), 0, 'no address yet');
        assert.equal(await b.page.locator('#deposits').isHidden(), true, 'no deposits table yet');
        assert.equal(await b.text('#no-deposits'), 'No deposits yet.');
        await b.checkPage('account-new');
    });

    step('get a deposit address: shown as text and as a QR code', async () => {
        const form = 'form[action="/account/address"]';
        assert.equal(await b.text(`${form} button[type="submit"]`), 'Get a deposit address');
        await b.submit(form);
        // web/page_account.c renders the account page as the answer of the
        // POST (no 303 to /account, although its header comment says so).
        const where = new URL(b.page.url()).pathname;
        assert.ok(['/account', '/account/address'].includes(where), `on the account page: ${where}`);
        if (where !== '/account') console.log(`# note: POST /account/address answers at ${where}, not a redirect to /account`);
        assert.equal(await b.text('main h1'), `Your account, ${NAME}`);
        assert.match(await b.text('p.notice[role="status"]'), /new deposit address/);
        address = await b.text('code#address');
        // Regtest addresses: bech32 (bcrt1…) or base58 (m…, n…, 2…).
        assert.match(address, /^[A-Za-z0-9]{26,90}$/, `an address: "${address}"`);
        const qr = b.page.locator('.qr-box svg.qr');
        assert.equal(await qr.count(), 1, 'a QR code <svg class="qr">');
        assert.ok(await qr.isVisible(), 'the QR code is visible');
        const box = await qr.boundingBox();
        assert.ok(box && box.width >= 100 && box.height >= 100 &&
            Math.abs(box.width - box.height) < 2,
            `the QR code is a visible square of some size: ${JSON.stringify(box)}`);
        assert.ok(await qr.locator('rect, path').count() > 0, 'the QR code draws something');
        assert.equal(await b.text(`${form} button[type="submit"]`), 'Get a new address');
        await b.checkPage('account-address');
    });

    step(`send ${AMOUNT} BTC: pending on the open page, without a reload`, async () => {
        await b.mark();
        txid = sim('send', address, AMOUNT);
        const since = Date.now();
        assert.match(txid, /^[0-9a-f]{64}$/, `deploy/sim send prints a txid: "${txid}"`);
        await waitForBalances({ balance: '0.00000000', pending: '0.25000000',
            status: 'pending', txid }, since, 'pending deposit');
        await b.assertSamePage('pending deposit');
        const rows = await depositRows();
        assert.equal(rows.length, 1, `one deposit row: ${JSON.stringify(rows)}`);
        assert.equal(rows[0].amount, '0.25000000');
        assert.equal(rows[0].status, 'pending');
        assert.equal(rows[0].confirmations, '0');
        assert.ok(rows[0].tx.startsWith(`${txid}:`), `the row names the txid: ${rows[0].tx}`);
        assert.ok(await b.page.locator('#deposits').isVisible(), 'the deposits table is shown');
        assert.ok(await b.page.locator('#no-deposits').isHidden(), '"No deposits yet." is hidden');
        await b.shot('deposit-pending');
        assert.deepEqual(b.takeProblems(), [], 'pending: console errors / failed requests');
    });

    step('mine a block: credited on the open page, without a reload', async () => {
        const height = sim('mine', '1');
        const since = Date.now();
        assert.match(height, /^[0-9]+$/, `deploy/sim mine prints the height: "${height}"`);
        await waitForBalances({ balance: '0.25000000', pending: '0.00000000',
            status: 'credited', txid }, since, 'credited deposit');
        await b.assertSamePage('credited deposit');
        const rows = await depositRows();
        assert.equal(rows.length, 1, `one deposit row: ${JSON.stringify(rows)}`);
        assert.equal(rows[0].amount, '0.25000000');
        assert.equal(rows[0].status, 'credited');
        assert.ok(Number(rows[0].confirmations) >= 1,
            `at least one confirmation: ${rows[0].confirmations}`);
        await b.shot('deposit-credited');
        assert.deepEqual(b.takeProblems(), [], 'credited: console errors / failed requests');
    });

    step('a reload shows the same: credited, in the history too', async () => {
        await b.goto('/account');
        assert.equal(await b.text('#balance'), '0.25000000');
        assert.equal(await b.text('#pending'), '0.00000000');
        assert.equal(await b.text('code#address'), address, 'the same address');
        const rows = await depositRows();
        assert.deepEqual(rows.map((r) => [r.amount, r.status]), [['0.25000000', 'credited']]);
        const kinds = await b.historyKinds();
        assert.ok(kinds.includes('Deposit credited'),
            `history has "Deposit credited": ${JSON.stringify(kinds)}`);
        await b.checkPage('account-after-deposit');
    });

    step('withdraw 0.1 BTC with the password: debited at once, then sent', async () => {
        // Deposited funds are withdrawable at 6 confirmations (deposit_hold_confs).
        sim('mine', '5');
        await new Promise((resolve) => setTimeout(resolve, 3000));
        await b.goto('/account');
        await b.fillForm('form#withdraw', { address: EXTERNAL, amount: '0.1', password: PASS });
        await b.submit('form#withdraw');
        assert.equal(b.lastStatus, 200, 'the form leads back to /account');
        assert.match(await b.text('p.notice'), /withdrawal is recorded/);
        assert.equal(await b.text('#balance'), '0.15000000', 'debited at once');
        const deadline = Date.now() + 10_000;
        let status = '';
        for (;;) {
            status = await b.page.$eval('#withdrawals tbody tr td:nth-child(5)',
                (td) => td.textContent.trim());
            if (status === 'sent' || Date.now() > deadline) break;
            await new Promise((r) => setTimeout(r, 500));
            await b.goto('/account');
        }
        assert.equal(status, 'sent', 'the payer sent it within 10 s');
        const tx = await b.page.$eval('#withdrawals tbody tr td:nth-child(6)',
            (td) => td.textContent.trim());
        assert.match(tx, /^[0-9a-f]{64}$/, `the row shows the txid: "${tx}"`);
        const kinds = await b.historyKinds();
        assert.ok(kinds.includes('Withdrawal requested') && kinds.includes('Withdrawal sent'),
            `history has the withdrawal and its payment: ${JSON.stringify(kinds)}`);
        await b.checkPage('account-withdrawn');
    });
});
