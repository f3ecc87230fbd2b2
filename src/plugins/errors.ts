/** Plugin loading errors; codes are stable and listed in docs/plugins.md. */
export type PluginErrorCode =
  | 'HERALD_ERR_PLUGIN_NOT_FOUND'
  | 'HERALD_ERR_PLUGIN_NO_MANIFEST'
  | 'HERALD_ERR_PLUGIN_API_VERSION'
  | 'HERALD_ERR_PLUGIN_SDK_RANGE'
  | 'HERALD_ERR_PLUGIN_IMPORT'
  | 'HERALD_ERR_PLUGIN_INVALID_DEFINITION'
  | 'HERALD_ERR_PLUGIN_DUPLICATE_TYPE';

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
