/**
 * The deepest nesting of arrays and objects Herald accepts in JSON from outside: API bodies,
 * webhooks, bus and stream messages, enrichment answers. Real senders stay far below it (a GitHub
 * or Sentry payload nests about 10 levels); the limit keeps everything recursive further on —
 * JSON.parse revivers, schema validation, templates, JSON.stringify into the store — clear of the
 * stack limit, where a 10,000-level body would otherwise end in "Maximum call stack size
 * exceeded". Documented in docs/api.md#limits; change both together.
 */
export const JSON_MAX_DEPTH = 64;

/** Why untrusted JSON was refused; `message` is complete and safe to show the sender. */
export class JsonInputError extends Error {
  constructor(
    message: string,
    readonly kind: 'empty' | 'syntax' | 'depth',
  ) {
    super(message);
    this.name = 'JsonInputError';
  }
}

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The index of the first `{` or `[` that opens level `max + 1`, or -1 when the text nests no
 * deeper than `max`. Linear and without recursion; brackets inside strings do not count.
 */
export function jsonDepthExceededAt(text: string, max = JSON_MAX_DEPTH): number {
  // Fast path for the common case: too few opening brackets to reach the limit at all.
  let opens = 0;
  for (let i = text.indexOf('{'); i >= 0 && opens <= max; i = text.indexOf('{', i + 1)) opens++;
  for (let i = text.indexOf('['); i >= 0 && opens <= max; i = text.indexOf('[', i + 1)) opens++;
  if (opens <= max) return -1;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return i;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return -1;
}

/**
 * JSON.parse for text from outside Herald: nesting is limited to JSON_MAX_DEPTH, `__proto__`
 * keys are dropped (also when spelled with \u escapes), and every refusal is a JsonInputError
 * whose message starts with `what` ("request body", "message") and says precisely what is wrong.
 */
export function parseUntrustedJson(text: string, what = 'JSON'): unknown {
  if (text.trim() === '') throw new JsonInputError(`${what} is empty`, 'empty');
  const at = jsonDepthExceededAt(text);
  if (at >= 0) {
    throw new JsonInputError(
      `${what} nests arrays and objects deeper than ${JSON_MAX_DEPTH} levels (level ${JSON_MAX_DEPTH + 1} opens at character ${at}); Herald accepts at most ${JSON_MAX_DEPTH}`,
      'depth',
    );
  }
  try {
    // A reviver slows every parse; only text that can spell __proto__ needs one.
    return text.includes('__proto__') || text.includes('\\u') ? JSON.parse(text, (k, v) => (k === '__proto__' ? undefined : v)) : JSON.parse(text);
  } catch (err) {
    throw new JsonInputError(`${what} is not valid JSON: ${(err as Error).message}`, 'syntax');
  }
}
