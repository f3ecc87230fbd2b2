import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { gitlabTime, normalizeGitLab } from './normalize.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'));

describe('gitlab normalize', () => {
  it('maps a Push Hook to "[group/project] N commits pushed to branch by user" with commit links and the uniform view', () => {
    const [e, ...rest] = normalizeGitLab('Push Hook', fixture('push'));
    assert.equal(rest.length, 0);
    assert.equal(e?.title, '[mike/diaspora] 4 commits pushed to master by jsmith');
    assert.equal(e?.status, 'info');
    assert.equal(e?.type, 'push');
    assert.equal(e?.text, 'b6568db Update Catalan translation to e38cb41. (Jordi Mallach)\nda15608 fixed readme (GitLab dev user)');
    assert.deepEqual(e?.labels, { project: 'mike/diaspora', event: 'Push Hook', branch: 'master', user: 'jsmith' });
    assert.equal(e?.url, 'http://example.com/mike/diaspora/-/compare/95790bf891e76fee5e1747ab589903a6a1f80f22...da1560886d4f094c3e6c9ef40349f7d38b5d27d7');
    assert.deepEqual(e?.links, [
      { title: 'b6568db Update Catalan translation to e38cb41.', url: 'http://example.com/mike/diaspora/commit/b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327' },
      { title: 'da15608 fixed readme', url: 'http://example.com/mike/diaspora/commit/da1560886d4f094c3e6c9ef40349f7d38b5d27d7' },
    ]);
    const data = e?.data as { repository: { full_name: string }; commits: { id: string; timestamp: string }[]; truncated: boolean };
    assert.equal(data.repository.full_name, 'mike/diaspora');
    assert.equal(data.commits.length, 2);
    assert.equal(data.commits[1]?.timestamp, '2012-01-03T21:36:29.000Z');
    assert.equal(data.truncated, true, 'GitLab listed 2 of the 4 commits');
    assert.equal(e?.occurred_at, '2012-01-03T21:36:29.000Z');

    const one = fixture('push');
    one.total_commits_count = 1;
    one.commits = one.commits.slice(1);
    assert.equal(normalizeGitLab('Push Hook', one)[0]?.title, '[mike/diaspora] 1 commit pushed to master by jsmith');
    const deleted = { ...fixture('push'), after: '0000000000000000000000000000000000000000', commits: [], total_commits_count: 0 };
    assert.equal(normalizeGitLab('Push Hook', deleted)[0]?.title, '[mike/diaspora] branch master deleted by jsmith');
  });

  it('maps Pipeline Hooks: failed fires with severity error, success resolves, other states inform, all on one key', () => {
    const payload = fixture('pipeline');
    const [ok] = normalizeGitLab('Pipeline Hook', payload);
    assert.deepEqual(
      [ok?.title, ok?.status, ok?.key, ok?.url],
      [
        '[gitlab-org/gitlab-test] Pipeline #3 success on master',
        'resolved',
        'gitlab:pipeline:gitlab-org/gitlab-test:master',
        'http://example.com/gitlab-org/gitlab-test/-/pipelines/31',
      ],
    );
    assert.equal(ok?.occurred_at, '2016-08-12T15:26:29.000Z');
    assert.equal(ok?.labels?.pipeline_source, 'merge_request_event');
    assert.match(ok?.text ?? '', /failed: test \/ test-build \(script_failure\)/);

    payload.object_attributes.status = 'failed';
    const [failed] = normalizeGitLab('Pipeline Hook', payload);
    assert.deepEqual([failed?.status, failed?.severity, failed?.key], ['firing', 'error', ok?.key]);
    assert.equal(failed?.title, '[gitlab-org/gitlab-test] Pipeline #3 failed on master');

    for (const state of ['running', 'pending', 'canceled', 'skipped', 'manual']) {
      payload.object_attributes.status = state;
      const [e] = normalizeGitLab('Pipeline Hook', payload);
      assert.deepEqual([e?.status, e?.severity, e?.key], ['info', 'info', ok?.key], state);
    }
  });

  it('maps a Merge Request Hook to an info event keyed gitlab:mr:<project>!<iid>', () => {
    const [e] = normalizeGitLab('Merge Request Hook', fixture('merge_request'));
    assert.equal(e?.title, '[gitlabhq/gitlab-test] Merge request !1 opened: MS-Viewport (root)');
    assert.deepEqual(
      [e?.status, e?.key, e?.action, e?.url],
      ['info', 'gitlab:mr:gitlabhq/gitlab-test!1', 'open', 'http://example.com/diaspora/merge_requests/1'],
    );
    assert.deepEqual(e?.labels, {
      project: 'gitlabhq/gitlab-test',
      event: 'Merge Request Hook',
      user: 'root',
      source_branch: 'ms-viewport',
      target_branch: 'master',
      state: 'opened',
    });
  });

  it('maps a Tag Push Hook as a tag push, not "0 commits pushed to v1.0.0"', () => {
    const [e] = normalizeGitLab('Tag Push Hook', fixture('tag_push'));
    assert.deepEqual(
      [e?.title, e?.status, e?.type, e?.action, e?.key],
      ['[jsmith/example] tag v1.0.0 pushed by John Smith', 'info', 'push', 'created', undefined],
    );
    assert.equal(e?.url, 'http://example.com/jsmith/example/-/tags/v1.0.0');
    assert.deepEqual(e?.labels, { project: 'jsmith/example', event: 'Tag Push Hook', tag: 'v1.0.0', user: 'John Smith' });
    const data = e?.data as { ref: string; ref_type: string; before: unknown; created: boolean };
    assert.deepEqual([data.ref, data.ref_type, data.before, data.created], ['v1.0.0', 'tag', null, true]);
    const removed = { ...fixture('tag_push'), before: '82b3d5ae55f7080f1e6022629cdb57bfae7cccc7', after: '0000000000000000000000000000000000000000' };
    assert.equal(normalizeGitLab('Tag Push Hook', removed)[0]?.title, '[jsmith/example] tag v1.0.0 deleted by John Smith');
  });

  it('maps any other hook to a generic info event "[project] <event>"', () => {
    const [e] = normalizeGitLab('Wiki Page Hook', {
      object_kind: 'wiki_page',
      project: { path_with_namespace: 'a/b', web_url: 'http://example.com/a/b' },
      object_attributes: { title: 'Home', action: 'update' },
    });
    assert.deepEqual([e?.title, e?.status, e?.type, e?.action, e?.key], ['[a/b] Wiki Page Hook: Home', 'info', 'wiki_page', 'update', undefined]);
  });

  it('reads both of GitLab time formats and drops anything else', () => {
    assert.equal(gitlabTime('2016-08-12 15:26:29 UTC'), '2016-08-12T15:26:29.000Z');
    assert.equal(gitlabTime('2013-12-03T17:23:34Z'), '2013-12-03T17:23:34.000Z');
    assert.equal(gitlabTime('not a time'), undefined);
    assert.equal(gitlabTime(null), undefined);
  });
});
