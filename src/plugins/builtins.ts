import { builtinReceivers } from '../receivers/index.js';
import { Registry } from '../registry/registry.js';
import { builtinSources } from '../sources/index.js';

/** A registry holding every built-in receiver and source type. */
export function builtinRegistry(): Registry {
  const registry = new Registry();
  for (const d of builtinReceivers) registry.register(d);
  for (const d of builtinSources) registry.sources.register(d);
  return registry;
}
