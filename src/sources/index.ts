import type { SourceDefinition } from '@herald/sdk';
import generic from './generic/index.js';
import github from './github/index.js';

/** Built-in sources. Adding one: a folder beside this file and one line here. */
export const builtinSources: readonly SourceDefinition[] = [generic, github] as SourceDefinition[];
