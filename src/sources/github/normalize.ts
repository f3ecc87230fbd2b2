import { type EventInput, type EventStatus, type GitPush, gitFiles, gitPushEvent, gitRef, gitSha, gitTime, type Json, type Severity } from '@herald/sdk';

type Obj = Record<string, unknown>;
const o = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const s = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);
const firstLine = (text: string | undefined) => (text ?? '').split('\n')[0] ?? '';

const FAILED = new Set(['failure', 'timed_out', 'startup_failure', 'action_required']);
const PASSED = new Set(['success']);

/** A finished run's conclusion as a lifecycle status: a failure fires, a success resolves. */
function conclusionStatus(conclusion: string | undefined): { status: EventStatus; severity?: Severity } {
  if (conclusion && FAILED.has(conclusion)) return { status: 'firing', severity: 'error' };
  if (conclusion && PASSED.has(conclusion)) return { status: 'resolved' };
  return { status: 'info' };
}

/**
 * What an event is about, for its title prefix and label: the repository; for events
 * without one (organization, installation, sponsorship, marketplace, advisory events)
 * the account they concern, so a title never reads "[github] …".
 */
function scopeOf(p: Obj): { name: string; label: string } {
  const repo = s(o(p.repository).full_name);
  if (repo) return { name: repo, label: 'repository' };
  const org = s(o(p.organization).login);
  if (org) return { name: org, label: 'organization' };
  const enterprise = s(o(p.enterprise).slug) ?? s(o(p.enterprise).name);
  if (enterprise) return { name: enterprise, label: 'enterprise' };
  const account =
    s(o(o(p.installation).account).login) ?? s(o(o(p.sponsorship).sponsorable).login) ?? s(o(o(p.marketplace_purchase).account).login) ?? s(o(p.sender).login);
  if (account) return { name: account, label: 'account' };
  // Global events (security_advisory) concern no account at all.
  return { name: 'GitHub', label: 'scope' };
}

/**
 * One GitHub webhook delivery (`X-GitHub-Event` + JSON body) → events.
 * `ping` maps to none. Unknown events still become one informational event,
 * so a hook subscribed to "everything" loses nothing.
 */
export function normalizeGitHub(eventName: string, payload: unknown): EventInput[] {
  const p = o(payload);
  if (eventName === 'ping') return [];
  const repo = o(p.repository);
  const scope = scopeOf(p);
  const repoName = scope.name;
  const sender = s(o(p.sender).login);
  const action = s(p.action);
  const labels: Record<string, string> = { [scope.label]: repoName, event: eventName };
  if (sender) labels.sender = sender;
  const base = { type: eventName, action, labels, data: payload as Json };

  switch (eventName) {
    case 'push': {
      // GitHub's push payload: https://docs.github.com/en/webhooks/webhook-events-and-payloads#push
      const { ref, ref_type } = gitRef(s(p.ref) ?? '');
      const commits = Array.isArray(p.commits) ? p.commits.map(o) : [];
      const push: GitPush = {
        repository: { name: s(repo.name) ?? repoName, full_name: repoName, url: s(repo.html_url) ?? null },
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
        before: gitSha(p.before),
        after: gitSha(p.after),
        created: p.created === true,
        deleted: p.deleted === true,
        forced: p.forced === true,
        // GitHub lists at most 2,048 commits of a push.
        truncated: commits.length >= 2048,
        user: s(o(p.pusher).name) ?? sender ?? null,
        payload: payload as Json,
      };
      return [gitPushEvent(push, { labels, url: s(p.compare) ?? s(repo.html_url), occurred_at: gitTime(o(p.head_commit).timestamp) ?? undefined })];
    }
    case 'workflow_run': {
      const run = o(p.workflow_run);
      const name = s(o(p.workflow).name) ?? s(run.name) ?? 'workflow';
      const branch = s(run.head_branch) ?? '';
      labels.workflow = name;
      if (branch) labels.branch = branch;
      const done = action === 'completed';
      const { status, severity } = done ? conclusionStatus(s(run.conclusion)) : { status: 'info' as const, severity: undefined };
      return [
        {
          ...base,
          title: `[${repoName}] ${name} ${done ? (s(run.conclusion) ?? 'completed') : (action ?? 'updated')} on ${branch || 'unknown branch'}`,
          text: firstLine(s(o(run.head_commit).message)),
          status,
          severity,
          key: `github:workflow:${repoName}:${name}:${branch}`,
          url: s(run.html_url),
        },
      ];
    }
    case 'check_suite': {
      const suite = o(p.check_suite);
      const app = s(o(suite.app).name) ?? 'checks';
      const branch = s(suite.head_branch) ?? '';
      if (branch) labels.branch = branch;
      const done = action === 'completed';
      const { status, severity } = done ? conclusionStatus(s(suite.conclusion)) : { status: 'info' as const, severity: undefined };
      return [
        {
          ...base,
          title: `[${repoName}] ${app} checks ${done ? (s(suite.conclusion) ?? 'completed') : (action ?? 'updated')} on ${branch || (s(suite.head_sha) ?? '').slice(0, 7)}`,
          status,
          severity,
          key: `github:check_suite:${repoName}:${app}:${branch}`,
          url: s(repo.html_url),
        },
      ];
    }
    case 'deployment_status': {
      const ds = o(p.deployment_status);
      const env = s(ds.environment) ?? s(o(p.deployment).environment) ?? 'default';
      labels.environment = env;
      const state = s(ds.state) ?? 'unknown';
      const status: EventStatus = state === 'failure' || state === 'error' ? 'firing' : state === 'success' ? 'resolved' : 'info';
      return [
        {
          ...base,
          title: `[${repoName}] deployment to ${env}: ${state}`,
          text: s(ds.description),
          status,
          severity: status === 'firing' ? 'error' : undefined,
          key: `github:deployment:${repoName}:${env}`,
          url: s(ds.target_url) ?? s(ds.log_url) ?? s(repo.html_url),
        },
      ];
    }
    case 'pull_request': {
      const pr = o(p.pull_request);
      const n = s(pr.number) ?? s(p.number) ?? '?';
      const verb = action === 'closed' && pr.merged === true ? 'merged' : (action ?? 'updated');
      return [
        {
          ...base,
          title: `[${repoName}] Pull request #${n} ${verb}: ${s(pr.title) ?? ''}`,
          text: s(pr.body),
          status: 'info',
          key: `github:pr:${repoName}#${n}`,
          url: s(pr.html_url),
        },
      ];
    }
    case 'release': {
      const rel = o(p.release);
      return [
        {
          ...base,
          title: `[${repoName}] Release ${s(rel.tag_name) ?? s(rel.name) ?? ''} ${action ?? ''}`.trim(),
          text: s(rel.body),
          status: 'info',
          url: s(rel.html_url),
        },
      ];
    }
    case 'issues': {
      const issue = o(p.issue);
      const n = s(issue.number) ?? '?';
      return [
        {
          ...base,
          title: `[${repoName}] Issue #${n} ${action ?? 'updated'}: ${s(issue.title) ?? ''}`,
          text: s(issue.body),
          status: 'info',
          key: `github:issue:${repoName}#${n}`,
          url: s(issue.html_url),
        },
      ];
    }
    case 'security_advisory': {
      const adv = o(p.security_advisory);
      return [
        {
          ...base,
          title: `[${repoName}] Security advisory ${s(adv.ghsa_id) ?? ''} ${action ?? 'updated'}: ${s(adv.summary) ?? ''}`.trim(),
          text: s(adv.description),
          status: 'info',
          url: s(adv.html_url) ?? s(adv.permalink),
        },
      ];
    }
    default:
      return [
        { ...base, title: `[${repoName}] ${eventName}${action ? ` ${action}` : ''}${sender ? ` by ${sender}` : ''}`, status: 'info', url: s(repo.html_url) },
      ];
  }
}
