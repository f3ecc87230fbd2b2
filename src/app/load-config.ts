import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { buildConfig, ConfigError, type HeraldConfig, pluginSpecs, readRawConfig } from '../config/load.js';
import { buildRegistry, type LoadedPlugin } from '../plugins/loader.js';
import type { Registry } from '../registry/registry.js';

export interface LoadedConfig {
  config: HeraldConfig;
  registry: Registry;
  plugins: LoadedPlugin[];
}

/**
 * Reads a config file, loads the plugins it names (paths relative to the
 * file), and validates the rest against built-ins plus those plugins.
 */
export async function loadConfigAndPlugins(file: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([{ path: '(file)', message: `cannot read: ${(err as Error).message}` }], file);
  }
  const raw = readRawConfig(text, env, file);
  const { registry, plugins } = await buildRegistry(pluginSpecs(raw, file), dirname(resolve(file)));
  const config = buildConfig(raw, registry, file);
  config.file = file;
  return { config, registry, plugins };
}
