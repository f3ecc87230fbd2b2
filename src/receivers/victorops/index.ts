import { createHash } from 'node:crypto';
import {
  createPacer,
  DeliveryError,
  defineReceiver,
  type EffectiveSeverity,
  effectiveSeverity,
  type HeraldEvent,
  HttpUrl,
  pacedJsonPost,
  permanent,
  Secret,
  Type,
  templateVars,
} from '@herald/sdk';

/**
 * Splunk On-Call (VictorOps) REST endpoint integration: one JSON POST to
 * `…/integrations/generic/20131114/alert/<api_key>/<routing_key>` per event.
 * Splunk On-Call keeps one incident per `entity_id`: CRITICAL/WARNING/INFO
 * open or update it, ACKNOWLEDGEMENT acknowledges it, RECOVERY resolves it.
 * `state_message` is at most 20,480 characters (incident fields glossary).
 * API: https://help.splunk.com/splunk-observability-cloud/splunk-on-call/integrations-with-splunk-on-call/rest-endpoint-integration-for-splunk-on-call
 */

export const VICTOROPS_LIMITS = { stateMessage: 20_480, entityId: 512, displayName: 512 };
const DEFAULT_URL = 'https://alert.victorops.com/integrations/generic/20131114/alert';
const MARKER = '… (truncated)';

export type MessageType = 'CRITICAL' | 'WARNING' | 'INFO' | 'ACKNOWLEDGEMENT' | 'RECOVERY';

/** Effective severity → message type: critical and error page (CRITICAL), warning WARNING, info INFO, resolved RECOVERY. */
const BY_SEVERITY: Record<EffectiveSeverity, MessageType> = { critical: 'CRITICAL', error: 'CRITICAL', warning: 'WARNING', info: 'INFO', ok: 'RECOVERY' };

export function messageTypeFor(event: HeraldEvent): MessageType {
  if (event.status !== 'resolved' && (event.action === 'acknowledge' || event.action === 'acknowledged')) return 'ACKNOWLEDGEMENT';
  return BY_SEVERITY[effectiveSeverity(event)];
}

/** The event key (hashed past 512 characters), else the delivery id: the same on every retry and for every event about one thing. */
export function entityIdFor(event: HeraldEvent, deliveryId: string): string {
  const key = event.key ?? deliveryId;
  return key.length <= VICTOROPS_LIMITS.entityId ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

const cut = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - MARKER.length)}${MARKER}`);

const DEFAULT_DISPLAY_NAME = '{{ event.title }}';
const DEFAULT_STATE_MESSAGE =
  '{% if event.text %}{{ event.text }}{% else %}{{ event.title }}{% endif %}{% if event.url %}\n\n{{ event.url }}{% endif %}{% for l in event.links %}\n{{ l.title | default: "link" }}: {{ l.url }}{% endfor %}';

export default defineReceiver({
  type: 'victorops',
  version: '1.0.0',
  displayName: 'Splunk On-Call (VictorOps REST endpoint)',
  docsUrl: 'https://help.splunk.com/splunk-observability-cloud/splunk-on-call/integrations-with-splunk-on-call/rest-endpoint-integration-for-splunk-on-call',
  capabilities: { acknowledge: true, dedupByKey: true },
  config: Type.Object(
    {
      api_key: Secret({ description: 'the REST integration key (the part of the endpoint URL before the routing key)' }),
      routing_key: Type.String({
        pattern: '^[A-Za-z0-9_.-]{1,128}$',
        description: 'routing key that picks the escalation policy (the last part of the endpoint URL)',
      }),
      url: HttpUrl({ description: 'endpoint base overriding the public one (tests, proxies); `/<api_key>/<routing_key>` is appended', default: DEFAULT_URL }),
      monitoring_tool: Type.String({ minLength: 1, maxLength: 128, default: 'Herald', description: '`monitoring_tool` shown on the incident' }),
      display_name_template: Type.Optional(Type.String({ description: 'LiquidJS template for `entity_display_name` (default: the event title)' })),
      state_message_template: Type.Optional(Type.String({ description: 'LiquidJS template for `state_message` (cut to 20,480 characters)' })),
      ack_author: Type.String({ minLength: 1, maxLength: 128, default: 'Herald', description: '`ack_author` of acknowledgements Herald passes on' }),
      max_per_second: Type.Number({ exclusiveMinimum: 0, maximum: 100, default: 5, description: "pacing of this receiver's requests" }),
    },
    { additionalProperties: false },
  ),
  create(config, { templates, clock }) {
    const displayName = templates.compile(config.display_name_template ?? DEFAULT_DISPLAY_NAME, { name: 'display_name_template', escape: 'none' });
    const stateMessage = templates.compile(config.state_message_template ?? DEFAULT_STATE_MESSAGE, { name: 'state_message_template', escape: 'none' });
    const base = config.url.replace(/\/$/, '');
    const endpoint = `${base}/${encodeURIComponent(config.api_key)}/${encodeURIComponent(config.routing_key)}`;
    const secrets = [config.api_key, encodeURIComponent(config.api_key)];
    const redact = (s: string) => secrets.reduce((out, secret) => out.split(secret).join('[redacted]'), s);
    const pacer = createPacer(config.max_per_second, clock);
    return {
      async send(notification, ctx) {
        const { event } = notification;
        const vars = templateVars(notification);
        const messageType = messageTypeFor(event);
        const body: Record<string, unknown> = {
          message_type: messageType,
          entity_id: entityIdFor(event, notification.id),
          entity_display_name: cut(displayName.render(vars).trim() || event.title, VICTOROPS_LIMITS.displayName),
          state_message: cut(stateMessage.render(vars).trim() || event.title, VICTOROPS_LIMITS.stateMessage),
          monitoring_tool: config.monitoring_tool,
        };
        const at = Date.parse(event.occurred_at ?? event.received_at);
        if (!Number.isNaN(at)) body.state_start_time = Math.floor(at / 1000);
        if (messageType === 'ACKNOWLEDGEMENT') {
          body.ack_author = config.ack_author;
          body.ack_msg = cut(event.text ?? `acknowledged: ${event.title}`, VICTOROPS_LIMITS.stateMessage);
        }
        if (event.source) body.herald_source = event.source;
        body.herald_event_id = event.id;
        for (const [k, v] of Object.entries(event.labels)) if (!(`label_${k}` in body)) body[`label_${k}`] = v;
        let res: Awaited<ReturnType<typeof pacedJsonPost>>;
        try {
          res = await pacedJsonPost(pacer, ctx, endpoint, body);
        } catch (err) {
          // The key is part of the URL, and some proxies echo it back: keep it out of what is stored.
          if (err instanceof DeliveryError) {
            const why = failureMessage(err.response ?? '');
            throw new DeliveryError(redact(why ? `${err.message}: ${why}` : err.message), {
              reason: err.reason,
              retryable: err.retryable,
              retryAfterMs: err.retryAfterMs,
              status: err.status,
              response: redact(err.response ?? ''),
            });
          }
          throw err;
        }
        const response = redact(res.body);
        // The endpoint answers {"result":"success","entity_id":…}; a 2xx with "failure" was not taken.
        const answer = parse(res.body);
        if (answer?.result !== undefined && answer.result !== 'success')
          throw permanent(`Splunk On-Call answered ${String(answer.result)}${answer.message ? `: ${redact(String(answer.message))}` : ''}`, {
            status: res.status,
            response,
          });
        return { status: res.status, response };
      },
    };
  },
});

function parse(body: string): { result?: unknown; message?: unknown } | undefined {
  try {
    const v = JSON.parse(body) as unknown;
    return v && typeof v === 'object' ? (v as { result?: unknown; message?: unknown }) : undefined;
  } catch {
    return undefined;
  }
}

function failureMessage(body: string): string | undefined {
  const answer = parse(body);
  return typeof answer?.message === 'string' ? cut(answer.message, 300) : undefined;
}
