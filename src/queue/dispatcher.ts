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
    for (const g of await this.o.store.dueGroups(now, BATCH)) queued = (await this.flush(g, now)) || queued;
    for (const i of await this.o.store.dueRepeats(now, BATCH)) queued = (await this.repeat(i, now)) || queued;
    if (queued) this.o.onQueued();
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
