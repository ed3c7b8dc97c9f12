// Browser test of the dashboards (issue 15, SPEC §4.3, §9): a seller
// creates a campaign, a buyer (second browser) funds the account through
// the bitcoind stand-in, uploads an ad and buys slot #1; impressions and
// clicks are then put into slot_stats the way the counting does (psql,
// as the integration tests do).  The seller's /my/campaigns shows the
// earnings, impressions, clicks, CTR and a chart per day, and its figures
// change without a reload when more are counted (static/dash.js polls
// /my/campaigns.json); on a phone it does not scroll sideways.  The
// buyer's /my/ads links the slot's own page, which shows the ad, when it
// runs, the price paid and the figures; the seller gets 404 there.  Every
// page visited is checked (no console errors, no inline script, the
// stylesheet applied) and saved as a full-page screenshot (dashboard-*).
//
// Run through tests/e2e/run.sh (settings: see lib.mjs).
import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ABC_ROOT, ABC_STATE_DIR, BASE, RUN, Browser, newPassword, sim, steps } from './lib.mjs';

const IMAGE = path.join(ABC_ROOT, 'tests/fuzz/corpus/image/gif_300x250.gif'); // 300 × 250
const SELLER = `e2e-dsel-${RUN}`;
const BUYER = `e2e-dbuy-${RUN}`;
const CAMPAIGN = `E2E dashboard ${RUN}`;
const NICK = `e2e-dad-${RUN}`;
const HOVER = `Hover text of ${NICK}`;
const AD_URL = `https://example.com/e2e-dash/${RUN}`;
const MIN_TEXT = '0.00010000';
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

// axe-core's serious or critical findings on the open page (as ux.test.mjs).
async function axe(page) {
    await page.evaluate(AXE_SOURCE);
    return page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] }))
        .violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`));
}

// Runs SQL on the stack's database (as tests/it/lib.sh psql_abc does).
function psql(sql) {
    return execFileSync('bash', ['-c',
        'source deploy/lib.sh && abc_env && abc_psql -d abc -At -v ON_ERROR_STOP=1 -c "$1"', 'psql', sql], {
        cwd: ABC_ROOT,
        env: { ...process.env, ABC_ROOT, ABC_STATE_DIR },
        encoding: 'utf8',
        timeout: 30_000,
    }).trim();
}

// Adds impressions and clicks to slot 0 of the campaign in this minute.
function count(campaign, impressions, clicks) {
    const minute = Date.now() - (Date.now() % 60_000);
    psql(`INSERT INTO slot_stats (campaign_id, idx, minute_ms, impressions, clicks)
          VALUES (${Number(campaign)}, 0, ${minute}, ${impressions}, ${clicks})
          ON CONFLICT (campaign_id, idx, minute_ms) DO UPDATE SET
          impressions = slot_stats.impressions + EXCLUDED.impressions,
          clicks = slot_stats.clicks + EXCLUDED.clicks`);
}

let seller;
let buyer;
const step = steps();
let campaignId = null;

describe(`dashboards in a browser (${BASE}, seller ${SELLER}, buyer ${BUYER})`, () => {
    before(async () => {
        seller = new Browser('dashboard', 'seller');
        buyer = new Browser('dashboard', 'buyer');
        await seller.open();
        await buyer.open();
    });

    after(async () => {
        if (seller) await seller.close();
        if (buyer) await buyer.close();
    });

    step('the seller creates a campaign; the dashboard lists it with no figures yet', () => seller, async (t, b) => {
        await b.register(SELLER, newPassword('seller'));
        await b.goto('/sell');
        const f = 'form[action="/sell"]';
        await b.fillForm(f, {
            name: CAMPAIGN, description: `Dashboard test (${RUN}).`,
            width: '300', height: '250', min_price: '0.0001', slot_hours: '1',
        });
        await b.submit(f);
        const m = /^\/c\/([0-9]+)$/.exec(new URL(b.page.url()).pathname);
        assert.ok(m, `redirected to /c/<id>: ${b.page.url()}`);
        campaignId = m[1];
        await b.goto('/my/campaigns');
        const fig = (k) => b.text(`[data-fig="c${campaignId}-${k}"]`);
        assert.deepEqual([await fig('sold'), await fig('earned'), await fig('impressions'), await fig('ctr')],
            ['0', '0.00000000', '0', '–'], 'nothing sold, nothing counted: no CTR');
        await b.checkPage('seller-empty');
    });

    step('the buyer funds the account, uploads an ad and buys slot #1', () => buyer, async (t, b) => {
        await b.register(BUYER, newPassword('buyer'));
        await b.submit('form[action="/account/address"]');
        const address = await b.text('code#address');
        sim('send', address, '1');
        sim('mine', '1');
        await b.page.waitForFunction(() =>
            document.getElementById('balance').textContent.trim() === '1.00000000',
        null, { timeout: 10_000, polling: 200 });
        await b.goto('/ads');
        const f = 'form[action="/ads"]';
        await b.fillForm(f, { nickname: NICK, hover: HOVER, url: AD_URL });
        await b.page.setInputFiles(`${f} input[name="image"]`, IMAGE);
        await b.submit(f);
        await b.goto(`/c/${campaignId}`);
        const opt = b.page.locator('form[action$="/buy"] select[name="ad"] option', { hasText: NICK });
        await b.page.selectOption('form[action$="/buy"] select[name="ad"]', await opt.getAttribute('value'));
        await b.submit('form[action$="/buy"]');
        await b.submit(`form[method="post"][action="/c/${campaignId}/buy"]`);
        assert.equal(new URL(b.page.url()).searchParams.get('bought'), '0', 'slot #1 (index 0) bought');
        assert.deepEqual(b.takeProblems(), []);
    });

    step('the seller\'s dashboard: earnings, impressions, clicks, CTR, a chart per day', () => seller, async (t, b) => {
        count(campaignId, 120, 3);
        await b.goto('/my/campaigns');
        const fig = (k) => b.text(`[data-fig="c${campaignId}-${k}"]`);
        const earned = psql(`SELECT price - fee FROM slots WHERE campaign_id = ${Number(campaignId)} AND idx = 0`);
        const btc = (sat) => `${Math.floor(sat / 1e8)}.${String(sat % 1e8).padStart(8, '0')}`;
        assert.deepEqual([await fig('sold'), await fig('earned'), await fig('earned_7d'),
            await fig('impressions'), await fig('clicks'), await fig('ctr')],
        ['1', btc(Number(earned)), btc(Number(earned)), '120', '3', '2.50%']);
        const chart = b.page.locator(`figure.daychart:has(a[href="/c/${campaignId}"]) svg`);
        assert.equal(await chart.count(), 1, 'a chart per day for the campaign');
        assert.equal(await chart.locator('rect.bar-imp').count(), 14, '14 days of bars');
        const today = await chart.locator('g').last().locator('title').textContent();
        assert.match(today, /: 120 impressions, 3 clicks$/, 'today\'s bar has today\'s figures');
        assert.deepEqual(await axe(b.page), [], 'axe-core: the dashboard');
        await b.checkPage('seller-dashboard');
    });

    step('figures are live: more impressions show without a reload', () => seller, async (t, b) => {
        await b.mark();
        count(campaignId, 80, 2);
        await b.page.waitForFunction((id) =>
            document.querySelector(`[data-fig="c${id}-impressions"]`).textContent === '200',
        campaignId, { timeout: 15_000, polling: 250 });
        assert.equal(await b.text(`[data-fig="c${campaignId}-clicks"]`), '5');
        assert.equal(await b.text(`[data-fig="c${campaignId}-ctr"]`), '2.50%');
        await b.assertSamePage('live figures');
        await b.shot('seller-dashboard-live');
        assert.deepEqual(b.takeProblems(), [], 'live polling: console errors / failed requests');
        // A reload shows the same figures (the live page showed what the server has).
        await b.goto('/my/campaigns');
        assert.equal(await b.text(`[data-fig="c${campaignId}-impressions"]`), '200');
        await b.checkPage('seller-dashboard-reloaded');
    });

    step('on a phone the dashboard does not scroll sideways', () => seller, async (t, b) => {
        await b.page.setViewportSize({ width: 375, height: 800 });
        await b.goto('/my/campaigns');
        const wide = await b.page.evaluate(() =>
            document.documentElement.scrollWidth > window.innerWidth);
        assert.equal(wide, false, 'no sideways scroll at 375 px');
        await b.checkPage('seller-dashboard-phone');
        await b.page.setViewportSize({ width: 1280, height: 800 });
    });

    step('the buyer\'s /my/ads links the slot\'s own page with its figures', () => buyer, async (t, b) => {
        await b.goto('/my/ads');
        const link = b.page.locator(`a[href="/my/slots/${campaignId}/0"]`);
        assert.equal(await link.count(), 1, 'a link to the slot page');
        assert.equal((await link.textContent()).trim(), `Slot 1 of ${CAMPAIGN}`);
        assert.deepEqual(await axe(b.page), [], 'axe-core: /my/ads with what the ads bought');
        await b.checkPage('buyer-ads');
        await Promise.all([b.page.waitForNavigation({ waitUntil: 'load' }), link.click()]);
        b.lastStatus = 200;
        assert.equal(new URL(b.page.url()).pathname, `/my/slots/${campaignId}/0`);
        assert.equal(await b.text('main h1'), `Slot 1 of ${CAMPAIGN}`);
        assert.equal(await b.page.locator(`main img[title="${HOVER}"]`).count(), 1, 'the ad');
        assert.match(await b.text('dl.facts'), new RegExp(`Price paid\\s*${MIN_TEXT} BTC`));
        assert.deepEqual([await b.text('[data-fig="slot-impressions"]'),
            await b.text('[data-fig="slot-clicks"]'), await b.text('[data-fig="slot-ctr"]'),
        ], ['200', '5', '2.50%']);
        // Page seen: minutes with an impression / minutes so far (1 or 2 of 1 or 2 here).
        assert.match(await b.text('[data-fig="slot-seen"]'), /^(50|100)%$/);
        assert.equal(await b.page.locator('figure.daychart svg').count(), 1, 'a chart per day');
        assert.deepEqual(await axe(b.page), [], 'axe-core: the slot page');
        await b.checkPage('buyer-slot');
    });

    step('the seller gets 404 on the buyer\'s slot page', () => seller, async (t, b) => {
        b.expectError = true;
        const resp = await b.page.goto(`${BASE}/my/slots/${campaignId}/0`, { waitUntil: 'load' });
        b.lastStatus = resp.status();
        await b.checkPage('slot-not-yours', { status: 404 });
    });
});
