/**
 * Module resolution hooks for plugins, registered with `module.register` by the
 * loader (ADR 0008). They run on Node's loader thread, not Herald's, so they
 * only rewrite URLs and keep no state beyond what `initialize` hands them.
 *
 * 1. `@herald/sdk` (and its subpaths) resolves as if Herald itself imported it,
 *    whoever imports it: a plugin linked from a sibling folder, unpacked from a
 *    tarball, found by a path in the config or carrying its own dev copy of the
 *    SDK all get the one instance the running Herald uses. Without this, a
 *    symlinked plugin cannot find the SDK at all, and one with its own copy
 *    gets classes (`DeliveryError`) that Herald's `instanceof` does not know.
 * 2. A module imported by a plugin module inherits the plugin's
 *    `?herald-plugin=<name>@<version>` tag, so loading a new version re-imports
 *    the plugin's whole module graph instead of only its entry file.
 */
import type { InitializeHook, ResolveHook } from 'node:module';

export const PLUGIN_TAG = 'herald-plugin';

export interface SdkHooksData {
  /** A module URL inside Herald: `@herald/sdk` resolves from here. */
  hostParent: string;
}

let hostParent: string | undefined;

export const initialize: InitializeHook<SdkHooksData> = (data) => {
  hostParent = data.hostParent;
};

function tagOf(url: string | undefined): string | null {
  if (!url?.startsWith('file:')) return null;
  return new URL(url).searchParams.get(PLUGIN_TAG);
}

export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  if (hostParent && (specifier === '@herald/sdk' || specifier.startsWith('@herald/sdk/'))) {
    return nextResolve(specifier, { ...context, parentURL: hostParent });
  }
  const result = await nextResolve(specifier, context);
  const tag = tagOf(context.parentURL);
  // CommonJS is cached by file name whatever the URL says, so a tag would not reload it.
  if (tag === null || !result.url.startsWith('file:') || result.format === 'commonjs') return result;
  const url = new URL(result.url);
  url.searchParams.set(PLUGIN_TAG, tag);
  return { ...result, url: url.href };
};
