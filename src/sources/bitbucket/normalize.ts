import { type EventInput, type EventStatus, type GitPush, gitPushEvent, gitTime, type Json, type Severity } from '@herald/sdk';

type Obj = Record<string, unknown>;
const o = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const s = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(o) : []);
const href = (links: unknown, name: string): string | undefined => s(o(o(links)[name]).href);

/** Bitbucket writes RFC 3339 with microseconds (`2015-04-06T15:23:38.179678+00:00`); anything unreadable is dropped. */
export function bitbucketTime(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value.trim());
  return Number.isNaN(ms) || ms < 0 ? undefined : new Date(ms).toISOString();
}

/** A Bitbucket account, whichever generation of the account object it is (display_name, nickname, username). */
function who(account: unknown): string | undefined {
  const a = o(account);
  return s(a.display_name) ?? s(a.nickname) ?? s(a.username);
}

/**
 * A commit author: `{raw: "Name <mail>", user: {account}}` in Bitbucket Cloud, a bare
 * account in older captures. The e-mail is only ever in `raw`.
 */
function author(value: unknown): { name: string | null; email: string | null } {
  const a = o(value);
  const m = /^\s*(.*?)\s*<([^>]*)>\s*$/.exec(s(a.raw) ?? '');
  const rawName = m ? m[1] : s(a.raw);
  return { name: who(a.user) ?? (rawName || undefined) ?? who(a) ?? null, email: m?.[2] || null };
}

function repoName(p: Obj): string {
  const r = o(p.repository);
  return s(r.full_name) ?? s(r.name) ?? 'bitbucket';
}

/**
 * One `push.changes[]` entry (a ref updated, created or deleted by one push) → the uniform
 * push event (docs/events.md#git-pushes). Payload: "Repository events → Push" at
 * https://support.atlassian.com/bitbucket-cloud/docs/event-payloads/ — it lists no files.
 */
function pushChange(p: Obj, repo: string, actor: string, change: Obj, eventKey: string): EventInput {
  const now = o(change.new);
  const old = o(change.old);
  const r = o(p.repository);
  const deleted = change.new === null || change.closed === true;
  const ref = deleted ? old : now;
  const view: GitPush = {
    repository: { name: s(r.name) ?? repo, full_name: repo, url: href(r.links, 'html') ?? null },
    commits: list(change.commits).map((c) => ({
      id: s(c.hash) ?? '',
      message: s(c.message) ?? '',
      url: href(c.links, 'html') ?? null,
      timestamp: gitTime(c.date),
      author: author(c.author),
      files: [],
    })),
    ref: s(ref.name) ?? 'unknown',
    ref_type: s(ref.type) === 'tag' ? 'tag' : 'branch',
    before: s(o(old.target).hash) ?? null,
    after: deleted ? null : (s(o(now.target).hash) ?? null),
    created: change.created === true,
    deleted,
    forced: change.forced === true,
    truncated: change.truncated === true,
    user: actor,
    payload: p as Json,
  };
  return gitPushEvent(view, {
    labels: { repository: repo, event: eventKey },
    url: href(change.links, 'html') ?? href(now.links, 'html') ?? view.commits[0]?.url ?? view.repository.url ?? undefined,
    occurred_at: bitbucketTime(o(now.target).date) ?? view.commits[0]?.timestamp ?? undefined,
  });
}

const PR_VERBS: Record<string, string> = {
  created: 'opened',
  updated: 'updated',
  fulfilled: 'merged',
  rejected: 'declined',
  approved: 'approved',
  unapproved: 'unapproved',
  changes_request_created: 'changes requested',
  changes_request_removed: 'change request removed',
  comment_created: 'commented',
  comment_updated: 'comment edited',
  comment_deleted: 'comment deleted',
  comment_resolved: 'comment resolved',
  comment_reopened: 'comment reopened',
};

function pullRequest(p: Obj, repo: string, actor: string, eventKey: string): EventInput {
  const pr = o(p.pullrequest);
  const action = eventKey.slice('pullrequest:'.length);
  const id = s(pr.id) ?? '?';
  const comment = o(p.comment);
  const isComment = action.startsWith('comment_');
  const source = s(o(o(pr.source).branch).name);
  const target = s(o(o(pr.destination).branch).name);
  const labels: Record<string, string> = { repository: repo, event: eventKey, user: actor };
  if (source) labels.source_branch = source;
  if (target) labels.target_branch = target;
  if (s(pr.state)) labels.state = s(pr.state) as string;
  const prUrl = href(pr.links, 'html');
  const commentUrl = href(comment.links, 'html');
  const links = isComment && commentUrl && prUrl ? [{ title: `pull request #${id}`, url: prUrl }] : [];
  return {
    title: `[${repo}] Pull request #${id} ${PR_VERBS[action] ?? action.replace(/_/g, ' ')}: ${s(pr.title) ?? ''} (${actor})`,
    text: isComment ? s(o(comment.content).raw) : action === 'rejected' ? (s(pr.reason) ?? s(pr.description)) : s(pr.description),
    type: 'pull_request',
    action,
    status: 'info',
    severity: 'info',
    key: `bitbucket:pr:${repo}#${id}`,
    url: (isComment ? commentUrl : undefined) ?? prUrl,
    links,
    labels,
    data: {
      pull_request: {
        id: pr.id ?? null,
        title: s(pr.title) ?? null,
        state: s(pr.state) ?? null,
        author: who(pr.author) ?? null,
        source_branch: source ?? null,
        target_branch: target ?? null,
        source_commit: s(o(o(pr.source).commit).hash) ?? null,
        destination_commit: s(o(o(pr.destination).commit).hash) ?? null,
        merge_commit: s(o(pr.merge_commit).hash) ?? null,
        url: prUrl ?? null,
      },
      ...(isComment
        ? { comment: { id: comment.id ?? null, text: s(o(comment.content).raw) ?? null, inline: (comment.inline ?? null) as Json, url: commentUrl ?? null } }
        : {}),
      ...(p.approval ? { approval: { user: who(o(p.approval).user) ?? null, date: bitbucketTime(o(p.approval).date) ?? null } } : {}),
    } as Json,
    occurred_at:
      bitbucketTime(isComment ? (comment.updated_on ?? comment.created_on) : undefined) ??
      bitbucketTime(o(p.approval).date) ??
      bitbucketTime(o(p.changes_request).date) ??
      bitbucketTime(pr.updated_on),
  };
}

/** A build state as a lifecycle: FAILED and STOPPED fire, SUCCESSFUL resolves, INPROGRESS (and anything else) informs. */
function buildStatus(state: string): { status: EventStatus; severity: Severity } {
  if (state === 'FAILED' || state === 'STOPPED') return { status: 'firing', severity: 'error' };
  if (state === 'SUCCESSFUL') return { status: 'resolved', severity: 'info' };
  return { status: 'info', severity: 'info' };
}

const STATE_WORDS: Record<string, string> = { SUCCESSFUL: 'passed', FAILED: 'failed', STOPPED: 'stopped', INPROGRESS: 'in progress' };

function commitStatus(p: Obj, repo: string, actor: string, eventKey: string): EventInput {
  const cs = o(p.commit_status);
  const state = (s(cs.state) ?? 'UNKNOWN').toUpperCase();
  const statusKey = s(cs.key) ?? s(cs.name) ?? 'build';
  const commit = /\/commit\/([0-9a-f]{7,40})(?:\/|$)/i.exec(href(cs.links, 'commit') ?? '')?.[1];
  const refname = s(cs.refname);
  const on = refname ?? commit?.slice(0, 12) ?? 'unknown';
  const labels: Record<string, string> = { repository: repo, event: eventKey, build_state: state, build_key: statusKey, user: actor };
  if (refname) labels.ref = refname;
  const repoUrl = href(o(p.repository).links, 'html');
  const links = commit && repoUrl ? [{ title: `commit ${commit.slice(0, 12)}`, url: `${repoUrl.replace(/\/+$/, '')}/commits/${commit}` }] : [];
  return {
    title: `[${repo}] Build ${s(cs.name) ?? statusKey} ${STATE_WORDS[state] ?? state.toLowerCase()} on ${on}`,
    text: s(cs.description),
    type: 'build',
    action: state.toLowerCase(),
    ...buildStatus(state),
    key: `bitbucket:build:${repo}:${statusKey}:${on}`,
    url: s(cs.url),
    links,
    labels,
    data: {
      commit_status: {
        name: s(cs.name) ?? null,
        key: statusKey,
        state,
        refname: refname ?? null,
        commit: commit ?? null,
        description: s(cs.description) ?? null,
        url: s(cs.url) ?? null,
        type: s(cs.type) ?? null,
      },
    } as Json,
    occurred_at: bitbucketTime(cs.updated_on) ?? bitbucketTime(cs.created_on),
  };
}

/**
 * One Bitbucket Cloud webhook delivery (`X-Event-Key` + JSON body) → events.
 * `repo:push` gives one event per changed ref; pull request and commit status
 * events get a dedicated mapping; every other event becomes one informational
 * event carrying the whole payload, so nothing is lost.
 */
export function normalizeBitbucket(eventKey: string, payload: unknown): EventInput[] {
  const p = o(payload);
  const repo = repoName(p);
  const actor = who(p.actor) ?? 'someone';
  if (eventKey === 'repo:push') {
    const changes = list(o(p.push).changes);
    if (changes.length > 0) return changes.map((change) => pushChange(p, repo, actor, change, eventKey));
  }
  if (eventKey.startsWith('pullrequest:') && p.pullrequest && typeof p.pullrequest === 'object') return [pullRequest(p, repo, actor, eventKey)];
  if ((eventKey === 'repo:commit_status_created' || eventKey === 'repo:commit_status_updated') && p.commit_status && typeof p.commit_status === 'object') {
    return [commitStatus(p, repo, actor, eventKey)];
  }
  return [
    {
      title: `[${repo}] ${eventKey}`,
      type: eventKey,
      status: 'info',
      url: href(o(p.repository).links, 'html'),
      labels: { repository: repo, event: eventKey, user: actor },
      data: payload as Json,
    },
  ];
}
