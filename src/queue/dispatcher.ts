import type { Clock, HeraldEvent, Logger, ReceiverCapabilities } from '@herald/sdk';
import { toHeraldEvent } from '../core/event.js';
import { groupEvent, type Incident, type Policy, pendingNotice } from '../core/incidents.js';
import type { Route } from '../core/routing.js';
import { newId } from '../lib/ids.js';
import type { DueGroup, FlushPlan, NewDelivery, Store } from '../store/types.js';

export interface DispatcherOptions {
  store: Store;
  clock: Clock;
  log: Logger;
  routes: () => readonly Route[];
  pollIntervalMs: number;
  /** New deliveries were queued: wake the delivery engine. */
  onQueued: () => void;
  /** Whether a silence, maintenance window or inhibition mutes this incident now. */
  suppress?: (incident: Incident, now: number) => Promise<{ kind: 'silenced' | 'maintenance' | 'inhibited'; by: string } | undefined>;
  /**
   * What a configured receiver can do. Receivers that dedup by key get one
   * action per member incident under its own key; the others get the group
   * notification (docs/alerting.md, "Groups and keyed receivers").
   */
  capabilities?: (receiver: string) => ReceiverCapabilities | undefined;
}

type PolicyRoute = Route & { policy: Policy };

const BATCH = 200;

/**
 * Turns incident state into notifications on the routes' policies: flushes
 * groups whose wait is over, repeats firing incidents, resolves expired ones.
 * All its timers live in the store, so a restart resumes them on time.
 */
export class Dispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private ticking: Promise<void> = Promise.resolve();

  constructor(private readonly o: DispatcherOptions) {}

  start(): void {
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
  }

  /** Runs one pass now (tests drive it with a fake clock). */
  tick(): Promise<void> {
    this.ticking = this.ticking
      .then(() => this.pass())
      .catch((err: unknown) => this.o.log.error({ err }, 'incident dispatcher pass failed; retrying next tick'));
    return this.ticking;
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      void this.tick().finally(() => this.schedule(this.o.pollIntervalMs));
    }, ms);
  }

  private async pass(): Promise<void> {
    const now = this.o.clock.now();
    await this.o.store.autoResolve(now);
    let queued = false;
    const due = await this.o.store.dueGroups(now, BATCH);
    for (const [routeId, groups] of groupBy(due, (g) => g.route)) {
      const guard = this.policyRoute(routeId)?.policy?.maxNotifications;
      if (!guard) {
        for (const g of groups) queued = (await this.flush(g, now)) || queued;
        continue;
      }
      queued = (await this.guardedFlush(routeId, groups, guard, now)) || queued;
    }
    for (const i of await this.o.store.dueRepeats(now, BATCH)) queued = (await this.repeat(i, now)) || queued;
    if (queued) this.o.onQueued();
  }

  /** Notifications sent per route, for the flood guard (in memory: a restart starts a fresh window). */
  private readonly sent = new Map<string, number[]>();
  private readonly lastDigest = new Map<string, number>();

  /**
   * Flood guard: up to `count` notifications per window go out as usual; the
   * groups beyond are summarised in one digest per window — never dropped.
   * Groups that would exceed even that wait (persisted) for the next window.
   */
  private async guardedFlush(routeId: string, groups: DueGroup[], guard: { count: number; perMs: number }, now: number): Promise<boolean> {
    const recent = (this.sent.get(routeId) ?? []).filter((t) => t > now - guard.perMs);
    let queued = false;
    const overflow: DueGroup[] = [];
    for (const g of groups) {
      if (recent.length >= guard.count) {
        overflow.push(g);
        continue;
      }
      if (await this.flush(g, now)) {
        recent.push(now);
        queued = true;
      }
    }
    this.sent.set(routeId, recent);
    if (overflow.length === 0) return queued;
    const last = this.lastDigest.get(routeId);
    if (last !== undefined && last > now - guard.perMs) {
      for (const g of overflow) await this.o.store.postponeGroup(g.route, g.groupKey, last + guard.perMs);
      return queued;
    }
    if (await this.flushDigest(routeId, overflow, now)) {
      this.lastDigest.set(routeId, now);
      queued = true;
    }
    return queued;
  }

  /**
   * One digest for several due groups of a route, for the receivers that take
   * group notifications; keyed receivers get their per-incident actions as on
   * any flush. Each group's bookkeeping is committed with it.
   */
  private async flushDigest(routeId: string, groups: DueGroup[], now: number): Promise<boolean> {
    const route = this.policyRoute(routeId);
    if (!route) return false;
    const plans: FlushPlan[] = [];
    const all: Incident[] = [];
    for (const g of groups) {
      const plan: FlushPlan = {
        route: g.route,
        groupKey: g.groupKey,
        seq: g.seq,
        events: [],
        deliveries: [],
        notified: [],
        nextFlushAt: now + route.policy.groupIntervalMs,
      };
      all.push(...(await this.planGroup(route, g, now, plan)).audible);
      plans.push(plan);
    }
    const [first] = plans;
    const { plain } = this.split(route);
    if (first && all.length > 0 && plain.length > 0) {
      const digest = groupEvent(routeId, 'digest', all);
      const event = toHeraldEvent({ ...digest, title: `Digest: ${digest.title}`, key: `digest:${routeId}` }, newId(now), now);
      first.events.push(event);
      first.deliveries.push(...this.deliveriesTo(plain, event.id, event.key as string, now));
    }
    // The plan holding the digest commits first: a crash after it re-sends a group, never loses one.
    for (const plan of plans) await this.o.store.commitFlush(plan, now);
    return plans.some((p) => p.deliveries.some((d) => !d.suppressed));
  }

  private policyRoute(id: string): PolicyRoute | undefined {
    return this.o.routes().find((r): r is PolicyRoute => r.id === id && r.policy !== undefined);
  }

  /** The route's receivers that dedup by key, and the others. */
  private split(route: Route): { keyed: string[]; plain: string[] } {
    const keyed = route.receivers.filter((r) => this.o.capabilities?.(r)?.dedupByKey === true);
    return { keyed, plain: route.receivers.filter((r) => !keyed.includes(r)) };
  }

  /**
   * Plans what a due group's pending incidents send, into `plan`, and returns
   * the audible ones the receivers without keys hear about together, with the
   * notice event of each (made once, shared by every receiver).
   *
   * Keyed receivers get one action per member under the member's own key:
   * a trigger for each newly firing member (suppressed if muted), and a
   * resolve for each resolved member — but only to a receiver it was
   * triggered at, and then always: neither a silence nor `send_resolved:
   * false` may leave an alert open at the provider that Herald shows resolved.
   */
  private async planGroup(
    route: PolicyRoute,
    g: DueGroup,
    now: number,
    plan: FlushPlan,
  ): Promise<{ audible: Incident[]; eventOf: (i: Incident) => Promise<string> }> {
    const policy = route.policy;
    const { notify, settleQuietly } = pendingNotice(g.incidents, policy);
    plan.notified.push(
      ...notify.map((i) => ({
        id: i.id,
        notified: i.status,
        repeatAt: i.status === 'firing' && i.acknowledgedAt === null ? now + policy.repeatIntervalMs : null,
      })),
      ...settleQuietly.map((i) => ({ id: i.id, notified: i.status, repeatAt: null })),
    );
    const { keyed, plain } = this.split(route);
    const resolved = [...notify, ...settleQuietly].filter((i) => i.status === 'resolved');
    const triggered =
      keyed.length > 0 && resolved.length > 0 ? await this.o.store.triggeredReceivers(resolved.map((i) => i.id)) : new Map<string, Set<string>>();
    // One notice event per incident, however many receivers it goes to (a resolved copy is made once).
    const events = new Map<string, string>();
    const eventOf = async (i: Incident): Promise<string> => {
      const known = events.get(i.id);
      if (known) return known;
      const id = await this.noticeEvent(i, now, plan);
      events.set(i.id, id);
      return id;
    };
    const audible: Incident[] = [];
    for (const i of notify) {
      const muted = await this.o.suppress?.(i, now);
      const reason = muted ? `${muted.kind} by ${muted.by}` : undefined;
      if (i.status === 'firing') {
        plan.deliveries.push(...this.deliveriesTo(keyed, await eventOf(i), i.key, now, i.id, reason));
        // Acknowledged before its first notice: the provider hears the acknowledgement right after the trigger.
        if (!muted && i.acknowledgedAt !== null) this.pushAcknowledge(plan, i, keyed, now);
      }
      // Muted incidents are recorded (their notification kept as `suppressed`) and left out of what is sent.
      if (!muted) audible.push(i);
      else plan.deliveries.push(...this.deliveriesTo(plain, await eventOf(i), i.key, now, i.id, reason));
    }
    for (const i of resolved) {
      const targets = keyed.filter((r) => triggered.get(i.id)?.has(r));
      if (targets.length > 0) plan.deliveries.push(...this.deliveriesTo(targets, await eventOf(i), i.key, now, i.id));
    }
    return { audible, eventOf };
  }

  private async flush(g: DueGroup, now: number): Promise<boolean> {
    const route = this.policyRoute(g.route);
    const plan: FlushPlan = { route: g.route, groupKey: g.groupKey, seq: g.seq, events: [], deliveries: [], notified: [], nextFlushAt: now };
    if (!route) {
      // The route was removed or lost its policy: settle the group without sending.
      this.o.log.warn({ route: g.route, group: g.groupKey }, 'incident group of a route without a policy; settled without a notification');
      plan.notified = g.incidents.map((i) => ({ id: i.id, notified: i.status, repeatAt: null }));
      await this.o.store.commitFlush(plan, now);
      return false;
    }
    plan.nextFlushAt = now + route.policy.groupIntervalMs;
    const { audible, eventOf } = await this.planGroup(route, g, now, plan);
    const { plain } = this.split(route);
    if (audible.length === 1) {
      const [i] = audible as [Incident];
      plan.deliveries.push(...this.deliveriesTo(plain, await eventOf(i), i.key, now, i.id));
    } else if (audible.length > 1 && plain.length > 0) {
      const event = toHeraldEvent(groupEvent(g.route, g.groupKey, audible), newId(now), now);
      plan.events.push(event);
      plan.deliveries.push(...this.deliveriesTo(plain, event.id, event.key as string, now));
    }
    await this.o.store.commitFlush(plan, now);
    return plan.deliveries.some((d) => !d.suppressed);
  }

  /**
   * The event a single incident's notification carries: its latest event, or,
   * for an incident resolved by hand or by time, a resolved copy of it.
   */
  private async noticeEvent(i: Incident, now: number, plan: FlushPlan): Promise<string> {
    if (i.status !== 'resolved') return i.lastEventId;
    const [last] = await this.o.store.loadEvents([i.lastEventId]);
    if (!last || last.status === 'resolved') return i.lastEventId;
    const { id: _id, received_at: _r, ...rest } = last;
    const resolved: HeraldEvent = toHeraldEvent(
      { ...rest, status: 'resolved', text: `Resolved after ${i.timesSeen} events (by hand or for lack of news).` },
      newId(now),
      now,
    );
    plan.events.push(resolved);
    return resolved.id;
  }

  private deliveriesTo(receivers: readonly string[], eventId: string, orderKey: string, now: number, incidentId?: string, suppressed?: string): NewDelivery[] {
    return receivers.map((receiver) => ({ id: newId(now), eventId, receiver, runAt: now, orderKey, incidentId, ...(suppressed ? { suppressed } : {}) }));
  }

  /** Queues an `acknowledge` event under the incident's key for those of `receivers` that pass acknowledgements on. */
  private pushAcknowledge(plan: { events: HeraldEvent[]; deliveries: NewDelivery[] }, i: Incident, receivers: readonly string[], now: number): string[] {
    const targets = receivers.filter((r) => this.o.capabilities?.(r)?.acknowledge === true);
    if (targets.length === 0) return [];
    const event = toHeraldEvent(
      {
        title: i.title,
        key: i.key,
        status: 'firing',
        action: 'acknowledge',
        source: 'herald',
        labels: i.labels,
        ...(i.severity ? { severity: i.severity } : {}),
        text: `Acknowledged by ${i.acknowledgedBy ?? 'unknown'}${i.acknowledgedComment ? `: ${i.acknowledgedComment}` : ''}`,
      },
      newId(now),
      now,
    );
    plan.events.push(event);
    plan.deliveries.push(...this.deliveriesTo(targets, event.id, i.key, now, i.id));
    return targets;
  }

  /**
   * Acknowledges an incident: stops its repeats and sends an `acknowledge`
   * (same key) to the route's receivers that pass acknowledgements on — to a
   * keyed receiver only if it was triggered with that key (one that was not
   * gets the acknowledgement right after its trigger, see planGroup). Runs in
   * the dispatcher's queue, so it never races a flush of the same incident.
   */
  acknowledge(id: string, by: string, comment?: string): Promise<'not_found' | 'not_firing' | { notified: string[] }> {
    const run = this.ticking.then(async () => {
      const incident = await this.o.store.getIncident(id);
      if (!incident) return 'not_found' as const;
      if (incident.status !== 'firing' || incident.acknowledgedAt !== null) return 'not_firing' as const;
      const now = this.o.clock.now();
      const route = this.o.routes().find((r) => r.id === incident.route);
      const { keyed, plain } = route ? this.split(route) : { keyed: [], plain: [] };
      const triggered = keyed.length > 0 ? ((await this.o.store.triggeredReceivers([incident.id])).get(incident.id) ?? new Set<string>()) : new Set<string>();
      const notice = { events: [] as HeraldEvent[], deliveries: [] as NewDelivery[] };
      const acked = { ...incident, acknowledgedBy: by, acknowledgedComment: comment ?? null };
      const notified = this.pushAcknowledge(notice, acked, [...keyed.filter((r) => triggered.has(r)), ...plain], now);
      if (!(await this.o.store.acknowledgeIncident(id, by, now, { comment, notice }))) return 'not_firing' as const;
      if (notified.length > 0) this.o.onQueued();
      return { notified };
    });
    this.ticking = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  /**
   * Resolves a firing incident by hand. The resolved notification is not built here: the store marks
   * the incident for the route's policy (its group interval) and the pass started right after sends
   * it, as for an incident that resolved itself.
   */
  async resolve(id: string, by?: string): Promise<'not_found' | 'not_firing' | 'resolved'> {
    const incident = await this.o.store.getIncident(id);
    if (!incident) return 'not_found';
    const policy = this.o.routes().find((r) => r.id === incident.route)?.policy;
    if (!(await this.o.store.resolveIncident(id, this.o.clock.now(), { groupIntervalMs: policy?.groupIntervalMs ?? 0 }, by))) return 'not_firing';
    void this.tick();
    return 'resolved';
  }

  private async repeat(i: Incident, now: number): Promise<boolean> {
    const route = this.policyRoute(i.route);
    if (!route) {
      await this.o.store.commitRepeat(i, [], Number.MAX_SAFE_INTEGER, now);
      return false;
    }
    const muted = await this.o.suppress?.(i, now);
    const reason = muted ? `${muted.kind} by ${muted.by}` : undefined;
    const ok = await this.o.store.commitRepeat(
      i,
      this.deliveriesTo(route.receivers, i.lastEventId, i.key, now, i.id, reason),
      now + route.policy.repeatIntervalMs,
      now,
    );
    return ok && !muted && route.receivers.length > 0;
  }
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}
