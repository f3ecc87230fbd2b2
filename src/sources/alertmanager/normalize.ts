import type { EventInput, Json, Severity } from '@herald/sdk';

type Obj = Record<string, unknown>;
const o = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
const strings = (v: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(o(v)).filter(([, x]) => typeof x === 'string')) as Record<string, string>;

/**
 * Alertmanager's alert fingerprint: FNV-1a 64 over the label names (sorted)
 * and values, each followed by 0xff, as 16 hex digits (prometheus/common
 * `LabelSet.Fingerprint`). The same labels give the same key whether the
 * alert came through Alertmanager or straight from Prometheus.
 *
 * The 64-bit state is kept as two 32-bit halves in plain numbers: it runs for
 * every alert on `/api/v2/alerts`, and BigInt arithmetic per byte cost ~20×.
 * The FNV prime is 2^40 + 0x1b3, so h·prime = h·0x1b3 + (h << 40) (mod 2^64).
 */
export function labelFingerprint(labels: Record<string, string>): string {
  // 14695981039346656037 = 0xcbf29ce484222325
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  const add = (byte: number) => {
    lo ^= byte;
    const low = (lo >>> 0) * 0x1b3;
    const carry = Math.floor(low / 0x1_0000_0000);
    hi = (hi * 0x1b3 + carry + ((lo << 8) >>> 0)) >>> 0;
    lo = low >>> 0;
  };
  const addString = (text: string) => {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) {
        // Not ASCII: hash the UTF-8 bytes of the rest, as Go does.
        for (const b of Buffer.from(text.slice(i))) add(b);
        break;
      }
      add(c);
    }
    add(0xff);
  };
  for (const name of Object.keys(labels).sort()) {
    addString(name);
    addString(labels[name] as string);
  }
  return (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
}

const SEVERITY: Record<string, Severity> = {
  critical: 'critical',
  page: 'critical',
  error: 'error',
  high: 'error',
  warning: 'warning',
  warn: 'warning',
  info: 'info',
  none: 'info',
  low: 'info',
};
/** Go's zero time: Alertmanager's "no end yet". */
const ZERO_TIME = /^0001-01-01/;

interface AlertInput {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: 'firing' | 'resolved';
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
  base?: string;
  extra?: Obj;
}

function toEvent(a: AlertInput): EventInput {
  const name = a.labels.alertname ?? 'alert';
  const severity = SEVERITY[(a.labels.severity ?? '').toLowerCase()];
  const abs = (u: string | undefined) =>
    u && /^https?:\/\//.test(u) ? u : u && a.base ? `${a.base.replace(/\/$/, '')}${u.startsWith('/') ? '' : '/'}${u}` : undefined;
  const url = abs(a.generatorURL);
  const startsAt = a.startsAt && !ZERO_TIME.test(a.startsAt) && !Number.isNaN(Date.parse(a.startsAt)) ? a.startsAt : undefined;
  return {
    title: a.annotations.summary ?? a.annotations.title ?? name,
    text: a.annotations.description ?? a.annotations.message,
    type: name,
    status: a.status,
    severity,
    key: `alert:${labelFingerprint(a.labels)}`,
    labels: a.labels,
    url,
    links: url ? [{ title: 'Source', url }] : undefined,
    occurred_at: startsAt ? new Date(startsAt).toISOString() : undefined,
    data: { labels: a.labels, annotations: a.annotations, startsAt: a.startsAt, endsAt: a.endsAt, generatorURL: a.generatorURL, ...a.extra } as Json,
  };
}

/** Thrown for a body that is not the expected shape; the source answers 400 with the message. */
export class PayloadError extends Error {}

/** An Alertmanager webhook notification (format version 4): one event per alert. */
export function normalizeAlertmanager(payload: unknown): EventInput[] {
  const p = o(payload);
  if (!Array.isArray(p.alerts)) throw new PayloadError('not an Alertmanager webhook body: "alerts" must be a list');
  const base = str(p.externalURL);
  return p.alerts.map((raw, i) => {
    const a = o(raw);
    const labels = strings(a.labels);
    if (Object.keys(labels).length === 0) throw new PayloadError(`alerts[${i}].labels must be a non-empty object`);
    const status = a.status === 'resolved' ? 'resolved' : a.status === 'firing' ? 'firing' : undefined;
    if (!status) throw new PayloadError(`alerts[${i}].status must be "firing" or "resolved"`);
    return toEvent({
      labels,
      annotations: strings(a.annotations),
      status,
      startsAt: str(a.startsAt),
      endsAt: str(a.endsAt),
      generatorURL: str(a.generatorURL),
      base,
      extra: { receiver: p.receiver, groupKey: p.groupKey, externalURL: base } as Obj,
    });
  });
}

/**
 * A Prometheus (or vmalert) alert list as posted to Alertmanager's
 * `POST /api/v2/alerts`: an alert is firing while `endsAt` is absent or in
 * the future, resolved once it has passed.
 */
export function normalizePrometheusAlerts(payload: unknown, now: number): EventInput[] {
  if (!Array.isArray(payload)) throw new PayloadError('POST /api/v2/alerts takes a JSON list of alerts');
  return payload.map((raw, i) => {
    const a = o(raw);
    const labels = strings(a.labels);
    if (Object.keys(labels).length === 0) throw new PayloadError(`[${i}].labels must be a non-empty object`);
    const endsAt = str(a.endsAt);
    if (endsAt !== undefined && Number.isNaN(Date.parse(endsAt))) throw new PayloadError(`[${i}].endsAt is not a date-time`);
    const ended = endsAt !== undefined && !ZERO_TIME.test(endsAt) && Date.parse(endsAt) <= now;
    return toEvent({
      labels,
      annotations: strings(a.annotations),
      status: ended ? 'resolved' : 'firing',
      startsAt: str(a.startsAt),
      endsAt,
      generatorURL: str(a.generatorURL),
    });
  });
}
