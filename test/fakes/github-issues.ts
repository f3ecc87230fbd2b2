import { createServer, type IncomingMessage } from 'node:http';
import { listenLoopback } from '../helpers/harness.js';

/**
 * A local GitHub REST API for issues, checking requests as documented
 * (https://docs.github.com/en/rest/issues/issues, …/issues/comments,
 * https://docs.github.com/en/rest/using-the-rest-api/getting-started-with-the-rest-api):
 * `Authorization: Bearer <token>`, `Accept: application/vnd.github+json`,
 * `X-GitHub-Api-Version: 2022-11-28`, a User-Agent (403 without one), JSON
 * bodies. Create (`POST /repos/:o/:r/issues`, title required, labels strings,
 * assignees must be collaborators → 422 `Validation Failed`), list by labels
 * and state, comment, update (`state` open/closed, `state_reason`
 * completed/not_planned/reopened). Unknown repositories answer 404.
 */
export interface FakeGithubIssue {
  number: number;
  title: string;
  body: string;
  labels: string[];
  assignees: string[];
  state: 'open' | 'closed';
  state_reason: string | null;
  comments: string[];
}

export interface FakeGithub {
  url: string;
  token: string;
  repository: string;
  collaborators: string[];
  issues: FakeGithubIssue[];
  requests: { method: string; path: string; query: URLSearchParams; headers: IncomingMessage['headers']; body: unknown }[];
  rejected: { status: number; path: string; body: unknown }[];
  /** Scripted answers taken first, by `METHOD path-prefix`; `after: true` performs the request, then answers the script (a lost answer). */
  script: { match: string; status: number; headers?: Record<string, string>; body?: unknown; after?: boolean }[];
  close(): Promise<void>;
}

export async function startFakeGithub(): Promise<FakeGithub> {
  const fake: FakeGithub = {
    url: '',
    token: 'github_pat_11FAKE0123456789abcdefghijklmnopqrstuv',
    repository: 'acme/ops',
    collaborators: ['octocat', 'hubot'],
    issues: [],
    requests: [],
    rejected: [],
    script: [],
    close: async () => {},
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://fake');
      const method = req.method ?? '';
      const answer = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
        if (status >= 400) fake.rejected.push({ status, path: u.pathname, body });
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(body === undefined ? undefined : JSON.stringify(body));
      };
      const invalid = (errors: { resource: string; field: string; code: string }[]) => answer(422, { message: 'Validation Failed', errors, status: '422' });
      let body: Record<string, unknown> = {};
      const raw = Buffer.concat(chunks).toString('utf8');
      try {
        body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      } catch {
        return answer(400, { message: 'Problems parsing JSON' });
      }
      fake.requests.push({ method, path: u.pathname, query: u.searchParams, headers: req.headers, body });
      if (!req.headers['user-agent'])
        return answer(403, { message: 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header.' });
      if (req.headers.authorization !== `Bearer ${fake.token}`) return answer(401, { message: 'Bad credentials', status: '401' });
      if (req.headers.accept !== 'application/vnd.github+json' || req.headers['x-github-api-version'] !== '2022-11-28')
        return answer(400, { message: 'expected Accept: application/vnd.github+json and X-GitHub-Api-Version: 2022-11-28' });
      const i = fake.script.findIndex((s) => `${method} ${u.pathname}`.startsWith(s.match));
      const step = i >= 0 ? fake.script.splice(i, 1)[0] : undefined;
      if (step && !step.after) return answer(step.status, step.body ?? { message: `scripted ${step.status}` }, step.headers);
      const ok = (status: number, b: unknown) =>
        step ? answer(step.status, step.body ?? { message: `scripted ${step.status}` }, step.headers) : answer(status, b);
      const base = `/repos/${fake.repository}`;
      if (!u.pathname.startsWith(`${base}/issues`)) return answer(404, { message: 'Not Found' });
      const view = (x: FakeGithubIssue) => ({
        number: x.number,
        html_url: `https://github.test/${fake.repository}/issues/${x.number}`,
        state: x.state,
        labels: x.labels.map((name) => ({ name })),
      });
      const rest = u.pathname.slice(base.length);
      if (rest === '/issues' && method === 'POST') {
        if (typeof body.title !== 'string' || body.title === '') return invalid([{ resource: 'Issue', field: 'title', code: 'missing_field' }]);
        if (body.labels !== undefined && (!Array.isArray(body.labels) || body.labels.some((l) => typeof l !== 'string')))
          return invalid([{ resource: 'Issue', field: 'labels', code: 'invalid' }]);
        const assignees = (body.assignees ?? []) as string[];
        if (assignees.some((a) => !fake.collaborators.includes(a))) return invalid([{ resource: 'Issue', field: 'assignees', code: 'invalid' }]);
        const issue: FakeGithubIssue = {
          number: fake.issues.length + 1,
          title: body.title,
          body: String(body.body ?? ''),
          labels: (body.labels ?? []) as string[],
          assignees,
          state: 'open',
          state_reason: null,
          comments: [],
        };
        fake.issues.push(issue);
        return ok(201, view(issue));
      }
      if (rest === '/issues' && method === 'GET') {
        const want = (u.searchParams.get('labels') ?? '').split(',').filter(Boolean);
        const state = u.searchParams.get('state') ?? 'open';
        const found = fake.issues
          .filter((x) => (state === 'all' || x.state === state) && want.every((l) => x.labels.includes(l)))
          .reverse()
          .slice(0, Number(u.searchParams.get('per_page') ?? 30));
        return answer(200, found.map(view));
      }
      const m = /^\/issues\/(\d+)(\/comments)?$/.exec(rest);
      const issue = m ? fake.issues.find((x) => x.number === Number(m[1])) : undefined;
      if (!issue) return answer(404, { message: 'Not Found' });
      if (m?.[2] && method === 'POST') {
        if (typeof body.body !== 'string' || body.body === '') return invalid([{ resource: 'IssueComment', field: 'body', code: 'missing_field' }]);
        issue.comments.push(body.body);
        return ok(201, { id: issue.comments.length, body: body.body });
      }
      if (!m?.[2] && method === 'PATCH') {
        if (body.state !== undefined && body.state !== 'open' && body.state !== 'closed')
          return invalid([{ resource: 'Issue', field: 'state', code: 'invalid' }]);
        if (body.state_reason !== undefined && !['completed', 'not_planned', 'reopened', null].includes(body.state_reason as string))
          return invalid([{ resource: 'Issue', field: 'state_reason', code: 'invalid' }]);
        if (body.state) issue.state = body.state as 'open' | 'closed';
        if (body.state_reason !== undefined) issue.state_reason = body.state_reason as string | null;
        return ok(200, view(issue));
      }
      return answer(404, { message: 'Not Found' });
    });
  });
  const l = await listenLoopback(server);
  fake.url = l.url;
  fake.close = l.close;
  return fake;
}
