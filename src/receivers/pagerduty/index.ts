import { createHash } from 'node:crypto';
import { classifyHttpResponse, defineReceiver, effectiveSeverity, type HeraldEvent, HttpUrl, type Severity, Type, templateVars } from '@herald/sdk';

const DEFAULT_SUMMARY = '{{ event.title }}';
const ENDPOINTS = { us: 'https://events.pagerduty.com/v2/enqueue', eu: 'https://events.eu.pagerduty.com/v2/enqueue' } as const;
/** Events API v2 limits: summary 1,024 characters, dedup_key 255, whole event 512 KB. */
const LIMITS = { summary: 1024, dedupKey: 255, detailsBytes: 400_000 };

type Action = 'trigger' | 'acknowledge' | 'resolve';

/** firing → trigger, resolved → resolve; an event whose action says so acknowledges. */
export function actionFor(event: HeraldEvent): Action {
  if (event.status === 'resolved') return 'resolve';
  if (event.action === 'acknowledge' || event.action === 'acknowledged') return 'acknowledge';
  return 'trigger';
}

/**
 * The same key for every attempt and every event about one thing: the event
 * key (hashed if longer than PagerDuty allows), else the delivery id.
 */
export function dedupKeyFor(event: HeraldEvent, deliveryId: string): string {
  const key = event.key ?? deliveryId;
  return key.length <= LIMITS.dedupKey ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

/** `payload.severity` by the effective severity; a trigger is never `ok` (resolved events resolve), but an `info` event may trigger. */
export function triggerSeverity(event: HeraldEvent): Severity {
  const severity = effectiveSeverity(event);
  return severity === 'ok' ? 'info' : severity;
}

const cut = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

/**
 * PagerDuty Events API v2: trigger on firing, resolve on resolved, acknowledge
 * when an event asks. Answers follow PagerDuty's table: 202 accepted; 400
 * invalid event is permanent (the body says why); 429 and 5xx are retried.
 * API: https://developer.pagerduty.com/docs/events-api-v2-overview
 */
export default defineReceiver({
  type: 'pagerduty',
  version: '1.0.0',
  displayName: 'PagerDuty (Events API v2)',
  // PagerDuty keeps one alert per dedup_key: Herald triggers, acknowledges and resolves each incident through its own key.
  capabilities: { acknowledge: true, dedupByKey: true },
  docsUrl: 'https://developer.pagerduty.com/docs/events-api-v2-overview',
  contact: { field: 'pagerduty', pattern: /^P[A-Z0-9]{5,}$/, description: 'a PagerDuty user ID', example: 'PXPGF42' },
  config: Type.Object(
    {
      routing_key: Type.String({
        pattern: '^[A-Za-z0-9]{32}$',
        secret: true,
        description: 'integration key (32 letters/digits) of an Events API v2 integration',
      }),
      region: Type.Enum(['us', 'eu'], { default: 'us', description: '`us`: events.pagerduty.com; `eu`: events.eu.pagerduty.com' }),
      url: Type.Optional(HttpUrl({ description: 'endpoint overriding `region` (proxies, tests)' })),
      summary_template: Type.Optional(Type.String({ description: 'LiquidJS template for `payload.summary` (cut to 1,024 characters)' })),
      source: Type.String({ minLength: 1, default: 'herald', description: '`payload.source` when the event has no `source`' }),
      client_url: Type.Optional(HttpUrl({ description: "link shown as the alert's client, e.g. your Herald UI" })),
    },
    { additionalProperties: false },
  ),
  create(config, { templates }) {
    const summary = templates.compile(config.summary_template ?? DEFAULT_SUMMARY, { name: 'summary_template', escape: 'none' });
    const url = config.url ?? ENDPOINTS[config.region];
    return {
      async send(notification, ctx) {
        const { event } = notification;
        const action = actionFor(event);
        const body: Record<string, unknown> = { routing_key: config.routing_key, event_action: action, dedup_key: dedupKeyFor(event, notification.id) };
        if (action === 'trigger') {
          const details: Record<string, unknown> = { labels: event.labels, herald_event_id: event.id };
          if (event.text) details.text = event.text;
          if (event.data !== undefined && JSON.stringify(event.data).length <= LIMITS.detailsBytes) details.data = event.data;
          body.payload = {
            summary: cut(summary.render(templateVars(notification)) || event.title, LIMITS.summary),
            source: event.source ?? config.source,
            severity: triggerSeverity(event),
            timestamp: event.occurred_at ?? event.received_at,
            component: event.labels.component,
            group: event.labels.group,
            class: event.type,
            custom_details: details,
          };
          const links = [...(event.url ? [{ href: event.url, text: 'Open' }] : []), ...(event.links ?? []).map((l) => ({ href: l.url, text: l.title }))];
          if (links.length > 0) body.links = links;
          body.client = 'Herald';
          if (config.client_url) body.client_url = config.client_url;
        }
        const res = await ctx.http.request({
          method: 'POST',
          url,
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body: JSON.stringify(body),
          signal: ctx.signal,
        });
        // 202 is success; anything else is classified (400 → permanent with the body kept).
        const failure = classifyHttpResponse(res.status, res.headers, res.body, ctx.clock.now());
        if (failure) throw failure;
        return { status: res.status, response: res.body };
      },
    };
  },
});
