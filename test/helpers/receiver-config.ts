import type { ReceiverDefinition, Static, TSchema } from '@herald/sdk';
import { withDefaults } from '../../src/config/defaults.js';

/** A config as a user writes it: every key may be left out, at any depth (the schema fills those with a default). */
export type Written<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: Written<T[K]> } : T;

/**
 * `written` with its receiver schema's defaults filled in, as the loader hands
 * it to `create()` and `validate()`. Tests that call a definition directly go
 * through this instead of hand-writing every defaulted key, so the receiver's
 * code can read its defaults from the filled config only. It does not
 * validate: tests of validate() pass deliberately bad configs through it.
 */
export function filledConfig<S extends TSchema>(definition: ReceiverDefinition<S>, written: Written<Static<S>>): Static<S> {
  return withDefaults<Static<S>>(definition.config, written);
}
