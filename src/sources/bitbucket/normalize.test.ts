import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { bitbucketTime, normalizeBitbucket } from './normalize.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'));

describe('bitbucket normalize', () => {
  it('maps repo:push to "[workspace/repo] N commits pushed to branch by actor" with commit links and the uniform view', () => {
    const [e, ...rest] = normalizeBitbucket('repo:push', fixture('repo-push'));
    assert.equal(rest.length, 0);
    assert.equal(e?.title, '[team_name/repo_name] 1 commit pushed to name-of-branch by Emma');
    assert.deepEqual([e?.status, e?.type, e?.action, e?.key], ['info', 'push', 'pushed', undefined]);
    assert.equal(e?.text, '03f4a72 commit message (Emma)');
    assert.deepEqual(e?.labels, { repository: 'team_name/repo_name', event: 'repo:push', branch: 'name-of-branch', user: 'Emma' });
    assert.equal(
      e?.url,
      'https://bitbucket.org/user_name/repo_name/branches/compare/c4b2b7914156a878aa7c9da452a09fb50c2091f2..b99ea6dad8f416e57c5ca78c1ccef590600d841b',
    );
    assert.deepEqual(e?.links, [{ title: '03f4a72 commit message', url: 'https://bitbucket.org/user/repo/commits/03f4a7270240708834de475bcf21532d6134777e' }]);
    assert.deepEqual(e?.data, {
      repository: { name: 'repo_name', full_name: 'team_name/repo_name', url: 'https://api.bitbucket.org/bitbucket/bitbucket' },
      commits: [
        {
          id: '03f4a7270240708834de475bcf21532d6134777e',
          message: 'commit message\n',
          url: 'https://bitbucket.org/user/repo/commits/03f4a7270240708834de475bcf21532d6134777e',
          author: { name: 'Emma', email: null },
          timestamp: null,
          files: [],
        },
      ],
      ref: 'name-of-branch',
      ref_type: 'branch',
      before: '1e65c05c1d5171631d92438a13901ca7dae9618c',
      after: '709d658dc5b6d6afcd46049c2f332ee3f515a67d',
      created: false,
      forced: false,
      deleted: false,
      truncated: false,
      user: 'Emma',
      payload: fixture('repo-push'),
    });
    assert.equal(e?.occurred_at, '2015-06-09T03:34:49.000Z');
  });

  it('gives one event per changed ref, says "5+" for a truncated list, names deletions and reads Cloud commit authors', () => {
    const payload = fixture('repo-push');
    const change = payload.push.changes[0];
    const commit = change.commits[0];
    const many = { ...change, truncated: true, commits: [1, 2, 3, 4, 5].map((i) => ({ ...commit, hash: `${i}`.repeat(40) })) };
    const deleted = { ...change, new: null, closed: true, commits: [] };
    const cloudAuthor = { ...change, commits: [{ ...commit, author: { type: 'author', raw: 'Jo Doe <jo@example.com>' } }] };
    payload.push.changes = [many, deleted, cloudAuthor];
    const events = normalizeBitbucket('repo:push', payload);
    assert.deepEqual(
      events.map((e) => e.title),
      [
        '[team_name/repo_name] 5+ commits pushed to name-of-branch by Emma',
        '[team_name/repo_name] branch name-of-branch deleted by Emma',
        '[team_name/repo_name] 1 commit pushed to name-of-branch by Emma',
      ],
    );
    assert.equal(events[0]?.links?.length, 5);
    assert.deepEqual([events[1]?.action, events[1]?.text, (events[1]?.data as { after: unknown } | undefined)?.after], ['deleted', undefined, null]);
    assert.equal(events[2]?.text, '03f4a72 commit message (Jo Doe)');
    assert.deepEqual(
      (events[2]?.data as { commits: { author: unknown }[] } | undefined)?.commits[0]?.author,
      { name: 'Jo Doe', email: 'jo@example.com' },
      'the e-mail is kept',
    );
  });

  it('maps pull request events to info events keyed bitbucket:pr:<repo>#<id>', () => {
    const created = fixture('pull-request-created');
    const cases: [string, string][] = [
      ['pullrequest:created', 'opened'],
      ['pullrequest:updated', 'updated'],
      ['pullrequest:fulfilled', 'merged'],
      ['pullrequest:rejected', 'declined'],
    ];
    for (const [key, verb] of cases) {
      const [e] = normalizeBitbucket(key, created);
      assert.equal(e?.title, `[team_name/repo_name] Pull request #1 ${verb}: Title of pull request (Emma)`, key);
      assert.deepEqual([e?.status, e?.severity, e?.type, e?.key], ['info', 'info', 'pull_request', 'bitbucket:pr:team_name/repo_name#1'], key);
      assert.equal(e?.url, 'https://api.bitbucket.org/pullrequest_id');
    }
    const [opened] = normalizeBitbucket('pullrequest:created', created);
    assert.equal(opened?.text, 'Description of pull request');
    assert.equal(opened?.action, 'created');
    assert.equal(opened?.occurred_at, '2015-04-06T15:23:38.205Z');
    assert.deepEqual(opened?.labels, {
      repository: 'team_name/repo_name',
      event: 'pullrequest:created',
      user: 'Emma',
      source_branch: 'branch2',
      target_branch: 'master',
      state: 'OPEN|MERGED|DECLINED',
    });
    assert.equal(normalizeBitbucket('pullrequest:rejected', created)[0]?.text, 'reason for declining the PR (if applicable)');

    const [approved] = normalizeBitbucket('pullrequest:approved', fixture('pull-request-approved'));
    assert.equal(approved?.title, '[team_name/repo_name] Pull request #1 approved: Title of pull request (Emma)');
    assert.equal(approved?.occurred_at, '2015-04-06T16:34:59.195Z');
    assert.deepEqual((approved?.data as { approval: unknown } | undefined)?.approval, { user: 'Emma', date: '2015-04-06T16:34:59.195Z' });

    const [comment] = normalizeBitbucket('pullrequest:comment_created', fixture('pull-request-comment-updated'));
    assert.equal(comment?.title, '[team_name/repo_name] Pull request #1 commented: Title of pull request (Emma)');
    assert.deepEqual(
      [comment?.text, comment?.url, comment?.key],
      ['Comment text', 'https://api.bitbucket.org/comment_id', 'bitbucket:pr:team_name/repo_name#1'],
    );
    assert.deepEqual(comment?.links, [{ title: 'pull request #1', url: 'https://api.bitbucket.org/pullrequest_id' }]);
    assert.equal(comment?.occurred_at, '2015-04-06T16:52:29.983Z');
  });

  it('maps commit statuses: FAILED/STOPPED fire (error), SUCCESSFUL resolves, INPROGRESS informs, all on one key per status key and ref', () => {
    const [running] = normalizeBitbucket('repo:commit_status_created', fixture('repo-commit-status-created'));
    assert.equal(running?.title, '[team_name/repo_name] Build Unit Tests (Python) in progress on 9fec847784ab');
    assert.deepEqual([running?.status, running?.severity, running?.action], ['info', 'info', 'inprogress']);
    assert.equal(running?.key, 'bitbucket:build:team_name/repo_name:mybuildtool:9fec847784ab');
    assert.equal(running?.url, 'https://my-build-tool.com/builds/MY-PROJECT/BUILD-777');
    assert.deepEqual(running?.links, [
      { title: 'commit 9fec847784ab', url: 'https://api.bitbucket.org/bitbucket/bitbucket/commits/9fec847784abb10b2fa567ee63b85bd238955d0e' },
    ]);

    const updated = fixture('repo-commit-status-updated');
    updated.commit_status.refname = 'main';
    const [passed] = normalizeBitbucket('repo:commit_status_updated', updated);
    assert.equal(passed?.title, '[team_name/repo_name] Build Unit Tests (Python) passed on main');
    assert.deepEqual([passed?.status, passed?.key, passed?.text], ['resolved', 'bitbucket:build:team_name/repo_name:mybuildtool:main', 'All tests passed']);
    assert.equal(passed?.labels?.ref, 'main');
    assert.equal(passed?.occurred_at, '2015-11-20T08:01:16.433Z');

    for (const state of ['FAILED', 'STOPPED']) {
      updated.commit_status.state = state;
      const [e] = normalizeBitbucket('repo:commit_status_updated', updated);
      assert.deepEqual([e?.status, e?.severity, e?.key, e?.labels?.build_state], ['firing', 'error', passed?.key, state], state);
    }
  });

  it('maps any other event to a generic info event "[repo] <event key>" that keeps the payload', () => {
    const payload = fixture('repo-fork');
    const [e] = normalizeBitbucket('repo:fork', payload);
    assert.deepEqual([e?.title, e?.status, e?.type, e?.key], ['[team_name/repo_name] repo:fork', 'info', 'repo:fork', undefined]);
    assert.equal(e?.url, 'https://api.bitbucket.org/bitbucket/bitbucket');
    assert.deepEqual(e?.data, payload);
    // A known key whose body lacks the object it needs is not guessed at.
    assert.equal(
      normalizeBitbucket('repo:commit_status_updated', { repository: payload.repository })[0]?.title,
      '[team_name/repo_name] repo:commit_status_updated',
    );
    assert.equal(normalizeBitbucket('repo:push', { repository: payload.repository, push: { changes: [] } })[0]?.title, '[team_name/repo_name] repo:push');
  });

  it("reads Bitbucket's microsecond timestamps and drops anything else", () => {
    assert.equal(bitbucketTime('2015-04-06T15:23:38.179678+00:00'), '2015-04-06T15:23:38.179Z');
    assert.equal(bitbucketTime('yesterday'), undefined);
    assert.equal(bitbucketTime(12), undefined);
  });
});
