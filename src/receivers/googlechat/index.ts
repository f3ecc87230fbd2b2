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
  rateLimited,
  STATUS_TITLE_TEMPLATE,
  Type,
  templateVars,
} from '@herald/sdk';

const DEFAULT_TEXT = '{{ event.text }}';

/** A message, text and cards together, is at most 32,000 bytes; thread keys up to 4,000 characters. */
export const GOOGLECHAT_LIMITS = { messageBytes: 32_000, text: 12_000, labels: 30, labelValue: 500, buttons: 5, header: 200 };
const MARKER = '… (truncated)';
/** Google asks for exponential backoff on 429 and sends no Retry-After; the per-space write quota is per second/minute. */
const RATE_LIMIT_WAIT_MS = 5000;

const ICONS: Record<EffectiveSeverity, string> = { ok: '✅', critical: '🔴', error: '🟠', warning: '🟡', info: 'ℹ️' };
const COLOURS: Record<EffectiveSeverity, string> = { ok: '#2EB67D', critical: '#D0021B', error: '#E8590C', warning: '#B8860B', info: '#439FE0' };

export function truncate(text: string, max: number, marker = MARKER): string {
  if (text.length <= max) return text;
  let out = text.slice(0, Math.max(0, max - marker.length));
  out = out.replace(/&[#a-zA-Z0-9]*$/, '').replace(/[\uD800-\uDBFF]$/, '');
  return `${out}${marker}`;
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

type Widget = Record<string, unknown>;

/**
 * One cards v2 message: a header with the severity icon and title, the text
 * as a paragraph, a coloured context line, labels as decorated texts and
 * links as buttons, plus `fallbackText` for notifications. Card text takes
 * Google Chat's HTML subset, so `html` arrives with every value escaped and
 * labels and context are escaped here; the header is plain text.
 */
export function buildMessage(event: HeraldEvent, cardId: string, title: string, html: string, textBudget = GOOGLECHAT_LIMITS.text) {
  const severity = effectiveSeverity(event);
  const context = [event.status.toUpperCase(), event.severity, event.source && `source: ${event.source}`, event.key && `key: ${event.key}`]
    .filter(Boolean)
    .join(' · ');
  const widgets: Widget[] = [];
  if (html.trim()) widgets.push({ textParagraph: { text: truncate(html, textBudget).replace(/\n/g, '<br>') } });
  widgets.push({ textParagraph: { text: `<font color="${COLOURS[severity]}">${escapeHtml(context)}</font>` } });
  const sections: { header?: string; collapsible?: boolean; uncollapsibleWidgetsCount?: number; widgets: Widget[] }[] = [{ widgets }];
  const labels = Object.entries(event.labels).slice(0, GOOGLECHAT_LIMITS.labels);
  if (labels.length > 0) {
    sections.push({
      header: 'Labels',
      collapsible: labels.length > 5,
      ...(labels.length > 5 ? { uncollapsibleWidgetsCount: 5 } : {}),
      widgets: labels.map(([k, v]) => ({ decoratedText: { topLabel: escapeHtml(k), text: escapeHtml(truncate(v, GOOGLECHAT_LIMITS.labelValue, '…')) } })),
    });
  }
  const links = [...(event.url ? [{ title: 'Open', url: event.url }] : []), ...(event.links ?? [])]
    .map((l) => ({ title: l.title || 'Link', url: safeUrl(l.url) }))
    .filter((l): l is { title: string; url: string } => l.url !== undefined)
    .slice(0, GOOGLECHAT_LIMITS.buttons);
  if (links.length > 0) {
    sections.push({ widgets: [{ buttonList: { buttons: links.map((l) => ({ text: truncate(l.title, 40, '…'), onClick: { openLink: { url: l.url } } })) } }] });
  }
  const header = truncate(`${ICONS[severity]} ${title}`, GOOGLECHAT_LIMITS.header, '…');
  return {
    fallbackText: header,
    cardsV2: [{ cardId, card: { header: { title: header, ...(event.source ? { subtitle: truncate(event.source, 100, '…') } : {}) }, sections } }],
  };
}

/** Google API errors: `{"error": {"code": 400, "message": "…", "status": "INVALID_ARGUMENT"}}`. */
function describeError(body: string): string | undefined {
  try {
    const e = (JSON.parse(body) as { error?: { message?: unknown; status?: unknown } }).error;
    if (!e || typeof e.message !== 'string') return undefined;
    return `${typeof e.status === 'string' ? `${e.status} ` : ''}${e.message.slice(0, 300)}`;
  } catch {
    return undefined;
  }
}

/**
 * Google Chat, through a space's incoming webhook: `POST {url}` (the webhook
 * URL carries `key` and `token`) with a cards v2 message. Notifications with
 * an event key go into one thread per key — `thread.threadKey` plus
 * `messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD` — so an
 * incident's trigger, repeats and resolve read as one thread. The message is
 * kept under 32,000 bytes.
 * API: https://developers.google.com/workspace/chat/quickstart/webhooks,
 * message: https://developers.google.com/workspace/chat/api/reference/rest/v1/spaces.messages/create,
 * cards: https://developers.google.com/workspace/chat/api/reference/rest/v1/cards,
 * limits: https://developers.google.com/workspace/chat/limits
 */
export default defineReceiver({
  type: 'googlechat',
  version: '1.0.0',
  displayName: 'Google Chat',
  docsUrl: 'https://developers.google.com/workspace/chat/quickstart/webhooks',
  config: Type.Object(
    {
      url: HttpUrl({
        secret: true,
        description: 'incoming webhook URL (https://chat.googleapis.com/v1/spaces/…/messages?key=…&token=…); the key and token are the credential',
      }),
      threads: Type.Boolean({ default: true, description: 'one thread per event key (incident); off: every notification starts a thread' }),
      title_template: Type.Optional(Type.String({ description: 'LiquidJS template for the card header (plain text)' })),
      text_template: Type.Optional(
        Type.String({ description: 'LiquidJS template for the card text; values are HTML-escaped, the template may use Chat’s HTML tags' }),
      ),
      max_per_second: Type.Number({
        exclusiveMinimum: 0,
        maximum: 10,
        default: 1,
        description: "pacing of this receiver's sends (Chat's per-space write quota)",
      }),
    },
    { additionalProperties: false },
  ),
  validate(config) {
    try {
      const u = new URL(config.url);
      if (!u.searchParams.get('key') || !u.searchParams.get('token'))
        return [{ path: 'url', message: 'is not an incoming webhook URL: it needs its key= and token= query parameters' }];
    } catch {
      // The schema reports a malformed URL.
    }
    return [];
  },
  create(config, { templates, clock }) {
    const title = templates.compile(config.title_template ?? STATUS_TITLE_TEMPLATE, { name: 'title_template', escape: 'none' });
    const text = templates.compile(config.text_template ?? DEFAULT_TEXT, { name: 'text_template', escape: 'html' });
    const pacer = createPacer(config.max_per_second, clock);
    const secrets = (() => {
      const u = new URL(config.url);
      return [u.searchParams.get('key'), u.searchParams.get('token'), encodeURIComponent(u.searchParams.get('token') ?? '')].filter((s): s is string => !!s);
    })();
    const redact = (s: string) => secrets.reduce((out, secret) => out.split(secret).join('[redacted]'), s);
    return {
      async send(notification, ctx) {
        const { event } = notification;
        const vars = templateVars(notification);
        const cardId = `herald-${notification.id}`;
        const renderedTitle = title.render(vars);
        const renderedText = text.render(vars);
        let message: Record<string, unknown> = buildMessage(event, cardId, renderedTitle, renderedText);
        // Cut the text further until the whole message fits Google Chat's byte limit.
        for (let budget = GOOGLECHAT_LIMITS.text; Buffer.byteLength(JSON.stringify(message)) > GOOGLECHAT_LIMITS.messageBytes && budget > 100; ) {
          budget = Math.floor(budget / 2);
          message = buildMessage(event, cardId, renderedTitle, renderedText, budget);
        }
        const url = new URL(config.url);
        if (event.key && config.threads) {
          message.thread = { threadKey: event.key };
          url.searchParams.set('messageReplyOption', 'REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD');
        }
        return pacer.run(async () => {
          const res = await ctx.http.request({
            method: 'POST',
            url: url.toString(),
            headers: { 'content-type': 'application/json; charset=UTF-8' },
            body: JSON.stringify(message),
            signal: ctx.signal,
          });
          const response = redact(res.body);
          const failure = classifyHttpResponse(res.status, res.headers, response, ctx.clock.now());
          if (!failure) return { status: res.status, response };
          const why = describeError(res.body);
          const msg = why ? `${failure.message}: ${redact(why)}` : failure.message;
          if (failure.reason === 'rate_limited') {
            const wait = failure.retryAfterMs ?? RATE_LIMIT_WAIT_MS;
            pacer.block(wait);
            throw rateLimited(msg, wait, { status: res.status, response });
          }
          throw new DeliveryError(msg, {
            reason: failure.reason,
            retryable: failure.retryable,
            retryAfterMs: failure.retryAfterMs,
            status: res.status,
            response,
          });
        }, ctx.signal);
      },
    };
  },
});
