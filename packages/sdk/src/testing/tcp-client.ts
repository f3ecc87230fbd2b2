import { connect } from 'node:net';
import { DeliveryError } from '../errors.js';
import type { TcpClient } from '../net.js';

/** A TcpClient for conformance tests: loopback only, write then close. */
export function loopbackTcpClient(): TcpClient {
  const loopbackOnly = (host: string) => {
    if (host !== '127.0.0.1' && host !== 'localhost')
      throw new DeliveryError(`conformance tests only reach loopback, not ${host}`, { reason: 'blocked', retryable: false });
  };
  return {
    connect(req) {
      return new Promise((resolve, reject) => {
        try {
          loopbackOnly(req.host);
        } catch (err) {
          return reject(err);
        }
        const socket = connect({ host: req.host, port: req.port, signal: req.signal }, () => resolve(socket));
        socket.on('error', (err) => reject(new DeliveryError(err.message, { reason: 'network', retryable: true })));
      });
    },
    send(req) {
      return new Promise((resolve, reject) => {
        if (req.host !== '127.0.0.1' && req.host !== 'localhost') {
          return reject(new DeliveryError(`conformance tests only reach loopback, not ${req.host}`, { reason: 'blocked', retryable: false }));
        }
        const socket = connect({ host: req.host, port: req.port, signal: req.signal }, () => socket.end(req.data));
        socket.on('error', (err) => reject(new DeliveryError(err.message, { reason: 'network', retryable: true })));
        socket.on('close', () => resolve());
      });
    },
  };
}
