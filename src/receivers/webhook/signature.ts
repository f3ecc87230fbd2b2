import { createHmac } from 'node:crypto';

/** The HMAC key of a `whsec_` secret: the base64-decoded part after the prefix. */
export function signingKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
}

/**
 * Standard Webhooks signature (https://www.standardwebhooks.com/):
 * `v1,` + base64(HMAC-SHA256(key, `${id}.${timestamp}.${body}`)).
 */
export function signStandardWebhook(key: Buffer, id: string, timestampSeconds: number, body: string): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}
