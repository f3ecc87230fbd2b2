import { type EventInput, parseUntrustedJson, reject, SourceRejection } from '@herald/sdk';

/** A compiled declarative mapping (compileMapping's result). */
export type MessageMapping = (vars: { payload: unknown; [k: string]: unknown }) => EventInput[];

/**
 * One stream message → the events it stands for. Pure: no I/O, no clock.
 * The message must be JSON. With a mapping it may be any JSON (one event per
 * message, or per element with `each`; `filter` may drop it: then []); without
 * one it must already be a Herald event or a list of them.
 * Throws SourceRejection (code `invalid_payload` or `invalid_event`) for input
 * that can never become an event; the caller counts and logs it.
 */
export function normalizeMessage(text: string, map: MessageMapping | undefined, source: string): EventInput[] {
  const payload = parseMessage(text);
  if (map) return map({ payload, source });
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

/** Parses a message as JSON; `__proto__` keys are dropped. */
export function parseMessage(text: string): unknown {
  if (text.trim() === '') throw reject.malformed('message is empty');
  try {
    return parseUntrustedJson(text, 'message');
  } catch (err) {
    throw new SourceRejection(400, 'invalid_json', `${(err as Error).message}; starts with ${JSON.stringify(text.slice(0, 60))}`);
  }
}

/** The incident key of a stream's outage; the same for the firing and the resolve. */
export function sourceDownKey(source: string): string {
  return `source-down:${source}`;
}

/** Raised once per outage, when the stream has been down longer than down_after. */
export function sourceDownEvent(source: string, reason: string, where: string, downSinceMs: number, attempts: number): EventInput {
  return {
    title: `stream ${source} is down: ${reason}`,
    text:
      `Herald has had no connection to the stream ${where} of source "${source}" since ${new Date(downSinceMs).toISOString()}` +
      ` (${attempts} connection attempt${attempts === 1 ? '' : 's'} failed). Last error: ${reason}. ` +
      'Messages sent meanwhile are lost unless the server replays them; Herald keeps reconnecting.',
    status: 'firing',
    severity: 'error',
    key: sourceDownKey(source),
    type: 'source-down',
    labels: { source_name: source },
    occurred_at: new Date(downSinceMs).toISOString(),
  };
}

/** Resolves the outage once the stream is connected again. */
export function sourceUpEvent(source: string, where: string, downSinceMs: number, upAtMs: number): EventInput {
  return {
    title: `stream ${source} is connected again`,
    text: `Herald is connected to the stream ${where} of source "${source}" again after ${formatMs(upAtMs - downSinceMs)} down.`,
    status: 'resolved',
    severity: 'info',
    key: sourceDownKey(source),
    type: 'source-down',
    labels: { source_name: source },
    occurred_at: new Date(upAtMs).toISOString(),
  };
}

/** 950 → "950 ms", 61000 → "61 s", 7200000 → "120 min". */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}
