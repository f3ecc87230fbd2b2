import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfigAndPlugins } from '../app/load-config.js';
import { builtinReceivers } from '../receivers/index.js';
import { Registry } from '../registry/registry.js';
import { ConfigError, parseConfig } from './load.js';

const registry = new Registry();
for (const r of builtinReceivers) registry.register(r);

function refusal(yaml: string, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    parseConfig(yaml, registry, env, 'herald.yaml');
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('config was accepted');
}

describe('a refused config names its catalogue code first, like PluginError', () => {
  const cases: [string, string, NodeJS.ProcessEnv, string, RegExp][] = [
    ['a YAML error', 'a: 1\na: 2\n', {}, 'HERALD_ERR_CONFIG_YAML', /line 2, column 1: /],
    [
      'an unset variable',
      'receivers:\n  - {name: a, type: webhook, url: "${HOOK_URL}"}\n',
      {},
      'HERALD_ERR_CONFIG_ENV',
      /environment variable HOOK_URL is not set/,
    ],
    ['a schema problem', 'sever: {}\n', {}, 'HERALD_ERR_CONFIG_INVALID', /sever: is not a known key/],
    ['a rule broken', 'receivers: [{name: a, type: log}]\nroutes: [{receivers: [pager]}]\n', {}, 'HERALD_ERR_CONFIG_INVALID', /no receiver named "pager"/],
  ];
  for (const [what, yaml, env, code, detail] of cases) {
    it(`${what} → ${code}`, () => {
      const err = refusal(yaml, env);
      assert.equal(err.code, code);
      assert.ok(err.message.startsWith(`${code}: herald.yaml: invalid configuration:\n`), err.message);
      assert.match(err.message, detail);
    });
  }

  it('a file that cannot be read → HERALD_ERR_CONFIG_FILE_UNREADABLE', async () => {
    const file = join(import.meta.dirname, 'no-such-dir', 'herald.yaml');
    await assert.rejects(loadConfigAndPlugins(file), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.code, 'HERALD_ERR_CONFIG_FILE_UNREADABLE');
      assert.ok(err.message.startsWith(`HERALD_ERR_CONFIG_FILE_UNREADABLE: ${file}: invalid configuration:\n  (file): cannot read: ENOENT`), err.message);
      return true;
    });
  });
});
