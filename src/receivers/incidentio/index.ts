import {
  createPacer,
  DeliveryError,
  defineReceiver,
  effectiveSeverity,
  type HeraldEvent,
  HttpUrl,
  pacedJsonPost,
  Secret,
  Type,
  templateVars,
} from '@herald/sdk';

/**
 * incident.io alert events through an HTTP alert source: one
 * `POST /v2/alert_events/http/<alert_source_config_id>` per event, with the
 * source's token as `Authorization: Bearer`. incident.io keeps one alert per
 * `deduplication_key`: `status: firing` opens or updates it, `resolved`
 * resolves it. Accepted events are answered `202` and processed
 * asynchronously.
 * API: https://api-docs.incident.io/tag/Alert-Events-V2 (CreateHTTP),
 *      https://docs.incident.io/alerts/custom-http-sources
 */

const DEFAULT_URL = 'https://api.incident.io';
const DEFAULT_TITLE = '{{ event.title }}';
const DEFAULT_DESCRIPTION =
  '{{ event.text }}{% for l in event.links %}\n\n[{{ l.title | default: "link" }}]({{ l.url }}){% endfor %}{% if incident and incident.times_seen > 1 %}\n\nSeen {{ incident.times_seen }} times since {{ incident.first_seen }}.{% endif %}';

export type AlertStatus = 'firing' | 'resolved';

/** Resolved events resolve the alert; firing and info events open or update it (incident.io knows no other state). */
export function statusFor(event: HeraldEvent): AlertStatus {
  return event.status === 'resolved' ? 'resolved' : 'firing';
}

/** The event key, else the delivery id: stable across retries, the same for every event about one thing. */
export function deduplicationKeyFor(event: HeraldEvent, deliveryId: string): string {
  return event.key ?? deliveryId;
}

/** What incident.io's alert source can parse into attributes: severity, source, labels, Herald ids. */
export function metadataFor(event: HeraldEvent, extra: Record<string, string> = {}): Record<string, unknown> {
  // Herald's own fields win over configured ones of the same name, so routing on severity stays truthful.
  const metadata: Record<string, unknown> = { ...extra, severity: effectiveSeverity(event), herald_event_id: event.id, labels: event.labels };
  if (event.source) metadata.source = event.source;
  if (event.type) metadata.type = event.type;
  return metadata;
}

export default defineReceiver({
  type: 'incidentio',
  version: '1.0.0',
  displayName: 'incident.io (alert events, HTTP source)',
  docsUrl: 'https://api-docs.incident.io/tag/Alert-Events-V2',
  capabilities: { dedupByKey: true },
  config: Type.Object(
    {
      alert_source_config_id: Type.String({
        pattern: '^[0-9A-HJKMNP-TV-Z]{26}$',
        description: 'ID of the HTTP alert source (26 characters, e.g. 01GW2G3V0S59R238FAHPDS1R66); the last part of its URL',
      }),
      token: Secret({ description: "the alert source's token, sent as `Authorization: Bearer <token>`" }),
      url: HttpUrl({ description: 'API base URL (tests, proxies); `/v2/alert_events/http/<id>` is appended', default: DEFAULT_URL }),
      title_template: Type.Optional(Type.String({ description: 'LiquidJS template for `title` (default: the event title)' })),
      description_template: Type.Optional(Type.String({ description: 'LiquidJS template for `description` (markdown; default: text, links, times seen)' })),
      metadata: Type.Optional(
        Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$' }), Type.String(), {
          additionalProperties: false,
          description: 'extra `metadata` fields on every alert, e.g. `team: payments`, for the alert source to route on',
        }),
      ),
      max_per_second: Type.Number({ exclusiveMinimum: 0, maximum: 20, default: 10, description: "pacing of this receiver's requests" }),
    },
    { additionalProperties: false },
  ),
  create(config, { templates, clock }) {
    const title = templates.compile(config.title_template ?? DEFAULT_TITLE, { name: 'title_template', escape: 'none' });
    // Passed as written: incident.io renders markdown, and senders' text often is markdown already (GitHub, Grafana).
    const description = templates.compile(config.description_template ?? DEFAULT_DESCRIPTION, { name: 'description_template', escape: 'none' });
    const endpoint = `${config.url.replace(/\/$/, '')}/v2/alert_events/http/${config.alert_source_config_id}`;
    const headers = { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${config.token}` };
    const redact = (s: string) => s.split(config.token).join('[redacted]');
    const pacer = createPacer(config.max_per_second, clock);
    return {
      async send(notification, ctx) {
        const { event } = notification;
        const vars = templateVars(notification);
        const body: Record<string, unknown> = {
          title: title.render(vars).trim() || event.title,
          status: statusFor(event),
          deduplication_key: deduplicationKeyFor(event, notification.id),
          metadata: metadataFor(event, config.metadata),
        };
        const text = description.render(vars).trim();
        if (text) body.description = text;
        const link = event.url ?? event.links?.[0]?.url;
        if (link) body.source_url = link;
        try {
          const res = await pacedJsonPost(pacer, ctx, endpoint, body, headers);
          return { status: res.status, response: redact(res.body) };
        } catch (err) {
          if (!(err instanceof DeliveryError)) throw err;
          // incident.io explains 4xx in {type, errors: [{code, message, source: {field}}]}: keep it with the attempt.
          const why = explain(err.response ?? '');
          throw new DeliveryError(why ? `${err.message}: ${redact(why)}` : err.message, {
            reason: err.reason,
            retryable: err.retryable,
            retryAfterMs: err.retryAfterMs,
            status: err.status,
            response: redact(err.response ?? ''),
          });
        }
      },
    };
  },
});

function explain(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { type?: unknown; errors?: { message?: unknown; source?: { field?: unknown } }[] };
    if (!Array.isArray(parsed.errors) || parsed.errors.length === 0) return typeof parsed.type === 'string' ? parsed.type : undefined;
    const list = parsed.errors
      .map((e) => `${typeof e.source?.field === 'string' ? `${e.source.field}: ` : ''}${String(e.message ?? '')}`)
      .join('; ')
      .slice(0, 300);
    return typeof parsed.type === 'string' ? `${parsed.type} (${list})` : list;
  } catch {
    return undefined;
  }
}
