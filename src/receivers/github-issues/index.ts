import {
  classifyHttpResponse,
  DeliveryError,
  defineReceiver,
  type HttpResponse,
  HttpUrl,
  incidentTag,
  type Notification,
  parseRetryAfter,
  rateLimited,
  retryable,
  Secret,
  type SendContext,
  Type,
  templateVars,
} from '@herald/sdk';

/**
 * GitHub issues: one issue per incident in a repository. The first firing
 * notification opens it, repeats and acknowledgements comment, the resolve
 * comments and closes it as completed. The issue number is kept in the
 * receiver's durable state; the issue also carries a `herald-<hash>` label of
 * the incident key, so a lost state or a create whose answer was lost finds
 * the open issue again (listing issues by label is consistent, unlike search).
 *
 * API: https://docs.github.com/en/rest/issues/issues#create-an-issue,
 * …#list-repository-issues, …#update-an-issue (state, state_reason),
 * https://docs.github.com/en/rest/issues/comments#create-an-issue-comment.
 * Headers: `Accept: application/vnd.github+json`, `X-GitHub-Api-Version: 2022-11-28`,
 * a User-Agent (required). Rate limits:
 * https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api —
 * 403 or 429 with `x-ratelimit-remaining: 0` waits until `x-ratelimit-reset`;
 * a secondary limit answers 403/429 with `retry-after`.
 */

/** GitHub caps issue and comment bodies at 65,536 characters; titles are kept to one readable line. */
const BODY_MAX = 65_000;
const TITLE_MAX = 256;
const API_VERSION = '2022-11-28';

const DEFAULT_TITLE = '{{ event.title }}';
const DEFAULT_BODY = '{{ event.text }}';

/**
 * The event's URL and links, appended to the default body. Built here, not in
 * the template, because Markdown escaping would break a URL: each goes in an
 * angle-bracket destination, normalised by WHATWG URL (which percent-encodes
 * `<`, `>` and spaces), so an event URL cannot break out into markup.
 */
function linkLines(event: Notification['event'], escapeTitle: (s: string) => string): string {
  const safe = (u: string) => {
    try {
      return new URL(u).href;
    } catch {
      return undefined;
    }
  };
  const lines: string[] = [];
  const main = event.url ? safe(event.url) : undefined;
  if (main) lines.push(`<${main}>`);
  for (const l of event.links ?? []) {
    const href = safe(l.url);
    if (href) lines.push(`- [${escapeTitle(l.title ?? 'link')}](<${href}>)`);
  }
  return lines.join('\n');
}

const cut = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

export default defineReceiver({
  type: 'github-issues',
  version: '1.0.0',
  displayName: 'GitHub issues',
  docsUrl: 'https://docs.github.com/en/rest/issues/issues',
  capabilities: { dedupByKey: true, acknowledge: true },
  config: Type.Object(
    {
      repository: Type.String({ pattern: '^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$', description: '`owner/name` of the repository the issues are opened in' }),
      token: Secret({ description: 'fine-grained or classic token with Issues read/write on the repository, sent as `Authorization: Bearer`' }),
      api_url: HttpUrl({ default: 'https://api.github.com', description: 'REST API base URL (GitHub Enterprise Server: https://HOST/api/v3)' }),
      labels: Type.Optional(
        Type.Array(Type.String({ minLength: 1, maxLength: 50 }), {
          maxItems: 20,
          description: 'labels added to every issue; Herald adds its own `herald-…` label',
        }),
      ),
      assignees: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 39 }), { maxItems: 10, description: 'GitHub logins assigned to new issues' })),
      comment_on_repeat: Type.Boolean({ default: true, description: 'comment on the issue on each repeat notification' }),
      title_template: Type.Optional(Type.String({ description: 'LiquidJS template for the issue title (one line, cut to 256 characters)' })),
      body_template: Type.Optional(Type.String({ description: 'LiquidJS template for the issue body (Markdown; event values are escaped)' })),
    },
    { additionalProperties: false },
  ),
  create(config, { templates }) {
    const title = templates.compile(config.title_template ?? DEFAULT_TITLE, { name: 'title_template', escape: 'none' });
    // Event strings are untrusted: escaped for Markdown so they cannot mention people, link or format.
    const body = templates.compile(config.body_template ?? DEFAULT_BODY, { name: 'body_template', escape: 'markdown' });
    const linkTitle = templates.compile('{{ t }}', { name: 'link title', escape: 'markdown' });
    const repo = `${config.api_url.replace(/\/$/, '')}/repos/${config.repository}`;

    async function call(ctx: SendContext, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown): Promise<HttpResponse> {
      const res = await ctx.http.request({
        method,
        url,
        headers: {
          accept: 'application/vnd.github+json',
          authorization: `Bearer ${config.token}`,
          'x-github-api-version': API_VERSION,
          'user-agent': 'Herald',
          ...(payload === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
        },
        body: payload === undefined ? undefined : JSON.stringify(payload),
        signal: ctx.signal,
      });
      const response = res.body.split(config.token).join('[redacted]');
      const limited = rateLimit(res, ctx.clock.now());
      if (limited) throw limited;
      const failure = classifyHttpResponse(res.status, res.headers, response, ctx.clock.now());
      if (failure) {
        const why = failure.retryable ? undefined : githubMessage(response);
        if (why) throw new DeliveryError(`${failure.message}: ${why}`, { reason: failure.reason, retryable: false, status: res.status, response });
        throw failure;
      }
      return { ...res, body: response };
    }

    async function findOpen(ctx: SendContext, label: string): Promise<number | undefined> {
      const res = await call(ctx, 'GET', `${repo}/issues?labels=${encodeURIComponent(label)}&state=open&per_page=1`);
      const list = parse(res.body, 'issue list');
      if (!Array.isArray(list)) throw retryable(`GitHub answered HTTP ${res.status} to the issue list without a list`, { status: res.status });
      const n = (list[0] as { number?: unknown } | undefined)?.number;
      return typeof n === 'number' ? n : undefined;
    }

    async function open(ctx: SendContext, n: Notification, label: string): Promise<{ number: number; res: HttpResponse }> {
      const vars = defused(n);
      const payload: Record<string, unknown> = {
        title: cut(title.render(vars).replace(/\s+/g, ' ').trim() || n.event.title, TITLE_MAX),
        body: cut(
          [body.render(vars).trim(), config.body_template ? '' : linkLines(vars.event, (t) => linkTitle.render({ t }))].filter(Boolean).join('\n\n') ||
            n.event.title,
          BODY_MAX,
        ),
        labels: [...new Set([...(config.labels ?? []), label])],
      };
      if (config.assignees?.length) payload.assignees = config.assignees;
      const res = await call(ctx, 'POST', `${repo}/issues`, payload);
      const number = (parse(res.body, 'create') as { number?: unknown } | undefined)?.number;
      if (typeof number !== 'number') throw retryable(`GitHub answered HTTP ${res.status} to the create without an issue number`, { status: res.status });
      return { number, res };
    }

    const comment = (ctx: SendContext, number: number, text: string) => call(ctx, 'POST', `${repo}/issues/${number}/comments`, { body: cut(text, BODY_MAX) });
    const seen = '{% if incident.times_seen %} ({{ incident.times_seen }} times seen){% endif %}';
    const comments = {
      repeat: templates.compile(`Still firing: {{ event.title }}${seen}{% if event.text %}\n\n{{ event.text }}{% endif %}`, {
        name: 'repeat comment',
        escape: 'markdown',
      }),
      ack: templates.compile('Acknowledged{% if incident.acknowledged_by %} by {{ incident.acknowledged_by }}{% endif %}: {{ event.title }}', {
        name: 'acknowledge comment',
        escape: 'markdown',
      }),
      resolve: templates.compile(`Resolved: {{ event.title }}${seen}`, { name: 'resolve comment', escape: 'markdown' }),
    };

    return {
      async send(n, ctx) {
        const { event } = n;
        const label = incidentTag(event.key ?? n.id);
        const stateKey = `issue:${label}`;
        const saved = await ctx.state.get(stateKey);
        let number = saved === undefined ? undefined : Number(saved);
        const vars = defused(n);

        if (event.status === 'resolved') {
          number ??= await findOpen(ctx, label);
          if (number === undefined) return { status: 200, response: 'no open issue for this key' };
          await comment(ctx, number, comments.resolve.render(vars));
          const res = await call(ctx, 'PATCH', `${repo}/issues/${number}`, { state: 'closed', state_reason: 'completed' });
          await ctx.state.delete(stateKey);
          return { status: res.status, response: `#${number} closed` };
        }
        if (number === undefined) {
          number = await findOpen(ctx, label);
          if (number !== undefined) {
            // A create whose answer was lost, or state lost: adopt the open issue rather than open a second.
            await ctx.state.set(stateKey, String(number));
            return { status: 200, response: `#${number} already open` };
          }
          const opened = await open(ctx, n, label);
          await ctx.state.set(stateKey, String(opened.number));
          return { status: opened.res.status, response: `#${opened.number} opened` };
        }
        if (event.action === 'acknowledge' || event.action === 'acknowledged') {
          const res = await comment(ctx, number, comments.ack.render(vars));
          return { status: res.status, response: `#${number} commented` };
        }
        if (config.comment_on_repeat === false) return { status: 200, response: `#${number} open; repeat not commented` };
        const res = await comment(ctx, number, comments.repeat.render(vars));
        return { status: res.status, response: `#${number} commented` };
      },
    };
  },
});

/**
 * Template values with every `@name` in the event's own strings defused (a
 * zero-width space after the `@`): on GitHub a mention notifies that user or
 * team, and an event must not be able to page people. Mentions written in
 * your own templates stay live.
 */
function defused(n: Notification): ReturnType<typeof templateVars> {
  const d = (s: string) => s.replace(/@(?=[A-Za-z0-9])/g, '@\u200b');
  const e = n.event;
  const event = {
    ...e,
    title: d(e.title),
    ...(e.text === undefined ? {} : { text: d(e.text) }),
    labels: Object.fromEntries(Object.entries(e.labels).map(([k, v]) => [k, d(v)])),
    ...(e.links ? { links: e.links.map((l) => ({ ...l, ...(l.title === undefined ? {} : { title: d(l.title) }) })) } : {}),
  };
  return templateVars({ ...n, event });
}

/** GitHub's primary limit (remaining 0 → wait until reset) and secondary limits (403/429 with retry-after). */
function rateLimit(res: HttpResponse, now: number): DeliveryError | undefined {
  if (res.status !== 403 && res.status !== 429) return undefined;
  const header = (name: string) => {
    const v = res.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const retryAfter = parseRetryAfter(header('retry-after') || undefined, now);
  if (retryAfter !== undefined) return rateLimited(`rate limited: HTTP ${res.status}`, retryAfter, { status: res.status });
  if (header('x-ratelimit-remaining') === '0') {
    const reset = Number(header('x-ratelimit-reset'));
    const wait = Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - now) : undefined;
    return rateLimited(`rate limited: HTTP ${res.status}, limit exhausted`, wait, { status: res.status });
  }
  return undefined;
}

function parse(body: string, what: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw retryable(`GitHub's answer to the ${what} is not JSON`);
  }
}

/** GitHub explains a 4xx as `{message, errors: [{resource, field, code, message?}]}`. */
function githubMessage(body: string): string | undefined {
  try {
    const p = JSON.parse(body) as { message?: unknown; errors?: unknown };
    if (typeof p.message !== 'string') return undefined;
    const details = Array.isArray(p.errors)
      ? p.errors
          .map((e: { field?: unknown; code?: unknown; message?: unknown }) => (typeof e.message === 'string' ? e.message : `${e.field} ${e.code}`))
          .join('; ')
      : '';
    return cut(details ? `${p.message} (${details})` : p.message, 300);
  } catch {
    return undefined;
  }
}
