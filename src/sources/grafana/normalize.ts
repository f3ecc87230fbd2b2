import { createHash } from 'node:crypto';
import { type EventInput, type EventLink, type Json, reject, SEVERITIES, type Severity } from '@herald/sdk';

type Obj = Record<string, unknown>;
const o = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const s = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);

/** A string map (Grafana labels and annotations); non-string values are dropped. */
function strings(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(o(v))) if (typeof x === 'string') out[k] = x;
  return out;
}

/** RFC 3339 from Grafana's times; its "not set" `0001-01-01T00:00:00Z` and garbage are dropped. */
export function grafanaTime(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) || ms <= 0 ? undefined : new Date(ms).toISOString();
}

/**
 * A Grafana-managed alerting webhook notification → one event per alert.
 * The alert's fingerprint (same labels, same fingerprint) is the key, so a
 * resolved notification closes what the firing one opened.
 */
export function normalizeGrafana(payload: unknown): EventInput[] {
  const p = o(payload);
  if (!Array.isArray(p.alerts)) throw reject.malformed('not a Grafana alerting webhook payload: "alerts" must be a list');
  const groupStatus = s(p.status);
  return p.alerts.map((raw, i) => {
    const a = o(raw);
    const labels = strings(a.labels);
    const annotations = strings(a.annotations);
    const status = s(a.status) ?? groupStatus;
    if (status !== 'firing' && status !== 'resolved') {
      throw reject.malformed(`alerts[${i}].status must be "firing" or "resolved" (got ${JSON.stringify(a.status ?? null)})`);
    }
    const fingerprint =
      s(a.fingerprint) ??
      createHash('sha256')
        .update(JSON.stringify(Object.entries(labels).sort(([x], [y]) => x.localeCompare(y))))
        .digest('hex')
        .slice(0, 16);
    const sev = labels.severity?.toLowerCase();
    const severity = SEVERITIES.includes(sev as Severity) ? (sev as Severity) : undefined;
    const links: EventLink[] = [];
    for (const [title, url] of [
      ['silence', s(a.silenceURL)],
      ['dashboard', s(a.dashboardURL)],
      ['panel', s(a.panelURL)],
      ['image', s(a.imageURL)],
      ['runbook', annotations.runbook_url],
    ] as const) {
      if (url) links.push({ title, url });
    }
    const values = o(a.values);
    const valueText = Object.entries(values)
      .map(([k, v]) => `${k}=${typeof v === 'number' ? v : JSON.stringify(v)}`)
      .join(', ');
    const text = [annotations.description, valueText ? `values: ${valueText}` : undefined].filter(Boolean).join('\n');
    return {
      title: annotations.summary ?? labels.alertname ?? s(p.title) ?? 'Grafana alert',
      text: text || undefined,
      type: 'alert',
      action: status,
      status,
      severity,
      key: `grafana:${fingerprint}`,
      url: s(a.generatorURL) ?? s(p.externalURL),
      links,
      labels,
      data: {
        fingerprint,
        annotations,
        values: values as Json,
        starts_at: s(a.startsAt) ?? null,
        ends_at: s(a.endsAt) ?? null,
        receiver: s(p.receiver) ?? null,
        group_key: s(p.groupKey) ?? null,
        group_labels: strings(p.groupLabels),
        org_id: (p.orgId ?? null) as Json,
      },
      occurred_at: status === 'resolved' ? (grafanaTime(a.endsAt) ?? grafanaTime(a.startsAt)) : grafanaTime(a.startsAt),
    };
  });
}
