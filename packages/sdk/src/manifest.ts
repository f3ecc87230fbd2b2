/**
 * The `herald` block of a plugin's package.json:
 *
 * ```json
 * "herald": { "apiVersion": 1, "receivers": ["./dist/index.js"], "sources": ["./dist/source.js"] },
 * "peerDependencies": { "@herald/sdk": "^0.1.0" }
 * ```
 *
 * Each listed module's default export is a receiver (or source) definition, or a list of them.
 */
export interface PluginManifest {
  apiVersion: number;
  receivers?: string[];
  sources?: string[];
}

/** The SDK's own version, checked against a plugin's peerDependencies range. */
export const SDK_VERSION = '0.1.0';
