import { createHash } from 'node:crypto';
import {
  classifyHttpResponse,
  defineReceiver,
  effectiveSeverity,
  type HeraldEvent,
  HttpUrl,
  Secret,
  STATUS_TITLE_TEMPLATE,
  Type,
  templateVars,
} from '@herald/sdk';

/** API hosts by Datadog site (https://docs.datadoghq.com/getting_started/site/). */
export const DATADOG_SITES = {
  US1: 'https://api.datadoghq.com',
  US3: 'https://api.us3.datadoghq.com',
  US5: 'https://api.us5.datadoghq.com',
  EU: 'https://api.datadoghq.eu',
  AP1: 'https://api.ap1.datadoghq.com',
  AP2: 'https://api.ap2.datadoghq.com',
  GOV: 'https://api.ddog-gov.com',
  US2_GOV: 'https://api.us2.ddog-gov.com',
} as const;

/** Events API v1 limits: title 100, text 4,000, aggregation_key 100 characters. */
export const DATADOG_LIMITS = { title: 100, text: 4000, aggregationKey: 100, tag: 200 };
const MARKER = '… (truncated by Herald)';

export function truncateWithMarker(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - MARKER.length)}${MARKER}`;
}

/** By the effective severity: resolved → success, critical/error → error (a firing event without severity too). */
export function alertTypeFor(event: HeraldEvent): 'error' | 'warning' | 'info' | 'success' {
  const severity = effectiveSeverity(event);
  if (severity === 'ok') return 'success';
  if (severity === 'critical' || severity === 'error') return 'error';
  return severity;
}

/**
 * Labels as `key:value` tags (Datadog lowercases them; spaces become
 * underscores), then `source:` and the configured tags — each once: a label
 * `team=platform` and a configured `team:platform` are one tag, compared as
 * Datadog stores them (lowercased).
 */
export function tagsFor(event: HeraldEvent, extra: string[]): string[] {
  const tags = Object.entries(event.labels).map(([k, v]) => `${k}:${v}`.replace(/\s+/g, '_').slice(0, DATADOG_LIMITS.tag));
  if (event.source) tags.push(`source:${event.source}`.slice(0, DATADOG_LIMITS.tag));
  const seen = new Set<string>();
  return [...tags, ...extra].filter((t) => {
    const k = t.toLowerCase();
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function aggregationKey(key: string): string {
  return key.length <= DATADOG_LIMITS.aggregationKey ? key : createHash('sha256').update(key).digest('hex').slice(0, 64);
}

const DEFAULT_TEXT = '{{ event.text }}{% if event.url %}\n\n{{ event.url }}{% endif %}';

/**
 * Datadog Events API (v1): one event per notification, with `DD-API-KEY`,
 * alert_type from severity (success when resolved), labels as tags and the
 * event key as aggregation_key, so events about one thing group together.
 * API: https://docs.datadoghq.com/api/latest/events/#post-an-event
 */
export default defineReceiver({
  type: 'datadog',
  version: '1.0.0',
  displayName: 'Datadog (Events API)',
  docsUrl: 'https://docs.datadoghq.com/api/latest/events/#post-an-event',
  config: Type.Object(
    {
      api_key: Secret({ description: 'Datadog API key, sent as `DD-API-KEY`' }),
      site: Type.Enum(Object.keys(DATADOG_SITES), { default: 'US1', description: "your organisation's Datadog site" }),
      url: Type.Optional(HttpUrl({ description: 'API base URL overriding `site` (proxies, tests)' })),
      title_template: Type.Optional(Type.String({ description: 'LiquidJS template for the event title (cut to 100 characters)' })),
      text_template: Type.Optional(Type.String({ description: 'LiquidJS template for the event text (cut to 4,000 characters)' })),
      markdown: Type.Boolean({ default: false, description: "wrap the text in Datadog's `%%%` Markdown block; event values are then Markdown-escaped" }),
      priority: Type.Enum(['normal', 'low'], { default: 'normal', description: 'event priority' }),
      host: Type.Optional(Type.String({ description: 'host to attach the event to (default: the `host` label)' })),
      tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { description: 'tags added to every event' })),
    },
    { additionalProperties: false },
  ),
  create(config, { templates }) {
    const markdown = config.markdown;
    const title = templates.compile(config.title_template ?? STATUS_TITLE_TEMPLATE, { name: 'title_template', escape: 'none' });
    const text = templates.compile(config.text_template ?? DEFAULT_TEXT, { name: 'text_template', escape: markdown ? 'markdown' : 'none' });
    const base = (config.url ?? DATADOG_SITES[config.site as keyof typeof DATADOG_SITES]).replace(/\/$/, '');
    return {
      async send(notification, ctx) {
        const { event } = notification;
        const vars = templateVars(notification);
        const rendered = text.render(vars);
        // The %%% fences count toward the 4,000 characters.
        const body = markdown ? `%%% \n${truncateWithMarker(rendered, DATADOG_LIMITS.text - 10)}\n %%%` : truncateWithMarker(rendered, DATADOG_LIMITS.text);
        const request: Record<string, unknown> = {
          title: truncateWithMarker(title.render(vars) || event.title, DATADOG_LIMITS.title),
          text: body,
          alert_type: alertTypeFor(event),
          priority: config.priority,
          tags: tagsFor(event, config.tags ?? []),
          source_type_name: 'herald',
          date_happened: Math.floor(Date.parse(event.occurred_at ?? event.received_at) / 1000),
        };
        if (event.key) request.aggregation_key = aggregationKey(event.key);
        const host = config.host ?? event.labels.host;
        if (host) request.host = host;
        const res = await ctx.http.request({
          method: 'POST',
          url: `${base}/api/v1/events`,
          headers: { 'content-type': 'application/json', accept: 'application/json', 'dd-api-key': config.api_key },
          body: JSON.stringify(request),
          signal: ctx.signal,
        });
        const failure = classifyHttpResponse(res.status, res.headers, res.body, ctx.clock.now());
        if (failure) throw failure;
        return { status: res.status, response: res.body };
      },
    };
  },
});
