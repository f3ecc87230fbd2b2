import type { HeraldEvent, Logger } from '@herald/sdk';
import type { IngestRequest } from '../store/types.js';

export interface CommittedFeedOptions {
  log: Logger;
  /**
   * Hands fresh events to the delivery engine with how many of their deliveries were queued, so it
   * sends them without reading them back from the store or waiting for a poll.
   */
  remember: (events: HeraldEvent[], deliveriesPerEvent: (event: HeraldEvent) => number) => void;
}

/**
 * Tells everyone who waits on a committed ingest: the delivery engine, then the console's live
 * streams (subscribers). Wired as the Ingestor's `onCommitted`.
 */
export class CommittedFeed {
  private readonly listeners = new Set<(events: HeraldEvent[]) => void>();

  constructor(private readonly o: CommittedFeedOptions) {}

  /** Calls `listener` with the events of every committed ingest; returns the unsubscribe. */
  subscribe(listener: (events: HeraldEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  committed(requests: IngestRequest[]): void {
    for (const listener of this.listeners) {
      try {
        listener(requests.flatMap((r) => r.events));
      } catch (err) {
        // A broken stream must not keep the engine from hearing about the batch.
        this.o.log.warn({ err }, 'a live-event listener failed');
      }
    }
    for (const r of requests) {
      const perEvent = new Map<string, number>();
      for (const d of r.deliveries) perEvent.set(d.eventId, (perEvent.get(d.eventId) ?? 0) + 1);
      this.o.remember(r.events, (e) => perEvent.get(e.id) ?? 0);
    }
  }
}
