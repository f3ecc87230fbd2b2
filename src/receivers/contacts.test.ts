// The chat receivers that mention people check each user's contact when the
// config loads (their definition's `contact:`), so a typo is a load error
// naming the user, not a mention that silently never happens.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { registry } from '../../test/helpers/harness.js';
import { ConfigError, parseConfig } from '../config/load.js';

function issuesOf(yaml: string): string[] {
  try {
    parseConfig(yaml, registry(), {});
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
  return [];
}

const cases: { field: string; valid: string[]; invalid: string; message: string }[] = [
  {
    field: 'webex',
    valid: ['alice@example.com'],
    invalid: 'alice',
    message: 'must be the email address of a Webex account, e.g. alice@example.com',
  },
  {
    field: 'rocketchat',
    // The leading @ is allowed: the receiver strips it when it mentions.
    valid: ['alice.b', '@alice.b', 'jürgen_1'],
    invalid: 'bob smith',
    message: 'must be a Rocket.Chat username, e.g. alice.b',
  },
  {
    field: 'matrix',
    valid: ['@alice:example.org', '@bob:matrix.example.org:8448'],
    invalid: 'alice',
    message: 'must be a Matrix user ID (@localpart:server), e.g. @alice:example.org',
  },
];

describe('chat receivers declare the contact form they mention people by', () => {
  for (const c of cases) {
    it(`${c.field}: valid contacts load, another is refused with the expected form`, () => {
      const users = c.valid.map((v, i) => `  - {name: u${i}, contacts: {${c.field}: ${JSON.stringify(v)}}}`).join('\n');
      assert.deepEqual(issuesOf(`users:\n${users}\n`), []);
      assert.deepEqual(issuesOf(`users:\n${users}\n  - {name: bad, contacts: {${c.field}: ${JSON.stringify(c.invalid)}}}\n`), [
        `users[${c.valid.length}].contacts.${c.field}: ${c.message}`,
      ]);
    });
  }
});
