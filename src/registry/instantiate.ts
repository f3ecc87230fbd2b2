import type { Clock, Logger, ReceiverInstance } from '@herald/sdk';
import type { ReceiverConfig } from '../config/load.js';
import { systemClock } from '../lib/clock.js';
import { createTemplateEngine } from '../templates/liquid-engine.js';

const templates = createTemplateEngine();

/** Creates a configured receiver; a failure (e.g. a bad template) names the receiver. */
export function instantiateReceiver(rc: ReceiverConfig, log: Logger, clock: Clock = systemClock): ReceiverInstance {
  try {
    return rc.definition.create(rc.config, { name: rc.name, log, templates, clock });
  } catch (err) {
    throw new Error(`receiver "${rc.name}" (${rc.type}): ${(err as Error).message}`, { cause: err });
  }
}
