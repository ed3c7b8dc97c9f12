// Shared helpers of the browser tests (tests/e2e/*.test.mjs): the settings
// run.sh passes in, fresh names, deploy/sim, a Browser (one headless
// Chromium with a fresh profile, driven by playwright-core) and dependent
// test steps.  Each test file runs in its own process (node --test), so the
// module-level state here (RUN, screenshot numbers) is per test file.
//
// Run through tests/e2e/run.sh, which sets:
//   E2E_BASE_URL        http://127.0.0.1:$ABC_HTTP_PORT
//   E2E_CHROMIUM        /usr/bin/chromium
//   E2E_SCREENSHOT_DIR  $ABC_STATE_DIR/screenshots
//   ABC_ROOT, ABC_STATE_DIR, ABC_HTTP_PORT (for deploy/sim)
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

// The stack under test, the browser, and where things are.
export const BASE = (process.env.E2E_BASE_URL ||
    `http://127.0.0.1:${process.env.ABC_HTTP_PORT || 8080}`).replace(/\/$/, '');
export const CHROMIUM = process.env.E2E_CHROMIUM || '/usr/bin/chromium';
export const ABC_ROOT = process.env.ABC_ROOT || '/work/main';
export const ABC_STATE_DIR = process.env.ABC_STATE_DIR || path.join(ABC_ROOT, 'var');
export const SHOTS = process.env.E2E_SCREENSHOT_DIR || path.join(ABC_STATE_DIR, 'screenshots');

// A tag unique to this run, for fresh user and campaign names (user names
// are 3–32 chars of [A-Za-z0-9_.-]; RUN is about 15 of them).
export const RUN = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

// A fresh random password: `prefix`, a dash and 12 hex digits.
export function newPassword(prefix) {
    return `${prefix}-${randomBytes(6).toString('hex')}`;
}

// Runs the bitcoind stand-in of the stack under test (deploy/sim) with
// `args`; returns what it prints, trimmed.  Throws if it fails.
export function sim(...args) {
    return execFileSync(path.join(ABC_ROOT, 'deploy/sim'), args, {
        cwd: ABC_ROOT,
        env: { ...process.env, ABC_ROOT, ABC_STATE_DIR },
        encoding: 'utf8',
        timeout: 60_000,
    }).trim();
}

// Screenshots are numbered per file-name prefix, across all browsers of a
// test file: <prefix>-01-<label>.png, <prefix>-02-<label>.png, ...
const shotNumbers = new Map();

// Returns step(name, [who,] fn), which declares a test (node:test `it`) of
// a sequence whose steps depend on the previous ones: once a step fails,
// the later ones are skipped.  `who` is a function returning the Browser
// the step uses (default: `defaultWho`); fn is called as fn(t, browser).
// A failing step leaves a full-page screenshot FAILED-<name> of it.
export function steps(defaultWho) {
    let broken = false; // a step failed: the later ones cannot be meaningful
    return function step(name, who, fn) {
        if (fn === undefined) [who, fn] = [defaultWho, who];
        it(name, async (t) => {
            if (broken) {
                t.skip('an earlier step failed');
                return;
            }
            const b = who();
            try {
                await fn(t, b);
            } catch (e) {
                broken = true;
                if (b) await b.shot(`FAILED-${name.replace(/[^A-Za-z0-9]+/g, '-')}`).catch(() => {});
                throw e;
            }
        });
    };
}

// One user's browser: its own headless Chromium on a fresh profile, one
// page, and the problems seen on it (console errors, page errors, failed
// requests, sub-resources answering 4xx/5xx).
export class Browser {
    // `shots`: the file-name prefix of its screenshots (e.g. 'market');
    // `who`: if given, names the browser in its problems (e.g. 'buyer').
    constructor(shots, who = '') {
        this.shots = shots;
        this.tag = who ? `${who}: ` : '';
        this.problems = [];
        this.lastStatus = null;  // HTTP status of the last goto()/submit()
        this.expectError = false; // the current page is an error page (4xx) on purpose
        this.faviconNoted = false;
    }

    // Starts Chromium (Debian's, never a downloaded one) on a fresh
    // --user-data-dir and starts collecting the page's problems.
    async open() {
        await mkdir(SHOTS, { recursive: true });
        this.profile = await mkdtemp(path.join(tmpdir(), 'abc-e2e-chromium-'));
        this.context = await chromium.launchPersistentContext(this.profile, {
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
        this.context.setDefaultTimeout(15_000);
        this.context.setDefaultNavigationTimeout(20_000);
        const page = this.context.pages()[0] || await this.context.newPage();
        this.page = page;
        page.on('console', (m) => {
            if (m.type() !== 'error') return;
            const where = m.location().url || page.url();
            // Chromium asks for /favicon.ico by itself; the pages link none.
            // Its 404 is not an error of the page: noted once, not failed.
            if (new URL(where, BASE).pathname === '/favicon.ico') {
                if (!this.faviconNoted) console.log(`note: ${where}: ${m.text()}`);
                this.faviconNoted = true;
                return;
            }
            // An error page (4xx on purpose) is logged as a failed load of the
            // document itself; that one is expected.
            if (this.expectError && /Failed to load resource/.test(m.text()) &&
                where.split('#')[0] === page.url().split('#')[0]) return;
            this.problems.push(`${this.tag}console error at ${where}: ${m.text()}`);
        });
        page.on('pageerror', (e) => this.problems.push(
            `${this.tag}page error at ${page.url()}: ${e.message}`));
        page.on('requestfailed', (r) => {
            // A live poll in flight when the page navigates away (a form posted) is
            // aborted by the browser itself: not a failure of the site.
            if (r.failure()?.errorText === 'net::ERR_ABORTED' && r.resourceType() === 'fetch') return;
            this.problems.push(
                `${this.tag}request failed: ${r.method()} ${r.url()}: ${r.failure()?.errorText}`);
        });
        page.on('response', (r) => {
            if (r.status() >= 400 && !r.request().isNavigationRequest() &&
                new URL(r.url()).pathname !== '/favicon.ico') {
                this.problems.push(`${this.tag}sub-resource ${r.url()}: HTTP ${r.status()}`);
            }
        });
    }

    // Closes Chromium and removes its profile.
    async close() {
        if (this.context) await this.context.close();
        if (this.profile) await rm(this.profile, { recursive: true, force: true });
    }

    // Returns the problems collected since the last call, and forgets them.
    takeProblems() {
        return this.problems.splice(0);
    }

    // Saves a full-page screenshot <shots>-<NN>-<label>.png in SHOTS;
    // returns its file name.
    async shot(label) {
        const n = (shotNumbers.get(this.shots) || 0) + 1;
        shotNumbers.set(this.shots, n);
        const file = path.join(SHOTS, `${this.shots}-${String(n).padStart(2, '0')}-${label}.png`);
        await this.page.screenshot({ path: file, fullPage: true });
        console.log(`# screenshot ${file}`);
        return file;
    }

    // Opens BASE + pathname (a page expected to load without errors).
    async goto(pathname) {
        this.expectError = false;
        const resp = await this.page.goto(BASE + pathname, { waitUntil: 'load' });
        this.lastStatus = resp ? resp.status() : null;
        return resp;
    }

    // Clicks the form's submit button and waits for the page the POST leads
    // to (after any redirect).  An error page (4xx, when `error` is true)
    // makes Chromium log "Failed to load resource" for the document, which
    // is then expected.
    async submit(formSelector, { error = false } = {}) {
        this.expectError = error;
        const [resp] = await Promise.all([
            this.page.waitForNavigation({ waitUntil: 'load' }),
            this.page.click(`${formSelector} button[type="submit"]`),
        ]);
        this.lastStatus = resp ? resp.status() : null;
        return resp;
    }

    // Types `fields` ({name: value}) into the fields of that name of the
    // form (inputs or textareas); does not submit.
    async fillForm(formSelector, fields) {
        for (const [name, value] of Object.entries(fields)) {
            await this.page.fill(`${formSelector} [name="${name}"]`, value);
        }
    }

    // The trimmed text of the first element matching `selector`.
    async text(selector) {
        return (await this.page.locator(selector).first().textContent()).trim();
    }

    // Checks every page must pass, then the screenshot `label`: no inline
    // code (the CSP forbids it), the stylesheet loaded and applied, HTTP
    // `status`, no problems.  `site`: the page has the site layout (abc.css,
    // header.site); /embed has embed.css only.  Returns the screenshot.
    async checkPage(label, { status = 200, site = true } = {}) {
        const page = this.page;
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
        // The stylesheet is loaded and applied (header.site is a flex row,
        // the body has no margin).
        const styled = await page.evaluate(() => {
            const h = document.querySelector('header.site');
            return {
                sheets: [...document.styleSheets].map((s) => s.href),
                header: h ? getComputedStyle(h).display : null,
                bodyMargin: getComputedStyle(document.body).marginTop,
            };
        });
        const sheet = site ? '/static/abc.css' : '/static/embed.css';
        assert.ok(styled.sheets.some((h) => h && h.endsWith(sheet)),
            `${label}: ${sheet} not loaded: ${JSON.stringify(styled.sheets)}`);
        if (site) {
            assert.equal(styled.header, 'flex', `${label}: abc.css not applied to header.site`);
        }
        assert.equal(styled.bodyMargin, '0px',
            `${label}: ${path.basename(sheet)} not applied to body`);
        assert.equal(this.lastStatus, status, `${label}: HTTP status of ${page.url()}`);
        const file = await this.shot(label);
        assert.deepEqual(this.takeProblems(), [], `${label}: console errors / failed requests`);
        return file;
    }

    // Fills the open /register form (name, password twice) and submits it.
    async sendRegisterForm(name, password) {
        await this.fillForm('form[action="/register"]',
            { username: name, password, password2: password });
        await this.submit('form[action="/register"]');
    }

    // Registers a new user through /register; checks it lands on its
    // account page (/account, "Your account, <name>").
    async register(name, password) {
        await this.goto('/register');
        await this.sendRegisterForm(name, password);
        assert.equal(new URL(this.page.url()).pathname, '/account', `${name} is on /account`);
        assert.equal(await this.text('main h1'), `Your account, ${name}`);
    }

    // The kinds of the rows of the account page's history table.
    async historyKinds() {
        return this.page.$$eval('table.history tbody tr td:nth-child(2)',
            (tds) => tds.map((td) => td.textContent.trim()));
    }

    // mark() tags the open page; assertSamePage() then checks the page has
    // not been reloaded or left since (the tag is still there).
    async mark() {
        await this.page.evaluate(() => { window.__e2eMark = 'same page'; });
    }
    async assertSamePage(what) {
        assert.equal(await this.page.evaluate(() => window.__e2eMark), 'same page',
            `${what}: the page was reloaded or left`);
    }
}
