import {
  classifyHttpResponse,
  createPacer,
  DeliveryError,
  defineReceiver,
  type EffectiveSeverity,
  effectiveSeverity,
  HttpUrl,
  rateLimited,
  Secret,
  Type,
  templateVars,
} from '@herald/sdk';

const DEFAULT_TITLE = "{% if event.status == 'resolved' %}[RESOLVED] {% endif %}{{ event.title }}";
const DEFAULT_MESSAGE = '{{ event.text | default: event.title }}';

/** ntfy: the message body is cut at 4,096 bytes by default (`message-size-limit`); longer ones become attachments or are refused. */
export const NTFY_LIMITS = { messageBytes: 4096, actions: 3, tags: 10 };
const MARKER = '… (truncated)';
/** ntfy's default `visitor-request-limit-replenish` is one request per 5 s once the burst is spent; its 429 has no Retry-After. */
const RATE_LIMIT_WAIT_MS = 5000;

/** Tags that match an emoji short code are shown as the emoji before the title. */
const SEVERITY_TAGS: Record<EffectiveSeverity, string> = {
  critical: 'rotating_light',
  error: 'red_circle',
  warning: 'warning',
  info: 'information_source',
  ok: 'white_check_mark',
};

/** ntfy priorities: 5 max/urgent (long vibration, pop-over), 4 high, 3 default, 2 low (no sound), 1 min. */
const priority = (value: number, description: string) => Type.Integer({ minimum: 1, maximum: 5, default: value, description });

/** Cuts UTF-8 text to `max` bytes without splitting a character, ending with the marker. */
export function truncateBytes(text: string, max: number, marker = MARKER): string {
  if (Buffer.byteLength(text) <= max) return text;
  const budget = max - Buffer.byteLength(marker);
  let out = '';
  let used = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch);
    if (used + n > budget) break;
    out += ch;
    used += n;
  }
  return `${out}${marker}`;
}

/** ntfy errors: `{"code": 40301, "http": 403, "error": "forbidden", "link": "…"}`. */
function describeError(body: string): string | undefined {
  try {
    const a = JSON.parse(body) as { code?: unknown; error?: unknown };
    if (typeof a.error !== 'string') return undefined;
    return `${a.error}${typeof a.code === 'number' ? ` (${a.code})` : ''}`.slice(0, 300);
  } catch {
    return undefined;
  }
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

/** Splits a topic URL into the server root ntfy takes JSON at and the topic. */
function parseTopicUrl(url: string): { root: string; topic: string } | undefined {
  try {
    const u = new URL(url);
    const parts = u.pathname.split('/');
    const topic = parts.pop() ?? '';
    if (!/^[-_A-Za-z0-9]{1,64}$/.test(topic) || u.search !== '' || u.hash !== '') return undefined;
    return { root: `${u.origin}${parts.join('/')}/`, topic };
  } catch {
    return undefined;
  }
}

/**
 * ntfy, hosted (ntfy.sh) or self-hosted: publishes as JSON to the server root
 * (`POST /` with `topic` in the body). JSON rather than the `Title`/`Tags`
 * headers because header values are Latin-1 only and event titles are not.
 * Priority and the emoji tag come from the effective severity; the event URL
 * is the click action and its links become up to three `view` action buttons.
 * Access tokens go as Bearer, user and password as Basic auth.
 * API: https://docs.ntfy.sh/publish/#publish-as-json, auth: https://docs.ntfy.sh/publish/#authentication
 */
export default defineReceiver({
  type: 'ntfy',
  version: '1.0.0',
  displayName: 'ntfy',
  docsUrl: 'https://docs.ntfy.sh/publish/#publish-as-json',
  config: Type.Object(
    {
      // On ntfy.sh an unprotected topic's name is its only credential, so the URL is masked like a secret.
      url: HttpUrl({
        secret: true,
        description: 'topic URL (https://ntfy.sh/mytopic, https://ntfy.example.com/alerts); the topic is its last path segment',
      }),
      token: Type.Optional(Secret({ description: 'access token (`tk_…`) for protected topics, sent as Bearer; or give `username` + `password`' })),
      username: Type.Optional(Type.String({ minLength: 1, description: 'user for Basic auth (with `password`)' })),
      password: Type.Optional(Secret({ description: 'password for Basic auth (with `username`)' })),
      tags: Type.Optional(
        Type.Array(Type.String({ pattern: '^[^,]{1,64}$' }), {
          maxItems: 8,
          description: 'extra tags (emoji short codes show as emojis) after the severity tag',
        }),
      ),
      priorities: Type.Object(
        {
          critical: priority(5, 'priority of critical events (5: urgent)'),
          error: priority(4, 'priority of error events and firing events without severity (4: high)'),
          warning: priority(3, 'priority of warning events'),
          info: priority(2, 'priority of info events (2: low)'),
          ok: priority(2, 'priority of resolved events (2: low)'),
        },
        { additionalProperties: false, default: {}, description: 'ntfy priority (1–5) by effective severity' },
      ),
      markdown: Type.Boolean({ default: false, description: 'render the message as Markdown (web app); event values are then Markdown-escaped' }),
      icon: Type.Optional(HttpUrl({ description: 'notification icon (JPEG or PNG URL)' })),
      title_template: Type.Optional(Type.String({ description: 'LiquidJS template for the title' })),
      message_template: Type.Optional(Type.String({ description: 'LiquidJS template for the message (cut to 4,096 bytes)' })),
      max_per_second: Type.Number({ exclusiveMinimum: 0, maximum: 100, default: 2, description: "pacing of this receiver's sends" }),
    },
    { additionalProperties: false },
  ),
  validate(config) {
    const issues: { path: string; message: string }[] = [];
    if (!parseTopicUrl(config.url))
      issues.push({ path: 'url', message: 'must end in a topic (letters, digits, `-`, `_`; at most 64), e.g. https://ntfy.sh/alerts, without a query' });
    if (config.token && (config.username || config.password)) issues.push({ path: 'token', message: 'give either token or username + password, not both' });
    if (!config.username !== !config.password) issues.push({ path: config.username ? 'password' : 'username', message: 'username and password go together' });
    return issues;
  },
  create(config, { templates, clock }) {
    const target = parseTopicUrl(config.url) as { root: string; topic: string };
    const title = templates.compile(config.title_template ?? DEFAULT_TITLE, { name: 'title_template', escape: 'none' });
    const message = templates.compile(config.message_template ?? DEFAULT_MESSAGE, {
      name: 'message_template',
      escape: config.markdown ? 'markdown' : 'none',
    });
    const pacer = createPacer(config.max_per_second, clock);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (config.token) headers.authorization = `Bearer ${config.token}`;
    else if (config.username) headers.authorization = `Basic ${Buffer.from(`${config.username}:${config.password}`).toString('base64')}`;
    const secrets = [config.token, config.password, headers.authorization?.split(' ')[1]].filter((s): s is string => !!s);
    const redact = (s: string) => secrets.reduce((out, secret) => out.split(secret).join('[redacted]'), s);
    return {
      async send(notification, ctx) {
        const { event } = notification;
        const vars = templateVars(notification);
        const severity = effectiveSeverity(event);
        const payload: Record<string, unknown> = {
          topic: target.topic,
          title: title.render(vars),
          message: truncateBytes(message.render(vars) || event.title, NTFY_LIMITS.messageBytes),
          priority: config.priorities[severity],
          tags: [SEVERITY_TAGS[severity], ...(config.tags ?? [])],
        };
        const click = safeUrl(event.url);
        if (click) payload.click = click;
        const actions = (event.links ?? [])
          .map((l) => ({ action: 'view', label: (l.title || 'Link').slice(0, 64), url: safeUrl(l.url) }))
          .filter((a) => a.url !== undefined)
          .slice(0, NTFY_LIMITS.actions);
        if (actions.length > 0) payload.actions = actions;
        if (config.markdown) payload.markdown = true;
        if (config.icon) payload.icon = config.icon;
        return pacer.run(async () => {
          const res = await ctx.http.request({ method: 'POST', url: target.root, headers, body: JSON.stringify(payload), signal: ctx.signal });
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
