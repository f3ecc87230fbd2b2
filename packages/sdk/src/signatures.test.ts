import assert from 'node:assert/strict';
import { it } from 'node:test';
import { hmacSignature, requireHmac, requireStandardWebhook, requireToken, withMissingCredentialsAllowed } from './signatures.js';
import { type HttpSourceRequest, SourceRejection } from './source.js';

const req = (headers: Record<string, string>): HttpSourceRequest => ({ method: 'POST', headers, query: {}, rawBody: Buffer.from('{"a":1}') });
const SECRET = 'hook-secret-0123456789';

it('withMissingCredentialsAllowed lets only requests without any credentials through, and says what went unverified', () => {
  const skipped: string[] = [];
  withMissingCredentialsAllowed(
    (what) => skipped.push(what),
    () => {
      requireHmac(req({}), 'X-Sig', { secret: SECRET });
      requireToken(req({}), 'X-Token', SECRET);
      assert.equal(requireStandardWebhook(req({}), `whsec_${Buffer.from(SECRET).toString('base64')}`, Date.now()), '');
      // Given credentials are still checked.
      assert.throws(() => requireHmac(req({ 'x-sig': 'nope' }), 'X-Sig', { secret: SECRET }), SourceRejection);
      assert.throws(() => requireToken(req({ 'x-token': 'nope' }), 'X-Token', SECRET), SourceRejection);
      assert.throws(() => requireStandardWebhook(req({ 'webhook-id': 'x' }), 'whsec_AAAA', Date.now()), /missing webhook-id/);
      requireHmac(req({ 'x-sig': hmacSignature('{"a":1}', { secret: SECRET }) }), 'X-Sig', { secret: SECRET });
    },
  );
  assert.deepEqual(skipped, [
    'missing X-Sig header: this source requires a signed request',
    'missing X-Token header: this source requires a token',
    'missing webhook-id, webhook-timestamp or webhook-signature header (Standard Webhooks)',
  ]);
  // Outside a dry run nothing is let through.
  assert.throws(() => requireHmac(req({}), 'X-Sig', { secret: SECRET }), /missing X-Sig header/);
  assert.throws(() => requireToken(req({}), 'X-Token', SECRET), /missing X-Token header/);
  assert.throws(() => requireStandardWebhook(req({}), 'whsec_AAAA', Date.now()), /missing webhook-id/);
});

it('the allowance holds across an await inside the handler', async () => {
  const skipped: string[] = [];
  await withMissingCredentialsAllowed(
    (what) => skipped.push(what),
    async () => {
      // A real timer on purpose: the allowance must survive a macrotask hop, not only a microtask.
      await new Promise((r) => setTimeout(r, 1));
      requireToken(req({}), 'authorization', SECRET);
    },
  );
  assert.equal(skipped.length, 1);
});
