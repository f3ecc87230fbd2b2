import { createServer, type IncomingMessage } from 'node:http';
import { listenLoopback } from '../helpers/harness.js';

/**
 * A local Jira that checks requests as the REST API documents them
 * (https://developer.atlassian.com/cloud/jira/platform/rest/v3/, v2 for Data Center):
 * basic auth (e-mail:API token) or a bearer token; JSON bodies;
 * `POST /rest/api/{3|2}/issue` with `fields.project.key`, `fields.issuetype.name`,
 * a one-line `summary` of at most 255 characters, a `description` that is an
 * Atlassian Document Format doc on v3 and a string on v2, labels without spaces,
 * a known priority name; `POST …/search/jql` (v3) or `POST …/search` (v2) with a
 * JQL string, answered from the labels and status category it asks for;
 * comments; `GET`/`POST …/transitions`. Errors come as Jira sends them:
 * `{errorMessages, errors}` with 400, 401, 404.
 */
export interface FakeIssue {
  key: string;
  fields: Record<string, unknown>;
  status: { name: string; category: 'new' | 'indeterminate' | 'done' };
  comments: unknown[];
}

export interface FakeJiraRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export interface FakeJira {
  url: string;
  email: string;
  apiToken: string;
  bearer: string;
  version: '3' | '2';
  issues: Map<string, FakeIssue>;
  requests: FakeJiraRequest[];
  rejected: { status: number; path: string; body: unknown }[];
  /** Scripted answers taken first, by `METHOD path-prefix`; `after: true` performs the request, then answers the script (a lost answer). */
  script: { match: string; status: number; headers?: Record<string, string>; body?: unknown; after?: boolean }[];
  /** Transitions the issues offer. */
  transitions: { id: string; name: string; to: { name: string; statusCategory: { key: 'new' | 'indeterminate' | 'done' } } }[];
  close(): Promise<void>;
}

const PROJECT = 'OPS';
const ISSUE_TYPES = ['Task', 'Bug', 'Incident'];
const PRIORITIES = ['Highest', 'High', 'Medium', 'Low', 'Lowest'];

function isAdfDoc(v: unknown): boolean {
  const d = v as { type?: unknown; version?: unknown; content?: unknown };
  if (d?.type !== 'doc' || d.version !== 1 || !Array.isArray(d.content)) return false;
  return d.content.every((p: { type?: unknown; content?: unknown }) => {
    if (p?.type !== 'paragraph' || !Array.isArray(p.content)) return false;
    return p.content.every(
      (n: { type?: unknown; text?: unknown }) => n?.type === 'hardBreak' || (n?.type === 'text' && typeof n.text === 'string' && n.text.length > 0),
    );
  });
}

export async function startFakeJira(o: { version?: '3' | '2' } = {}): Promise<FakeJira> {
  const fake: FakeJira = {
    url: '',
    email: 'bot@example.com',
    apiToken: 'ATATT3xFakeJiraApiToken0123456789',
    bearer: 'NjE0ODkwFakeJiraPersonalAccessToken',
    version: o.version ?? '3',
    issues: new Map(),
    requests: [],
    rejected: [],
    script: [],
    transitions: [
      { id: '11', name: 'To Do', to: { name: 'To Do', statusCategory: { key: 'new' } } },
      { id: '21', name: 'Start', to: { name: 'In Progress', statusCategory: { key: 'indeterminate' } } },
      { id: '31', name: 'Close', to: { name: 'Done', statusCategory: { key: 'done' } } },
    ],
    close: async () => {},
  };
  let seq = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0] ?? '';
      const method = req.method ?? '';
      const raw = Buffer.concat(chunks).toString('utf8');
      const answer = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
        if (status >= 400) fake.rejected.push({ status, path, body });
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body === undefined ? undefined : JSON.stringify(body));
      };
      const fail = (status: number, errorMessages: string[], errors: Record<string, string> = {}) => answer(status, { errorMessages, errors });
      let body: unknown;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        return fail(400, ['Unexpected character in the request body: not JSON.']);
      }
      fake.requests.push({ method, path, headers: req.headers, body });
      const basic = `Basic ${Buffer.from(`${fake.email}:${fake.apiToken}`).toString('base64')}`;
      if (req.headers.authorization !== basic && req.headers.authorization !== `Bearer ${fake.bearer}`) {
        return fail(401, ['You are not authenticated. Authentication required to perform this operation.']);
      }
      if (method === 'POST' && !String(req.headers['content-type']).startsWith('application/json'))
        return answer(415, { errorMessages: ['Unsupported Media Type'] });
      const scripted = fake.script.findIndex((s) => `${method} ${path}`.startsWith(s.match));
      const step = scripted >= 0 ? fake.script.splice(scripted, 1)[0] : undefined;
      if (step && !step.after) return answer(step.status, step.body ?? { errorMessages: [`scripted ${step.status}`] }, step.headers);
      const reply = step ? () => answer(step.status, step.body ?? { errorMessages: [`scripted ${step.status}`] }, step.headers) : undefined;
      const api = `/rest/api/${fake.version}`;
      if (!path.startsWith(`${api}/`)) return fail(404, [`no such resource ${path}`]);
      const rest = path.slice(api.length);
      const b = (body ?? {}) as Record<string, unknown>;

      if (method === 'POST' && rest === '/issue') {
        const f = (b.fields ?? {}) as Record<string, unknown>;
        const errors: Record<string, string> = {};
        if ((f.project as { key?: unknown })?.key !== PROJECT) errors.project = 'Specify a valid project ID or key';
        if (!ISSUE_TYPES.includes(String((f.issuetype as { name?: unknown })?.name))) errors.issuetype = 'Specify an issue type';
        if (typeof f.summary !== 'string' || f.summary.trim() === '') errors.summary = 'You must specify a summary of the issue.';
        else if (f.summary.length > 255) errors.summary = 'Summary must be less than 255 characters.';
        else if (/[\r\n]/.test(f.summary)) errors.summary = 'The summary is invalid because it contains newline characters.';
        if (fake.version === '3' ? !isAdfDoc(f.description) : typeof f.description !== 'string')
          errors.description =
            fake.version === '3' ? 'Operation value must be an Atlassian Document (see the Atlassian Document Format).' : 'Operation value must be a string';
        if (f.labels !== undefined && (!Array.isArray(f.labels) || f.labels.some((l) => typeof l !== 'string' || /\s/.test(l))))
          errors.labels = 'The label must not contain spaces.';
        if (f.priority !== undefined && !PRIORITIES.includes(String((f.priority as { name?: unknown })?.name))) errors.priority = 'Specify a valid priority';
        if (Object.keys(errors).length > 0) return fail(400, [], errors);
        const key = `${PROJECT}-${++seq}`;
        fake.issues.set(key, { key, fields: f, status: { name: 'To Do', category: 'new' }, comments: [] });
        return reply ? reply() : answer(201, { id: String(10000 + seq), key, self: `${fake.url}${api}/issue/${10000 + seq}` });
      }
      if (method === 'POST' && rest === (fake.version === '3' ? '/search/jql' : '/search')) {
        if (typeof b.jql !== 'string') return fail(400, ['The JQL query is missing.']);
        const label = /labels = "([^"]+)"/.exec(b.jql)?.[1];
        const project = /project = "([^"]+)"/.exec(b.jql)?.[1];
        if (!label || !project) return fail(400, [`Error in the JQL Query: ${b.jql}`]);
        const open = /statusCategory != Done/.test(b.jql);
        const found = [...fake.issues.values()]
          .filter((i) => (i.fields.labels as string[] | undefined)?.includes(label) && (!open || i.status.category !== 'done'))
          .reverse()
          .slice(0, Number(b.maxResults ?? 50))
          .map((i) => ({ id: i.key, key: i.key, fields: { status: { name: i.status.name } } }));
        return answer(200, fake.version === '3' ? { issues: found, isLast: true } : { startAt: 0, maxResults: 50, total: found.length, issues: found });
      }
      const m = /^\/issue\/([^/]+)\/(comment|transitions)$/.exec(rest);
      const issue = m ? fake.issues.get(decodeURIComponent(m[1] as string)) : undefined;
      if (m && !issue) return fail(404, ['Issue does not exist or you do not have permission to see it.']);
      if (issue && m?.[2] === 'comment' && method === 'POST') {
        if (fake.version === '3' ? !isAdfDoc(b.body) : typeof b.body !== 'string') return fail(400, [], { comment: 'Comment body is not valid.' });
        issue.comments.push(b.body);
        return reply ? reply() : answer(201, { id: String(issue.comments.length), body: b.body });
      }
      if (issue && m?.[2] === 'transitions' && method === 'GET') return answer(200, { expand: 'transitions', transitions: fake.transitions });
      if (issue && m?.[2] === 'transitions' && method === 'POST') {
        const t = fake.transitions.find((x) => x.id === (b.transition as { id?: unknown })?.id);
        if (!t) return fail(400, ['Transition id is not valid for this issue.']);
        issue.status = { name: t.to.name, category: t.to.statusCategory.key };
        return reply ? reply() : answer(204);
      }
      return fail(404, [`no such resource ${method} ${path}`]);
    });
  });
  const l = await listenLoopback(server);
  fake.url = l.url;
  fake.close = l.close;
  return fake;
}

/** The plain text of an ADF document (for assertions). */
export function adfText(doc: unknown): string {
  const d = doc as { content?: { content?: { type: string; text?: string }[] }[] };
  return (d.content ?? []).map((p) => (p.content ?? []).map((n) => (n.type === 'hardBreak' ? '\n' : (n.text ?? ''))).join('')).join('\n\n');
}
