import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventInput } from './event.js';
import { decodeMessage, processMessage } from './messages.js';
import { SourceRejection } from './source.js';

const refusal = (fn: () => unknown, code: string, detail: RegExp) =>
  assert.throws(fn, (err: unknown) => err instanceof SourceRejection && err.code === code && detail.test(err.message));

describe('decodeMessage', () => {
  it('takes a Herald event list as is', () => {
    const body = JSON.stringify([
      { title: 'backup failed on db-1', status: 'firing', key: 'backup:db-1' },
      { title: 'backup ok on db-2', status: 'resolved', key: 'backup:db-2' },
    ]);
    const events = decodeMessage(Buffer.from(body), { maxBytes: 1 << 20 });
    assert.deepEqual(
      events.map((e) => [e.title, e.status, e.key]),
      [
        ['backup failed on db-1', 'firing', 'backup:db-1'],
        ['backup ok on db-2', 'resolved', 'backup:db-2'],
      ],
    );
  });

  it('refuses oversized, empty, non-JSON and non-event bodies precisely', () => {
    refusal(() => decodeMessage(Buffer.from('{"title":"x"}'), { maxBytes: 5 }), 'payload_too_large', /13 bytes; max_message_size is 5/);
    refusal(() => decodeMessage(Buffer.from('  '), { maxBytes: 100 }), 'invalid_payload', /empty/);
    refusal(() => decodeMessage(Buffer.from('{"title":'), { maxBytes: 100 }), 'invalid_payload', /not valid JSON/);
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    refusal(() => decodeMessage(Buffer.from(deep), { maxBytes: 1 << 20 }), 'invalid_payload', /^message body nests arrays and objects deeper than 64 levels/);
    refusal(() => decodeMessage(Buffer.from('[{"title":"a"},{"x":1}]'), { maxBytes: 100 }), 'invalid_payload', /\[1\]: not a Herald event/);
    refusal(() => decodeMessage(Buffer.from('"just text"'), { maxBytes: 100 }), 'invalid_payload', /message: not a Herald event/);
  });
});

describe('processMessage', () => {
  const base = (emit: (e: EventInput[]) => Promise<unknown>) => {
    const log: string[] = [];
    return {
      log,
      o: {
        maxBytes: 1000,
        emit,
        rejected: (reason: string, detail: string) => log.push(`rejected ${reason}: ${detail}`),
        onRetry: (err: Error) => log.push(`retry: ${err.message}`),
      },
    };
  };
  it('acks only after emit resolved, retries when it rejects, rejects what emit refuses', async () => {
    const ok = base(async () => ({ ids: ['1'] }));
    assert.equal(await processMessage(Buffer.from('{"title":"a"}'), ok.o), 'ack');
    const down = base(async () => {
      throw new Error('store unavailable');
    });
    assert.equal(await processMessage(Buffer.from('{"title":"a"}'), down.o), 'retry');
    assert.deepEqual(down.log, ['retry: store unavailable']);
    const invalid = base(async () => {
      throw new SourceRejection(422, 'invalid_event', 'status: bad');
    });
    assert.equal(await processMessage(Buffer.from('{"title":"a"}'), invalid.o), 'reject');
    assert.deepEqual(invalid.log, ['rejected invalid_event: status: bad']);
    const bad = base(async () => assert.fail('a bad message must not be emitted'));
    assert.equal(await processMessage(Buffer.from('nope'), bad.o), 'reject');
    assert.match(bad.log[0] ?? '', /^rejected invalid_payload: message body is not valid JSON/);
  });
});
