import { type EventInput, type EventStatus, type GitPush, gitFiles, gitPushEvent, gitRef, gitSha, gitTime, type Json, type Severity } from '@herald/sdk';

type Obj = Record<string, unknown>;
const o = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const s = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(o) : []);
const firstLine = (text: string | undefined) => (text ?? '').split('\n')[0]?.trim() ?? '';

/** GitLab writes times as RFC 3339 or as `2016-08-12 15:23:28 UTC`; both become RFC 3339, anything else is dropped. */
export function gitlabTime(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const t = value.trim().replace(/^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) ?(?:UTC)?$/, '$1T$2Z');
  const ms = Date.parse(t);
  return Number.isNaN(ms) || ms < 0 ? undefined : new Date(ms).toISOString();
}

/** The project's `group/name`, whichever way the event names it. */
function projectPath(p: Obj): string {
  return (
    s(o(p.project).path_with_namespace) ??
    s(p.path_with_namespace) ??
    s(p.project_name) ??
    s(o(p.project).name) ??
    s(p.full_path) ??
    s(p.group_path) ??
    'gitlab'
  );
}

/**
 * A Push Hook or Tag Push Hook → the uniform push event (docs/events.md#git-pushes).
 * Payloads: https://docs.gitlab.com/user/project/integrations/webhook_events/#push-events
 * and #tag-events. GitLab lists at most 20 commits (`total_commits_count` has the real
 * number) and does not report force pushes.
 */
function push(p: Obj, project: string, labels: Record<string, string>, tagHook: boolean): EventInput {
  const proj = o(p.project);
  const { ref, ref_type } = gitRef(s(p.ref) ?? '', tagHook ? 'tag' : undefined);
  const commits = list(p.commits);
  const before = gitSha(p.before);
  const after = gitSha(p.after);
  const count = typeof p.total_commits_count === 'number' ? p.total_commits_count : commits.length;
  const view: GitPush = {
    repository: { name: s(proj.name) ?? s(o(p.repository).name) ?? project, full_name: project, url: s(proj.web_url) ?? s(o(p.repository).homepage) ?? null },
    commits: commits.map((c) => ({
      id: s(c.id) ?? '',
      message: s(c.message) ?? '',
      url: s(c.url) ?? null,
      timestamp: gitTime(c.timestamp),
      author: { name: s(o(c.author).name) ?? null, email: s(o(c.author).email) ?? null },
      files: gitFiles(c),
    })),
    ref,
    ref_type,
    before,
    after,
    created: before === null && after !== null,
    deleted: after === null,
    forced: false,
    truncated: count > commits.length,
    user: s(p.user_username) ?? s(p.user_name) ?? null,
    payload: p as Json,
  };
  const webUrl = s(proj.web_url);
  const compare = webUrl && before && after ? `${webUrl}/-/compare/${before}...${after}` : undefined;
  const tagUrl = webUrl && ref_type === 'tag' && after ? `${webUrl}/-/tags/${encodeURIComponent(ref)}` : undefined;
  return gitPushEvent(view, { labels, url: compare ?? tagUrl, totalCommits: count, occurred_at: view.commits.at(-1)?.timestamp ?? undefined });
}

/** A pipeline's status as a lifecycle: failed fires, success resolves, the rest inform. */
function pipelineStatus(status: string): { status: EventStatus; severity: Severity } {
  if (status === 'failed') return { status: 'firing', severity: 'error' };
  if (status === 'success') return { status: 'resolved', severity: 'info' };
  return { status: 'info', severity: 'info' };
}

function pipeline(p: Obj, project: string, labels: Record<string, string>): EventInput {
  const attrs = o(p.object_attributes);
  const ref = s(attrs.ref) ?? 'unknown';
  const state = s(attrs.status) ?? 'unknown';
  const id = s(attrs.iid) ?? s(attrs.id) ?? '?';
  labels.ref = ref;
  labels.pipeline_status = state;
  const src = s(attrs.source);
  if (src) labels.pipeline_source = src;
  const user = s(o(p.user).username);
  if (user) labels.user = user;
  const failed = list(p.builds).filter((b) => b.status === 'failed');
  const commit = o(p.commit);
  const lines = [
    commit.id ? `${(s(commit.id) ?? '').slice(0, 8)} ${firstLine(s(commit.message))}` : '',
    ...failed.map(
      (b) =>
        `failed: ${s(b.stage) ?? '?'} / ${s(b.name) ?? '?'}${b.failure_reason ? ` (${s(b.failure_reason)})` : ''}${b.allow_failure === true ? ' [allowed]' : ''}`,
    ),
  ].filter(Boolean);
  const url = s(attrs.url) ?? (s(o(p.project).web_url) && s(attrs.id) ? `${s(o(p.project).web_url)}/-/pipelines/${s(attrs.id)}` : undefined);
  const links: { title: string; url: string }[] = [];
  if (s(commit.url)) links.push({ title: 'commit', url: s(commit.url) as string });
  if (s(o(p.merge_request).url)) links.push({ title: `merge request !${s(o(p.merge_request).iid) ?? ''}`, url: s(o(p.merge_request).url) as string });
  return {
    title: `[${project}] Pipeline #${id} ${state} on ${ref}`,
    text: lines.join('\n') || undefined,
    type: 'pipeline',
    action: state,
    ...pipelineStatus(state),
    key: `gitlab:pipeline:${project}:${ref}`,
    url,
    links,
    labels,
    data: {
      pipeline: {
        id: attrs.id ?? null,
        iid: attrs.iid ?? null,
        name: s(attrs.name) ?? null,
        status: state,
        ref,
        sha: s(attrs.sha) ?? null,
        duration: attrs.duration ?? null,
      },
      failed_jobs: failed.map((b) => ({ id: b.id ?? null, stage: s(b.stage) ?? null, name: s(b.name) ?? null, failure_reason: s(b.failure_reason) ?? null })),
    } as Json,
    occurred_at: gitlabTime(attrs.finished_at) ?? gitlabTime(attrs.created_at),
  };
}

const MR_VERBS: Record<string, string> = {
  open: 'opened',
  close: 'closed',
  reopen: 'reopened',
  update: 'updated',
  merge: 'merged',
  approval: 'approved by a reviewer',
  unapproval: 'unapproved by a reviewer',
};

function mergeRequest(p: Obj, project: string, labels: Record<string, string>): EventInput {
  const mr = o(p.object_attributes);
  const iid = s(mr.iid) ?? '?';
  const act = s(mr.action);
  const user = s(o(p.user).username) ?? s(o(p.user).name);
  if (user) labels.user = user;
  if (s(mr.source_branch)) labels.source_branch = s(mr.source_branch) as string;
  if (s(mr.target_branch)) labels.target_branch = s(mr.target_branch) as string;
  if (s(mr.state)) labels.state = s(mr.state) as string;
  const verb = act ? (MR_VERBS[act] ?? act) : 'updated';
  return {
    title: `[${project}] Merge request !${iid} ${verb}: ${s(mr.title) ?? ''}${user ? ` (${user})` : ''}`,
    text: s(mr.description),
    type: 'merge_request',
    action: act ?? 'update',
    status: 'info',
    severity: 'info',
    key: `gitlab:mr:${project}!${iid}`,
    url: s(mr.url),
    labels,
    data: {
      merge_request: {
        iid: mr.iid ?? null,
        title: s(mr.title) ?? null,
        state: s(mr.state) ?? null,
        action: act ?? null,
        source_branch: s(mr.source_branch) ?? null,
        target_branch: s(mr.target_branch) ?? null,
        draft: mr.draft ?? null,
        detailed_merge_status: s(mr.detailed_merge_status) ?? null,
        last_commit: s(o(mr.last_commit).id) ?? null,
      },
      changes: o(p.changes) as Json,
    } as Json,
    occurred_at: gitlabTime(mr.updated_at),
  };
}

/**
 * One GitLab webhook delivery (`X-Gitlab-Event` + JSON body) → events.
 * Push, Pipeline and Merge Request hooks get a dedicated mapping; every
 * other hook becomes one informational event, so nothing is lost.
 */
export function normalizeGitLab(eventName: string, payload: unknown): EventInput[] {
  const p = o(payload);
  const project = projectPath(p);
  const labels: Record<string, string> = { project, event: eventName };
  switch (eventName) {
    case 'Push Hook':
      return [push(p, project, labels, false)];
    case 'Tag Push Hook':
      return [push(p, project, labels, true)];
    case 'Pipeline Hook':
      return [pipeline(p, project, labels)];
    case 'Merge Request Hook':
      return [mergeRequest(p, project, labels)];
    default: {
      const attrs = o(p.object_attributes);
      const kind =
        s(p.object_kind) ??
        s(p.event_name) ??
        eventName
          .replace(/ Hook$/, '')
          .toLowerCase()
          .replace(/\s+/g, '_');
      const what = s(attrs.title) ?? s(attrs.name) ?? s(p.name) ?? s(p.tag) ?? s(p.ref)?.replace(/^refs\/(tags|heads)\//, '');
      return [
        {
          title: `[${project}] ${eventName}${what ? `: ${what}` : ''}`,
          type: kind,
          action: s(attrs.action) ?? s(p.action) ?? s(p.status) ?? s(p.event_name),
          status: 'info',
          url: s(attrs.url) ?? s(p.url) ?? s(o(p.project).web_url),
          labels,
          data: payload as Json,
        },
      ];
    }
  }
}
