import { type Static, Type } from 'typebox';
import type { EventInput, Json } from './event.js';

/**
 * The one `data` shape of a push, whichever git host sent it (docs/events.md#git-pushes):
 * the `{repository, commits}` view the old Bitbucket/GitHub brokers posted, plus the ref
 * update itself. The github, gitlab and bitbucket sources build it with `gitPush()`, so a
 * template or a receiver written against one host reads the others unchanged.
 */
export const GitPushSchema = Type.Object(
  {
    repository: Type.Object(
      {
        name: Type.String({ description: 'the repository name (`Hello-World`)' }),
        full_name: Type.String({ description: 'owner/name or group/subgroup/name' }),
        url: Type.Union([Type.String(), Type.Null()], { description: 'its web page' }),
      },
      { additionalProperties: false },
    ),
    commits: Type.Array(
      Type.Object(
        {
          id: Type.String({ description: 'full commit hash' }),
          message: Type.String({ description: 'the whole commit message' }),
          url: Type.Union([Type.String(), Type.Null()]),
          timestamp: Type.Union([Type.String(), Type.Null()], { description: 'RFC 3339, UTC' }),
          author: Type.Object(
            { name: Type.Union([Type.String(), Type.Null()]), email: Type.Union([Type.String(), Type.Null()]) },
            { additionalProperties: false },
          ),
          files: Type.Array(
            Type.Object(
              { file: Type.String(), type: Type.Union([Type.Literal('added'), Type.Literal('modified'), Type.Literal('removed')]) },
              { additionalProperties: false },
            ),
            { description: 'empty where the sender lists no files (Bitbucket)' },
          ),
        },
        { additionalProperties: false },
      ),
      { description: 'as the sender lists them: GitHub and GitLab oldest first; Bitbucket up to five of the most recent' },
    ),
    ref: Type.String({ description: 'the branch or tag name, without refs/heads/ or refs/tags/' }),
    ref_type: Type.Union([Type.Literal('branch'), Type.Literal('tag')]),
    before: Type.Union([Type.String(), Type.Null()], { description: 'the ref before the push; null when it was created' }),
    after: Type.Union([Type.String(), Type.Null()], { description: 'the ref after the push; null when it was deleted' }),
    created: Type.Boolean(),
    deleted: Type.Boolean(),
    forced: Type.Boolean({ description: 'a force push (GitLab does not report them: always false there)' }),
    truncated: Type.Boolean({ description: 'the sender listed fewer commits than the push brought' }),
    user: Type.Union([Type.String(), Type.Null()], { description: 'who pushed' }),
    payload: Type.Unknown({ description: "the sender's original payload; null when it had to be left out for size" }),
  },
  { additionalProperties: false },
);

export type GitPush = Static<typeof GitPushSchema>;
export type GitCommit = GitPush['commits'][number];
export type GitFileChange = GitCommit['files'][number];

/** Room left for a push's `data` under Herald's 256 KiB data limit (docs/events.md), so enrichment still fits. */
const DATA_BUDGET = 200 * 1024;
const ZERO_SHA = /^0+$/;

/** A commit hash, or null for the all-zero hash git hosts send for "no commit" (a created or deleted ref). */
export function gitSha(value: unknown): string | null {
  return typeof value === 'string' && value !== '' && !ZERO_SHA.test(value) ? value : null;
}

/** Any date-time a git host writes (RFC 3339 with offset, GitLab's `2016-08-12 15:23:28 UTC`) as RFC 3339 UTC; else null. */
export function gitTime(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const t = value.trim().replace(/^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) ?(?:UTC)?$/, '$1T$2Z');
  const ms = Date.parse(t);
  return Number.isNaN(ms) || ms < 0 ? null : new Date(ms).toISOString();
}

/** The `added`/`modified`/`removed` path lists GitHub and GitLab send per commit, as one list. */
export function gitFiles(commit: { added?: unknown; modified?: unknown; removed?: unknown }): GitFileChange[] {
  const out: GitFileChange[] = [];
  for (const type of ['added', 'modified', 'removed'] as const) {
    const paths = commit[type];
    if (Array.isArray(paths)) for (const file of paths) if (typeof file === 'string') out.push({ file, type });
  }
  return out;
}

/** `refs/tags/v1.2` → `{ref: 'v1.2', ref_type: 'tag'}`; a bare name is a branch unless said otherwise. */
export function gitRef(ref: string, type?: 'branch' | 'tag'): { ref: string; ref_type: 'branch' | 'tag' } {
  if (ref.startsWith('refs/tags/')) return { ref: ref.slice('refs/tags/'.length), ref_type: 'tag' };
  if (ref.startsWith('refs/heads/')) return { ref: ref.slice('refs/heads/'.length), ref_type: type ?? 'branch' };
  return { ref, ref_type: type ?? 'branch' };
}

/**
 * Keeps a push's `data` under the budget: a huge push would otherwise have its whole `data`
 * replaced by Herald's size note, losing the uniform view. The sender's payload goes first,
 * then the file lists, then the newest commits (marked `truncated`).
 */
function fit(push: GitPush): GitPush {
  const size = (p: GitPush) => Buffer.byteLength(JSON.stringify(p));
  if (size(push) <= DATA_BUDGET) return push;
  let out: GitPush = { ...push, payload: null };
  if (size(out) <= DATA_BUDGET) return out;
  out = { ...out, commits: out.commits.map((c) => ({ ...c, files: [] })) };
  while (size(out) > DATA_BUDGET && out.commits.length > 0)
    out = { ...out, commits: out.commits.slice(0, Math.floor(out.commits.length / 2)), truncated: true };
  return out;
}

const firstLine = (text: string) => (text.split('\n')[0] ?? '').trim();

/** "3 commits pushed to main", "tag v1.2 pushed", "branch dev deleted": never "0 commits pushed to v1.2". */
export function describeGitPush(push: GitPush, totalCommits = push.commits.length): string {
  const n = Math.max(totalCommits, push.commits.length);
  const commits = `${n}${push.truncated && n === push.commits.length ? '+' : ''} commit${n === 1 && !push.truncated ? '' : 's'}`;
  if (push.deleted) return `${push.ref_type} ${push.ref} deleted`;
  if (push.ref_type === 'tag') return `tag ${push.ref} ${push.created ? 'pushed' : 'moved'}`;
  if (push.created) return n > 0 ? `branch ${push.ref} created with ${commits}` : `branch ${push.ref} created`;
  return `${commits} ${push.forced ? 'force-pushed' : 'pushed'} to ${push.ref}`;
}

/**
 * The event for one push, the same for every git host: title `[<repo>] <what> by <user>`,
 * one text line per commit, links to the first ten commits, labels `branch` or `tag` and
 * `user` added to the source's own, and the uniform view (with the sender's payload) as `data`.
 */
export function gitPushEvent(push: GitPush, o: { labels: Record<string, string>; url?: string; totalCommits?: number; occurred_at?: string }): EventInput {
  const data = fit(push);
  const user = push.user ?? 'someone';
  const labels = { ...o.labels, [push.ref_type]: push.ref, user };
  return {
    title: `[${push.repository.full_name}] ${describeGitPush(push, o.totalCommits)} by ${user}`,
    text: push.commits.map((c) => `${c.id.slice(0, 7)} ${firstLine(c.message)}${c.author.name ? ` (${c.author.name})` : ''}`).join('\n') || undefined,
    type: 'push',
    action: push.deleted ? 'deleted' : push.created ? 'created' : push.forced ? 'forced' : 'pushed',
    status: 'info',
    url: o.url ?? push.commits.at(-1)?.url ?? push.repository.url ?? undefined,
    links: push.commits.slice(0, 10).flatMap((c) => (c.url ? [{ title: `${c.id.slice(0, 7)} ${firstLine(c.message)}`.trim().slice(0, 128), url: c.url }] : [])),
    labels,
    data: data as Json,
    occurred_at: o.occurred_at ?? push.commits.at(-1)?.timestamp ?? undefined,
  };
}
