export * from './backoff.js';
export * from './errors.js';
export * from './escape.js';
export * from './event.js';
export * from './git.js';
export type * from './http.js';
export * from './json.js';
export * from './listen.js';
export * from './listener.js';
export * from './manifest.js';
export * from './mapping.js';
export * from './messages.js';
export type * from './net.js';
export * from './pacer.js';
export * from './receiver.js';
export * from './rejection-codes.js';
export * from './schema.js';
export * from './severity.js';
export * from './signatures.js';
export * from './source.js';
export * from './tags.js';
export * from './template.js';
export * from './units.js';

/** Bumped when the plugin contract changes incompatibly. */
export const SDK_API_VERSION = 1;
