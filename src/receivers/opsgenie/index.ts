import { createHash } from 'node:crypto';
import { classifyHttpResponse, DeliveryError, defineReceiver, effectiveSeverity, type HeraldEvent, HttpUrl, Secret, Type, templateVars } from '@herald/sdk';

const ENDPOINTS = { us: 'https://api.opsgenie.com', eu: 'https://api.eu.opsgenie.com' } as const;

/**
 * Alert API limits (https://docs.opsgenie.com/docs/alert-api#create-alert):
 * message 130, alias 512, description 15,000, entity 512, source 100, user 100,
 * note 25,000 characters; at most 20 tags of 50 characters; details 8,000
 * characters in total; at most 50 responders.
 */
export const OPSGENIE_LIMITS = {
  message: 130,
  alias: 512,
  description: 15_000,
  entity: 512,
  source: 100,
  user: 100,
  note: 25_000,
  tags: 20,
  tag: 50,
  detailsTotal: 8000,
  responders: 50,
};
const MARKER = '… (truncated)';

export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return max > MARKER.length * 2 ? `${text.slice(0, max - MARKER.length)}${MARKER}` : `${text.slice(0, max - 1)}…`;
}

export type OpsgenieAction = 'create' | 'acknowledge' | 'close';

/** firing/info → create, resolved → close, an event whose action says so → acknowledge. */
export function actionFor(event: HeraldEvent): OpsgenieAction {
  if (event.status === 'resolved') return 'close';
  if (event.action === 'acknowledge' || event.action === 'acknowledged') return 'acknowledge';
  return 'create';
}

/** By the effective severity (a firing event without one is `error`): critical→P1, error→P2, warning→P3, info→P5. */
export function priorityFor(event: HeraldEvent): 'P1' | 'P2' | 'P3' | 'P5' {
  switch (effectiveSeverity(event)) {
    case 'critical':
      return 'P1';
    case 'error':
      return 'P2';
    case 'warning':
      return 'P3';
    default:
      return 'P5';
  }
}

/**
 * The alias: the event key (hashed when longer than Opsgenie's 512 characters),
 * else the delivery id. The same on every retry, so a retried create is
 * de-duplicated by Opsgenie instead of opening a second alert.
 */
export function aliasFor(event: HeraldEvent, deliveryId: string): string {
  const key = event.key ?? deliveryId;
  return key.length <= OPSGENIE_LIMITS.alias ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

/** Labels as `key:value` tags: at most 20, each at most 50 characters. */
export function tagsFor(event: HeraldEvent, extra: string[]): string[] {
  const tags = [...extra, ...Object.entries(event.labels).map(([k, v]) => `${k}:${v}`)]
    .map((t) => t.trim())
    .filter((t) => t.length > 0)
    .map((t) => (t.length <= OPSGENIE_LIMITS.tag ? t : `${t.slice(0, OPSGENIE_LIMITS.tag - 1)}…`));
  return [...new Set(tags)].slice(0, OPSGENIE_LIMITS.tags);
}

/** Details are string → string; keys and values together stay within 8,000 characters. */
export function detailsFor(event: HeraldEvent): Record<string, string> {
  const entries: [string, string][] = [['herald_event_id', event.id]];
  if (event.url) entries.push(['url', event.url]);
  if (event.type) entries.push(['type', event.type]);
  for (const [k, v] of Object.entries(event.labels)) entries.push([k, v]);
  const out: Record<string, string> = {};
  let used = 0;
  for (const [k, v] of entries) {
    if (k in out) continue;
    const room = OPSGENIE_LIMITS.detailsTotal - used - k.length;
    if (room <= 0) break;
    const value = truncate(v, Math.min(room, 1000));
    out[k] = value;
    used += k.length + value.length;
  }
  return out;
}

const responderSchema = Type.Object(
  {
    type: Type.Enum(['team', 'user', 'escalation', 'schedule'], { description: 'kind of responder' }),
    id: Type.Optional(Type.String({ minLength: 1, description: 'responder id' })),
    name: Type.Optional(Type.String({ minLength: 1, description: 'team, escalation or schedule name' })),
    username: Type.Optional(Type.String({ minLength: 1, description: 'user e-mail address (users only)' })),
  },
  { additionalProperties: false, description: 'one responder: `type` and one of `id`, `name`, `username`' },
);

const DEFAULT_MESSAGE = '{{ event.title }}';
const DEFAULT_DESCRIPTION =
  '{{ event.text }}{% if event.url %}\n\n{{ event.url }}{% endif %}{% for l in event.links %}\n{{ l.title | default: "link" }}: {{ l.url }}{% endfor %}';

/** Removes secret values from text kept with an attempt (some proxies echo requests back). */
function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join('[redacted]');
  return out;
}

/**
 * Opsgenie Alert API v2: create an alert when an event fires, close it by alias
 * when it resolves, acknowledge it when an event asks. Every request is
 * answered 202 and processed asynchronously. 400/401/403/404/422 are permanent,
 * 429 is rate limited (Retry-After honoured), 5xx retried.
 * API: https://docs.opsgenie.com/docs/alert-api
 */
export default defineReceiver({
  type: 'opsgenie',
  version: '1.0.0',
  displayName: 'Opsgenie (Alert API v2)',
  // Alerts are kept per alias: Herald opens, acknowledges and closes each incident through its own key.
  capabilities: { acknowledge: true, dedupByKey: true },
  docsUrl: 'https://docs.opsgenie.com/docs/alert-api',
  config: Type.Object(
    {
      api_key: Secret({ description: 'API key of an Opsgenie API integration, sent as `Authorization: GenieKey <key>`' }),
      region: Type.Enum(['us', 'eu'], { default: 'us', description: '`us`: api.opsgenie.com; `eu`: api.eu.opsgenie.com' }),
      url: Type.Optional(HttpUrl({ description: 'API base URL overriding `region` (proxies, tests); `/v2/alerts` is appended' })),
      message_template: Type.Optional(Type.String({ description: 'LiquidJS template for `message` (cut to 130 characters)' })),
      description_template: Type.Optional(Type.String({ description: 'LiquidJS template for `description` (cut to 15,000 characters)' })),
      responders: Type.Optional(Type.Array(responderSchema, { maxItems: 50, description: 'teams, users, escalations or schedules the alert is routed to' })),
      tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { maxItems: 20, description: 'tags added to every alert' })),
      source: Type.String({ minLength: 1, maxLength: 100, default: 'herald', description: '`source` when the event has none' }),
      entity: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: '`entity` of every alert (default: the `host` label)' })),
      user: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'display name of the request owner, shown in the alert log' })),
    },
    { additionalProperties: false },
  ),
  validate(config) {
    const errors: { path: string; message: string }[] = [];
    for (const [i, r] of (config.responders ?? []).entries()) {
      const ids = [r.id, r.name, r.username].filter((v) => v !== undefined).length;
      if (ids !== 1) errors.push({ path: `responders/${i}`, message: 'give exactly one of id, name, username' });
      else if (r.username !== undefined && r.type !== 'user') errors.push({ path: `responders/${i}/username`, message: 'only users have a username' });
      else if (r.name !== undefined && r.type === 'user') errors.push({ path: `responders/${i}/name`, message: 'users are given by id or username' });
    }
    return errors;
  },
  create(config, { templates }) {
    const message = templates.compile(config.message_template ?? DEFAULT_MESSAGE, { name: 'message_template', escape: 'none' });
    const description = templates.compile(config.description_template ?? DEFAULT_DESCRIPTION, { name: 'description_template', escape: 'none' });
    const base = `${(config.url ?? ENDPOINTS[config.region]).replace(/\/$/, '')}/v2/alerts`;
    const secrets = [config.api_key];
    return {
      async send(notification, ctx) {
        const { event } = notification;
        const action = actionFor(event);
        const alias = aliasFor(event, notification.id);
        const source = truncate(event.source ?? config.source, OPSGENIE_LIMITS.source);
        let url: string;
        let body: Record<string, unknown>;
        if (action === 'create') {
          const vars = templateVars(notification);
          body = {
            message: truncate(message.render(vars).trim() || event.title, OPSGENIE_LIMITS.message),
            alias,
            description: truncate(description.render(vars), OPSGENIE_LIMITS.description),
            tags: tagsFor(event, config.tags ?? []),
            details: detailsFor(event),
            source,
            priority: priorityFor(event),
          };
          const entity = config.entity ?? event.labels.host;
          if (entity) body.entity = truncate(entity, OPSGENIE_LIMITS.entity);
          if (config.responders?.length) body.responders = config.responders;
          if (config.user) body.user = config.user;
          url = base;
        } else {
          const verb = action === 'close' ? 'closed' : 'acknowledged';
          body = { source, note: truncate(`${verb} by Herald: ${event.title}`, OPSGENIE_LIMITS.note) };
          if (config.user) body.user = config.user;
          url = `${base}/${encodeURIComponent(alias)}/${action}?identifierType=alias`;
        }
        const res = await ctx.http.request({
          method: 'POST',
          url,
          headers: { 'content-type': 'application/json; charset=utf-8', authorization: `GenieKey ${config.api_key}` },
          body: JSON.stringify(body),
          signal: ctx.signal,
        });
        const response = redact(res.body, secrets);
        const failure = classifyHttpResponse(res.status, res.headers, response, ctx.clock.now());
        if (failure) {
          // Opsgenie explains 4xx in {message, errors}; keep it in the error so the attempt says why.
          if (!failure.retryable && res.status >= 400) {
            const why = opsgenieMessage(response);
            if (why) throw new DeliveryError(`${failure.message}: ${why}`, { reason: failure.reason, retryable: false, status: res.status, response });
          }
          throw failure;
        }
        return { status: res.status, response };
      },
    };
  },
});

function opsgenieMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; errors?: unknown };
    if (typeof parsed.message !== 'string') return undefined;
    const details =
      parsed.errors && typeof parsed.errors === 'object'
        ? Object.entries(parsed.errors as Record<string, unknown>)
            .map(([k, v]) => `${k}: ${String(v)}`)
            .join('; ')
        : '';
    return truncate(details ? `${parsed.message} (${details})` : parsed.message, 300);
  } catch {
    return undefined;
  }
}
