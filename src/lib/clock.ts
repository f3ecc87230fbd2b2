import type { Clock } from '@herald/sdk';

export const systemClock: Clock = { now: () => Date.now() };
