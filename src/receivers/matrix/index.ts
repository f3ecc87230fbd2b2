import {
  classifyHttpResponse,
  createPacer,
  DeliveryError,
  defineReceiver,
  type EffectiveSeverity,
  effectiveSeverity,
  escapeHtml,
  type HeraldEvent,
  HttpUrl,
  type Pacer,
  type Person,
  rateLimited,
  Secret,
  type SendContext,
  STATUS_TITLE_TEMPLATE,
  Type,
  templateVars,
} from '@herald/sdk';

const DEFAULT_TEXT = '{{ event.text }}';

/**
 * A whole event (content plus envelope) may be at most 65,536 bytes of JSON
 * (spec: "Size limits"). The plain and the HTML text are each cut well below
 * that so labels, links and the envelope still fit.
 */
export const MATRIX_LIMITS = { text: 12_000, labels: 30, labelValue: 500, links: 10, eventBytes: 65_536 };
/** Room for the envelope the homeserver adds (event_id, sender, room_id, origin_server_ts, signatures, hashes). */
const CONTENT_BYTES = 60_000;
const MARKER = '… (truncated)';

const ICONS: Record<EffectiveSeverity, string> = { ok: '✅', critical: '🔴', error: '🟠', warning: '🟡', info: 'ℹ️' };

function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = text.slice(0, max - MARKER.length);
  // Never leave half an HTML entity or half a surrogate pair behind.
  out = out.replace(/&[#a-zA-Z0-9]*$/, '').replace(/[\uD800-\uDBFF]$/, '');
  return `${out}${MARKER}`;
}

function safeUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.toString() : undefined;
  } catch {
    return undefined;
  }
}

export interface MatrixText {
  msgtype: string;
  body: string;
  format: 'org.matrix.custom.html';
  formatted_body: string;
}

/** A Matrix user ID: `@localpart:server`. */
const USER_ID = /^@[^:\s]+:\S+$/;

/**
 * The people a route attaches who have a `matrix` contact (their user ID):
 * they are mentioned with a pill and listed in `m.mentions.user_ids`, so
 * their clients notify them. Contacts that are not user IDs are left out.
 */
export function mentionedUsers(people: readonly Person[]): { ids: string[]; invalid: string[] } {
  const ids: string[] = [];
  const invalid: string[] = [];
  for (const p of people) {
    const id = p.contacts.matrix;
    if (id === undefined) continue;
    if (USER_ID.test(id)) {
      if (!ids.includes(id)) ids.push(id);
    } else invalid.push(p.name);
  }
  return { ids, invalid };
}

/**
 * The message in both forms the spec asks for: plain `body` (notifications,
 * clients without HTML) and `formatted_body` in `org.matrix.custom.html`.
 * `htmlTitle`/`htmlText` arrive rendered with every value HTML-escaped; labels,
 * links and the context line are escaped here.
 */
export function buildContent(
  msgtype: string,
  event: HeraldEvent,
  plain: { title: string; text: string },
  html: { title: string; text: string },
  mentions: readonly string[] = [],
  budget: { text: number; labelValue: number } = MATRIX_LIMITS,
): MatrixText {
  const icon = ICONS[effectiveSeverity(event)];
  const labels = Object.entries(event.labels).slice(0, MATRIX_LIMITS.labels);
  const links = [...(event.url ? [{ title: 'Open', url: event.url }] : []), ...(event.links ?? [])]
    .map((l) => ({ title: l.title || 'Link', url: safeUrl(l.url) }))
    .filter((l): l is { title: string; url: string } => l.url !== undefined)
    .slice(0, MATRIX_LIMITS.links);
  const context = [event.status.toUpperCase(), event.severity, event.source && `source: ${event.source}`, event.key && `key: ${event.key}`]
    .filter(Boolean)
    .join(' · ');

  const body = [`${icon} ${plain.title}`];
  if (plain.text.trim()) body.push(cut(plain.text, budget.text));
  if (labels.length > 0) body.push(labels.map(([k, v]) => `${k}: ${cut(v, budget.labelValue)}`).join('\n'));
  body.push(context);
  if (links.length > 0) body.push(links.map((l) => `${l.title}: ${l.url}`).join('\n'));
  if (mentions.length > 0) body.push(`cc ${mentions.join(' ')}`);

  const parts = [`${icon} <b>${html.title}</b>`];
  if (html.text.trim()) parts.push(cut(html.text, budget.text).replace(/\n/g, '<br>'));
  if (labels.length > 0) parts.push(labels.map(([k, v]) => `<b>${escapeHtml(k)}</b>: ${escapeHtml(cut(v, budget.labelValue))}`).join('<br>'));
  parts.push(`<i>${escapeHtml(context)}</i>`);
  if (links.length > 0) parts.push(links.map((l) => `<a href="${escapeHtml(l.url)}">${escapeHtml(l.title)}</a>`).join(' · '));
  if (mentions.length > 0) parts.push(`cc ${mentions.map((id) => `<a href="https://matrix.to/#/${escapeHtml(id)}">${escapeHtml(id)}</a>`).join(' ')}`);
  return { msgtype, body: body.join('\n\n'), format: 'org.matrix.custom.html', formatted_body: parts.join('<br><br>') };
}

interface MatrixError {
  errcode?: string;
  error?: string;
  retry_after_ms?: number;
}

function parseError(body: string): MatrixError | undefined {
  try {
    const a = JSON.parse(body) as unknown;
    return a && typeof a === 'object' ? (a as MatrixError) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Matrix, through the client-server API as a bot user:
 * `PUT /_matrix/client/v3/rooms/{roomId}/send/m.room.message/{txnId}` with the
 * access token as Bearer. The transaction id is derived from the delivery id,
 * which is stable across retries, so a retry after a lost answer returns the
 * same event instead of posting twice (the homeserver deduplicates by
 * access token + txnId). Every message carries `m.mentions` (intentional
 * mentions): empty, or the user IDs of the people the route attaches (their
 * `matrix` contact), so `@room` or a user ID in event text pings nobody.
 * When an incident resolves, the message its trigger posted is edited in
 * place (`m.replace` with `m.new_content`); the event id is kept per event
 * key in the receiver's durable state, so this survives restarts.
 * API: https://spec.matrix.org/v1.18/client-server-api/#put_matrixclientv3roomsroomidsendeventtypetxnid,
 * edits: https://spec.matrix.org/v1.18/client-server-api/#event-replacements,
 * mentions: https://spec.matrix.org/v1.18/client-server-api/#user-and-room-mentions
 */
export default defineReceiver({
  type: 'matrix',
  version: '1.0.0',
  displayName: 'Matrix',
  docsUrl: 'https://spec.matrix.org/v1.18/client-server-api/#put_matrixclientv3roomsroomidsendeventtypetxnid',
  contact: { field: 'matrix', pattern: USER_ID, description: 'a Matrix user ID (@localpart:server)', example: '@alice:example.org' },
  config: Type.Object(
    {
      homeserver: HttpUrl({ description: 'homeserver base URL (https://matrix.example.org), as in the bot’s `m.homeserver` well-known' }),
      access_token: Secret({ description: 'access token of the bot user (syt_…), sent as Bearer; the bot must have joined the room' }),
      room_id: Type.String({ pattern: '^![^:\\s]+:\\S+$', description: 'room ID (`!abc123:example.org`, room settings → Advanced), not an alias' }),
      msgtype: Type.Union([Type.Literal('m.notice'), Type.Literal('m.text')], {
        default: 'm.notice',
        description: '`m.notice` (the spec’s type for bots; other bots ignore it) or `m.text`',
      }),
      edit_on_resolve: Type.Boolean({ default: true, description: 'edit the trigger’s message when its incident resolves, instead of posting a new one' }),
      title_template: Type.Optional(Type.String({ description: 'LiquidJS template for the first line (bold); values are HTML-escaped in `formatted_body`' })),
      text_template: Type.Optional(Type.String({ description: 'LiquidJS template for the body; values are HTML-escaped in `formatted_body`' })),
      max_per_second: Type.Number({
        exclusiveMinimum: 0,
        maximum: 50,
        default: 1,
        description: "pacing of this receiver's sends (Synapse's default: a burst of 10, then 0.2/s)",
      }),
    },
    { additionalProperties: false },
  ),
  create(config, { templates, clock }) {
    const titlePlain = templates.compile(config.title_template ?? STATUS_TITLE_TEMPLATE, { name: 'title_template', escape: 'none' });
    const textPlain = templates.compile(config.text_template ?? DEFAULT_TEXT, { name: 'text_template', escape: 'none' });
    const titleHtml = templates.compile(config.title_template ?? STATUS_TITLE_TEMPLATE, { name: 'title_template', escape: 'html' });
    const textHtml = templates.compile(config.text_template ?? DEFAULT_TEXT, { name: 'text_template', escape: 'html' });
    const pacer: Pacer = createPacer(config.max_per_second, clock);
    const base = `${config.homeserver.replace(/\/+$/, '')}/_matrix/client/v3/rooms/${encodeURIComponent(config.room_id)}/send/m.room.message/`;
    const redact = (s: string) => s.split(config.access_token).join('[redacted]');

    const put = (txnId: string, content: object, ctx: SendContext) =>
      pacer.run(async () => {
        const res = await ctx.http.request({
          method: 'PUT',
          url: `${base}${encodeURIComponent(txnId)}`,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${config.access_token}` },
          body: JSON.stringify(content),
          signal: ctx.signal,
        });
        const response = redact(res.body);
        const failure = classifyHttpResponse(res.status, res.headers, response, ctx.clock.now());
        if (!failure) {
          const eventId = (parseError(res.body) as { event_id?: unknown } | undefined)?.event_id;
          return { status: res.status, response, eventId: typeof eventId === 'string' ? eventId : undefined };
        }
        // Errors are {errcode, error}; M_LIMIT_EXCEEDED carries retry_after_ms (older servers send no Retry-After).
        const answer = parseError(res.body);
        const why = answer?.errcode ? `: ${answer.errcode}${answer.error ? ` ${redact(answer.error).slice(0, 300)}` : ''}` : '';
        if (failure.reason === 'rate_limited') {
          const fromBody = typeof answer?.retry_after_ms === 'number' && answer.retry_after_ms >= 0 ? answer.retry_after_ms : undefined;
          const wait = failure.retryAfterMs ?? fromBody ?? 1000;
          pacer.block(wait);
          throw rateLimited(`${failure.message}${why}`, wait, { status: res.status, response });
        }
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
        const vars = templateVars(notification);
        const people = mentionedUsers(notification.people);
        if (people.invalid.length > 0) ctx.log.warn({ people: people.invalid }, 'matrix contact is not a user ID (@user:server); not mentioned');
        const plain = { title: titlePlain.render(vars), text: textPlain.render(vars) };
        const html = { title: titleHtml.render(vars), text: textHtml.render(vars) };
        const build = (budget: { text: number; labelValue: number }) => buildContent(config.msgtype, event, plain, html, people.ids, budget);
        // Only the attached people may be notified; event text never mentions anyone.
        const mentions = people.ids.length > 0 ? { user_ids: people.ids } : {};
        // Retries of one delivery reuse its id, so the homeserver sees the same transaction.
        const txnId = `herald.${notification.id}`;
        const stateKey = event.key ? `event:${config.room_id}:${event.key}` : undefined;
        // An event may be at most 65,536 bytes: halve the text and label budgets until the content fits.
        const fit = <T>(make: (content: MatrixText) => T): T => {
          let budget = { text: MATRIX_LIMITS.text, labelValue: MATRIX_LIMITS.labelValue };
          let out = make(build(budget));
          while (Buffer.byteLength(JSON.stringify(out)) > CONTENT_BYTES && budget.text > 100) {
            budget = { text: Math.floor(budget.text / 2), labelValue: Math.max(50, Math.floor(budget.labelValue / 2)) };
            out = make(build(budget));
          }
          return out;
        };
        if (stateKey && event.status === 'resolved' && config.edit_on_resolve) {
          const original = await ctx.state.get(stateKey);
          if (original) {
            const res = await put(
              txnId,
              fit((content) => ({
                ...content,
                // Clients that do not understand edits show the fallback, marked as an edit by the leading "* ".
                body: `* ${content.body}`,
                formatted_body: `* ${content.formatted_body}`,
                // An edit's outer m.mentions names only newly mentioned users: none, so the resolve pings nobody again.
                'm.mentions': {},
                'm.new_content': { ...content, 'm.mentions': mentions },
                'm.relates_to': { rel_type: 'm.replace', event_id: original },
              })),
              ctx,
            );
            await ctx.state.delete(stateKey);
            return { status: res.status, response: res.response };
          }
        }
        const res = await put(
          txnId,
          fit((content) => ({ ...content, 'm.mentions': mentions })),
          ctx,
        );
        if (stateKey && event.status === 'firing' && res.eventId) await ctx.state.set(stateKey, res.eventId);
        if (stateKey && event.status === 'resolved') await ctx.state.delete(stateKey);
        return { status: res.status, response: res.response };
      },
    };
  },
});
