import {
  classifyHttpResponse,
  createPacer,
  DeliveryError,
  defineReceiver,
  effectiveSeverity,
  escapeHtml,
  type HeraldEvent,
  type HttpResponse,
  HttpUrl,
  parseRetryAfter,
  permanent,
  rateLimited,
  Secret,
  type SendContext,
  STATUS_TITLE_TEMPLATE,
  Type,
  templateVars,
} from '@herald/sdk';

/** Message API limits (https://pushover.net/api#limits). */
export const PUSHOVER_LIMITS = { message: 1024, title: 250, url: 512, urlTitle: 100 };
const MARKER = '… (truncated)';
/** Without Retry-After, a monthly-quota 429 is retried at most this far apart (an upgrade lifts the limit at once). */
const QUOTA_RETRY_MS = 3_600_000;

const TOKEN = /<\/?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?>|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);|[\s\S]/g;

/** Cuts (escaped) HTML to `max` characters in all, never inside a tag or entity, closing open tags and marking the cut. */
export function truncateHtml(html: string, max: number): string {
  if (html.length <= max) return html;
  const open: string[] = [];
  let out = '';
  for (const m of html.matchAll(TOKEN)) {
    const t = m[0];
    const isTag = t.startsWith('<') && t.length > 1;
    const name = isTag ? (/^<\/?([a-zA-Z][a-zA-Z0-9-]*)/.exec(t)?.[1]?.toLowerCase() ?? '') : '';
    const closing = [...open, ...(isTag && !t.startsWith('</') ? [name] : [])].reduce((n, tag) => n + tag.length + 3, 0);
    if (out.length + t.length + closing + MARKER.length > max) break;
    if (isTag) {
      if (t.startsWith('</')) {
        const i = open.lastIndexOf(name);
        if (i >= 0) open.splice(i, 1);
      } else open.push(name);
    }
    out += t;
  }
  if (/[\ud800-\udbff]$/.test(out)) out = out.slice(0, -1);
  for (let i = open.length - 1; i >= 0; i--) out += `</${open[i]}>`;
  return `${out}${MARKER}`;
}

const cut = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - MARKER.length)}${MARKER}`);

type PriorityKey = 'critical' | 'error' | 'warning' | 'info' | 'resolved';

/** The configured priority for the event's effective severity (`resolved` for a resolved event). */
export function priorityFor(event: HeraldEvent, priorities: Record<PriorityKey, number>): number {
  const severity = effectiveSeverity(event);
  return priorities[severity === 'ok' ? 'resolved' : severity];
}

const DEFAULT_MESSAGE =
  '{% if event.text %}{{ event.text }}{% else %}{{ event.title }}{% endif %}{% for l in event.labels %}\n<b>{{ l[0] }}</b>: {{ l[1] }}{% endfor %}';

/** Emergency receipts kept per key (a repeat while firing issues a new one). */
const MAX_RECEIPTS = 10;

const priority = (value: number, description: string) => Type.Integer({ minimum: -2, maximum: 2, default: value, description });

/**
 * Pushover Message API: one push per event to a user or delivery group. The
 * message is HTML (`html=1`) with every event value escaped; priority comes
 * from severity (emergency, 2, only if you configure it, with `retry` and
 * `expire`). 4xx are permanent; a 429 means the monthly message quota is used
 * up and is retried (Retry-After, else hourly until the quota resets); 5xx retried.
 * API: https://pushover.net/api
 */
export default defineReceiver({
  type: 'pushover',
  version: '1.0.0',
  displayName: 'Pushover',
  docsUrl: 'https://pushover.net/api',
  config: Type.Object(
    {
      token: Secret({ description: "your application's API token (30 characters)" }),
      user: Secret({ description: 'user key or delivery group key (30 characters)' }),
      device: Type.Optional(
        Type.String({
          pattern: '^[A-Za-z0-9_-]{1,25}(,[A-Za-z0-9_-]{1,25})*$',
          description: "device name(s) to send to, comma-separated (default: all the user's devices)",
        }),
      ),
      sound: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'notification sound name' })),
      url: HttpUrl({ description: 'Message API endpoint (tests, proxies)', default: 'https://api.pushover.net/1/messages.json' }),
      title_template: Type.Optional(Type.String({ description: 'LiquidJS template for the title (plain text, cut to 250 characters)' })),
      message_template: Type.Optional(Type.String({ description: 'LiquidJS template for the message (HTML: values are escaped; cut to 1,024 characters)' })),
      priorities: Type.Object(
        {
          critical: priority(1, 'priority of critical events (1: high)'),
          error: priority(1, 'priority of error events'),
          warning: priority(0, 'priority of warning events (0: normal)'),
          info: priority(-1, 'priority of info events and events without severity (-1: quiet)'),
          resolved: priority(-1, 'priority of resolved events'),
        },
        { additionalProperties: false, default: {}, description: 'Pushover priority (-2 … 2) by severity; 2 (emergency) repeats until acknowledged' },
      ),
      retry: Type.Integer({ minimum: 30, default: 60, description: 'emergency priority: seconds between repeats (≥ 30)' }),
      expire: Type.Integer({ minimum: 30, maximum: 10800, default: 3600, description: 'emergency priority: seconds until repeats stop (≤ 10,800)' }),
      max_per_second: Type.Number({ exclusiveMinimum: 0, maximum: 10, default: 2, description: "pacing of this receiver's sends (one request at a time)" }),
    },
    { additionalProperties: false },
  ),
  validate(config) {
    if (config.retry > config.expire) return [{ path: 'retry', message: 'must not be longer than expire' }];
    return [];
  },
  create(config, { templates, clock }) {
    const title = templates.compile(config.title_template ?? STATUS_TITLE_TEMPLATE, { name: 'title_template', escape: 'none' });
    const message = templates.compile(config.message_template ?? DEFAULT_MESSAGE, { name: 'message_template', escape: 'html' });
    const endpoint = config.url;
    const pacer = createPacer(config.max_per_second, clock);
    const secrets = [config.token, config.user];
    const redact = (s: string) => secrets.reduce((out, secret) => out.split(secret).join('[redacted]'), s);
    /**
     * Cancels the emergency retries of a resolved key (https://pushover.net/api/receipts#cancel).
     * A receipt Pushover no longer knows (expired, acknowledged and gone) is done with;
     * other failures are thrown, so the whole send is retried and the cancel with it.
     */
    const cancelReceipts = async (stateKey: string, ctx: SendContext) => {
      const receipts = JSON.parse((await ctx.state.get(stateKey)) ?? '[]') as string[];
      for (const receipt of receipts) {
        const res = await pacer.run<HttpResponse>(
          () =>
            ctx.http.request({
              method: 'POST',
              url: new URL(`receipts/${receipt}/cancel.json`, endpoint).toString(),
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: new URLSearchParams({ token: config.token }).toString(),
              signal: ctx.signal,
            }),
          ctx.signal,
        );
        if (res.status === 404 || res.status === 400) {
          ctx.log.info({ status: res.status }, 'pushover receipt already gone; nothing to cancel');
          continue;
        }
        const failure = classifyHttpResponse(res.status, res.headers, redact(res.body), ctx.clock.now());
        if (failure)
          throw new DeliveryError(`cancelling the emergency receipt: ${failure.message}`, {
            reason: failure.reason,
            retryable: failure.retryable,
            retryAfterMs: failure.retryAfterMs,
            status: res.status,
            response: failure.response,
          });
      }
      if (receipts.length > 0) await ctx.state.delete(stateKey);
    };
    return {
      async send(notification, ctx) {
        const { event } = notification;
        const vars = templateVars(notification);
        const form = new URLSearchParams({ token: config.token, user: config.user });
        const html = message.render(vars).trim() || escapeHtml(event.title);
        form.set('message', truncateHtml(html, PUSHOVER_LIMITS.message));
        form.set('html', '1');
        const t = title.render(vars).trim();
        if (t) form.set('title', cut(t, PUSHOVER_LIMITS.title));
        const p = priorityFor(event, config.priorities);
        form.set('priority', String(p));
        if (p === 2) {
          form.set('retry', String(config.retry));
          form.set('expire', String(config.expire));
        }
        if (event.url && event.url.length <= PUSHOVER_LIMITS.url) {
          form.set('url', event.url);
          form.set('url_title', 'Open');
        }
        const at = Date.parse(event.occurred_at ?? event.received_at);
        if (!Number.isNaN(at)) form.set('timestamp', String(Math.floor(at / 1000)));
        if (config.device) form.set('device', config.device);
        if (config.sound) form.set('sound', config.sound);
        // An emergency push repeats until acknowledged or expired: when its incident resolves, stop it.
        const receiptKey = event.key ? `receipts:${event.key}` : undefined;
        if (receiptKey && event.status === 'resolved') await cancelReceipts(receiptKey, ctx);
        const sent = await pacer.run(async () => {
          const res = await ctx.http.request({
            method: 'POST',
            url: endpoint,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: form.toString(),
            signal: ctx.signal,
          });
          const response = redact(res.body);
          let answer: { status?: number; errors?: unknown } | undefined;
          try {
            answer = JSON.parse(res.body) as typeof answer;
          } catch {
            answer = undefined;
          }
          const why = Array.isArray(answer?.errors) ? `: ${redact(answer.errors.map(String).join('; ')).slice(0, 300)}` : '';
          if (res.status >= 200 && res.status < 300) {
            if (answer && answer.status !== undefined && answer.status !== 1)
              throw permanent(`Pushover answered status ${answer.status}${why}`, { status: res.status, response });
            const receipt = (answer as { receipt?: unknown } | undefined)?.receipt;
            return { status: res.status, response, receipt: typeof receipt === 'string' && /^[A-Za-z0-9]{30}$/.test(receipt) ? receipt : undefined };
          }
          if (res.status === 429) {
            // Over the monthly message quota. Retry-After if sent; else until the quota resets
            // (X-Limit-App-Reset, a Unix time), but at least hourly: an upgrade lifts it at once.
            const now = ctx.clock.now();
            let ms = parseRetryAfter(res.headers['retry-after'], now);
            if (ms === undefined) {
              const reset = Number(res.headers['x-limit-app-reset']);
              ms = Number.isFinite(reset) && reset > 0 ? Math.min(Math.max(reset * 1000 - now, 1000), QUOTA_RETRY_MS) : QUOTA_RETRY_MS;
            }
            pacer.block(ms);
            throw rateLimited(`Pushover message quota exceeded (HTTP 429)${why}`, ms, { status: res.status, response });
          }
          const failure = classifyHttpResponse(res.status, res.headers, response, ctx.clock.now());
          if (!failure) return { status: res.status, response };
          throw new DeliveryError(`${failure.message}${why}`, {
            reason: failure.reason,
            retryable: failure.retryable,
            // Pushover: after a 5xx, wait at least 5 seconds before trying again.
            retryAfterMs: failure.retryAfterMs ?? (res.status >= 500 ? 5000 : undefined),
            status: res.status,
            response,
          });
        }, ctx.signal);
        if (receiptKey && sent.receipt && event.status === 'firing') {
          // Each repeat of an emergency push has its own receipt; keep the latest few to cancel them all.
          const kept = JSON.parse((await ctx.state.get(receiptKey)) ?? '[]') as string[];
          await ctx.state.set(receiptKey, JSON.stringify([...kept, sent.receipt].slice(-MAX_RECEIPTS)));
        }
        return { status: sent.status, response: sent.response };
      },
    };
  },
});
