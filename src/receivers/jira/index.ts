import {
  classifyHttpResponse,
  DeliveryError,
  defineReceiver,
  effectiveSeverity,
  type HttpResponse,
  HttpUrl,
  incidentTag,
  type Notification,
  permanent,
  retryable,
  Secret,
  type SendContext,
  Type,
  templateVars,
} from '@herald/sdk';
import { type AdfDoc, adfDocument } from './adf.js';

/**
 * Jira (Cloud REST API v3, or v2 on Data Center / Server): one issue per
 * incident. The first firing notification creates it, repeats add a comment,
 * an acknowledgement adds a comment, the resolve comments and moves the issue
 * through the configured transition. The issue key is kept in the receiver's
 * durable state (survives restarts) and the issue also carries a label derived
 * from the incident key, so a lost state or a create whose answer was lost
 * finds the open issue again instead of opening a second one.
 *
 * API: https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-post
 * (create), …/api-group-issue-comments/#api-rest-api-3-issue-issueidorkey-comment-post (comment),
 * …/api-group-issues/#api-rest-api-3-issue-issueidorkey-transitions-get and -post (transitions),
 * …/api-group-issue-search/#api-rest-api-3-search-jql-post (enhanced JQL search; v2: POST /rest/api/2/search).
 * Auth: https://developer.atlassian.com/cloud/jira/platform/basic-auth-for-rest-apis/ (e-mail + API token),
 * Data Center personal access tokens as `Authorization: Bearer`.
 * Errors: 400 `{errorMessages, errors}` (permanent, kept), 401/403 auth, 404 unknown issue, 429 with Retry-After.
 */

/** Jira's `summary` field holds at most 255 characters. */
const SUMMARY_MAX = 255;
/** Text fields (description, comment body) are capped at 32,767 characters. */
const TEXT_MAX = 32_000;

const DEFAULT_SUMMARY = '{{ event.title }}';
const DEFAULT_DESCRIPTION =
  '{{ event.text }}{% if event.url %}\n\n{{ event.url }}{% endif %}{% for l in event.links %}\n{{ l.title | default: "link" }}: {{ l.url }}{% endfor %}';

interface Ticket {
  key: string;
}

const cut = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

export default defineReceiver({
  type: 'jira',
  version: '1.0.0',
  displayName: 'Jira (issues)',
  docsUrl: 'https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/',
  capabilities: { dedupByKey: true, acknowledge: true },
  config: Type.Object(
    {
      url: HttpUrl({ description: 'site URL, e.g. https://your-team.atlassian.net (Cloud) or your Data Center base URL' }),
      project: Type.String({ pattern: '^[A-Z][A-Z0-9_]{0,254}$', description: 'project key the issues are created in, e.g. `OPS`' }),
      issue_type: Type.String({ minLength: 1, default: 'Task', description: 'issue type name' }),
      email: Type.Optional(Type.String({ minLength: 3, description: 'Atlassian account e-mail for basic auth with `api_token` (Cloud)' })),
      api_token: Type.Optional(Secret({ description: 'API token of that account (Cloud); sent as basic auth with `email`' })),
      token: Type.Optional(
        Secret({ description: 'personal access token (Data Center / Server), sent as `Authorization: Bearer`; instead of email + api_token' }),
      ),
      api_version: Type.Enum(['3', '2'], {
        default: '3',
        description: '`3`: Cloud, descriptions and comments in Atlassian Document Format; `2`: Data Center / Server, plain text',
      }),
      labels: Type.Optional(
        Type.Array(Type.String({ pattern: '^\\S{1,255}$' }), {
          maxItems: 20,
          description: 'labels added to every issue (no spaces); Herald adds its own `herald-…` label',
        }),
      ),
      priorities: Type.Optional(
        Type.Object(
          {
            critical: Type.Optional(Type.String({ minLength: 1 })),
            error: Type.Optional(Type.String({ minLength: 1 })),
            warning: Type.Optional(Type.String({ minLength: 1 })),
            info: Type.Optional(Type.String({ minLength: 1 })),
          },
          {
            additionalProperties: false,
            description: "Jira priority name per severity (e.g. `{critical: Highest, error: High}`); unset: the project's default priority",
          },
        ),
      ),
      resolve_transition: Type.Optional(
        Type.String({
          minLength: 1,
          description: 'name of the transition applied on resolve (e.g. `Done`); default: the first transition into a status of the Done category',
        }),
      ),
      comment_on_repeat: Type.Boolean({ default: true, description: 'add a comment to the issue on each repeat notification' }),
      summary_template: Type.Optional(Type.String({ description: 'LiquidJS template for the summary (cut to 255 characters)' })),
      description_template: Type.Optional(Type.String({ description: 'LiquidJS template for the description (plain text, cut to 32,000 characters)' })),
    },
    { additionalProperties: false },
  ),
  validate(config) {
    const basic = config.email !== undefined || config.api_token !== undefined;
    if (basic && config.token) return [{ path: 'token', message: 'give either email + api_token (Cloud) or token (Data Center), not both' }];
    if (!basic && !config.token) return [{ path: 'api_token', message: 'is required (with email), or give token' }];
    if (basic && (!config.email || !config.api_token)) return [{ path: config.email ? 'api_token' : 'email', message: 'email and api_token go together' }];
    return [];
  },
  create(config, { templates }) {
    const summary = templates.compile(config.summary_template ?? DEFAULT_SUMMARY, { name: 'summary_template', escape: 'none' });
    const description = templates.compile(config.description_template ?? DEFAULT_DESCRIPTION, { name: 'description_template', escape: 'none' });
    const version = config.api_version;
    const base = `${config.url.replace(/\/$/, '')}/rest/api/${version}`;
    const authorization = config.token ? `Bearer ${config.token}` : `Basic ${Buffer.from(`${config.email}:${config.api_token}`).toString('base64')}`;
    const secrets = [config.token, config.api_token, authorization].filter((s): s is string => Boolean(s));
    const text = (plain: string): string | AdfDoc => (version === '3' ? adfDocument(cut(plain, TEXT_MAX)) : cut(plain, TEXT_MAX));

    async function call(ctx: SendContext, method: 'GET' | 'POST', path: string, body?: unknown): Promise<HttpResponse> {
      const res = await ctx.http.request({
        method,
        url: `${base}${path}`,
        headers: {
          accept: 'application/json',
          authorization,
          ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: ctx.signal,
      });
      const response = redact(res.body, secrets);
      const failure = classifyHttpResponse(res.status, res.headers, response, ctx.clock.now());
      if (failure) {
        const why = failure.retryable ? undefined : jiraMessage(response);
        if (why) throw new DeliveryError(`${failure.message}: ${why}`, { reason: failure.reason, retryable: false, status: res.status, response });
        throw failure;
      }
      return { ...res, body: response };
    }

    /** The open issue Herald made for this label, if Jira knows one (state lost, or a create whose answer was lost). */
    async function findOpen(ctx: SendContext, label: string): Promise<Ticket | undefined> {
      const jql = `project = "${config.project}" AND labels = "${label}" AND statusCategory != Done ORDER BY created DESC`;
      const path = version === '3' ? '/search/jql' : '/search';
      const res = await call(ctx, 'POST', path, { jql, fields: ['status'], maxResults: 1 });
      const issues = parseJson(res.body, 'search')?.issues;
      if (!Array.isArray(issues)) throw retryable(`Jira search answered HTTP ${res.status} without an issues list`, { status: res.status });
      const key = (issues[0] as { key?: unknown } | undefined)?.key;
      return typeof key === 'string' ? { key } : undefined;
    }

    async function createIssue(ctx: SendContext, n: Notification, label: string): Promise<{ ticket: Ticket; res: HttpResponse }> {
      const vars = templateVars(n);
      const fields: Record<string, unknown> = {
        project: { key: config.project },
        issuetype: { name: config.issue_type },
        summary: cut(summary.render(vars).replace(/\s+/g, ' ').trim() || n.event.title, SUMMARY_MAX),
        description: text(description.render(vars).trim() || n.event.title),
        labels: [...new Set([...(config.labels ?? []), label])],
      };
      const sev = effectiveSeverity(n.event);
      const priority = sev === 'ok' ? undefined : config.priorities?.[sev];
      if (priority) fields.priority = { name: priority };
      const res = await call(ctx, 'POST', '/issue', { fields });
      const key = parseJson(res.body, 'create')?.key;
      if (typeof key !== 'string') throw retryable(`Jira answered HTTP ${res.status} to the create without an issue key`, { status: res.status });
      return { ticket: { key }, res };
    }

    async function comment(ctx: SendContext, ticket: Ticket, body: string): Promise<HttpResponse> {
      return call(ctx, 'POST', `/issue/${encodeURIComponent(ticket.key)}/comment`, { body: text(body) });
    }

    async function close(ctx: SendContext, ticket: Ticket): Promise<HttpResponse> {
      const path = `/issue/${encodeURIComponent(ticket.key)}/transitions`;
      const listed = parseJson((await call(ctx, 'GET', path)).body, 'transitions')?.transitions;
      if (!Array.isArray(listed)) throw retryable('Jira listed no transitions');
      const wanted = config.resolve_transition?.toLowerCase();
      const match = (listed as Transition[]).find((t) =>
        wanted ? t.name?.toLowerCase() === wanted || t.to?.name?.toLowerCase() === wanted : t.to?.statusCategory?.key === 'done',
      );
      if (!match?.id) {
        const names = (listed as Transition[]).map((t) => t.name).join(', ') || 'none';
        throw permanent(
          `Jira issue ${ticket.key} has no transition ${wanted ? `named "${config.resolve_transition}"` : 'into a Done status'} (available: ${names}); set resolve_transition`,
          { reason: 'config' },
        );
      }
      return call(ctx, 'POST', path, { transition: { id: match.id } });
    }

    return {
      async send(n, ctx) {
        const { event } = n;
        const label = incidentTag(event.key ?? n.id);
        const stateKey = `issue:${label}`;
        const saved = await ctx.state.get(stateKey);
        let ticket: Ticket | undefined = saved ? (JSON.parse(saved) as Ticket) : undefined;
        const times = typeof n.incident?.times_seen === 'number' ? ` (${n.incident.times_seen} times seen)` : '';

        if (event.status === 'resolved') {
          ticket ??= await findOpen(ctx, label);
          // Nothing was ever opened for this key: there is nothing to close.
          if (!ticket) return { status: 200, response: 'no open issue for this key' };
          await comment(ctx, ticket, `Resolved: ${event.title}${times}`);
          const res = await close(ctx, ticket);
          await ctx.state.delete(stateKey);
          return { status: res.status, response: `${ticket.key} closed` };
        }
        if (!ticket) {
          ticket = await findOpen(ctx, label);
          if (ticket) {
            // A create whose answer was lost, or state lost: adopt the open issue rather than open a second.
            await ctx.state.set(stateKey, JSON.stringify(ticket));
            return { status: 200, response: `${ticket.key} already open` };
          }
          const created = await createIssue(ctx, n, label);
          await ctx.state.set(stateKey, JSON.stringify(created.ticket));
          return { status: created.res.status, response: `${created.ticket.key} created` };
        }
        if (event.action === 'acknowledge' || event.action === 'acknowledged') {
          const res = await comment(
            ctx,
            ticket,
            `Acknowledged${n.incident?.acknowledged_by ? ` by ${String(n.incident.acknowledged_by)}` : ''}: ${event.title}`,
          );
          return { status: res.status, response: `${ticket.key} commented` };
        }
        if (config.comment_on_repeat === false) return { status: 200, response: `${ticket.key} open; repeat not commented` };
        const res = await comment(ctx, ticket, `Still firing: ${event.title}${times}${event.text ? `\n\n${event.text}` : ''}`);
        return { status: res.status, response: `${ticket.key} commented` };
      },
    };
  },
});

interface Transition {
  id?: string;
  name?: string;
  to?: { name?: string; statusCategory?: { key?: string } };
}

function parseJson(body: string, what: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(body) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    throw retryable(`Jira's answer to the ${what} is not JSON`);
  }
}

/** Jira explains a 4xx as `{errorMessages: [...], errors: {field: message}}`. */
function jiraMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { errorMessages?: unknown; errors?: unknown };
    const parts = [
      ...(Array.isArray(parsed.errorMessages) ? parsed.errorMessages.map(String) : []),
      ...(parsed.errors && typeof parsed.errors === 'object'
        ? Object.entries(parsed.errors as Record<string, unknown>).map(([k, v]) => `${k}: ${String(v)}`)
        : []),
    ];
    return parts.length > 0 ? cut(parts.join('; '), 300) : undefined;
  } catch {
    return undefined;
  }
}

/** Some proxies echo requests back: keep tokens out of what the attempt records. */
function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('[redacted]');
  return out;
}
