import type { EventInput, EventLink, EventStatus, Json, Severity } from '@herald/sdk';

type Obj = Record<string, unknown>;
const o = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const s = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);

/** Sentry levels as Herald severities. */
const LEVELS: Record<string, Severity> = { fatal: 'critical', error: 'error', warning: 'warning', info: 'info', debug: 'info', sample: 'info' };
const severityOf = (level: string | undefined): Severity | undefined => (level ? LEVELS[level] : undefined);

/** Issue actions (`issues.mdx`; `ignored` is the older name of `archived`). */
const ISSUE_STATUS: Record<string, EventStatus> = {
  created: 'firing',
  unresolved: 'firing',
  resolved: 'resolved',
  archived: 'resolved',
  ignored: 'resolved',
  assigned: 'info',
};

/** An RFC 3339 time from Sentry's ISO strings or Unix-second numbers; anything else is dropped. */
export function sentryTime(value: unknown): string | undefined {
  const ms = typeof value === 'number' ? value * 1000 : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : undefined;
}

/** `…/issues/<id>/events/<event>/` → `…/issues/<id>/`: the issue's page from an event's page. */
function issueWebUrl(eventWebUrl: string | undefined): string | undefined {
  const m = eventWebUrl ? /^(https?:\/\/.+\/issues\/[^/]+\/)events\/[^/]+\/?$/.exec(eventWebUrl) : null;
  return m?.[1];
}

/** Sentry's `tags` are `[[name, value], …]`; a few useful ones become labels. */
function tagMap(tags: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(tags)) return out;
  for (const t of tags) if (Array.isArray(t) && typeof t[0] === 'string' && typeof t[1] === 'string') out[t[0]] = t[1];
  return out;
}

const withUrl = (links: (EventLink | undefined)[]) => links.filter((l): l is EventLink => !!l?.url);

function issue(action: string, p: Obj): EventInput {
  const is = o(o(p.data).issue);
  const id = s(is.id) ?? '?';
  const project = s(o(is.project).slug) ?? s(o(is.project).name) ?? 'sentry';
  const labels: Record<string, string> = { resource: 'issue', project };
  for (const [k, v] of [
    ['level', s(is.level)],
    ['short_id', s(is.shortId)],
    ['platform', s(is.platform)],
    ['issue_status', s(is.status)],
    ['substatus', s(is.substatus)],
  ] as const) {
    if (v) labels[k] = v;
  }
  const status = ISSUE_STATUS[action] ?? 'info';
  const assignee = s(o(is.assignedTo).name) ?? s(o(is.assignedTo).email);
  const verb = action === 'assigned' && assignee ? `assigned to ${assignee}` : action;
  const count = s(is.count);
  const users = s(is.userCount);
  return {
    title: `[${project}] ${s(is.shortId) ? `${s(is.shortId)} ` : ''}${s(is.title) ?? 'Sentry issue'} (${verb})`,
    text: [s(is.culprit), count ? `seen ${count} time${count === '1' ? '' : 's'}${users ? ` by ${users} user${users === '1' ? '' : 's'}` : ''}` : undefined]
      .filter(Boolean)
      .join('\n'),
    type: 'issue',
    action,
    status,
    severity: status === 'resolved' ? 'info' : severityOf(s(is.level)),
    key: `sentry:issue:${id}`,
    url: s(is.web_url) ?? s(is.permalink) ?? undefined,
    labels,
    data: {
      issue_id: id,
      short_id: s(is.shortId) ?? null,
      count: count ?? null,
      user_count: (is.userCount ?? null) as Json,
      first_seen: s(is.firstSeen) ?? null,
      last_seen: s(is.lastSeen) ?? null,
      status: s(is.status) ?? null,
      substatus: s(is.substatus) ?? null,
      status_details: (is.statusDetails ?? null) as Json,
      metadata: (is.metadata ?? null) as Json,
      actor: (p.actor ?? null) as Json,
    },
    occurred_at: sentryTime(is.lastSeen),
  };
}

/** `event_alert` (an issue alert rule fired) and `error` (one error event): both carry a Sentry event. */
function sentryEvent(resource: 'event_alert' | 'error', action: string, p: Obj): EventInput {
  const d = o(p.data);
  const ev = o(resource === 'event_alert' ? d.event : d.error);
  const issueId = s(ev.issue_id) ?? s(ev.group_id);
  const tags = tagMap(ev.tags);
  // The event's API url names the project: …/projects/<org>/<project>/events/<id>/.
  const fromUrl = /\/projects\/[^/]+\/([^/]+)\/events\//.exec(s(ev.url) ?? '')?.[1];
  const project = s(ev.project_slug) ?? fromUrl ?? s(ev.project_name) ?? s(ev.project) ?? 'sentry';
  const rule = s(d.triggered_rule) ?? s(o(d.issue_alert).title);
  const labels: Record<string, string> = { resource, project };
  const level = s(ev.level) ?? tags.level;
  if (level) labels.level = level;
  if (rule) labels.rule = rule;
  for (const k of ['environment', 'release', 'handled', 'mechanism', 'browser.name', 'os.name']) if (tags[k]) labels[k] = tags[k];
  if (s(ev.release)) labels.release = s(ev.release) as string;
  if (s(ev.platform)) labels.platform = s(ev.platform) as string;
  const times = s(ev.times_seen) ?? s(ev.count) ?? s(o(d.issue).count);
  if (times) labels.times_seen = times;
  const webUrl = s(ev.web_url);
  const issueUrl = issueWebUrl(webUrl);
  const title = s(ev.title) ?? s(ev.message) ?? 'Sentry event';
  const firing = resource === 'event_alert';
  return {
    title: `[${project}] ${title}${firing && rule ? ` (alert: ${rule})` : ''}`,
    text: [s(ev.culprit) ?? s(ev.location), times ? `seen ${times} time${times === '1' ? '' : 's'}` : undefined].filter(Boolean).join('\n') || undefined,
    type: resource,
    action,
    status: firing ? 'firing' : 'info',
    severity: severityOf(level) ?? (firing ? 'error' : undefined),
    key: issueId ? `sentry:issue:${issueId}` : undefined,
    url: issueUrl ?? webUrl,
    links: withUrl([issueUrl ? { title: 'issue', url: issueUrl } : undefined, webUrl ? { title: 'event', url: webUrl } : undefined]),
    labels,
    data: {
      event_id: s(ev.event_id) ?? null,
      issue_id: issueId ?? null,
      issue_url: s(ev.issue_url) ?? null,
      web_url: webUrl ?? null,
      times_seen: times ?? null,
      culprit: s(ev.culprit) ?? null,
      metadata: (ev.metadata ?? null) as Json,
      tags: tags as Json,
      rule: rule ?? null,
    },
    occurred_at: sentryTime(ev.datetime) ?? sentryTime(ev.timestamp),
  };
}

const METRIC: Record<string, { status: EventStatus; severity: Severity }> = {
  critical: { status: 'firing', severity: 'critical' },
  warning: { status: 'firing', severity: 'warning' },
  resolved: { status: 'resolved', severity: 'info' },
};

function metricAlert(action: string, p: Obj): EventInput {
  const d = o(p.data);
  const incident = o(d.metric_alert);
  const rule = o(incident.alert_rule);
  const ruleId = s(rule.id) ?? s(incident.id) ?? '?';
  const ruleName = s(rule.name) ?? s(incident.title) ?? 'metric alert';
  const labels: Record<string, string> = { resource: 'metric_alert', rule: ruleName };
  const projects = Array.isArray(rule.projects) ? rule.projects.filter((x) => typeof x === 'string') : [];
  if (projects.length > 0) labels.project = projects.join(',');
  if (s(rule.environment)) labels.environment = s(rule.environment) as string;
  const mapped = METRIC[action] ?? { status: 'info' as const, severity: 'info' as const };
  return {
    title: s(d.description_title) ?? `${action}: ${ruleName}`,
    // Sentry's example escapes the newline ("\\n"); show it as one.
    text: s(d.description_text)?.replace(/\\n/g, '\n'),
    type: 'metric_alert',
    action,
    ...mapped,
    key: `sentry:metric_alert:${ruleId}`,
    url: s(d.web_url),
    labels,
    data: {
      alert_rule: {
        id: ruleId,
        name: ruleName,
        aggregate: s(rule.aggregate) ?? null,
        query: s(rule.query) ?? null,
        time_window: (rule.time_window ?? null) as Json,
      },
      incident: {
        id: s(incident.id) ?? null,
        identifier: s(incident.identifier) ?? null,
        title: s(incident.title) ?? null,
        status: (incident.status ?? null) as Json,
      },
    },
    occurred_at: sentryTime(action === 'resolved' ? (incident.date_closed ?? undefined) : incident.date_detected) ?? sentryTime(incident.date_started),
  };
}

/**
 * One Sentry integration-platform webhook (`Sentry-Hook-Resource` + JSON body)
 * → events. Issues, issue alerts, metric alerts and errors are mapped; other
 * resources (installation, comment, seer …) become one informational event.
 */
export function normalizeSentry(resource: string, payload: unknown): EventInput[] {
  const p = o(payload);
  const action = s(p.action) ?? 'unknown';
  switch (resource) {
    case 'issue':
      return [issue(action, p)];
    case 'event_alert':
    case 'error':
      return [sentryEvent(resource, action, p)];
    case 'metric_alert':
      return [metricAlert(action, p)];
    default: {
      const d = o(p.data);
      const inner = o(d[resource]);
      const what = s(inner.title) ?? s(inner.name) ?? s(inner.id) ?? s(o(d.installation).uuid);
      return [
        {
          title: `Sentry ${resource} ${action}${what ? `: ${what}` : ''}`,
          type: resource,
          action,
          status: 'info',
          url: s(inner.web_url) ?? s(d.web_url),
          labels: { resource },
          data: payload as Json,
        },
      ];
    }
  }
}
