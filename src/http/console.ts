import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock } from '@herald/sdk';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Scope } from '../config/schema.js';
import { apiErrorCode } from '../errors/catalogue.js';
import { authenticate, type Principal } from './auth.js';
import { sendError } from './errors.js';

/** The session cookie: a random id; the token itself never leaves the sign-in request. */
export const SESSION_COOKIE = 'herald_session';
/** Sent by the console on every state change; must equal the session's CSRF token. */
export const CSRF_HEADER = 'x-csrf-token';
const SESSION_TTL_MS = 12 * 3_600_000;
const MAX_SESSIONS = 10_000;

type Tokens = readonly { name: string; token: string; scopes: readonly Scope[] }[];

interface Session {
  /** The token's digest: a session ends when its token is removed from the config (reload). */
  tokenDigest: Buffer;
  csrf: string;
  expiresAt: number;
}

const digest = (s: string) => createHash('sha256').update(s).digest();
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function sameString(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/**
 * Console sign-in sessions, kept in memory: a restart signs everyone out,
 * which is the safe direction. Open mode (no tokens, loopback only) still gets
 * a session so the console's state changes carry a CSRF token.
 */
export class ConsoleSessions {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly clock: Clock,
    private readonly tokens: () => Tokens,
  ) {}

  create(token: string | undefined): { id: string; csrf: string; principal: Principal } | undefined {
    const tokens = this.tokens();
    let principal: Principal | undefined;
    if (tokens.length === 0) principal = { name: 'anonymous', scopes: ['ingest', 'read', 'admin'] };
    else principal = token ? authenticate(tokens, `Bearer ${token}`) : undefined;
    if (!principal) return undefined;
    this.sweep();
    const id = randomBytes(32).toString('base64url');
    const csrf = randomBytes(32).toString('base64url');
    this.sessions.set(id, { tokenDigest: digest(tokens.length === 0 ? '' : (token as string)), csrf, expiresAt: this.clock.now() + SESSION_TTL_MS });
    return { id, csrf, principal };
  }

  /** The live session of this request and the principal it stands for, if any. */
  lookup(req: FastifyRequest): { id: string; session: Session; principal: Principal } | undefined {
    const id = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    if (session.expiresAt <= this.clock.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    const tokens = this.tokens();
    if (tokens.length === 0) return { id, session, principal: { name: 'anonymous', scopes: ['ingest', 'read', 'admin'] } };
    const t = tokens.find((x) => timingSafeEqual(digest(x.token), session.tokenDigest));
    if (!t) {
      this.sessions.delete(id);
      return undefined;
    }
    return { id, session, principal: { name: t.name, scopes: t.scopes } };
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  /**
   * Why a state change must be refused as a possible cross-site request, or
   * undefined. Browsers send `Origin` on every cross-origin POST/DELETE, so a
   * foreign one is refused whatever the credentials; a request riding on the
   * session cookie must also carry the session's CSRF token. API clients (no
   * cookie, no Origin) are not affected.
   */
  forgery(req: FastifyRequest, opts: { signIn?: boolean } = {}): string | undefined {
    if (SAFE_METHODS.has(req.method)) return undefined;
    const origin = req.headers.origin;
    if (origin !== undefined && !sameOrigin(origin, req.headers.host))
      return `cross-origin request refused (Origin ${JSON.stringify(origin)} is not this Herald)`;
    if (req.headers['sec-fetch-site'] === 'cross-site') return 'cross-site request refused';
    // Signing in replaces whatever session the browser had; Origin and SameSite guard it.
    if (req.headers.authorization || opts.signIn) return undefined;
    const found = this.lookup(req);
    if (!found) return undefined;
    const given = req.headers[CSRF_HEADER];
    if (typeof given !== 'string' || !sameString(given, found.session.csrf)) return `missing or wrong ${CSRF_HEADER} header for this session`;
    return undefined;
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const [id, s] of this.sessions) if (s.expiresAt <= now) this.sessions.delete(id);
    // A flood of sign-ins must not grow memory without bound: drop the oldest.
    while (this.sessions.size >= MAX_SESSIONS) {
      const first = this.sessions.keys().next().value as string;
      this.sessions.delete(first);
    }
  }
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    // URL() drops default ports on both sides, so `http://h` and Host `h:80` agree.
    return host !== undefined && new URL(origin).host === new URL(`${new URL(origin).protocol}//${host}`).host;
  } catch {
    return false;
  }
}

/**
 * Strict CSP for the console: only our own script and stylesheet, no inline
 * code, no framing. Every page the console serves carries it.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('cross-origin-opener-policy', 'same-origin');
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/manifest+json',
  '.png': 'image/png',
  '.map': 'application/json',
};

/** The built assets: dist/web beside the compiled code, or the repo's dist/web when run from source. */
function assetDir(): string | undefined {
  for (const rel of ['../../web/', '../../dist/web/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, 'index.html')) && existsSync(join(dir, 'app.js'))) return dir;
  }
  return undefined;
}

/** Paths the single-page console answers with index.html (deep links, reloads). */
export const CONSOLE_PAGES = [
  '/',
  '/signin',
  '/events',
  '/events/:id',
  '/incidents',
  '/silences',
  '/deliveries',
  '/receivers',
  '/routes',
  '/checks',
  '/oncall',
];

export interface ConsoleDeps {
  clock: Clock;
  sessions: ConsoleSessions;
  tokens: () => Tokens;
}

/** Serves the console's assets and its sign-in/sign-out endpoints. */
export const consoleRoutes: FastifyPluginAsync<ConsoleDeps> = async (app, deps) => {
  const dir = assetDir();
  // Read once: a handful of small files, served from memory with their digests as ETags.
  const files = new Map<string, { body: Buffer; type: string; etag: string }>();
  if (dir) {
    for (const name of readdirSync(dir)) {
      const body = readFileSync(join(dir, name));
      files.set(name, {
        body,
        type: TYPES[extname(name)] ?? 'application/octet-stream',
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      });
    }
  }
  const serve = (name: string, req: FastifyRequest, reply: FastifyReply) => {
    const f = files.get(name);
    securityHeaders(reply);
    if (!f) {
      if (name === 'index.html') {
        return reply.code(503).type('text/plain; charset=utf-8').send('The web console is not built: run `npm run build`, then restart Herald.');
      }
      return sendError(reply, 404, 'not_found', `no console asset ${name}`);
    }
    reply.header('etag', f.etag).header('cache-control', name === 'index.html' ? 'no-cache' : 'public, max-age=3600');
    if (req.headers['if-none-match'] === f.etag) return reply.code(304).send();
    return reply.type(f.type).send(f.body);
  };
  for (const page of CONSOLE_PAGES) app.get(page, async (req, reply) => serve('index.html', req, reply));
  app.get<{ Params: { file: string } }>('/assets/:file', async (req, reply) => serve(req.params.file, req, reply));

  const cookie = (value: string, maxAgeS: number) => `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}`;

  /** Who the console is signed in as, and the CSRF token its state changes send. */
  app.get('/console/session', async (req, reply) => {
    securityHeaders(reply).header('cache-control', 'no-store');
    const open = deps.tokens().length === 0;
    let found = deps.sessions.lookup(req);
    if (!found && open) {
      // Open mode: no sign-in, but still a session so state changes carry a CSRF token.
      const created = deps.sessions.create(undefined);
      if (created) {
        reply.header('set-cookie', cookie(created.id, SESSION_TTL_MS / 1000));
        return { mode: 'open', signed_in: true, principal: created.principal.name, scopes: created.principal.scopes, csrf: created.csrf };
      }
    }
    if (!found) return reply.code(401).send({ error: 'unauthorized', code: apiErrorCode('unauthorized'), detail: 'not signed in', mode: 'tokens' });
    found = found as NonNullable<typeof found>;
    return { mode: open ? 'open' : 'tokens', signed_in: true, principal: found.principal.name, scopes: found.principal.scopes, csrf: found.session.csrf };
  });

  /** Sign in: exchanges an API token for a session cookie. */
  app.post('/console/session', async (req, reply) => {
    securityHeaders(reply).header('cache-control', 'no-store');
    const forged = deps.sessions.forgery(req, { signIn: true });
    if (forged) return sendError(reply, 403, 'csrf', forged);
    const body = req.body as { token?: unknown } | undefined;
    const token = body && typeof body === 'object' && typeof body.token === 'string' ? body.token.trim() : '';
    if (deps.tokens().length > 0 && token === '') return sendError(reply, 400, 'invalid_request', 'token: paste an API token from auth.tokens');
    const created = deps.sessions.create(token);
    if (!created) return sendError(reply, 401, 'unauthorized', 'that token is not configured in auth.tokens');
    reply.header('set-cookie', cookie(created.id, SESSION_TTL_MS / 1000));
    return { signed_in: true, principal: created.principal.name, scopes: created.principal.scopes, csrf: created.csrf };
  });

  /** Sign out: ends the session; needs its CSRF token like any state change. */
  app.delete('/console/session', async (req, reply) => {
    securityHeaders(reply).header('cache-control', 'no-store');
    const forged = deps.sessions.forgery(req);
    if (forged) return sendError(reply, 403, 'csrf', forged);
    const found = deps.sessions.lookup(req);
    if (found) deps.sessions.delete(found.id);
    reply.header('set-cookie', cookie('', 0));
    return { signed_in: false };
  });
};
