import { request } from 'node:http';
import { DeliveryError } from '../errors.js';
import type { HttpClient } from '../http.js';

/**
 * A minimal HttpClient for conformance tests against a loopback fake. Herald
 * gives receivers its guarded client; this one only has to behave alike:
 * any status resolves, network failures and aborts reject with DeliveryError.
 */
export function loopbackHttpClient(): HttpClient {
  return {
    request(req) {
      return new Promise((resolve, reject) => {
        const t0 = performance.now();
        const url = new URL(req.url);
        if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost') {
          return reject(new DeliveryError(`conformance tests only reach loopback, not ${url.hostname}`, { reason: 'blocked', retryable: false }));
        }
        const r = request(url, { method: req.method ?? 'POST', headers: req.headers, signal: req.signal }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
              truncated: false,
              durationMs: performance.now() - t0,
            }),
          );
          res.on('error', (err) => reject(new DeliveryError(err.message, { reason: 'network', retryable: true })));
        });
        r.on('error', (err) => reject(new DeliveryError(req.signal?.aborted ? 'aborted' : err.message, { reason: 'network', retryable: true })));
        r.end(req.body);
      });
    },
  };
}
