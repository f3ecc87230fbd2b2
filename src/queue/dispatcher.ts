import type { Clock, HeraldEvent, Logger } from '@herald/sdk';
import { toHeraldEvent } from '../core/event.js';
import { groupEvent, type Incident, pendingNotice } from '../core/incidents.js';
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
}

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

  /** One notification for several due groups of a route; each group's bookkeeping is committed with it. */
  private async flushDigest(routeId: string, groups: DueGroup[], now: number): Promise<boolean> {
    const route = this.policyRoute(routeId);
    if (!route?.policy) return false;
    const policy = route.policy;
    const plans: FlushPlan[] = [];
    const all: Incident[] = [];
    for (const g of groups) {
      const { notify, settleQuietly } = pendingNotice(g.incidents, policy);
      all.push(...notify);
      plans.push({
        route: g.route,
        groupKey: g.groupKey,
        seq: g.seq,
        events: [],
        deliveries: [],
        nextFlushAt: now + policy.groupIntervalMs,
        notified: [
          ...notify.map((i) => ({
            id: i.id,
            notified: i.status,
            repeatAt: i.status === 'firing' && i.acknowledgedAt === null ? now + policy.repeatIntervalMs : null,
          })),
          ...settleQuietly.map((i) => ({ id: i.id, notified: i.status, repeatAt: null })),
        ],
      });
    }
    const [first] = plans;
    if (first && all.length > 0) {
      const digest = groupEvent(routeId, 'digest', all);
      const event = toHeraldEvent({ ...digest, title: `Digest: ${digest.title}`, key: `digest:${routeId}` }, newId(now), now);
      first.events.push(event);
      first.deliveries = this.deliveries(route, event.id, event.key as string, now);
    }
    // The plan holding the digest commits first: a crash after it re-sends a group, never loses one.
    for (const plan of plans) await this.o.store.commitFlush(plan, now);
    return all.length > 0;
  }

  private policyRoute(id: string): Route | undefined {
    return this.o.routes().find((r) => r.id === id && r.policy);
  }

  private async flush(g: DueGroup, now: number): Promise<boolean> {
    const route = this.policyRoute(g.route);
    const plan: FlushPlan = { route: g.route, groupKey: g.groupKey, seq: g.seq, events: [], deliveries: [], notified: [], nextFlushAt: now };
    if (!route?.policy) {
      // The route was removed or lost its policy: settle the group without sending.
      this.o.log.warn({ route: g.route, group: g.groupKey }, 'incident group of a route without a policy; settled without a notification');
      plan.notified = g.incidents.map((i) => ({ id: i.id, notified: i.status, repeatAt: null }));
      await this.o.store.commitFlush(plan, now);
      return false;
    }
    const policy = route.policy;
    plan.nextFlushAt = now + policy.groupIntervalMs;
    const { notify, settleQuietly } = pendingNotice(g.incidents, policy);
    plan.notified = [
      ...notify.map((i) => ({
        id: i.id,
        notified: i.status,
        repeatAt: i.status === 'firing' && i.acknowledgedAt === null ? now + policy.repeatIntervalMs : null,
      })),
      ...settleQuietly.map((i) => ({ id: i.id, notified: i.status, repeatAt: null })),
    ];
    // Muted incidents are recorded (their notification kept as `suppressed`) and left out of what is sent.
    const audible: Incident[] = [];
    for (const i of notify) {
      const muted = await this.o.suppress?.(i, now);
      if (!muted) audible.push(i);
      else plan.deliveries.push(...this.deliveries(route, await this.noticeEvent(i, now, plan), i.key, now, i.id, `${muted.kind} by ${muted.by}`));
    }
    if (audible.length === 1) {
      const [i] = audible as [Incident];
      const eventId = await this.noticeEvent(i, now, plan);
      plan.deliveries.push(...this.deliveries(route, eventId, i.key, now, i.id));
    } else if (audible.length > 1) {
      const event = toHeraldEvent(groupEvent(g.route, g.groupKey, audible), newId(now), now);
      plan.events.push(event);
      plan.deliveries.push(...this.deliveries(route, event.id, event.key as string, now));
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

  private deliveries(route: Route, eventId: string, orderKey: string, now: number, incidentId?: string, suppressed?: string): NewDelivery[] {
    return route.receivers.map((receiver) => ({ id: newId(now), eventId, receiver, runAt: now, orderKey, incidentId, ...(suppressed ? { suppressed } : {}) }));
  }

  private async repeat(i: Incident, now: number): Promise<boolean> {
    const route = this.policyRoute(i.route);
    if (!route?.policy) {
      await this.o.store.commitRepeat(i, [], Number.MAX_SAFE_INTEGER, now);
      return false;
    }
    const muted = await this.o.suppress?.(i, now);
    const reason = muted ? `${muted.kind} by ${muted.by}` : undefined;
    const ok = await this.o.store.commitRepeat(i, this.deliveries(route, i.lastEventId, i.key, now, i.id, reason), now + route.policy.repeatIntervalMs, now);
    return ok && !muted && route.receivers.length > 0;
  }
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}
