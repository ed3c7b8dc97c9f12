// Browser test of the account pages (SPEC §4.1, §4.6, §9): register, log
// out, log in, change the password, the old password refused, purge the
// history.  Every page visited is checked (no console errors, no inline
// script, stylesheet applied) and saved as a full-page screenshot.
//
// Run through tests/e2e/run.sh (settings: see lib.mjs).
import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, RUN, Browser, newPassword, steps } from './lib.mjs';

// A fresh user per run.
const NAME = `e2e-${RUN}`;
const PASS1 = newPassword('first');
const PASS2 = newPassword('second');

let b; // the user's browser
const step = steps(() => b);

// The account page: GET /account, or the answer of one of its forms, which
// may re-render it at the form's address (e.g. /account/password).
async function assertLoggedInAccount() {
    assert.match(new URL(b.page.url()).pathname, /^\/account(\/|$)/, 'on the account page');
    assert.equal(await b.text('main h1'), `Your account, ${NAME}`);
    assert.equal(await b.page.locator('header.site nav a[href="/account"]').textContent(), 'Account',
        'the nav leads to the account (issue 16: "Account")');
    assert.equal(await b.page.locator('header.site nav a[href="/account"]').getAttribute('title'),
        `Signed in as ${NAME}`, 'the nav names the user');
    assert.equal(await b.page.locator('header.site form[action="/logout"] button[type="submit"]').count(), 1,
        'the nav has the "Log out" button');
}

// Logs out with the header's button; checks the nav then offers "Log in".
async function logout() {
    const btn = 'header.site form[action="/logout"]';
    assert.equal((await b.text(`${btn} button`)), 'Log out');
    await b.submit(btn);
    // Logged out: the nav offers "Log in" again, /account is not reachable.
    assert.equal(await b.page.locator('header.site nav a[href="/login"]').count(), 1,
        `after logout the nav offers "Log in" (at ${b.page.url()})`);
    assert.equal(await b.page.locator('header.site form[action="/logout"]').count(), 0);
    assert.deepEqual(b.takeProblems(), [], 'logout: console errors / failed requests');
}

// Fills the open /login form with NAME and `password` and submits it
// (`error`: a 4xx answer is expected).
async function login(password, { error = false } = {}) {
    await b.fillForm('form[action="/login"]', { username: NAME, password });
    return b.submit('form[action="/login"]', { error });
}

describe(`accounts in a browser (${BASE}, user ${NAME})`, () => {
    before(async () => {
        b = new Browser('accounts');
        await b.open();
    });

    after(async () => {
        if (b) await b.close();
    });

    step('the register form', async () => {
        await b.goto('/register');
        assert.equal(await b.text('main h1'), 'Register');
        for (const n of ['csrf', 'username', 'password', 'password2']) {
            assert.equal(await b.page.locator(`form[action="/register"] input[name="${n}"]`).count(), 1,
                `register form has ${n}`);
        }
        assert.ok((await b.page.inputValue('form[action="/register"] input[name="csrf"]')).length > 0,
            'csrf token filled in');
        await b.checkPage('register-form');
    });

    step('register lands on /account with register and login in the history', async () => {
        await b.sendRegisterForm(NAME, PASS1);
        await assertLoggedInAccount();
        const kinds = await b.historyKinds();
        assert.ok(kinds.includes('Registered'), `history has "Registered": ${JSON.stringify(kinds)}`);
        assert.ok(kinds.includes('Logged in'), `history has "Logged in": ${JSON.stringify(kinds)}`);
        await b.checkPage('account-after-register');
    });

    step('log out, then log in through /login', async () => {
        await logout();
        await b.goto('/login');
        assert.equal(await b.text('main h1'), 'Log in');
        await b.checkPage('login-form');
        await login(PASS1);
        await assertLoggedInAccount();
        assert.deepEqual(b.takeProblems(), []);
    });

    step('change the password on the account page', async () => {
        await b.fillForm('form[action="/account/password"]', { old: PASS1, new: PASS2 });
        await b.submit('form[action="/account/password"]');
        await assertLoggedInAccount();
        assert.match(await b.text('p.notice[role="status"]'), /^Your password is changed/);
        assert.equal(await b.page.locator('main p.error').count(), 0, 'no error shown');
        await b.checkPage('account-after-password-change');
    });

    step('log out; the old password is refused, the new one works', async () => {
        await logout();
        await b.goto('/login');
        await login(PASS1, { error: true });
        assert.ok(b.lastStatus >= 400 && b.lastStatus < 500,
            `a refused login answers 4xx (got ${b.lastStatus})`);
        assert.equal(new URL(b.page.url()).pathname, '/login', 'still on /login');
        assert.equal(await b.text('p.error[role="alert"]'), 'Wrong username or password.');
        assert.equal(await b.page.inputValue('form[action="/login"] input[name="username"]'), NAME,
            'the name typed is kept');
        assert.equal(await b.page.locator('header.site form[action="/logout"]').count(), 0,
            'not logged in');
        await b.checkPage('login-error-old-password', { status: b.lastStatus });
        await login(PASS2);
        await assertLoggedInAccount();
        const kinds = await b.historyKinds();
        assert.ok(kinds.length >= 3, `history before the purge: ${JSON.stringify(kinds)}`);
        assert.deepEqual(b.takeProblems(), []);
    });

    step('purge the history with the password', async () => {
        await b.fillForm('form[action="/account/history/purge"]', { password: PASS2 });
        await b.submit('form[action="/account/history/purge"]');
        await assertLoggedInAccount();
        assert.equal(await b.text('p.notice[role="status"]'), 'Your history is purged.');
        assert.deepEqual(await b.historyKinds(), ['History purged'],
            'only "history_purge" remains in the history');
        await b.checkPage('account-after-purge');
    });
});
