import type { EventInput } from './event.js';
import { parseUntrustedJson } from './json.js';
import { reject, SourceRejection } from './source.js';

/**
 * Broker messages (MQTT, AMQP, NATS and plugin buses) → events, and the
 * ack / reject / retry decision every bus source makes the same way.
 */

/** Maps one parsed message to events (a compiled EventMapping). */
export type MessageMapper = (vars: { payload: unknown; [k: string]: unknown }) => EventInput[];

export interface DecodeOptions {
  /** Largest accepted body in bytes. */
  maxBytes: number;
  /** The compiled `mapping`; without one the body must be Herald event JSON. */
  map?: MessageMapper;
  /** Extra template variables beside `payload` (e.g. routing key, headers). */
  vars?: Record<string, unknown>;
}

/**
 * Turns one broker message body into events. Pure: throws SourceRejection for
 * a message that can never be stored (too large, not JSON, not an event,
 * unmappable), so the caller rejects it instead of redelivering it forever.
 */
export function decodeMessage(body: Uint8Array, o: DecodeOptions): EventInput[] {
  if (body.byteLength > o.maxBytes) throw reject.tooLarge(`message is ${body.byteLength} bytes; max_message_size is ${o.maxBytes} bytes`);
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  let payload: unknown;
  try {
    payload = parseUntrustedJson(text, 'message body');
  } catch (err) {
    throw reject.malformed((err as Error).message);
  }
  if (o.map) {
    try {
      return o.map({ ...o.vars, payload });
    } catch (err) {
      if (err instanceof SourceRejection) throw err;
      throw reject.malformed(`mapping failed: ${(err as Error).message}`);
    }
  }
  const list = Array.isArray(payload) ? payload : [payload];
  for (const [i, e] of list.entries()) {
    if (!e || typeof e !== 'object' || Array.isArray(e) || typeof (e as { title?: unknown }).title !== 'string') {
      throw reject.malformed(
        `${Array.isArray(payload) ? `[${i}]` : 'message'}: not a Herald event (needs a string title); configure a mapping for other payloads`,
      );
    }
  }
  return list as EventInput[];
}

/** What became of one message: acknowledge it, reject it for good, or leave it for redelivery. */
export type MessageOutcome = 'ack' | 'reject' | 'retry';

/**
 * Decodes and emits one message; the answer says how to settle it with the
 * broker. Only a resolved `emit` (a durable commit) yields `ack`; a refused
 * message is counted through `rejected` and yields `reject`; anything else
 * (the store is unavailable) yields `retry`.
 */
export async function processMessage(
  body: Uint8Array,
  o: DecodeOptions & {
    deliveryId?: string;
    emit(events: EventInput[], options: { deliveryId?: string }): Promise<unknown>;
    rejected(reason: string, detail: string): void;
    onRetry(err: Error): void;
  },
): Promise<MessageOutcome> {
  let events: EventInput[];
  try {
    events = decodeMessage(body, o);
  } catch (err) {
    const r = err instanceof SourceRejection ? err : reject.malformed((err as Error).message);
    o.rejected(r.code, r.message);
    return 'reject';
  }
  if (events.length === 0) return 'ack';
  try {
    await o.emit(events, { deliveryId: o.deliveryId });
    return 'ack';
  } catch (err) {
    if (err instanceof SourceRejection) {
      o.rejected(err.code, err.message);
      return 'reject';
    }
    o.onRetry(err as Error);
    return 'retry';
  }
}
