import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtinReceivers } from '../receivers/index.js';
import { Registry } from '../registry/registry.js';
import { builtinSources } from '../sources/index.js';
import { ConfigError, parseConfig } from './load.js';

const registry = new Registry();
for (const r of builtinReceivers) registry.register(r);
for (const s of builtinSources) registry.sources.register(s);

function issuesOf(yaml: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(yaml, registry, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail('config was accepted');
}

describe('config', () => {
  it('applies defaults to an empty file', () => {
    const c = parseConfig('', registry, {});
    assert.equal(c.server.listen, '127.0.0.1:9470');
    assert.equal(c.storage.url, 'sqlite:./herald.db');
    assert.equal(c.storage.synchronous, 'FULL');
    assert.equal(c.server.bodyLimit, 1024 * 1024);
    assert.deepEqual(c.delivery.retryScheduleMs.slice(0, 3), [5000, 30000, 120000]);
    assert.equal(c.delivery.retryScheduleMs.length, 12);
  });

  it('fills every missing top-level key with its schema default', () => {
    const c = parseConfig('receivers: [{name: r, type: log}]\nroutes: [{receivers: [r]}]\n', registry, {});
    assert.deepEqual(c.delivery, {
      retryScheduleMs: [5e3, 30e3, 120e3, 300e3, 900e3, 1800e3, 3600e3, 7200e3, 14400e3, 28800e3, 43200e3, 86400e3],
      timeoutMs: 15_000,
      concurrency: 32,
      maxRetryAfterMs: 3_600_000,
      shutdownTimeoutMs: 10_000,
      pollIntervalMs: 250,
    });
    assert.deepEqual(c.log, { level: 'info', format: 'auto' });
    assert.deepEqual(c.outbound, { allow: [] });
    assert.deepEqual(c.plugins, []);
    assert.deepEqual(c.auth, { tokens: [] });
    // A receiver without concurrency takes delivery.concurrency, whose default is the schema's.
    assert.equal(c.receivers[0]?.concurrency, 32);
    assert.equal(c.routes[0]?.continue, false);
    // No policy given: none made up (such a route forwards every event).
    assert.equal(c.routes[0]?.policy, undefined);
  });

  it('fills the missing keys of a given section, keeping the given ones', () => {
    const c = parseConfig(
      [
        'delivery: {concurrency: 4, timeout: 3s}',
        'storage: {synchronous: NORMAL}',
        'log: {level: debug}',
        'receivers: [{name: r, type: log}, {name: q, type: log, concurrency: 2}]',
        'routes: [{name: p, receivers: [r, q], policy: {group_by: [host]}}]',
      ].join('\n'),
      registry,
      {},
    );
    assert.equal(c.delivery.concurrency, 4);
    assert.equal(c.delivery.timeoutMs, 3000);
    assert.equal(c.delivery.pollIntervalMs, 250);
    assert.deepEqual(c.storage, { url: 'sqlite:./herald.db', synchronous: 'NORMAL' });
    assert.deepEqual(c.log, { level: 'debug', format: 'auto' });
    assert.deepEqual(
      c.receivers.map((r) => r.concurrency),
      [4, 2],
    );
    assert.deepEqual(c.routes[0]?.policy, {
      groupBy: ['host'],
      groupWaitMs: 0,
      groupIntervalMs: 60_000,
      repeatIntervalMs: 600_000,
      sendResolved: true,
      autoResolveMs: undefined,
      maxNotifications: undefined,
    });
  });

  it('fills the defaults of enrich steps and of a source type, nested ones included', () => {
    const c = parseConfig(
      [
        'sources:',
        '  - name: w',
        '    type: websocket',
        '    url: wss://stream.example.com/feed',
        '    enrich: [{name: info, url: "https://api.example.com/x"}]',
        '  - {name: s, type: smtp, domains: [alerts.example.com]}',
      ].join('\n'),
      registry,
      {},
    );
    const [w, s] = c.sources;
    assert.deepEqual(
      w?.enrich.map((e) => [e.timeoutMs, e.cacheTtlMs]),
      [[2000, 60_000]],
    );
    assert.deepEqual(w?.config.reconnect, { initial: '1s', max: '60s', factor: 2, reset_after: '30s' });
    assert.equal(w?.config.buffer, 1000);
    assert.equal(s?.config.listen, '127.0.0.1:2525');
    assert.equal(s?.config.max_clients, 50);
    assert.equal(s?.config.socket_timeout, '60s');
  });

  const cases: [string, string, RegExp][] = [
    [
      'a receiver field with its index',
      `receivers:\n  - {name: a, type: log}\n  - {name: b, type: log}\n  - {name: c, type: webhook, url: "ftp://x"}\n`,
      /^receivers\[2\]\.url: must be an http\(s\) URL$/,
    ],
    ['an unknown top-level key', 'sever: {}\n', /^sever: is not a known key$/],
    [
      'an unknown receiver key',
      'receivers:\n  - {name: a, type: webhook, url: "https://x.test", retries: 3}\n',
      /^receivers\[0\]\.retries: is not a known key$/,
    ],
    [
      'an unknown receiver type',
      'receivers:\n  - {name: a, type: carrier-pigeon}\n',
      // Every built-in type, sorted: the list grows with each receiver, so it is read from the registry.
      new RegExp(
        `^receivers\\[0\\]\\.type: unknown receiver type "carrier-pigeon" \\(known: ${[...builtinReceivers.map((d) => d.type)].sort().join(', ')}\\)$`,
      ),
    ],
    ['a missing required field', 'receivers:\n  - {name: a, type: webhook}\n', /^receivers\[0\]\.url: is required$/],
    ['a duplicate receiver name', 'receivers:\n  - {name: a, type: log}\n  - {name: a, type: log}\n', /^receivers\[1\]\.name: duplicate receiver name "a"$/],
    [
      'a route to a missing receiver',
      'receivers: [{name: a, type: log}]\nroutes:\n  - receivers: [a, b]\n',
      /^routes\[0\]\.receivers\[1\]: no receiver named "b" \(configured: a\)$/,
    ],
    ['a bad matcher', 'receivers: [{name: a, type: log}]\nroutes:\n  - match: ["nonsense"]\n    receivers: [a]\n', /^routes\[0\]\.match\[0\]: not a matcher/],
    ['a bad regex', 'receivers: [{name: a, type: log}]\nroutes:\n  - match: [\'x=~"("\']\n    receivers: [a]\n', /^routes\[0\]\.match\[0\]: invalid regex/],
    ['a bad enum', 'log: {level: loud}\n', /^log\.level: must be one of: trace, debug, info, warn, error, fatal, silent$/],
    ['a bad duration', 'delivery: {timeout: soon}\n', /^delivery\.timeout: must match/],
    ['a bad CIDR', 'outbound: {allow: ["nonsense/99"]}\n', /^outbound\.allow\[0\]: .*nonsense\/99/],
    ['a short token', 'auth: {tokens: [{name: a, token: short, scopes: [read]}]}\n', /^auth\.tokens\[0\]\.token: must be at least 16 characters$/],
    [
      'an unknown scope',
      'auth: {tokens: [{name: a, token: aaaaaaaaaaaaaaaaaaaa, scopes: [root]}]}\n',
      /^auth\.tokens\[0\]\.scopes\[0\]: must be one of: ingest, read, admin$/,
    ],
    ['a bad webhook secret', 'receivers: [{name: a, type: webhook, url: "https://x.test", secret: "hunter2"}]\n', /^receivers\[0\]\.secret: must match/],
    ['an unset variable', 'receivers: [{name: a, type: webhook, url: "${HOOK_URL}"}]\n', /^receivers\[0\]\.url: environment variable HOOK_URL is not set/],
    ['YAML syntax, with its line', 'server:\n  listen: [\n', /^line \d+, column \d+: /],
    ['a duplicate key', 'server: {}\nserver: {}\n', /^line 2, column 1: Map keys must be unique/],
  ];
  for (const [name, yaml, want] of cases) {
    it(`reports ${name}`, () => {
      const issues = issuesOf(yaml);
      assert.ok(
        issues.some((i) => want.test(i)),
        `no issue matching ${want}: ${JSON.stringify(issues)}`,
      );
    });
  }

  it('refuses invalid webhook header names', () => {
    assert.ok(
      issuesOf('receivers: [{name: w, type: webhook, url: "https://x.test", headers: {"bad header": v}}]\n').some((i) =>
        /^receivers\[0\]\.headers\["bad header"\]: is not a known key$/.test(i),
      ),
    );
  });

  it('masks token-like URL parts but leaves short word paths readable', async () => {
    const { urlSecretParts } = await import('./load.js');
    assert.deepEqual(urlSecretParts('https://example.com/herald'), []);
    assert.deepEqual(urlSecretParts('https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX'), [
      '/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX',
      'XXXXXXXXXXXXXXXXXXXXXXXX',
    ]);
    assert.deepEqual(urlSecretParts('https://u:pass-word@h.test/x?token=abcd'), ['u', 'pass-word', 'abcd']);
  });

  it('reports every problem at once', () => {
    const issues = issuesOf('receivers:\n  - {name: a, type: webhook}\n  - {name: b, type: nope}\nlog: {level: x}\n');
    assert.equal(issues.length, 3, JSON.stringify(issues));
  });

  it('reports schema errors and reference errors in one pass', () => {
    // log.level fails the file schema; before, that hid every reference problem below it.
    const issues = issuesOf(`log: {level: loud}
users: [{name: ann, contacts: {email: ann@example.com}}]
schedules: [{name: primary, rotation: {members: [ann], length: 1w, handoff: "09:00", start: 2026-03-30}}]
receivers: [{name: a, type: log}]
routes:
  - {match: ['severity=="critical"'], receivers: [a, ghost]}
  - {receivers: [a], on_call: nobody}
  - {receivers: [a], users: [bob]}
`);
    const want = [
      /^log\.level: /,
      /^routes\[0\]\.match\[0\]: "==" is not a matcher operator; use "=" \(as in Alertmanager\): severity="critical"$/,
      /^routes\[0\]\.receivers\[1\]: no receiver named "ghost" \(configured: a\)$/,
      /^routes\[1\]\.on_call: .*nobody/,
      /^routes\[2\]\.users\[0\]: .*bob/,
    ];
    for (const w of want)
      assert.ok(
        issues.some((i) => w.test(i)),
        `no issue matching ${w}: ${JSON.stringify(issues)}`,
      );
    assert.equal(new Set(issues).size, issues.length, `no issue twice: ${JSON.stringify(issues)}`);
  });

  it('warns when nothing is routed', () => {
    assert.deepEqual(parseConfig('', registry, {}).warnings, [
      'no receivers and no routes: events are accepted and stored, but nothing is delivered (add receivers: and routes:)',
    ]);
    assert.deepEqual(parseConfig('receivers: [{name: a, type: log}]\n', registry, {}).warnings, [
      'no routes: events are accepted and stored, but none is delivered to any receiver (add routes:, e.g. [{receivers: [a]}])',
    ]);
    assert.deepEqual(parseConfig('receivers: [{name: a, type: log}, {name: b, type: log}]\nroutes: [{receivers: [a]}]\n', registry, {}).warnings, [
      'receiver "b" is in no route: it receives nothing but `herald test b`',
    ]);
    assert.deepEqual(parseConfig('receivers: [{name: a, type: log}]\nroutes: [{receivers: [a]}]\n', registry, {}).warnings, []);
  });

  it('interpolates ${VAR} and ${VAR:-default} in values only', () => {
    const c = parseConfig(
      'server:\n  listen: ${LISTEN:-127.0.0.1:9999}\nreceivers:\n  - {name: a, type: webhook, url: "${URL}", headers: {x-tag: "$${literal}"}}\n',
      registry,
      {
        URL: 'https://hooks.test/a?token=abc',
      },
    );
    assert.equal(c.server.listen, '127.0.0.1:9999');
    assert.equal(c.receivers[0]?.config.url, 'https://hooks.test/a?token=abc');
    assert.deepEqual(c.receivers[0]?.config.headers, { 'x-tag': '${literal}' });
  });

  it('cannot inject YAML structure through a variable', () => {
    const evil = 'x"}\n  - {name: b, type: log}\nextra: {';
    const c = parseConfig('receivers:\n  - {name: a, type: webhook, url: "https://h.test", headers: {x-a: "${V}"}}\n', registry, { V: evil });
    assert.equal(c.receivers.length, 1);
    assert.deepEqual(c.receivers[0]?.config.headers, { 'x-a': evil });
  });

  it('collects secrets for redaction', () => {
    const c = parseConfig(
      'auth: {tokens: [{name: a, token: tok_aaaaaaaaaaaaaaaa, scopes: [read]}]}\nreceivers:\n  - {name: w, type: webhook, url: "https://h.test/x", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", headers: {authorization: "Bearer zzzzzz"}}\n',
      registry,
      {},
    );
    for (const s of ['tok_aaaaaaaaaaaaaaaa', 'https://h.test/x', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'Bearer zzzzzz'])
      assert.ok(c.secrets.includes(s), s);
  });

  it("checks users' contacts with the rules the registry's receivers declare", () => {
    const yaml = 'users:\n  - {name: alice, contacts: {slack: "@alice", chat: "alice"}}\n';
    assert.deepEqual(issuesOf(yaml), ['users[0].contacts.slack: must be a Slack member ID, e.g. U024BE7LH (Profile → ⋮ → Copy member ID)']);
    // A registry without the Slack receiver has no rule for `slack`: the contact is free text there.
    const bare = new Registry();
    assert.doesNotThrow(() => parseConfig(yaml, bare, {}));
  });
});
