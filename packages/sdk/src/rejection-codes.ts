/**
 * The source part of Herald's error catalogue (the rest is in Herald's
 * src/errors/catalogue.ts, which folds these entries in).
 *
 * It lives in the SDK because sources may import nothing else: a source keeps
 * throwing `SourceRejection(status, slug, message)` with the short slug it
 * always had (`invalid_signature`, …), and this table turns the slug into the
 * stable `HERALD_ERR_SOURCE_*` code that Herald adds to the answer, the log
 * line and `herald sources test`. The slug stays the source's contract, so no
 * existing source or plugin had to change; a slug this table does not know
 * (a plugin's own) gets `HERALD_ERR_SOURCE_REJECTED`.
 *
 * Codes are never renamed or reused; a code that is no longer used moves to
 * Herald's list of retired codes (src/errors/retired.ts).
 */
export interface SourceRejectionEntry {
  readonly code: `HERALD_ERR_SOURCE_${string}`;
  /**
   * The slugs (SourceRejection's `code`, or a listener's `rejected` reason)
   * this entry covers. The first is the one the SDK's own helpers use.
   */
  readonly slugs: readonly string[];
  /** What an HTTP source answers at `/hooks/<name>`; absent for refusals only listeners make (SMTP). */
  readonly status?: number;
  readonly meaning: string;
  /** What the sender or operator should do about it. */
  readonly action: string;
}

export const SOURCE_REJECTIONS = [
  {
    code: 'HERALD_ERR_SOURCE_INVALID_PAYLOAD',
    slugs: ['invalid_payload', 'malformed'],
    status: 400,
    meaning: 'the sender’s payload is not what the source understands (a missing field, wrong shape, bad form encoding, a mail that cannot be parsed)',
    action: 'fix the sender’s payload, or the source’s mapping if the payload is right; the detail names the field',
  },
  {
    code: 'HERALD_ERR_SOURCE_INVALID_JSON',
    slugs: ['invalid_json'],
    status: 400,
    meaning: 'a message that must be JSON is not valid JSON (or nests deeper than 64 levels)',
    action: 'send valid JSON; the detail quotes where it starts',
  },
  {
    code: 'HERALD_ERR_SOURCE_INVALID_SIGNATURE',
    slugs: ['invalid_signature'],
    status: 401,
    meaning: 'the request’s signature or token does not verify against the source’s configured secret (or is missing)',
    action: 'give the sender and the source the same secret; check the sender signs the exact body it sends',
  },
  {
    code: 'HERALD_ERR_SOURCE_NOT_FOUND',
    slugs: ['not_found'],
    status: 404,
    meaning: 'the source the input was addressed to is not running (removed by a reload)',
    action: 'configure the source again, or point the sender at a configured one',
  },
  {
    code: 'HERALD_ERR_SOURCE_PAYLOAD_TOO_LARGE',
    slugs: ['payload_too_large', 'too_large'],
    status: 413,
    meaning: 'the body, message or mail exceeds the source’s size limit',
    action: 'send less, or raise the source’s limit (`max_body`, `max_message_size`, `max_message`, or `server.body_limit` for HTTP sources)',
  },
  {
    code: 'HERALD_ERR_SOURCE_UNSUPPORTED_MEDIA_TYPE',
    slugs: ['unsupported_media_type'],
    status: 415,
    meaning: 'the request’s Content-Type is not one the source reads',
    action: 'send `Content-Type: application/json` (or the form type the sender documents)',
  },
  {
    code: 'HERALD_ERR_SOURCE_INVALID_EVENT',
    slugs: ['invalid_event'],
    status: 422,
    meaning: 'the payload was read, but the event it maps to breaks the event model (e.g. a mapping rendered an unknown status)',
    action: 'fix the mapping (or the sender’s values it uses); the detail names the field',
  },
  {
    code: 'HERALD_ERR_SOURCE_IDEMPOTENCY_CONFLICT',
    slugs: ['idempotency_conflict'],
    status: 422,
    meaning: 'the sender’s delivery id was already used with a different body in the last 24 hours; the first delivery stands',
    action: 'a sender must not reuse delivery ids; if this is not a sender bug, suspect a forged request',
  },
  {
    code: 'HERALD_ERR_SOURCE_MAPPING_FAILED',
    slugs: ['mapping_failed'],
    meaning: 'the smtp source read the mail, but its mapping failed on it',
    action: 'fix the source’s mapping; the log line has the cause',
  },
  {
    code: 'HERALD_ERR_SOURCE_AUTH_FAILED',
    slugs: ['auth_failed'],
    meaning: 'an SMTP client’s AUTH credentials are wrong',
    action: 'give the mailer the username and password configured on the smtp source',
  },
  {
    code: 'HERALD_ERR_SOURCE_AUTH_REQUIRED',
    slugs: ['auth_required'],
    meaning: 'an SMTP client sent mail without AUTH to a source that requires it',
    action: 'configure the mailer to authenticate',
  },
  {
    code: 'HERALD_ERR_SOURCE_RELAY_DENIED',
    slugs: ['relay_denied'],
    meaning: 'a mail was addressed to a recipient the smtp source does not accept',
    action: 'address the mail to an accepted recipient, or add it to the source’s `recipients` or `domains`',
  },
  {
    code: 'HERALD_ERR_SOURCE_REJECTED',
    slugs: [],
    meaning: 'a source refused input for a reason of its own (a plugin source’s slug that is not in this catalogue); the answer’s `error` names it',
    action: 'see that source’s documentation for the slug',
  },
] as const satisfies readonly SourceRejectionEntry[];

export type SourceRejectionCode = (typeof SOURCE_REJECTIONS)[number]['code'];

const bySlug = new Map<string, SourceRejectionCode>(SOURCE_REJECTIONS.flatMap((e) => e.slugs.map((s) => [s, e.code] as const)));

/** The stable code for a rejection slug; `HERALD_ERR_SOURCE_REJECTED` for a slug the catalogue does not know. */
export function sourceRejectionCode(slug: string): SourceRejectionCode {
  return bySlug.get(slug) ?? 'HERALD_ERR_SOURCE_REJECTED';
}
