import type { HeraldEvent } from '@herald/sdk';
import type { HeraldConfig } from '../config/load.js';
import type { Incident } from '../core/incidents.js';
import { parseStoredMatcher } from '../core/matcher.js';
import { addLabels, alertLabels, type FiringAlert, type Labels, type Silence, type Suppression, suppression } from '../core/silence.js';
import type { Store, StoredSilence } from '../store/types.js';

/** Most firing incidents read as inhibition sources per check. */
const FIRING_LIMIT = 10_000;

/**
 * The labels silences, windows and inhibit rules match an incident with: its
 * latest event's labels and matchable fields (`severity`, `source`, …, as in
 * routes, see `alertLabels`), its labels, and its `key`, `title` and `route`.
 */
export function incidentLabels(incident: Incident, event?: HeraldEvent): Record<string, string> {
  const out: Record<string, string> = event ? alertLabels(event) : {};
  Object.assign(addLabels(out, incident.labels), { key: incident.key, title: incident.title });
  if (!Object.hasOwn(incident.labels, 'route')) out.route = incident.route;
  return out;
}

/** A stored silence in the model's shape; its matchers were checked when it was created. */
export function toSilence(s: StoredSilence): Silence {
  return { id: s.id, matchers: s.matchers.map(parseStoredMatcher), starts_at: s.starts_at, ends_at: s.ends_at, author: s.author, comment: s.comment };
}

/**
 * Decides, for the dispatcher, whether an incident's notification is muted
 * now: config silences and stored (API) silences in force, the config's
 * maintenance windows, and inhibit rules against the incidents firing now.
 * Reads the config on every call, so a reload applies at once.
 */
export function makeSuppressor(store: Store, config: () => HeraldConfig): (incident: Incident, now: number) => Promise<Suppression | undefined> {
  return async (incident, now) => {
    const { silences, windows, rules } = config().alerting;
    const [event] = await store.loadEvents([incident.lastEventId]);
    const labels = incidentLabels(incident, event);
    const stored = (await store.listSilences({ active_at: now })).map(toSilence);
    const firing = rules.length > 0 ? await firingAlerts(store, incident.id) : [];
    return suppression(labels, { silences: [...silences, ...stored], windows, firing, rules }, now);
  };
}

/** The labels of every firing incident except `self` (an alert never inhibits itself). */
async function firingAlerts(store: Store, self: string): Promise<FiringAlert[]> {
  const incidents = (await store.listIncidents({ status: 'firing', limit: FIRING_LIMIT })).filter((i) => i.id !== self);
  const events = new Map((await store.loadEvents(incidents.map((i) => i.lastEventId))).map((e) => [e.id, e]));
  return incidents.map((i): { labels: Labels } => ({ labels: incidentLabels(i, events.get(i.lastEventId)) }));
}
