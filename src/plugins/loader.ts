import { readFileSync } from 'node:fs';
import { createRequire, register as registerHooks } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type PluginManifest, type ReceiverDefinition, SDK_API_VERSION, SDK_VERSION, type SourceDefinition } from '@herald/sdk';
import semver from 'semver';
import type { Registry } from '../registry/registry.js';
import { builtinRegistry } from './builtins.js';
import { PluginError } from './errors.js';
import { PLUGIN_TAG, type SdkHooksData } from './sdk-hooks.js';

export interface LoadedPlugin {
  name: string;
  version: string;
  dir: string;
  receivers: string[];
  sources: string[];
}

interface PackageJson {
  name?: string;
  version?: string;
  herald?: PluginManifest;
  peerDependencies?: Record<string, string>;
}

/** Finds a plugin's package directory: a path (relative to the config file) or a package name. */
function locate(spec: string, baseDir: string): string {
  if (spec.startsWith('.') || isAbsolute(spec)) return resolve(baseDir, spec);
  try {
    return dirname(createRequire(join(baseDir, 'herald.yaml')).resolve(`${spec}/package.json`));
  } catch {
    throw new PluginError('HERALD_ERR_PLUGIN_NOT_FOUND', spec, `not installed where the config is (${baseDir}); run npm install ${spec} there`);
  }
}

function readPackage(spec: string, dir: string): PackageJson {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
  } catch (err) {
    throw new PluginError('HERALD_ERR_PLUGIN_NOT_FOUND', spec, `cannot read ${join(dir, 'package.json')}: ${(err as Error).message}`);
  }
}

let hooksRegistered = false;

/**
 * Installs the resolution hooks of ADR 0008 once per process, before the first
 * plugin import: from then on every `@herald/sdk` import resolves to the SDK this
 * Herald runs, and a plugin's own imports carry its version tag. Only a config
 * with plugins pays for them (they add a hop to the loader thread per import).
 */
function registerSdkHooks(): void {
  if (hooksRegistered) return;
  hooksRegistered = true;
  registerHooks<SdkHooksData>(new URL('./sdk-hooks.js', import.meta.url), { data: { hostParent: import.meta.url } });
}

const TYPE_RE = /^[a-z][a-z0-9-]{0,63}$/;

function checkDefinition<D extends ReceiverDefinition | SourceDefinition>(plugin: string, value: unknown): D {
  const d = value as Partial<D> | undefined;
  const problems: string[] = [];
  if (!d || typeof d !== 'object') problems.push('the export is not an object');
  else {
    if (typeof d.type !== 'string' || !TYPE_RE.test(d.type)) problems.push('type must be lower-case letters, digits and -');
    if (typeof d.version !== 'string' || !semver.valid(d.version)) problems.push('version must be a semver version');
    if (typeof d.displayName !== 'string' || d.displayName === '') problems.push('displayName is required');
    if (!d.config || typeof d.config !== 'object' || (d.config as { type?: string }).type !== 'object')
      problems.push('config must be an object schema (Type.Object)');
    if (typeof d.create !== 'function') problems.push('create must be a function');
  }
  if (problems.length > 0) throw new PluginError('HERALD_ERR_PLUGIN_INVALID_DEFINITION', plugin, problems.join('; '));
  return d as D;
}

/**
 * Loads the listed plugins into a fresh registry beside the built-ins.
 * Nothing is scanned or installed: only what the config names. Each module URL
 * of a plugin carries its name and version (the hooks pass the tag on to every
 * module the plugin imports), so a reload after a version bump imports the
 * whole new module graph while the old instances finish their in-flight sends;
 * the same version reloads nothing.
 */
export async function buildRegistry(specs: readonly string[], baseDir: string): Promise<{ registry: Registry; plugins: LoadedPlugin[] }> {
  const registry = builtinRegistry();
  const plugins: LoadedPlugin[] = [];
  if (specs.length > 0) registerSdkHooks();
  for (const spec of specs) {
    const dir = locate(spec, baseDir);
    const pkg = readPackage(spec, dir);
    const name = pkg.name ?? spec;
    const version = pkg.version ?? '0.0.0';
    const manifest = pkg.herald;
    if (!manifest || typeof manifest !== 'object') {
      throw new PluginError('HERALD_ERR_PLUGIN_NO_MANIFEST', name, 'package.json has no "herald" block ({"apiVersion": 1, "receivers": [...]})');
    }
    if (manifest.apiVersion !== SDK_API_VERSION) {
      throw new PluginError(
        'HERALD_ERR_PLUGIN_API_VERSION',
        name,
        `declares apiVersion ${String(manifest.apiVersion)}; this Herald supports ${SDK_API_VERSION}`,
      );
    }
    const range = pkg.peerDependencies?.['@herald/sdk'];
    if (!range || !semver.satisfies(SDK_VERSION, range, { includePrerelease: true })) {
      throw new PluginError('HERALD_ERR_PLUGIN_SDK_RANGE', name, `needs @herald/sdk ${range ?? '(no peerDependencies entry)'}; this Herald has ${SDK_VERSION}`);
    }
    const importAll = async (list: string[] | undefined) => {
      const out: unknown[] = [];
      for (const rel of list ?? []) {
        const file = resolve(dir, rel);
        let mod: { default?: unknown };
        try {
          const url = pathToFileURL(file);
          url.searchParams.set(PLUGIN_TAG, `${name}@${version}`);
          mod = (await import(url.href)) as { default?: unknown };
        } catch (err) {
          throw new PluginError('HERALD_ERR_PLUGIN_IMPORT', name, `cannot import ${rel}: ${(err as Error).message}`);
        }
        out.push(...(Array.isArray(mod.default) ? mod.default : [mod.default]));
      }
      return out;
    };
    const register = (fn: () => void) => {
      try {
        fn();
      } catch (err) {
        throw new PluginError('HERALD_ERR_PLUGIN_DUPLICATE_TYPE', name, (err as Error).message);
      }
    };
    const receivers: string[] = [];
    for (const value of await importAll(manifest.receivers)) {
      const def = checkDefinition<ReceiverDefinition>(name, value);
      register(() => registry.register(def, `${name}@${version}`));
      receivers.push(def.type);
    }
    const sources: string[] = [];
    for (const value of await importAll(manifest.sources)) {
      const def = checkDefinition<SourceDefinition>(name, value);
      register(() => registry.sources.register(def, `${name}@${version}`));
      sources.push(def.type);
    }
    plugins.push({ name, version, dir, receivers, sources });
  }
  return { registry, plugins };
}
