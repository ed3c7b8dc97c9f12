// Browser test of the account pages (SPEC §4.1, §4.6, §9): register, log
// out, log in, change the password, the old password refused, purge the
// history.  Every page visited is checked (no console errors, no inline
// script, stylesheet applied) and saved as a full-page screenshot.
//
// Run through tests/e2e/run.sh, which sets:
//   E2E_BASE_URL        http://127.0.0.1:$ABC_HTTP_PORT
//   E2E_CHROMIUM        /usr/bin/chromium
//   E2E_SCREENSHOT_DIR  $ABC_STATE_DIR/screenshots
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE = (process.env.E2E_BASE_URL ||
    `http://127.0.0.1:${process.env.ABC_HTTP_PORT || 8080}`).replace(/\/$/, '');
const CHROMIUM = process.env.E2E_CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.E2E_SCREENSHOT_DIR ||
    path.join(process.env.ABC_STATE_DIR || '/work/main/var', 'screenshots');

// A fresh user per run: 3–32 chars of [A-Za-z0-9_.-].
const NAME = `e2e-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const PASS1 = `first-${randomBytes(6).toString('hex')}`;
const PASS2 = `second-${randomBytes(6).toString('hex')}`;

let profile;        // fresh --user-data-dir
let context;        // persistent context on that profile
let page;
const problems = []; // console errors, page errors, failed sub-resources
let expectError = false; // the current page is an error page (4xx) on purpose
let shotNo = 0;
let faviconNoted = false;
let broken = false;  // a step failed: the later ones cannot be meaningful

// Each step depends on the previous ones.
function step(name, fn) {
    it(name, async (t) => {
        if (broken) {
            t.skip('an earlier step failed');
            return;
        }
        try {
            await fn(t);
        } catch (e) {
            broken = true;
            await shot(`FAILED-${name.replace(/[^A-Za-z0-9]+/g, '-')}`).catch(() => {});
            throw e;
        }
    });
}

async function shot(label) {
    shotNo += 1;
    const file = path.join(SHOTS, `accounts-${String(shotNo).padStart(2, '0')}-${label}.png`);
    await page.screenshot({ path: file, fullPage: true });
    console.log(`# screenshot ${file}`);
    return file;
}

// Checks every page must pass, then the screenshot.
async function checkPage(label, { status = 200 } = {}) {
    await page.waitForLoadState('load');
    // CSP (script-src 'self', style-src 'self') forbids inline code: none
    // may be in the page, not even event-handler attributes or style="".
    const inline = await page.evaluate(() => {
        const out = [];
        for (const s of document.querySelectorAll('script:not([src])')) {
            out.push(`inline <script>: ${s.textContent.slice(0, 60)}`);
        }
        for (const el of document.querySelectorAll('*')) {
            for (const a of el.attributes) {
                if (/^on/i.test(a.name)) out.push(`<${el.localName} ${a.name}=...>`);
                if (a.name === 'style') out.push(`<${el.localName} style=...>`);
            }
            if (el.localName === 'a' && /^\s*javascript:/i.test(el.getAttribute('href') || '')) {
                out.push('javascript: link');
            }
        }
        return out;
    });
    assert.deepEqual(inline, [], `${label}: inline code in the page`);
    // The stylesheet is loaded and applied (header.site is a flex row).
    const styled = await page.evaluate(() => {
        const h = document.querySelector('header.site');
        return {
            sheets: [...document.styleSheets].map((s) => s.href),
            header: h ? getComputedStyle(h).display : null,
            bodyMargin: getComputedStyle(document.body).marginTop,
        };
    });
    assert.ok(styled.sheets.some((h) => h && h.endsWith('/static/abc.css')),
        `${label}: /static/abc.css not loaded: ${JSON.stringify(styled.sheets)}`);
    assert.equal(styled.header, 'flex', `${label}: abc.css not applied to header.site`);
    assert.equal(styled.bodyMargin, '0px', `${label}: abc.css not applied to body`);
    assert.equal(lastStatus, status, `${label}: HTTP status of ${page.url()}`);
    const file = await shot(label);
    assert.deepEqual(takeProblems(), [], `${label}: console errors / failed requests`);
    return file;
}

let lastStatus = null;

function takeProblems() {
    const p = problems.splice(0);
    return p;
}

async function goto(pathname) {
    expectError = false;
    const resp = await page.goto(BASE + pathname, { waitUntil: 'load' });
    lastStatus = resp ? resp.status() : null;
    return resp;
}

// Click a submit button and wait for the page the POST leads to (after any
// redirect).  An error page (4xx, when `error` is true) makes Chromium log
// "Failed to load resource" for the document, which is then expected.
async function submit(formSelector, { error = false } = {}) {
    expectError = error;
    const [resp] = await Promise.all([
        page.waitForNavigation({ waitUntil: 'load' }),
        page.click(`${formSelector} button[type="submit"]`),
    ]);
    lastStatus = resp ? resp.status() : null;
    return resp;
}

async function historyKinds() {
    return page.$$eval('table.history tbody tr td:nth-child(2)',
        (tds) => tds.map((td) => td.textContent.trim()));
}

async function text(selector) {
    return (await page.locator(selector).first().textContent()).trim();
}

// The account page: GET /account, or the answer of one of its forms, which
// may re-render it at the form's address (e.g. /account/password).
async function assertLoggedInAccount() {
    assert.match(new URL(page.url()).pathname, /^\/account(\/|$)/, 'on the account page');
    assert.equal(await text('main h1'), `Your account, ${NAME}`);
    assert.equal(await page.locator('header.site nav a[href="/account"]').textContent(), NAME,
        'the nav names the user');
    assert.equal(await page.locator('header.site form[action="/logout"] button[type="submit"]').count(), 1,
        'the nav has the "Log out" button');
}

async function logout() {
    const btn = 'header.site form[action="/logout"]';
    assert.equal((await text(`${btn} button`)), 'Log out');
    await submit(btn);
    // Logged out: the nav offers "Log in" again, /account is not reachable.
    assert.equal(await page.locator('header.site nav a[href="/login"]').count(), 1,
        `after logout the nav offers "Log in" (at ${page.url()})`);
    assert.equal(await page.locator('header.site form[action="/logout"]').count(), 0);
    assert.deepEqual(takeProblems(), [], 'logout: console errors / failed requests');
}

async function login(password, { error = false } = {}) {
    await page.fill('form[action="/login"] input[name="username"]', NAME);
    await page.fill('form[action="/login"] input[name="password"]', password);
    return submit('form[action="/login"]', { error });
}

describe(`accounts in a browser (${BASE}, user ${NAME})`, () => {
    before(async () => {
        await mkdir(SHOTS, { recursive: true });
        profile = await mkdtemp(path.join(tmpdir(), 'abc-e2e-chromium-'));
        context = await chromium.launchPersistentContext(profile, {
            executablePath: CHROMIUM,
            headless: true, // --headless
            args: [
                '--no-sandbox',
                '--disable-gpu',
                '--disable-quic',
                '--no-first-run',
                '--disable-background-networking',
                '--disable-component-update',
                '--disable-sync',
            ],
            viewport: { width: 1280, height: 800 },
            timeout: 60_000,
        });
        context.setDefaultTimeout(15_000);
        context.setDefaultNavigationTimeout(20_000);
        page = context.pages()[0] || await context.newPage();
        page.on('console', (m) => {
            if (m.type() !== 'error') return;
            const where = m.location().url || page.url();
            // Chromium asks for /favicon.ico by itself; the pages link none.
            // Its 404 is not an error of the page: noted once, not failed.
            if (new URL(where, BASE).pathname === '/favicon.ico') {
                if (!faviconNoted) console.log(`note: ${where}: ${m.text()}`);
                faviconNoted = true;
                return;
            }
            // An error page (4xx on purpose) is logged as a failed load of the
            // document itself; that one is expected.
            if (expectError && /Failed to load resource/.test(m.text()) &&
                where.split('#')[0] === page.url().split('#')[0]) return;
            problems.push(`console error at ${where}: ${m.text()}`);
        });
        page.on('pageerror', (e) => problems.push(`page error at ${page.url()}: ${e.message}`));
        page.on('requestfailed', (r) => problems.push(
            `request failed: ${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
        page.on('response', (r) => {
            if (r.status() >= 400 && !r.request().isNavigationRequest() &&
                new URL(r.url()).pathname !== '/favicon.ico') {
                problems.push(`sub-resource ${r.url()}: HTTP ${r.status()}`);
            }
        });
    });

    after(async () => {
        if (context) await context.close();
        if (profile) await rm(profile, { recursive: true, force: true });
    });

    step('the register form', async () => {
        await goto('/register');
        assert.equal(await text('main h1'), 'Register');
        for (const n of ['csrf', 'username', 'password', 'password2']) {
            assert.equal(await page.locator(`form[action="/register"] input[name="${n}"]`).count(), 1,
                `register form has ${n}`);
        }
        assert.ok((await page.inputValue('form[action="/register"] input[name="csrf"]')).length > 0,
            'csrf token filled in');
        await checkPage('register-form');
    });

    step('register lands on /account with register and login in the history', async () => {
        await page.fill('form[action="/register"] input[name="username"]', NAME);
        await page.fill('form[action="/register"] input[name="password"]', PASS1);
        await page.fill('form[action="/register"] input[name="password2"]', PASS1);
        await submit('form[action="/register"]');
        await assertLoggedInAccount();
        const kinds = await historyKinds();
        assert.ok(kinds.includes('register'), `history has "register": ${JSON.stringify(kinds)}`);
        assert.ok(kinds.includes('login'), `history has "login": ${JSON.stringify(kinds)}`);
        await checkPage('account-after-register');
    });

    step('log out, then log in through /login', async () => {
        await logout();
        await goto('/login');
        assert.equal(await text('main h1'), 'Log in');
        await checkPage('login-form');
        await login(PASS1);
        await assertLoggedInAccount();
        assert.deepEqual(takeProblems(), []);
    });

    step('change the password on the account page', async () => {
        await page.fill('form[action="/account/password"] input[name="old"]', PASS1);
        await page.fill('form[action="/account/password"] input[name="new"]', PASS2);
        await submit('form[action="/account/password"]');
        await assertLoggedInAccount();
        assert.match(await text('p.notice[role="status"]'), /^Your password is changed/);
        assert.equal(await page.locator('main p.error').count(), 0, 'no error shown');
        await checkPage('account-after-password-change');
    });

    step('log out; the old password is refused, the new one works', async () => {
        await logout();
        await goto('/login');
        await login(PASS1, { error: true });
        assert.ok(lastStatus >= 400 && lastStatus < 500,
            `a refused login answers 4xx (got ${lastStatus})`);
        assert.equal(new URL(page.url()).pathname, '/login', 'still on /login');
        assert.equal(await text('p.error[role="alert"]'), 'Wrong username or password.');
        assert.equal(await page.inputValue('form[action="/login"] input[name="username"]'), NAME,
            'the name typed is kept');
        assert.equal(await page.locator('header.site form[action="/logout"]').count(), 0,
            'not logged in');
        await checkPage('login-error-old-password', { status: lastStatus });
        await login(PASS2);
        await assertLoggedInAccount();
        const kinds = await historyKinds();
        assert.ok(kinds.length >= 3, `history before the purge: ${JSON.stringify(kinds)}`);
        assert.deepEqual(takeProblems(), []);
    });

    step('purge the history with the password', async () => {
        await page.fill('form[action="/account/history/purge"] input[name="password"]', PASS2);
        await submit('form[action="/account/history/purge"]');
        await assertLoggedInAccount();
        assert.equal(await text('p.notice[role="status"]'), 'Your history is purged.');
        assert.deepEqual(await historyKinds(), ['history_purge'],
            'only "history_purge" remains in the history');
        await checkPage('account-after-purge');
    });
});
