import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Sink, startSink } from '../helpers/harness.js';
import { CHROMIUM, type Console, DOCS_SHOTS, launch, startConsole } from './browser.js';

const ADMIN = 'console-admin-token-0001';
const READ = 'console-read-token-00001';

/** The browser tests need Debian's chromium; CI installs it (.ci/run), so there they never skip. */
const skip = process.env.CI === 'true' || CHROMIUM ? false : 'chromium is not installed (apt-get install chromium)';

let sink: Sink;
/** Carol covers one day, three days from now: the calendar must show it. */
const day0 = Math.floor(Date.now() / 86_400_000) * 86_400_000;
const OVERRIDE_FROM = new Date(day0 + 3 * 86_400_000).toISOString();
const OVERRIDE_TO = new Date(day0 + 4 * 86_400_000).toISOString();
/** While true, the `flaky` receiver's target answers 404 (a permanent failure: the delivery dies). */
let flakyDown = true;

const yaml = (tokens: boolean) => () =>
  `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
${tokens ? `auth:\n  tokens:\n    - {name: ops, token: "${ADMIN}", scopes: [admin]}\n    - {name: viewer, token: "${READ}", scopes: [read]}` : ''}
receivers:
  - {name: hook, type: webhook, url: "${sink.url}/hook"}
  - {name: flaky, type: webhook, url: "${sink.url}/flaky"}
users:
  - {name: alice, contacts: {email: alice@example.com}}
  - {name: bob, contacts: {email: bob@example.com}}
  - {name: carol, contacts: {email: carol@example.com}}
schedules:
  - name: primary
    time_zone: UTC
    rotation: {members: [alice, bob], length: 1w, handoff: "09:00", start: 2026-11-30, handoff_day: monday}
    overrides:
      - {user: carol, from: "${OVERRIDE_FROM}", to: "${OVERRIDE_TO}"}
sources:
  - {name: sink-health, type: http-check, url: "${sink.url}/health", interval: 2s, timeout: 1s}
routes:
  - name: ops
    match: ['env=prod']
    policy: {repeat_interval: 10m}
    receivers: [hook]
  - name: flaky
    match: ['team=flaky']
    receivers: [flaky]
`;

async function waitFor(check: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

describe('web console in Chromium', { skip, timeout: 240_000 }, () => {
  let c: Console;
  before(async () => {
    sink = await startSink();
    sink.respond = (req, res) => {
      if (req.url === '/flaky' && flakyDown) {
        res.statusCode = 404;
        res.end('no such hook');
        return;
      }
      res.end('ok');
    };
    c = await startConsole(yaml(true), { token: ADMIN });
  });
  after(async () => {
    await c?.close();
    await sink?.close();
  });
  const post = async (event: unknown) => {
    const r = await c.api('POST', '/api/v1/events', event);
    assert.equal(r.status, 202, JSON.stringify(r.json));
    return (r.json as { ids: string[] }).ids;
  };
  const rowIds = () => c.page.$$eval('table.events tbody tr', (rows) => rows.map((r) => (r as unknown as { dataset: { id: string } }).dataset.id));

  it('signs in with a token; a wrong one is refused on the page', async () => {
    await c.page.goto(`${c.base}/`);
    await c.page.waitForSelector('form input[name=token]');
    await c.shot('signin', true);
    await c.page.fill('input[name=token]', 'not-a-configured-token');
    await c.page.click('button[type=submit]');
    await c.page.waitForSelector('.error');
    assert.match(await c.page.textContent('.error').then(String), /not configured/);
    await c.page.fill('input[name=token]', ADMIN);
    await c.page.click('button[type=submit]');
    await c.page.waitForSelector('table.events');
    assert.match(String(await c.page.textContent('.who')), /ops \(admin\)/);
    const [cookie] = await c.context.cookies();
    assert.equal(cookie?.httpOnly, true);
    assert.equal(cookie?.sameSite, 'Strict');
    assert.ok(!cookie?.value.includes(ADMIN));
  });

  it('shows a new event without a reload while a row stays selected and its menu open', async () => {
    await post([{ title: 'disk 91% on db-1', severity: 'warning', labels: { host: 'db-1' } }]);
    await post([{ title: 'disk 95% on db-1', severity: 'error', labels: { host: 'db-1' } }]);
    await post([{ title: 'deploy api 4711 done', source: 'ci' }]);
    await c.page.waitForSelector('#live-state.ok');
    await waitFor(async () => (await rowIds()).length >= 3, 'three rows');
    // Set on the page's window: a reload would wipe it.
    await c.page.evaluate('window.marker = 42');
    const ids = await rowIds();
    const chosen = ids[1] as string;
    await c.page.click(`tr[data-id="${chosen}"] td.hide-s`);
    await c.page.click(`tr[data-id="${chosen}"] button[aria-label=actions]`);
    await c.page.waitForSelector(`tr[data-id="${chosen}"] .menu`);
    const [fresh] = await post({ title: 'api 5xx rate above 2%', severity: 'critical', labels: { env: 'staging', svc: 'api' } });
    await c.page.waitForSelector(`tr[data-id="${fresh}"]`);
    assert.equal((await rowIds())[0], fresh, 'the new event is on top');
    assert.equal(await c.page.evaluate('window.marker'), 42, 'no reload');
    assert.equal(await c.page.getAttribute(`tr[data-id="${chosen}"]`, 'class'), 'selected', 'the selection survived');
    assert.ok(await c.page.isVisible(`tr[data-id="${chosen}"] .menu`), 'the open menu survived');
    await c.shot('events', true);
    await c.page.keyboard.press('Escape');
  });

  it('pauses the feed, counts what arrived meanwhile, and shows it on resume', async () => {
    await c.page.click('#pause');
    await c.page.waitForSelector('#held');
    const [a] = await post({ title: 'while paused 1' });
    const [b] = await post({ title: 'while paused 2' });
    // Selectors, not waitForFunction: the console's CSP forbids the eval that string predicates need.
    await c.page.waitForSelector('#held:text-matches("^2 arrived")');
    assert.equal(await c.page.$(`tr[data-id="${a}"]`), null, 'a paused feed does not change');
    assert.match(String(await c.page.textContent('#pause')), /Resume \(2 new\)/);
    await c.page.click('#pause');
    await c.page.waitForSelector(`tr[data-id="${b}"]`);
    assert.deepEqual((await rowIds()).slice(0, 2), [b, a]);
  });

  it('keeps the scroll position: the row being read stays where it is when events arrive above it', async () => {
    await post(Array.from({ length: 60 }, (_, i) => ({ title: `backfill ${i}`, labels: { n: String(i) } })));
    await c.page.waitForSelector('tr:has-text("backfill 0")');
    const target = c.page.locator('table.events tr', { hasText: 'backfill 20' }).first();
    await target.scrollIntoViewIfNeeded();
    await c.page.mouse.wheel(0, 200);
    const before = (await target.boundingBox())?.y;
    const scrolled = Number(await c.page.evaluate('window.scrollY'));
    assert.ok(scrolled > 0, 'the page is scrolled');
    const ids = await post([{ title: 'arrived while reading 1' }, { title: 'arrived while reading 2' }]);
    await c.page.waitForSelector(`tr[data-id="${ids[1]}"]`, { state: 'attached' });
    const after = (await target.boundingBox())?.y;
    assert.ok(before !== undefined && after !== undefined && Math.abs(after - before) <= 2, `the row moved from ${before} to ${after}`);
    assert.ok(Number(await c.page.evaluate('window.scrollY')) > scrolled, 'the page scrolled by the rows added above');
    await c.page.evaluate('window.scrollTo(0, 0)');
  });

  it('keeps the filter in the URL, streams only matching events, and moves the selection with the keyboard', async () => {
    await c.page.goto(`${c.base}/events?severity=error`);
    await c.page.waitForSelector('#live-state.ok');
    await c.page.waitForSelector('table.events tbody tr');
    assert.deepEqual([...new Set(await c.page.locator('table.events tbody .sev').allTextContents())], ['error']);
    const [miss] = await post({ title: 'just info', severity: 'info' });
    const [hit] = await post({ title: 'checkout errors', severity: 'error' });
    await c.page.waitForSelector(`tr[data-id="${hit}"]`);
    assert.equal(await c.page.$(`tr[data-id="${miss}"]`), null, 'a live event outside the filter stays out');
    await c.page.keyboard.press('j');
    await c.page.keyboard.press('j');
    await c.page.keyboard.press('k');
    assert.equal(await c.page.getAttribute('tr.selected', 'data-id'), hit);
    await c.page.keyboard.press('/');
    assert.equal(await c.page.evaluate('document.activeElement.id'), 'search');
    await c.page.keyboard.type('checkout');
    await c.page.keyboard.press('Enter');
    await c.page.waitForURL(/q=checkout/);
    assert.match(c.page.url(), /severity=error/);
    await c.page.waitForSelector('table.events tbody tr:nth-child(2)', { state: 'detached' });
    assert.equal(await c.page.locator('table.events tbody tr').count(), 1);
    await c.page.keyboard.press('Escape');
    await c.page.keyboard.press('j');
    await c.page.keyboard.press('Enter');
    await c.page.waitForURL(new RegExp(`/events/${hit}$`));
  });

  it('renders an event titled with HTML literally and runs none of it', async () => {
    await c.page.goto(`${c.base}/events`);
    await c.page.waitForSelector('#live-state.ok');
    const title = '<img src=x onerror=alert(1)>';
    const [id] = await post({ title, text: '<script>alert(2)</script>', labels: { html: '<i>y</i><svg onload=alert(3)>' } });
    await c.page.waitForSelector(`tr[data-id="${id}"]`);
    assert.equal(await c.page.textContent(`tr[data-id="${id}"] td.title`), title);
    await c.page.click(`tr[data-id="${id}"] td.title a`);
    await c.page.waitForSelector('h2.title');
    assert.equal(await c.page.textContent('h2.title'), title);
    await c.page.waitForSelector('#why table');
    assert.equal(await c.page.locator('img').count(), 0, 'no img element was created');
    assert.equal(await c.page.locator('#app svg').count(), 0, 'no svg element from a label');
    assert.match(String(await c.page.textContent('dl')), /<i>y<\/i><svg onload=alert\(3\)>/);
    assert.equal(await c.page.locator('script:not([src])').count(), 0);
    assert.deepEqual(c.dialogs, [], 'no dialog opened');
    await c.page.goBack();
  });

  it('opens an event: which routes matched, which matcher failed, and every delivery attempt', async () => {
    const [id] = await post({ title: 'payment webhook failing', severity: 'error', labels: { team: 'flaky', env: 'dev' } });
    await waitFor(async () => {
      const r = await c.api('GET', `/api/v1/deliveries?state=dead&receiver=flaky`);
      return (r.json as { deliveries: unknown[] }).deliveries.length > 0;
    }, 'a dead delivery');
    await c.page.goto(`${c.base}/events/${id}`);
    await c.page.waitForSelector('#why tr.route-failed');
    const why = String(await c.page.textContent('#why'));
    assert.match(why, /env="prod" failed: the event has dev/);
    assert.match(String(await c.page.textContent('#why tr.route-matched')), /flaky/);
    await c.page.waitForSelector('table.attempts tbody tr');
    const attempt = String(await c.page.textContent('table.attempts tbody tr'));
    assert.match(attempt, /client/);
    assert.match(attempt, /404/);
    assert.match(attempt, /no such hook/);
    await c.shot('event-detail', true);
  });

  it('replays a dead delivery and shows it succeed', async () => {
    flakyDown = false;
    await c.page.goto(`${c.base}/deliveries?state=dead`);
    await c.page.waitForSelector('table.deliveries tbody tr');
    await c.shot('deliveries', true);
    const row = c.page.locator('table.deliveries tbody tr', { hasText: 'flaky' }).first();
    const id = String(await row.getAttribute('data-id'));
    await row.locator('button', { hasText: 'Replay' }).click();
    await c.page.waitForSelector(`#replays li[data-id="${id}"] .state.succeeded`);
    assert.ok(sink.requests.some((r) => r.url === '/flaky' && r.headers['webhook-id'] === id));
  });

  it('creates a silence whose preview lists the matching incident, then a matching event is suppressed', async () => {
    await post({ title: 'api down in prod', key: 'api-down', status: 'firing', severity: 'critical', labels: { env: 'prod', svc: 'api' } });
    await waitFor(async () => {
      const r = await c.api('GET', '/api/v1/incidents?status=firing');
      return (r.json as { incidents: { key: string }[] }).incidents.some((i) => i.key === 'api-down');
    }, 'the incident');
    // "Silence from here": the incident's button pre-fills the matchers.
    await c.page.goto(`${c.base}/incidents`);
    await c.page.waitForSelector('table.incidents tbody tr');
    await c.page.locator('table.incidents tr', { hasText: 'api down in prod' }).locator('a', { hasText: 'Silence' }).click();
    await c.page.waitForSelector('textarea[name=matchers]');
    assert.match(await c.page.inputValue('textarea[name=matchers]'), /svc="api"/);
    await c.page.fill('textarea[name=matchers]', 'svc="api"\nenv="prod"');
    await c.page.fill('input[name=author]', 'alice');
    await c.page.fill('input[name=comment]', 'api rollout');
    await c.page.click('button:has-text("Preview")');
    await c.page.waitForSelector('#preview li');
    assert.match(String(await c.page.textContent('#preview')), /Would mute 1 firing incident\(s\)\s*api down in prod/);
    await c.shot('silences', true);
    await c.page.click('button:has-text("Create silence")');
    await c.page.waitForSelector('.notice');
    await c.page.waitForSelector('table.silences .state.active');
    // A silence that mutes nothing firing and matched nothing for a day is flagged stale; this one is not.
    const forgotten = await c.api('POST', '/api/v1/silences', { matchers: ['host="decommissioned-7"'], duration: '30d', author: 'bob', comment: 'old box' });
    assert.equal(forgotten.status, 201);
    await c.page.reload();
    const stale = c.page.locator('table.silences tr', { hasText: 'decommissioned-7' }).locator('.badge', { hasText: 'stale' });
    await stale.waitFor();
    assert.equal(await c.page.locator('table.silences tr', { hasText: 'api rollout' }).locator('.badge', { hasText: 'stale' }).count(), 0);
    const [muted] = await post({ title: 'api latency in prod', key: 'api-latency', status: 'firing', labels: { env: 'prod', svc: 'api' } });
    await waitFor(async () => {
      const r = await c.api('GET', '/api/v1/deliveries?state=suppressed');
      return (r.json as { deliveries: { event_id: string }[] }).deliveries.some((d) => d.event_id === muted);
    }, 'the suppressed notification');
    await c.page.goto(`${c.base}/events/${muted}`);
    await c.page.waitForSelector('#why .warn-text');
    assert.match(String(await c.page.textContent('#why')), /Notification to hook was muted: silenced by/);
    assert.ok(!sink.requests.some((r) => r.url === '/hook' && r.body.includes('api latency in prod')), 'nothing was sent');
  });

  it('acknowledges an incident', async () => {
    await post({ title: 'queue backlog growing', key: 'queue', status: 'firing', labels: { env: 'prod', svc: 'queue' } });
    await c.page.goto(`${c.base}/incidents`);
    const row = c.page.locator('table.incidents tr', { hasText: 'queue backlog growing' });
    await row.waitFor();
    await row.locator('button.linkish').click();
    await c.page.waitForSelector('#incident-detail .timeline li');
    assert.match(String(await c.page.textContent('#incident-detail .timeline')), /firing: queue backlog growing/);
    await c.shot('incidents', true);
    await row.locator('button', { hasText: 'Acknowledge' }).click();
    await c.page.waitForSelector('.notice');
    assert.match(String(await c.page.textContent('.notice')), /Acknowledged "queue backlog growing"/);
    const list = (await c.api('GET', '/api/v1/incidents?status=firing')).json as { incidents: { key: string; acknowledged_by: string | null }[] };
    assert.equal(list.incidents.find((i) => i.key === 'queue')?.acknowledged_by, 'ops');
    await c.page.click('.tabs button:has-text("acknowledged")');
    await c.page.locator('table.incidents tr', { hasText: 'queue backlog growing' }).waitFor();
    // The keyboard way: select a row, press a.
    await post({ title: 'cache hit rate low', key: 'cache', status: 'firing', labels: { env: 'prod', svc: 'cache' } });
    await c.page.click('.tabs button:has-text("firing")');
    const cache = c.page.locator('table.incidents tr', { hasText: 'cache hit rate low' });
    await cache.waitFor();
    await cache.locator('td').nth(1).click();
    await c.page.keyboard.press('a');
    await c.page.locator('.notice', { hasText: /Acknowledged "cache hit rate low"/ }).waitFor();
  });

  it('runs a dry run and shows the rendered message each receiver would get', async () => {
    const sent = () => sink.requests.filter((r) => r.url !== '/health').length;
    const before = sent();
    await c.page.goto(`${c.base}/routes`);
    await c.page.waitForSelector('table.routes tbody tr');
    await c.page.fill('textarea[name=event]', JSON.stringify({ title: 'dry run: db down', labels: { team: 'flaky' } }));
    await c.page.click('#dry-run button[type=submit]');
    await c.page.waitForSelector('.dry-result');
    assert.match(String(await c.page.textContent('.dry-result')), /reaches flaky/);
    assert.match(String(await c.page.textContent('.rendered pre')), /"title": "dry run: db down"/);
    await c.shot('routes', true);
    assert.equal(sent(), before, 'a dry run sends nothing');
  });

  it('sends a test notification from the receivers page', async () => {
    await c.page.goto(`${c.base}/receivers`);
    const card = c.page.locator('.receiver[data-name="hook"]');
    await card.waitFor();
    await card.locator('button', { hasText: 'Send test' }).click();
    await card.locator('.test-result').waitFor();
    assert.match(String(await card.locator('.test-result').textContent()), /delivered in \d+ ms \(HTTP 200\)/);
    assert.ok(sink.requests.some((r) => r.url === '/hook' && r.body.includes('Herald test notification')));
    await c.shot('receivers', true);
  });

  it('shows who is on call now and next as a calendar', async () => {
    await c.page.goto(`${c.base}/oncall`);
    await c.page.waitForSelector('.schedule .calendar .day');
    const oncall = (await c.api('GET', '/api/v1/oncall')).json as { schedules: { now: { user: string }; next: { user: string } }[] };
    const s = oncall.schedules[0];
    assert.ok(s);
    assert.match(String(await c.page.textContent('.schedule .now')), new RegExp(`On duty now: ${s.now.user}`));
    assert.match(String(await c.page.textContent('.schedule .next')), new RegExp(`Next: ${s.next.user}`));
    assert.equal(await c.page.locator('.calendar .day').count(), 28);
    assert.deepEqual(await c.page.locator('.calendar .who.override').allTextContents(), ['carol']);
    await c.shot('oncall', true);
  });

  it('shows checks with their latency chart and sources with counters', async () => {
    await waitFor(async () => {
      const r = (await c.api('GET', '/api/v1/checks')).json as { checks: { state: string }[] };
      return r.checks[0]?.state === 'ok';
    }, 'a check result');
    await c.page.goto(`${c.base}/checks`);
    await c.page.waitForSelector('svg.chart rect.ok');
    assert.match(String(await c.page.textContent('table.sources')), /sink-health/);
    await c.shot('checks');
  });

  it('refuses a state change without the CSRF token or from a foreign Origin', async () => {
    const body = { matchers: ['svc="x"'], duration: '1h', author: 'mallory', comment: 'x' };
    const status = await c.page.evaluate(
      async (b) => (await fetch('/api/v1/silences', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) })).status,
      body,
    );
    assert.equal(status, 403);
    const cookie = (await c.context.cookies()).map((k) => `${k.name}=${k.value}`).join('; ');
    const csrf = (await (await fetch(`${c.base}/console/session`, { headers: { cookie } })).json()) as { csrf: string };
    const foreign = await fetch(`${c.base}/api/v1/silences`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrf.csrf, origin: 'http://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(foreign.status, 403);
    const silences = (await c.api('GET', '/api/v1/silences')).json as { silences: { author: string }[] };
    assert.ok(!silences.silences.some((s) => s.author === 'mallory'), 'nothing was stored');
  });

  it('fits a phone and follows the system dark mode', async () => {
    const ctx = await launch(`${c.dir}/phone`);
    try {
      const page = ctx.pages()[0] ?? (await ctx.newPage());
      await page.setViewportSize({ width: 390, height: 844 });
      await page.emulateMedia({ colorScheme: 'dark' });
      await page.goto(`${c.base}/`);
      await page.fill('input[name=token]', READ);
      await page.click('button[type=submit]');
      await page.waitForSelector('table.events tbody tr');
      const width = Number(await page.evaluate('document.documentElement.scrollWidth'));
      assert.ok(width <= 400, `no sideways scrolling on a phone (page is ${width}px wide)`);
      const bg = await page.evaluate('getComputedStyle(document.body).backgroundColor');
      assert.equal(bg, 'rgb(17, 21, 28)');
      // A read token sees but cannot act.
      await page.goto(`${c.base}/incidents`);
      await page.waitForSelector('table.incidents tbody tr');
      assert.equal(await page.locator('table.incidents button:has-text("Acknowledge")').count(), 0);
      await page.screenshot({ path: join(DOCS_SHOTS, 'phone-dark.png') });
    } finally {
      await ctx.close();
    }
  });

  it('loaded with no CSP violation or script error', () => {
    assert.deepEqual(
      c.errors.filter((e) => !/status of 40[13]/.test(e)),
      [],
    );
  });
});

describe('web console without tokens (loopback)', { skip, timeout: 60_000 }, () => {
  it('opens without sign-in and says so', async () => {
    sink = await startSink();
    const c = await startConsole(yaml(false));
    try {
      await c.page.goto(`${c.base}/`);
      await c.page.waitForSelector('.badge.warn');
      assert.match(String(await c.page.textContent('.who')), /Open mode: no tokens configured, no sign-in/);
      assert.equal(await c.page.$('input[name=token]'), null);
    } finally {
      await c.close();
      await sink.close();
    }
  });
});
