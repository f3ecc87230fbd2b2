import type { PluginErrorCode } from '../errors/catalogue.js';

export type { PluginErrorCode };

/** Plugin loading errors; codes are stable and listed in the catalogue (src/errors/catalogue.ts, docs/errors.md). */
export class PluginError extends Error {
  constructor(
    readonly code: PluginErrorCode,
    readonly plugin: string,
    detail: string,
  ) {
    super(`${code}: plugin ${plugin}: ${detail}`);
    this.name = 'PluginError';
  }
}
