import type { ReceiverState } from '../receiver.js';

/** In-memory ReceiverState, for tests, dry runs and `herald test`. */
export function memoryState(): ReceiverState & { values: Map<string, string> } {
  const values = new Map<string, string>();
  return {
    values,
    get: async (key) => values.get(key),
    set: async (key, value) => {
      values.set(key, value);
    },
    delete: async (key) => {
      values.delete(key);
    },
  };
}
