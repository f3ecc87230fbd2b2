import { createServer, type IncomingMessage, type Server } from 'node:http';
import { listenLoopback } from '../helpers/harness.js';

/**
 * A local Matrix homeserver's room-send endpoint, as the client-server API
 * defines it (https://spec.matrix.org/v1.18/client-server-api/#put_matrixclientv3roomsroomidsendeventtypetxnid):
 * `PUT /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}` with
 * `Authorization: Bearer <token>` and a JSON event content; answers
 * `200 {"event_id": "$…"}`. The same access token and txnId again returns the
 * same event id without storing a second event (idempotency). `m.room.message`
 * content needs string `msgtype` and `body`; `format` must come with
 * `formatted_body`. An edit (`m.relates_to.rel_type: m.replace`) must name an
 * event of the same sender in the room, carry `m.new_content`, and not
 * replace an edit (https://spec.matrix.org/v1.18/client-server-api/#event-replacements).
 * Errors are `{errcode, error}`: M_MISSING_TOKEN / M_UNKNOWN_TOKEN 401,
 * M_FORBIDDEN 403 (not in the room), M_NOT_JSON / M_BAD_JSON 400,
 * M_TOO_LARGE 413 (over 65,536 bytes), M_LIMIT_EXCEEDED 429 with
 * `retry_after_ms` (and no Retry-After header, as older Synapse answers).
 */
export interface FakeMatrixEvent {
  event_id: string;
  room_id: string;
  sender: string;
  txnId: string;
  content: Record<string, unknown>;
  /** The content after the newest edit (what clients show). */
  shown: Record<string, unknown>;
}

export interface FakeMatrix {
  url: string;
  token: string;
  roomId: string;
  userId: string;
  events: FakeMatrixEvent[];
  requests: { method: string; path: string; txnId: string; headers: IncomingMessage['headers']; body: Record<string, unknown> }[];
  rejected: { status: number; body: unknown }[];
  /** Store the next event, then answer this status, as if the answer got lost. */
  loseAnswers: number;
  /** Requests allowed per second (0: unlimited). */
  perSecond: number;
  /** The `retry_after_ms` a 429 carries. */
  limitRetryAfterMs: number;
  script: { status: number; body?: unknown; headers?: Record<string, string> }[];
  close(): Promise<void>;
}

const err = (errcode: string, error: string, extra: Record<string, unknown> = {}) => ({ errcode, error, ...extra });

/** Problems with m.room.message content; empty when valid. */
export function validateRoomMessage(c: Record<string, unknown>): string[] {
  const errors: string[] = [];
  if (typeof c.msgtype !== 'string') errors.push('msgtype must be a string');
  if (typeof c.body !== 'string') errors.push('body must be a string');
  if (c.format !== undefined && (c.format !== 'org.matrix.custom.html' || typeof c.formatted_body !== 'string')) errors.push('format needs formatted_body');
  if (c['m.mentions'] !== undefined && (typeof c['m.mentions'] !== 'object' || Array.isArray(c['m.mentions']))) errors.push('m.mentions must be an object');
  return errors;
}

export async function startFakeMatrix(): Promise<FakeMatrix> {
  const fake: FakeMatrix = {
    url: '',
    token: 'syt_aGVyYWxk_ZmFrZXNlY3JldHRva2Vu_0a1b2c',
    roomId: '!OGEhHVWSdvArJzumhm:example.org',
    userId: '@herald:example.org',
    events: [],
    requests: [],
    rejected: [],
    loseAnswers: 0,
    perSecond: 0,
    limitRetryAfterMs: 2000,
    script: [],
    close: async () => {},
  };
  let windowStart = 0;
  let used = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = Date.now();
      const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        if (status >= 300) fake.rejected.push({ status, body });
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
      };
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const m = /^\/_matrix\/client\/v3\/rooms\/([^/]+)\/send\/([^/]+)\/([^/]+)$/.exec(url.pathname);
      if (!m) return reply(404, err('M_UNRECOGNIZED', 'Unrecognized request'));
      if (req.method !== 'PUT') return reply(405, err('M_UNRECOGNIZED', 'Unrecognized request'));
      const [roomId, eventType, txnId] = [decodeURIComponent(m[1] as string), decodeURIComponent(m[2] as string), decodeURIComponent(m[3] as string)];
      const raw = Buffer.concat(chunks);
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      } catch {
        /* answered below */
      }
      fake.requests.push({ method: req.method, path: url.pathname, txnId, headers: req.headers, body });
      if (fake.perSecond > 0) {
        if (now - windowStart >= 1000) {
          windowStart = now;
          used = 0;
        }
        if (used >= fake.perSecond) return reply(429, err('M_LIMIT_EXCEEDED', 'Too Many Requests', { retry_after_ms: fake.limitRetryAfterMs }));
        used++;
      }
      const scripted = fake.script.shift();
      if (scripted) return reply(scripted.status, scripted.body ?? err('M_UNKNOWN', 'scripted'), scripted.headers);
      const auth = req.headers.authorization;
      if (!auth) return reply(401, err('M_MISSING_TOKEN', 'Missing access token'));
      if (auth !== `Bearer ${fake.token}`) return reply(401, err('M_UNKNOWN_TOKEN', 'Invalid access token passed.', { soft_logout: false }));
      if (roomId !== fake.roomId) return reply(403, err('M_FORBIDDEN', `User ${fake.userId} not in room ${roomId}`));
      if (!String(req.headers['content-type']).startsWith('application/json')) return reply(400, err('M_NOT_JSON', 'Content not JSON.'));
      if (raw.byteLength > 65_536) return reply(413, err('M_TOO_LARGE', 'event too large'));
      if (Object.keys(body).length === 0 && raw.toString('utf8').trim() !== '{}') return reply(400, err('M_NOT_JSON', 'Content not JSON.'));
      const again = fake.events.find((e) => e.txnId === txnId);
      if (again) return reply(200, { event_id: again.event_id });
      if (eventType !== 'm.room.message') return reply(400, err('M_BAD_JSON', `this fake only takes m.room.message, not ${eventType}`));
      const problems = validateRoomMessage(body);
      const relation = body['m.relates_to'] as { rel_type?: string; event_id?: string } | undefined;
      let target: FakeMatrixEvent | undefined;
      if (relation?.rel_type === 'm.replace') {
        target = fake.events.find((e) => e.event_id === relation.event_id);
        const newContent = body['m.new_content'] as Record<string, unknown> | undefined;
        if (!target || target.sender !== fake.userId) problems.push('m.replace must name an event of the same sender in this room');
        else if ((target.content['m.relates_to'] as { rel_type?: string } | undefined)?.rel_type === 'm.replace') problems.push('cannot replace an edit');
        if (!newContent) problems.push('m.replace needs m.new_content');
        else problems.push(...validateRoomMessage(newContent).map((p) => `m.new_content: ${p}`));
      }
      if (problems.length > 0) return reply(400, err('M_BAD_JSON', problems.join('; ')));
      const event: FakeMatrixEvent = {
        event_id: `$fake${fake.events.length + 1}_${txnId.length}`,
        room_id: roomId,
        sender: fake.userId,
        txnId,
        content: body,
        shown: body,
      };
      fake.events.push(event);
      if (target) target.shown = body['m.new_content'] as Record<string, unknown>;
      if (fake.loseAnswers > 0) {
        fake.loseAnswers--;
        return reply(502, { error: 'bad gateway' });
      }
      return reply(200, { event_id: event.event_id });
    });
  });
  const listening = await listenLoopback(server);
  fake.url = listening.url;
  fake.close = listening.close;
  return fake;
}
