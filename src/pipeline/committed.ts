import type { HeraldEvent, Logger } from '@herald/sdk';
import type { IngestRequest } from '../store/types.js';

export interface CommittedFeedOptions {
  log: Logger;
}

/**
 * Tells the console's live streams (subscribers) about every committed ingest. Wired as the
 * Ingestor's `onCommitted`; the delivery engine hears about fresh deliveries through the
 * Ingestor's `handOff` instead, before the callers are answered.
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
        // A broken stream must not keep the others from hearing about the batch.
        this.o.log.warn({ err }, 'a live-event listener failed');
      }
    }
  }
}
