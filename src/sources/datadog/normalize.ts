import type { EventInput, EventStatus, Json, Severity } from '@herald/sdk';

type Obj = Record<string, unknown>;

/** A variable Datadog could not fill stays as its literal name (`$HOSTNAME`); both that and "" mean "not set". */
const UNFILLED = /^\$[A-Z][A-Z0-9_]*(\[[^\]]*\])?$/;

/** A string or number field; empty and unfilled values are absent. */
function s(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  return t === '' || UNFILLED.test(t) ? undefined : t;
}

/** The first of several field names the payload sets (recommended name first, then aliases seen in common templates). */
const pick = (p: Obj, ...names: string[]): string | undefined => {
  for (const n of names) {
    const v = s(p[n]);
    if (v !== undefined) return v;
  }
  return undefined;
};

/** Refused payload: the source answers 400 with this message. */
export class DatadogPayloadError extends Error {}

/** `$DATE` is epoch milliseconds (`1406662672000`); seconds and RFC 3339 are taken too; anything else is dropped. */
export function datadogTime(value: unknown): string | undefined {
  const v = s(value);
  if (v === undefined) return undefined;
  let ms: number;
  if (/^\d{1,16}(\.\d+)?$/.test(v)) {
    const n = Number(v);
    ms = n < 1e11 ? n * 1000 : n;
  } else ms = Date.parse(v);
  return Number.isNaN(ms) || ms <= 0 || ms > 8.64e15 ? undefined : new Date(ms).toISOString();
}

/**
 * `$TAGS` / `$ALERT_SCOPE` ("a:b, c") → labels: `a` = `b`, `c` = `true`. The
 * value is everything after the first colon (`url:http://x` keeps its colon).
 */
export function tagLabels(value: unknown): Record<string, string> {
  const items = Array.isArray(value) ? value.map(s) : (s(value)?.split(',') ?? []);
  const labels: Record<string, string> = {};
  for (const raw of items) {
    const tag = raw?.trim();
    if (!tag) continue;
    const at = tag.indexOf(':');
    const name = (at < 0 ? tag : tag.slice(0, at)).trim();
    if (name) labels[name] = at < 0 ? 'true' : tag.slice(at + 1).trim();
  }
  return labels;
}

/** `$ALERT_PRIORITY` of a triggered alert → severity: P1 critical, P2 error, P3 warning, else (P4, P5, none) error. */
export function prioritySeverity(priority: string | undefined): Severity {
  switch (priority?.toUpperCase()) {
    case 'P1':
      return 'critical';
    case 'P3':
      return 'warning';
    default:
      return 'error';
  }
}

/** `$ALERT_TYPE` (error, warning, success, info) → severity, for notifications that open or close nothing. */
function alertTypeSeverity(type: string | undefined): Severity {
  const t = type?.toLowerCase();
  return t === 'error' ? 'error' : t === 'warning' ? 'warning' : 'info';
}

/** `$EVENT_TITLE` starts with the transition (`[Triggered] …`, `[P1] [Recovered on {host:a}] …`); read it when no transition field is sent. */
function transitionFromTitle(title: string | undefined): string | undefined {
  return /\[((?:Re-)?(?:Triggered|Warn|No Data)|Recovered)\b/i.exec(title ?? '')?.[1];
}

/** `$ALERT_TRANSITION` → lifecycle. */
export function transitionStatus(
  transition: string | undefined,
  priority: string | undefined,
  alertType: string | undefined,
): { status: EventStatus; severity: Severity } {
  switch (transition?.toLowerCase().replace(/\s+/g, ' ')) {
    case 'triggered':
    case 're-triggered':
      return { status: 'firing', severity: prioritySeverity(priority) };
    case 'warn':
    case 're-warn':
    case 'no data':
    case 're-no data':
      return { status: 'firing', severity: 'warning' };
    case 'recovered':
      // The trigger's severity, so a route that sent the alert by severity also sends its recovery.
      return { status: 'resolved', severity: prioritySeverity(priority) };
    default:
      return { status: 'info', severity: alertTypeSeverity(alertType) };
  }
}

/** `$EVENT_MSG` comes wrapped in Datadog's `%%%` Markdown markers; drop them. */
function unwrap(text: string | undefined): string | undefined {
  const t = text
    ?.replace(/^%%%[ \t]*\n?/, '')
    .replace(/\n?[ \t]*%%%$/, '')
    .trim();
  return t || undefined;
}

/**
 * One Datadog webhook delivery (the filled-in Payload template) → one event.
 * Reads the fields of the template in docs/sources/datadog.md and the usual
 * aliases (Datadog's default payload, `transition`, `aggregate` …); keeps the
 * whole payload in `data`.
 */
export function normalizeDatadog(payload: unknown): { event: EventInput; id?: string } {
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new DatadogPayloadError('body must be a JSON object (the filled-in Payload template of a Datadog webhook)');
  }
  const p = payload as Obj;
  const title = pick(p, 'title', 'event_title', 'alert_title');
  if (!title) {
    throw new DatadogPayloadError(
      'the payload has no "title" (nor "alert_title"): set the Datadog webhook\'s Payload to the template in docs/sources/datadog.md, which sends "title": "$EVENT_TITLE"',
    );
  }
  const transition = pick(p, 'alert_transition', 'transition') ?? transitionFromTitle(title);
  const priority = pick(p, 'alert_priority') ?? (/^P[1-5]$/i.test(s(p.priority) ?? '') ? s(p.priority) : undefined);
  const alertType = pick(p, 'alert_type');
  const alertId = pick(p, 'alert_id', 'monitor_id');
  const aggregKey = pick(p, 'aggreg_key', 'aggregate', 'aggregation_key');
  const eventType = pick(p, 'event_type');
  const host = pick(p, 'hostname', 'host');
  const link = pick(p, 'link', 'url');
  const snapshot = pick(p, 'snapshot');

  const labels: Record<string, string> = { ...tagLabels(p.tags), ...tagLabels(pick(p, 'alert_scope', 'scope')) };
  if (host && labels.host === undefined) labels.host = host;
  if (eventType) labels.event_type = eventType;
  if (transition) labels.transition = transition;
  if (priority) labels.priority = priority.toUpperCase();
  if (alertId) labels.monitor_id = alertId;

  const links: { title: string; url: string }[] = [];
  // The monitor's page sits on the same Datadog site as $LINK (app.datadoghq.com, app.datadoghq.eu …).
  if (link && alertId && /^\d+$/.test(alertId) && URL.canParse(link)) links.push({ title: 'monitor', url: `${new URL(link).origin}/monitors/${alertId}` });
  if (snapshot) links.push({ title: 'snapshot', url: snapshot });

  const text = pick(p, 'text', 'text_only_msg') ?? unwrap(pick(p, 'body', 'event_msg', 'message')) ?? pick(p, 'alert_status');
  const id = pick(p, 'id', 'event_id');
  return {
    event: {
      title,
      text,
      type: eventType ?? 'alert',
      action: transition?.toLowerCase().replace(/\s+/g, '_'),
      ...transitionStatus(transition, priority, alertType),
      key: aggregKey ? `datadog:${aggregKey}` : alertId ? `datadog:${alertId}` : undefined,
      labels,
      url: link,
      links,
      data: payload as Json,
      occurred_at: datadogTime(p.date) ?? datadogTime(p.last_updated),
    },
    id,
  };
}
