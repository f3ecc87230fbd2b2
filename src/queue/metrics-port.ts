/** What the delivery engine reports; the app backs it with Prometheus. */
export interface DeliveryMetrics {
  attempt(receiver: string, outcome: 'success' | 'retry' | 'dead', reason: string, seconds: number): void;
}
