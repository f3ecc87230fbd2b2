import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { type EventInput, type GitPush, GitPushSchema } from '@herald/sdk';
import { compileValidator } from '../src/lib/validate.js';
import { normalizeBitbucket } from '../src/sources/bitbucket/normalize.js';
import { normalizeGitHub } from '../src/sources/github/normalize.js';
import { normalizeGitLab } from '../src/sources/gitlab/normalize.js';

// GitHub's own examples, as the octokit/webhooks project publishes them (the same ones as in GitHub's docs).
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as { name: string; examples: Record<string, unknown>[] }[];
const githubPush = (examples.find((e) => e.name === 'push')?.examples ?? []) as Record<string, unknown>[];
const fixture = (source: string, name: string) => JSON.parse(readFileSync(new URL(`../src/sources/${source}/fixtures/${name}.json`, import.meta.url), 'utf8'));
const ZERO = '0000000000000000000000000000000000000000';

interface Case {
  name: string;
  host: 'github' | 'gitlab' | 'bitbucket';
  payload: Record<string, unknown>;
  events: () => EventInput[];
  /** What the uniform view must say about the ref update. */
  expect: Pick<GitPush, 'ref' | 'ref_type' | 'created' | 'deleted' | 'forced'> & { commits: number; title: RegExp };
}

function bitbucketChange(mutate: (change: Record<string, unknown>) => void): Record<string, unknown> {
  const payload = fixture('bitbucket', 'repo-push');
  mutate(payload.push.changes[0]);
  return payload;
}

const gh = (name: string, payload: Record<string, unknown>, expect: Case['expect']): Case => ({
  name: `github: ${name}`,
  host: 'github',
  payload,
  events: () => normalizeGitHub('push', payload),
  expect,
});
const gl = (name: string, hook: string, payload: Record<string, unknown>, expect: Case['expect']): Case => ({
  name: `gitlab: ${name}`,
  host: 'gitlab',
  payload,
  events: () => normalizeGitLab(hook, payload),
  expect,
});
const bb = (name: string, payload: Record<string, unknown>, expect: Case['expect']): Case => ({
  name: `bitbucket: ${name}`,
  host: 'bitbucket',
  payload,
  events: () => normalizeBitbucket('repo:push', payload),
  expect,
});

const byRef = (ref: string) => githubPush.find((p) => p.ref === ref && p.created === true);
const tagDeleted = githubPush.find((p) => p.ref === 'refs/tags/simple-tag' && p.deleted === true) as Record<string, unknown>;
// No example in the package is a force push: GitHub's documented push fixture with its `forced` flag set.
const forced = { ...fixture('github', 'push'), forced: true };

const CASES: Case[] = [
  gh('branch push (fixtures/push.json)', fixture('github', 'push'), {
    ref: 'main',
    ref_type: 'branch',
    created: false,
    deleted: false,
    forced: false,
    commits: 2,
    title: /^\[Codertocat\/Hello-World\] 2 commits pushed to main by Codertocat$/,
  }),
  gh('branch created (webhooks-examples)', byRef('refs/heads/master') as Record<string, unknown>, {
    ref: 'master',
    ref_type: 'branch',
    created: true,
    deleted: false,
    forced: false,
    commits: 1,
    title: /^\[Codertocat\/Hello-World\] branch master created with 1 commit by Codertocat$/,
  }),
  gh('tag pushed (webhooks-examples)', byRef('refs/tags/simple-tag') as Record<string, unknown>, {
    ref: 'simple-tag',
    ref_type: 'tag',
    created: true,
    deleted: false,
    forced: false,
    commits: 0,
    title: /^\[Codertocat\/Hello-World\] tag simple-tag pushed by Codertocat$/,
  }),
  gh('tag deleted (webhooks-examples)', tagDeleted, {
    ref: 'simple-tag',
    ref_type: 'tag',
    created: false,
    deleted: true,
    forced: false,
    commits: 0,
    title: /^\[Codertocat\/Hello-World\] tag simple-tag deleted by Codertocat$/,
  }),
  gh('force push', forced, {
    ref: 'main',
    ref_type: 'branch',
    created: false,
    deleted: false,
    forced: true,
    commits: 2,
    title: /^\[Codertocat\/Hello-World\] 2 commits force-pushed to main by Codertocat$/,
  }),
  gl('Push Hook (docs example)', 'Push Hook', fixture('gitlab', 'push'), {
    ref: 'master',
    ref_type: 'branch',
    created: false,
    deleted: false,
    forced: false,
    commits: 2,
    title: /^\[mike\/diaspora\] 4 commits pushed to master by jsmith$/,
  }),
  gl('Tag Push Hook (docs example)', 'Tag Push Hook', fixture('gitlab', 'tag_push'), {
    ref: 'v1.0.0',
    ref_type: 'tag',
    created: true,
    deleted: false,
    forced: false,
    commits: 0,
    title: /^\[jsmith\/example\] tag v1\.0\.0 pushed by John Smith$/,
  }),
  gl(
    'branch deleted',
    'Push Hook',
    { ...fixture('gitlab', 'push'), after: ZERO, commits: [], total_commits_count: 0 },
    {
      ref: 'master',
      ref_type: 'branch',
      created: false,
      deleted: true,
      forced: false,
      commits: 0,
      title: /^\[mike\/diaspora\] branch master deleted by jsmith$/,
    },
  ),
  bb('branch push (fixtures/repo-push.json)', fixture('bitbucket', 'repo-push'), {
    ref: 'name-of-branch',
    ref_type: 'branch',
    created: false,
    deleted: false,
    forced: false,
    commits: 1,
    title: /^\[team_name\/repo_name\] 1 commit pushed to name-of-branch by Emma$/,
  }),
  bb(
    'tag created',
    bitbucketChange((c) => {
      c.new = { ...(c.new as object), type: 'tag', name: 'v1.2' };
      c.old = null;
      c.created = true;
      c.commits = [];
    }),
    { ref: 'v1.2', ref_type: 'tag', created: true, deleted: false, forced: false, commits: 0, title: /^\[team_name\/repo_name\] tag v1\.2 pushed by Emma$/ },
  ),
  bb(
    'force push with a Cloud commit author',
    bitbucketChange((c) => {
      c.forced = true;
      const [commit] = c.commits as Record<string, unknown>[];
      c.commits = [{ ...commit, author: { type: 'author', raw: 'Emma <emma@example.com>' } }];
    }),
    {
      ref: 'name-of-branch',
      ref_type: 'branch',
      created: false,
      deleted: false,
      forced: true,
      commits: 1,
      title: /^\[team_name\/repo_name\] 1 commit force-pushed to name-of-branch by Emma$/,
    },
  ),
];

const validator = compileValidator<GitPush>(GitPushSchema);

describe('one push shape across git hosts (docs/events.md#git-pushes)', () => {
  it('every git source gives the same data shape for every kind of push, from real payloads', () => {
    const hosts = new Set<string>();
    for (const c of CASES) {
      const events = c.events();
      assert.equal(events.length, 1, c.name);
      const [e] = events as [EventInput];
      hosts.add(c.host);
      assert.ok(validator.check(e.data), `${c.name}: data is not the uniform push shape: ${JSON.stringify(validator.issues(e.data, 'data'))}`);
      const data = e.data as GitPush;
      const { commits, title, ...ref } = c.expect;
      assert.deepEqual({ ref: data.ref, ref_type: data.ref_type, created: data.created, deleted: data.deleted, forced: data.forced }, ref, c.name);
      assert.equal(data.commits.length, commits, `${c.name}: commits`);
      assert.match(e.title, title, c.name);
      assert.doesNotMatch(e.title, /\b0 commits\b/, `${c.name}: no "0 commits" titles`);
      assert.equal(e.type, 'push', c.name);
      assert.equal(e.labels?.[data.ref_type], data.ref, `${c.name}: a ${data.ref_type} label`);
      assert.equal(data.created ? data.before : 'x', data.created ? null : 'x', `${c.name}: a created ref has no before`);
      assert.equal(data.deleted ? data.after : 'x', data.deleted ? null : 'x', `${c.name}: a deleted ref has no after`);
      assert.deepEqual(data.payload, c.payload, `${c.name}: the sender's payload stays reachable as data.payload`);
      for (const commit of data.commits) {
        assert.match(commit.id, /^[0-9a-f]{40}$/, c.name);
        assert.ok(commit.author.name, `${c.name}: author name`);
        if (commit.timestamp !== null) assert.match(commit.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, `${c.name}: UTC RFC 3339`);
      }
    }
    assert.deepEqual([...hosts].sort(), ['bitbucket', 'github', 'gitlab']);
  });

  it('keeps commit authors as {name, email} and the files the sender lists', () => {
    const [github] = normalizeGitHub('push', fixture('github', 'push'));
    const [gitlab] = normalizeGitLab('Push Hook', fixture('gitlab', 'push'));
    const bitbucket = CASES.find((c) => c.name === 'bitbucket: force push with a Cloud commit author')?.events()[0];
    const first = (e: EventInput | undefined) => (e?.data as GitPush | undefined)?.commits[0];
    assert.deepEqual(first(github)?.author, { name: 'Codertocat', email: '21031067+Codertocat@users.noreply.github.com' });
    assert.deepEqual(first(github)?.files, [{ file: 'README.md', type: 'modified' }]);
    assert.deepEqual(first(gitlab)?.author, { name: 'Jordi Mallach', email: 'jordi@softcatala.org' });
    assert.deepEqual(first(gitlab)?.files, [
      { file: 'CHANGELOG', type: 'added' },
      { file: 'app/controller/application.rb', type: 'modified' },
    ]);
    assert.deepEqual(first(bitbucket)?.author, { name: 'Emma', email: 'emma@example.com' });
    assert.deepEqual(first(bitbucket)?.files, [], 'Bitbucket lists no files');
  });

  it('a push too big for the data limit keeps the uniform view and drops the sender payload first', () => {
    const payload = fixture('github', 'push');
    const commit = payload.commits[0];
    payload.commits = Array.from({ length: 400 }, (_, i) => ({ ...commit, id: i.toString(16).padStart(40, '0'), modified: [`src/file-${i}.ts`] }));
    const [e] = normalizeGitHub('push', payload);
    const data = e?.data as GitPush;
    assert.ok(validator.check(data));
    assert.ok(Buffer.byteLength(JSON.stringify(data)) <= 256 * 1024);
    assert.equal(data.payload, null);
    assert.equal(data.commits.length, 400, 'all commits kept once the payload is out');
    assert.equal(data.truncated, false);
  });
});
