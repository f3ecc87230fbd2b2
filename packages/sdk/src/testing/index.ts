/**
 * `@herald/sdk/testing`: the conformance kit every receiver runs, built-in
 * or plugin. It drives the receiver's real send() against a loopback fake and
 * checks what Herald relies on: the retry table per HTTP status, secrets never
 * in errors or logs, abort honoured, bad configs refused, docs fields present.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { Static, TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { classifyHttpResponse, DeliveryError } from '../errors.js';
import type { HeraldEvent } from '../event.js';
import { systemClock } from '../pacer.js';
import type { Logger, ReceiverDefinition, SendContext } from '../receiver.js';
import type { TemplateEngine } from '../template.js';
import { loopbackHttpClient } from './http-client.js';
import { memoryState } from './memory-state.js';
import { loopbackTcpClient } from './tcp-client.js';

export { loopbackHttpClient } from './http-client.js';
export { memoryState } from './memory-state.js';
export { loopbackTcpClient } from './tcp-client.js';

export interface ConformanceOptions<S extends TSchema> {
  /** A valid config pointing the receiver at `baseUrl` (the kit's fake server). */
  config(baseUrl: string): Static<S>;
  /** Secret values in that config: none may appear in an error message or a log line. */
  secrets: string[];
  /** Configs the receiver must refuse, through its schema or its validate(). */
  invalidConfigs: unknown[];
  /**
   * The body the fake answers on 2xx, if the target's API wants one; a function
   * for receivers that make several requests per send (look-up, then create).
   */
  okBody?: string | ((req: { method: string; url: string }) => string);
  /**
   * The 2xx statuses to check as success (default 200, 201, 202, 204). A
   * receiver whose send reads an answer body from every step (a ticket's key)
   * leaves out those its API never answers with a body, such as 204.
   */
  successStatuses?: number[];
  /** Herald's template engine (the kit has none of its own). */
  templates: TemplateEngine;
}

export const SAMPLE_EVENT: HeraldEvent = {
  id: '01JCONFORMANCE000000000000',
  title: 'Conformance: disk 95% on db-1',
  text: 'sample text',
  source: 'conformance',
  status: 'firing',
  severity: 'critical',
  key: 'disk:db-1',
  labels: { env: 'test', host: 'db-1' },
  url: 'https://example.com/d/1',
  received_at: '2026-01-01T00:00:00.000Z',
};

// 429 last: a receiver that paces itself holds back sends after a Retry-After.
const STATUSES = [200, 201, 202, 204, 301, 302, 400, 401, 403, 404, 408, 409, 413, 422, 425, 500, 502, 503, 504, 429];

function recordingLogger(lines: string[]): Logger {
  const log: Logger = {
    debug: (o, m) => void lines.push(JSON.stringify([o, m])),
    info: (o, m) => void lines.push(JSON.stringify([o, m])),
    warn: (o, m) => void lines.push(JSON.stringify([o, m])),
    error: (o, m) => void lines.push(JSON.stringify([o, m])),
    child: () => log,
  };
  return log;
}

interface Fake {
  url: string;
  status: number;
  hang: boolean;
  close(): Promise<void>;
}

async function startFake(okBody: string | ((req: { method: string; url: string }) => string)): Promise<Fake> {
  const fake: Fake = { url: '', status: 200, hang: false, close: async () => {} };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (fake.hang) return;
      const echo = `${req.method} ${req.url} ${JSON.stringify(req.headers)} ${Buffer.concat(chunks).toString('utf8')}`;
      // Error answers echo the whole request, as some targets do: secrets must still not leak.
      const ok = typeof okBody === 'function' ? okBody({ method: req.method ?? '', url: req.url ?? '' }) : okBody;
      const body = fake.status < 300 ? ok : echo;
      res
        .writeHead(
          fake.status,
          fake.status >= 300 && fake.status < 400 ? { location: 'http://127.0.0.1:9/elsewhere' } : { 'retry-after': fake.status === 429 ? '7' : '' },
        )
        .end(fake.status === 204 ? undefined : body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return fake;
}

/** Registers the conformance suite for one receiver with node:test. */
export function receiverConformance<S extends TSchema>(def: ReceiverDefinition<S>, o: ConformanceOptions<S>): void {
  describe(`${def.type} receiver conformance`, () => {
    it('declares its identity and docs', () => {
      assert.match(def.type, /^[a-z][a-z0-9-]*$/);
      assert.match(def.version, /^\d+\.\d+\.\d+/);
      assert.ok(def.displayName.length > 0);
      assert.match(def.docsUrl ?? '', /^https:\/\//, 'docsUrl links to the provider’s API reference');
    });

    it('refuses bad configs', () => {
      const check = Compile(def.config);
      for (const bad of o.invalidConfigs) {
        const refused = !check.Check(bad) || (def.validate?.(bad as Static<S>) ?? []).length > 0;
        assert.ok(refused, `accepted a bad config: ${JSON.stringify(bad)}`);
      }
    });

    it('classifies every HTTP status like Herald’s table, and keeps secrets out of errors and logs', async () => {
      const fake = await startFake(o.okBody ?? 'ok');
      const lines: string[] = [];
      const log = recordingLogger(lines);
      const instance = def.create(o.config(fake.url), { name: 'conformance', log, templates: o.templates, clock: systemClock });
      try {
        const skipped = [200, 201, 202, 204].filter((st) => o.successStatuses && !o.successStatuses.includes(st));
        for (const status of STATUSES.filter((st) => !skipped.includes(st))) {
          fake.status = status;
          const ctx: SendContext = {
            http: loopbackHttpClient(),
            net: loopbackTcpClient(),
            state: memoryState(),
            log,
            clock: systemClock,
            attempt: 1,
            signal: new AbortController().signal,
          };
          const expected = classifyHttpResponse(status, { 'retry-after': status === 429 ? '7' : undefined }, '');
          let thrown: unknown;
          try {
            await instance.send({ id: '01JCONFORMANCEDELIVERY0000', receiver: 'conformance', event: SAMPLE_EVENT, people: [] }, ctx);
          } catch (err) {
            thrown = err;
          }
          if (!expected) {
            assert.equal(thrown, undefined, `HTTP ${status} should succeed, got ${String(thrown)}`);
            continue;
          }
          assert.ok(thrown instanceof DeliveryError, `HTTP ${status} should throw a DeliveryError, got ${String(thrown)}`);
          assert.equal(thrown.retryable, expected.retryable, `HTTP ${status}: retryable`);
          assert.equal(thrown.reason, expected.reason, `HTTP ${status}: reason`);
          if (status === 429) assert.equal(thrown.retryAfterMs, 7000, 'HTTP 429 honours Retry-After');
          for (const s of o.secrets) assert.ok(!thrown.message.includes(s), `HTTP ${status}: the error message leaks a secret`);
        }
        for (const s of o.secrets) assert.ok(!lines.join('\n').includes(s), 'a log line leaks a secret');
      } finally {
        await instance.close?.();
        await fake.close();
      }
    });

    it('honours abort', async () => {
      const fake = await startFake(o.okBody ?? 'ok');
      fake.hang = true;
      const instance = def.create(o.config(fake.url), { name: 'conformance', log: recordingLogger([]), templates: o.templates, clock: systemClock });
      const ac = new AbortController();
      setTimeout(() => ac.abort(new Error('stop')), 100);
      const t0 = Date.now();
      try {
        await assert.rejects(
          instance.send(
            { id: '01JCONFORMANCEDELIVERY0001', receiver: 'conformance', event: SAMPLE_EVENT, people: [] },
            {
              http: loopbackHttpClient(),
              net: loopbackTcpClient(),
              state: memoryState(),
              log: recordingLogger([]),
              clock: systemClock,
              attempt: 1,
              signal: ac.signal,
            },
          ),
        );
        assert.ok(Date.now() - t0 < 3000, 'send stopped soon after the abort');
      } finally {
        await instance.close?.();
        await fake.close();
      }
    });
  });
}
