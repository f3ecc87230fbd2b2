import type { SourceDefinition } from '@herald/sdk';
import generic from './generic/index.js';

/** Built-in sources. Adding one: a folder beside this file and one line here. */
export const builtinSources: readonly SourceDefinition[] = [generic] as SourceDefinition[];
