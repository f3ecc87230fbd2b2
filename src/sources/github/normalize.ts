import type { EventInput, EventStatus, Json, Severity } from '@herald/sdk';

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
 * One GitHub webhook delivery (`X-GitHub-Event` + JSON body) → events.
 * `ping` maps to none. Unknown events still become one informational event,
 * so a hook subscribed to "everything" loses nothing.
 */
export function normalizeGitHub(eventName: string, payload: unknown): EventInput[] {
  const p = o(payload);
  if (eventName === 'ping') return [];
  const repo = o(p.repository);
  const repoName = s(repo.full_name) ?? s(o(p.organization).login) ?? 'github';
  const sender = s(o(p.sender).login);
  const action = s(p.action);
  const labels: Record<string, string> = { repository: repoName, event: eventName };
  if (sender) labels.sender = sender;
  const base = { type: eventName, action, labels, data: payload as Json };

  switch (eventName) {
    case 'push': {
      const ref = s(p.ref) ?? '';
      const branch = ref.replace(/^refs\/(heads|tags)\//, '');
      labels.branch = branch;
      const commits = Array.isArray(p.commits) ? p.commits.map(o) : [];
      const pusher = s(o(p.pusher).name) ?? sender ?? 'someone';
      const what = p.deleted === true ? `deleted ${branch}` : `${commits.length} commit${commits.length === 1 ? '' : 's'} pushed to ${branch}`;
      return [
        {
          ...base,
          title: `[${repoName}] ${what} by ${pusher}`,
          text: commits.map((c) => `${(s(c.id) ?? '').slice(0, 7)} ${firstLine(s(c.message))} (${s(o(c.author).name) ?? 'unknown'})`).join('\n'),
          status: 'info',
          url: s(p.compare) ?? s(repo.html_url),
          links: commits.slice(0, 10).flatMap((c) => (s(c.url) ? [{ title: (s(c.id) ?? '').slice(0, 7), url: s(c.url) as string }] : [])),
        },
      ];
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
    default:
      return [
        { ...base, title: `[${repoName}] ${eventName}${action ? ` ${action}` : ''}${sender ? ` by ${sender}` : ''}`, status: 'info', url: s(repo.html_url) },
      ];
  }
}
