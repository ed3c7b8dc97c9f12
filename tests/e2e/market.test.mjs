// Browser test of the market (SPEC §4.3, §4.4, §9): a seller creates a
// campaign on /sell and sees the embed snippet; a buyer, in a second
// browser, funds the account through the bitcoind stand-in, uploads an
// ad, watches the live price ticker, buys slot #0 in two steps (pick an
// ad, confirm), then sees the ad on display on the campaign page and in
// /embed/<id>.  Every page visited is checked (no console errors, no
// inline script, stylesheet applied) and saved as a full-page screenshot.
//
// Run through tests/e2e/run.sh (settings: see lib.mjs).
// The stack must run with ABC_ALLOW_SHORT_SLOTS=yes (slot_seconds).
import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ABC_ROOT, BASE, RUN, Browser, newPassword, sim, steps } from './lib.mjs';

const IMAGE = path.join(ABC_ROOT, 'tests/fuzz/corpus/image/gif_300x250.gif'); // 300 × 250

// Fresh names per run.
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

let seller; // the seller's browser
let buyer;  // the buyer's browser
const step = steps();
let campaignId = null;
let adId = null;
let boughtAt = 0;

// BTC text with 8 decimals → satoshis.
function sat(btc) {
    const m = /^([0-9]+)\.([0-9]{8})$/.exec(btc);
    assert.ok(m, `an amount with 8 decimals: "${btc}"`);
    return BigInt(m[1]) * 100_000_000n + BigInt(m[2]);
}

describe(`market in a browser (${BASE}, seller ${SELLER}, buyer ${BUYER})`, () => {
    before(async () => {
        seller = new Browser('market', 'seller');
        buyer = new Browser('market', 'buyer');
        await seller.open();
        await buyer.open();
    });

    after(async () => {
        if (seller) await seller.close();
        if (buyer) await buyer.close();
    });

    step('the seller registers and creates a campaign on /sell', () => seller, async (t, b) => {
        await b.register(SELLER, newPassword('seller'));
        await b.goto('/sell');
        assert.equal(await b.text('main h1'), 'Sell ad space');
        assert.equal(await b.page.locator('form[action="/sell"] input[name="slot_seconds"]').count(), 1,
            'the stack runs with ABC_ALLOW_SHORT_SLOTS=yes (slot_seconds in the form)');
        await b.checkPage('sell-form');
        const f = 'form[action="/sell"]';
        await b.fillForm(f, {
            name: CAMPAIGN,
            description: `A browser test's ad space (${RUN}).`,
            width: '300',
            height: '250',
            min_price: MIN_PRICE,
            slot_hours: '',
            slot_seconds: SLOT_SECONDS,
        });
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
        // Issue 16: a wide and a narrow drawing; the stylesheet shows one.
        assert.equal(await b.page.locator('section.price .chart svg:visible').count(), 1, 'a price chart');
        await b.checkPage('campaign-seller-embed');
    });

    step('the buyer registers and funds the account through the stand-in', () => buyer, async (t, b) => {
        await b.register(BUYER, newPassword('buyer'));
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
        await b.fillForm(f, { nickname: NICK, hover: HOVER, url: AD_URL });
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
        const p1 = await b.text('#price');
        await b.page.waitForTimeout(600);
        const p2 = await b.text('#price');
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
        // People count slots from 1 (the API's index stays 0); the notice
        // says what was paid and when it runs (issue 16).
        assert.match(await b.text('p.notice[role="status"]'),
            new RegExp(`^You bought slot #1 for ${MIN_TEXT} BTC\\. Your ad is on display now, for 20 s \\(until .* UTC\\)\\.$`));
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
        assert.equal(slots[0], '1', `the queue lists slot #1 (index 0): ${JSON.stringify(slots)}`);
        assert.equal(slots[1], NICK);
        assert.equal(slots[4], MIN_TEXT, 'paid the minimum');
        await b.checkPage('campaign-bought');
    });

    step('after the purchase the ticker is above the minimum and falling', () => buyer, async (t, b) => {
        await b.mark();
        const p1 = sat(await b.text('#price'));
        await b.page.waitForTimeout(1_000);
        const p2 = sat(await b.text('#price'));
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
        // The ad's link goes through /go/<campaign>/<slot> (a counted click whose
        // 303 is the ad's URL); beside it, "Ad · your ad here" links to the campaign.
        const link = b.page.locator('body > a:not(.sell)');
        assert.equal(await link.count(), 1, 'one ad link');
        assert.match(await link.getAttribute('href'), new RegExp(`^/go/${campaignId}/[0-9]+$`));
        const sell = b.page.locator('body > a.sell');
        assert.equal(await sell.count(), 1, 'one "your ad here" link');
        assert.equal(await sell.getAttribute('href'), `/c/${campaignId}`);
        const goUrl = new URL(await link.getAttribute('href'), b.page.url()).toString();
        const go = await b.page.request.get(goUrl, { maxRedirects: 0 });
        assert.equal(go.status(), 303, '/go answers 303');
        assert.equal(go.headers()['location'], AD_URL, '...to the ad\'s URL');
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
