import {
  classifyHttpResponse,
  createPacer,
  DeliveryError,
  defineReceiver,
  effectiveSeverity,
  escapeHtml,
  HttpUrl,
  type Notification,
  parseRetryAfter,
  permanent,
  rateLimited,
  Secret,
  type SendContext,
  Type,
  templateVars,
} from '@herald/sdk';

/**
 * Twilio Programmable Messaging and Voice: an SMS (Messages resource) and/or a
 * phone call that reads the title aloud (Calls resource with inline TwiML
 * `<Say>`), to the configured `to` numbers and the `phone` contacts of the
 * people the route attached (e.g. whoever is on call).
 *
 * API: https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource
 *      https://www.twilio.com/docs/voice/api/call-resource#create-a-call-resource
 *      https://www.twilio.com/docs/voice/twiml/say
 * Errors: https://www.twilio.com/docs/api/errors (JSON `{code, message, more_info, status}`)
 * Auth: HTTP Basic with Account SID + Auth Token, or API key SID + secret
 *       (https://www.twilio.com/docs/iam/api-keys); bodies are form-encoded.
 */

/** Message `Body` ≤ 1,600 characters (error 21617/21658); inline `Twiml` ≤ 4,000 characters (error 32018). */
export const TWILIO_LIMITS = { body: 1600, twiml: 4000 };
const E164 = '^\\+[1-9]\\d{1,14}$';
const MARKER = '…';

/**
 * Error codes about one recipient: the others still get their message, and
 * retrying this one would fail the same way.
 */
export const RECIPIENT_ERRORS: ReadonlyMap<number, string> = new Map([
  [21211, "invalid 'To' phone number"],
  [21214, "'To' phone number cannot be reached"],
  [21215, 'geographic permission does not allow calling this number'],
  [21217, 'phone number does not appear to be valid'],
  [21219, "'To' phone number is not verified (trial account)"],
  [21408, 'SMS to this region is not enabled on the account'],
  [21610, 'recipient has opted out (replied STOP)'],
  [21612, "'To' phone number is not reachable by SMS"],
  [21614, "'To' number is not a mobile number"],
  [13223, 'phone number has an invalid format'],
  [13224, 'invalid phone number'],
]);
/** Too Many Requests (20429) and the account's SMS send-rate limit (14107): retried after a pause. */
const RATE_LIMIT_ERRORS = new Set([20429, 14107]);
/** No Retry-After with a Twilio 429: wait this long (Twilio's guidance is to back off and retry). */
const DEFAULT_RATE_LIMIT_MS = 1000;

const DEFAULT_SMS =
  '[{{ label }}] {{ event.title }}{% if incident and incident.times_seen > 1 %} ({{ incident.times_seen }}x){% endif %}{% if event.url %}\n{{ event.url }}{% endif %}';
const DEFAULT_SAY = '{{ spoken }} alert from Herald. {{ event.title }}';

const LABELS: Record<string, string> = { ok: 'RESOLVED', critical: 'CRITICAL', error: 'ERROR', warning: 'WARNING', info: 'INFO' };
const SPOKEN: Record<string, string> = { ok: 'Resolved', critical: 'Critical', error: 'Error', warning: 'Warning', info: 'Information' };

const cut = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - MARKER.length)}${MARKER}`);

type Channel = 'sms' | 'call';
interface Progress {
  /** `sms:+49…` / `call:+49…` → the Message or Call SID Twilio answered with. */
  done: Record<string, string>;
  /** Recipients Twilio refused for good, with its reason. */
  failed: Record<string, string>;
}

/** Everyone this notification goes to, once each: configured numbers, then attached people's phones. */
export function recipientsOf(notification: Notification, configured: readonly string[] = []): string[] {
  return [...new Set([...configured, ...notification.people.flatMap((p) => (p.contacts.phone ? [p.contacts.phone] : []))])];
}

/** The TwiML of a call: `text` read aloud `loop` times, cut so the document stays within 4,000 characters. */
export function twimlFor(text: string, o: { voice?: string; language?: string; loop?: number } = {}): string {
  const attrs = `${o.voice ? ` voice="${escapeHtml(o.voice)}"` : ''}${o.language ? ` language="${escapeHtml(o.language)}"` : ''} loop="${o.loop ?? 2}"`;
  const wrap = (body: string) => `<?xml version="1.0" encoding="UTF-8"?><Response><Say${attrs}>${body}</Say></Response>`;
  const room = TWILIO_LIMITS.twiml - wrap('').length;
  const escaped = escapeHtml(text);
  if (escaped.length <= room) return wrap(escaped);
  // Cut the text, not the escaped XML, so no entity is split.
  let body = '';
  for (const ch of text) {
    const next = escapeHtml(ch);
    if (body.length + next.length + MARKER.length > room) break;
    body += next;
  }
  return wrap(`${body}${MARKER}`);
}

interface TwilioAnswer {
  code?: number;
  message?: string;
  sid?: string;
  status?: string | number;
}

function parseAnswer(body: string): TwilioAnswer | undefined {
  try {
    const parsed = JSON.parse(body) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as TwilioAnswer) : undefined;
  } catch {
    return undefined;
  }
}

/** A refusal about one recipient (the delivery goes on with the others). */
class RecipientRefused extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export default defineReceiver({
  type: 'twilio',
  version: '1.0.0',
  displayName: 'Twilio (SMS and voice calls)',
  docsUrl: 'https://www.twilio.com/docs/messaging/api/message-resource',
  contact: { field: 'phone', pattern: /^\+[1-9]\d{6,14}$/, description: 'an E.164 phone number', example: '+4915112345678' },
  config: Type.Object(
    {
      account_sid: Type.String({ pattern: '^AC[0-9a-fA-F]{32}$', description: 'Account SID (AC…); part of every request path' }),
      auth_token: Type.Optional(Secret({ description: 'Auth Token of the account; give it, or `api_key_sid` + `api_key_secret`' })),
      api_key_sid: Type.Optional(
        Type.String({ pattern: '^SK[0-9a-fA-F]{32}$', description: 'API key SID (SK…), used with `api_key_secret` instead of the Auth Token' }),
      ),
      api_key_secret: Type.Optional(Secret({ description: "the API key's secret" })),
      from: Type.Optional(Type.String({ pattern: E164, description: 'Twilio number texts and calls come from (E.164); required for calls' })),
      messaging_service_sid: Type.Optional(
        Type.String({ pattern: '^MG[0-9a-fA-F]{32}$', description: 'Messaging Service SID (MG…) to send texts through instead of `from`' }),
      ),
      to: Type.Optional(
        Type.Array(Type.String({ pattern: E164 }), {
          maxItems: 50,
          description: 'numbers (E.164) always notified; the `phone` contacts of the people a route attaches are added',
        }),
      ),
      mode: Type.Enum(['sms', 'call', 'both'], { default: 'sms', description: '`sms`: text; `call`: phone call reading the title; `both`' }),
      call_on_resolve: Type.Boolean({
        default: false,
        description: 'also phone people when an incident resolves (texts are always sent); off: nobody is woken for good news',
      }),
      sms_template: Type.Optional(Type.String({ description: 'LiquidJS template for the text (plain text, cut to 1,600 characters)' })),
      say_template: Type.Optional(Type.String({ description: 'LiquidJS template for what a call reads aloud (TwiML `<Say>`, cut to fit 4,000 characters)' })),
      voice: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: '`<Say>` voice, e.g. `alice`, `Polly.Joanna` (default: Twilio’s)' })),
      language: Type.Optional(Type.String({ pattern: '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$', description: '`<Say>` language, e.g. `en-US`, `de-DE`' })),
      loop: Type.Integer({ minimum: 1, maximum: 10, default: 2, description: 'how many times a call reads the message' }),
      api_url: HttpUrl({ description: 'REST API base URL (tests, proxies)', default: 'https://api.twilio.com' }),
      max_per_second: Type.Number({ exclusiveMinimum: 0, maximum: 100, default: 5, description: "pacing of this receiver's requests (one at a time)" }),
    },
    { additionalProperties: false },
  ),
  validate(config) {
    const errors: { path: string; message: string }[] = [];
    const key = config.api_key_sid !== undefined || config.api_key_secret !== undefined;
    if (config.auth_token && key) errors.push({ path: 'api_key_sid', message: 'give auth_token or api_key_sid + api_key_secret, not both' });
    else if (!config.auth_token && !key) errors.push({ path: 'auth_token', message: 'is required (or give api_key_sid + api_key_secret)' });
    else if (key && !config.api_key_sid) errors.push({ path: 'api_key_sid', message: 'is required with api_key_secret' });
    else if (key && !config.api_key_secret) errors.push({ path: 'api_key_secret', message: 'is required with api_key_sid' });
    const mode = config.mode;
    if (mode !== 'sms' && !config.from) errors.push({ path: 'from', message: `is required for calls (mode: ${mode})` });
    if (mode !== 'call' && !config.from && !config.messaging_service_sid) errors.push({ path: 'from', message: 'is required (or give messaging_service_sid)' });
    if (config.from && config.messaging_service_sid && mode === 'sms')
      errors.push({ path: 'messaging_service_sid', message: 'give from or messaging_service_sid for texts, not both' });
    return errors;
  },
  create(config, { templates, clock }) {
    const sms = templates.compile(config.sms_template ?? DEFAULT_SMS, { name: 'sms_template', escape: 'none' });
    const say = templates.compile(config.say_template ?? DEFAULT_SAY, { name: 'say_template', escape: 'none' });
    const base = `${config.api_url.replace(/\/$/, '')}/2010-04-01/Accounts/${config.account_sid}`;
    const user = config.api_key_sid ?? config.account_sid;
    const password = (config.api_key_secret ?? config.auth_token) as string;
    const authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const secrets = [password, authorization.slice('Basic '.length)];
    const redact = (s: string) => secrets.reduce((out, secret) => out.split(secret).join('[redacted]'), s);
    const pacer = createPacer(config.max_per_second, clock);
    const mode = config.mode;

    /** One create request; resolves with the new resource's SID, throws RecipientRefused or a DeliveryError. */
    const create = (resource: 'Messages' | 'Calls', form: URLSearchParams, ctx: SendContext) =>
      pacer.run(async () => {
        const res = await ctx.http.request({
          method: 'POST',
          url: `${base}/${resource}.json`,
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', authorization },
          body: form.toString(),
          signal: ctx.signal,
        });
        const response = redact(res.body);
        const answer = parseAnswer(res.body);
        const code = typeof answer?.code === 'number' ? answer.code : undefined;
        const why = code !== undefined ? `: Twilio error ${code}${answer?.message ? ` (${redact(String(answer.message)).slice(0, 300)})` : ''}` : '';
        if (res.status >= 200 && res.status < 300) return answer?.sid ?? '';
        if (res.status === 429 || (code !== undefined && RATE_LIMIT_ERRORS.has(code))) {
          const ms = parseRetryAfter(res.headers['retry-after'], ctx.clock.now()) ?? DEFAULT_RATE_LIMIT_MS;
          pacer.block(ms);
          throw rateLimited(`Twilio rate limit (HTTP ${res.status})${why}`, ms, { status: res.status, response });
        }
        if (res.status >= 400 && res.status < 500 && code !== undefined && RECIPIENT_ERRORS.has(code)) {
          throw new RecipientRefused(
            code,
            `${code} ${RECIPIENT_ERRORS.get(code)}${answer?.message ? `: ${redact(String(answer.message)).slice(0, 200)}` : ''}`,
          );
        }
        const failure = classifyHttpResponse(res.status, res.headers, response, ctx.clock.now()) as DeliveryError;
        throw new DeliveryError(`${failure.message}${why}`, {
          reason: failure.reason,
          retryable: failure.retryable,
          retryAfterMs: failure.retryAfterMs,
          status: res.status,
          response,
        });
      }, ctx.signal);

    return {
      async send(notification, ctx) {
        const { event } = notification;
        const recipients = recipientsOf(notification, config.to);
        if (recipients.length === 0) {
          throw new DeliveryError('no recipients: no `to` numbers are configured and none of the attached people has a `phone` contact', {
            reason: 'config',
            retryable: false,
          });
        }
        const severity = effectiveSeverity(event);
        const vars = { ...templateVars(notification), severity, label: LABELS[severity], spoken: SPOKEN[severity] };
        const channels: Channel[] = [];
        if (mode !== 'call') channels.push('sms');
        if (mode !== 'sms' && (event.status !== 'resolved' || config.call_on_resolve)) channels.push('call');
        if (channels.length === 0) return { response: 'resolved: no call placed (call_on_resolve is off)' };

        // Per-delivery progress, durable: a retry after a 5xx or 429 halfway through the list
        // texts and calls only those not yet reached, never the same person twice.
        const stateKey = `progress:${notification.id}`;
        const saved = await ctx.state.get(stateKey);
        const progress: Progress = saved ? (JSON.parse(saved) as Progress) : { done: {}, failed: {} };
        const text = cut(sms.render(vars).trim() || event.title, TWILIO_LIMITS.body);
        const twiml = channels.includes('call')
          ? twimlFor(say.render(vars).trim() || event.title, { voice: config.voice, language: config.language, loop: config.loop })
          : '';
        for (const channel of channels) {
          for (const to of recipients) {
            const id = `${channel}:${to}`;
            if (id in progress.done || id in progress.failed) continue;
            const form = new URLSearchParams({ To: to });
            if (channel === 'sms') {
              if (config.messaging_service_sid) form.set('MessagingServiceSid', config.messaging_service_sid);
              else form.set('From', config.from as string);
              form.set('Body', text);
            } else {
              form.set('From', config.from as string);
              form.set('Twiml', twiml);
            }
            try {
              progress.done[id] = await create(channel === 'sms' ? 'Messages' : 'Calls', form, ctx);
            } catch (err) {
              if (!(err instanceof RecipientRefused)) throw err;
              progress.failed[id] = err.message;
              ctx.log.warn({ channel, to, code: err.code }, `twilio: ${channel} to ${to} refused: ${err.message}`);
            }
            await ctx.state.set(stateKey, JSON.stringify(progress));
          }
        }
        await ctx.state.delete(stateKey);
        const reached = Object.entries(progress.done).map(([id, sid]) => `${id} ${sid}`.trim());
        const refused = Object.entries(progress.failed).map(([id, why]) => `${id} refused (${why})`);
        const summary = [...reached, ...refused].join('; ');
        // Nobody reached at all is a failure worth a dead letter; some reached is a delivery, with the refusals kept.
        if (reached.length === 0) throw permanent(`Twilio refused every recipient: ${summary}`, { response: summary });
        return { status: 201, response: summary };
      },
    };
  },
});
