import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenLoopback } from '../helpers/harness.js';

/**
 * A local Twilio REST API (2010-04-01) that checks requests as Twilio documents them:
 * - `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` and `…/Calls.json`
 *   (https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource,
 *   https://www.twilio.com/docs/voice/api/call-resource#create-a-call-resource);
 * - HTTP Basic auth with the Account SID + Auth Token or an API key SID + secret, and the
 *   path's account must be the authenticated one (20003, HTTP 401);
 * - `application/x-www-form-urlencoded` bodies;
 * - Messages: `To` (21604 missing, 21211 not E.164), `From` or `MessagingServiceSid`
 *   (21603; a `From` that is not one of the account's numbers is 21606), `Body` (21602),
 *   at most 1,600 characters (21617);
 * - Calls: `To` (21201), `From` (21213), `Twiml` or `Url` (21205), `Twiml` at most 4,000
 *   characters (32018) and a `<Response>` document;
 * - errors as Twilio answers them: `{code, message, more_info, status}`
 *   (https://www.twilio.com/docs/api/errors).
 * Created resources are answered `201` with the resource JSON (`sid` SM…/CA…, `status: queued`).
 */
export interface FakeTwilioRequest {
  resource: 'Messages' | 'Calls';
  path: string;
  headers: IncomingMessage['headers'];
  form: Record<string, string>;
  sid: string;
}

export interface FakeTwilio {
  url: string;
  accountSid: string;
  authToken: string;
  apiKeySid: string;
  apiKeySecret: string;
  /** Numbers owned by the account (valid `From`). */
  numbers: string[];
  accepted: FakeTwilioRequest[];
  rejected: { status: number; code?: number; to?: string; resource?: string }[];
  /** Recipients Twilio refuses, e.g. `{'+15005550001': {status: 400, code: 21211}}`. */
  refuse: Map<string, { status: number; code: number; message?: string }>;
  /** Scripted answers used first (after auth and validation), e.g. [{status: 500}]. */
  script: { status: number; code?: number; headers?: Record<string, string>; message?: string }[];
  close(): Promise<void>;
}

const E164 = /^\+[1-9]\d{1,14}$/;
const hex = (n: number) => randomBytes(n).toString('hex');

export async function startFakeTwilio(): Promise<FakeTwilio> {
  const fake: FakeTwilio = {
    url: '',
    accountSid: `AC${hex(16)}`,
    authToken: hex(16),
    apiKeySid: `SK${hex(16)}`,
    apiKeySecret: hex(16),
    numbers: ['+15017122661'],
    accepted: [],
    rejected: [],
    refuse: new Map(),
    script: [],
    close: async () => {},
  };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      let form: Record<string, string> = {};
      const m = /^\/2010-04-01\/Accounts\/([^/]+)\/(Messages|Calls)\.json$/.exec(path);
      const fail = (status: number, code: number | undefined, message: string, headers: Record<string, string> = {}) => {
        fake.rejected.push({ status, code, to: form.To, resource: m?.[2] });
        res
          .writeHead(status, { 'content-type': 'application/json', ...headers })
          .end(JSON.stringify({ code: code ?? null, message, more_info: code ? `https://www.twilio.com/docs/errors/${code}` : null, status }));
      };
      if (!m) return fail(404, 20404, `The requested resource ${path} was not found`);
      if (req.method !== 'POST') return fail(405, 20004, 'Method not allowed');
      const [, account, resource] = m as unknown as [string, string, 'Messages' | 'Calls'];
      const auth = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
      const [user, pass] = auth
        ? Buffer.from(auth[1] as string, 'base64')
            .toString('utf8')
            .split(':')
        : [];
      const valid = (user === fake.accountSid && pass === fake.authToken) || (user === fake.apiKeySid && pass === fake.apiKeySecret);
      if (!valid || account !== fake.accountSid) return fail(401, 20003, 'Authenticate');
      if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded'))
        return fail(400, 20001, 'Content-Type must be application/x-www-form-urlencoded');
      form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      const to = form.To;
      if (resource === 'Messages') {
        if (!to) return fail(400, 21604, "A 'To' phone number is required.");
        if (!E164.test(to)) return fail(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
        if (!form.From && !form.MessagingServiceSid) return fail(400, 21603, "A 'From' phone number is required.");
        if (form.From && !fake.numbers.includes(form.From))
          return fail(400, 21606, `The From phone number ${form.From} is not a valid, SMS-capable inbound phone number or short code for your account.`);
        if (!form.Body) return fail(400, 21602, 'Message body is required.');
        if (form.Body.length > 1600) return fail(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
      } else {
        if (!to) return fail(400, 21201, "No 'To' number is specified");
        if (!E164.test(to)) return fail(400, 13224, `The phone number you are attempting to call, ${to}, is not valid.`);
        if (!form.From) return fail(400, 21213, 'Caller phone number is required');
        if (!fake.numbers.includes(form.From)) return fail(400, 21210, `The source phone number provided, ${form.From}, is not yet verified for your account.`);
        if (!form.Twiml && !form.Url) return fail(400, 21205, 'Url or Twiml is required');
        if (form.Twiml && form.Twiml.length > 4000) return fail(400, 32018, 'Twiml size exceeded maximum allowed value of 4000 characters');
        if (form.Twiml && !/^(<\?xml[^>]*\?>)?\s*<Response>[\s\S]*<\/Response>\s*$/.test(form.Twiml)) return fail(400, 12100, 'Document parse failure');
      }
      const scripted = fake.script.shift();
      if (scripted) return fail(scripted.status, scripted.code, scripted.message ?? 'scripted', scripted.headers);
      const refusal = to ? fake.refuse.get(to) : undefined;
      if (refusal) return fail(refusal.status, refusal.code, refusal.message ?? `refused ${to}`);
      const sid = `${resource === 'Messages' ? 'SM' : 'CA'}${hex(16)}`;
      fake.accepted.push({ resource, path, headers: req.headers, form, sid });
      const common = {
        sid,
        account_sid: account,
        to,
        from: form.From ?? null,
        status: 'queued',
        date_created: new Date().toUTCString(),
        api_version: '2010-04-01',
      };
      const body =
        resource === 'Messages' ? { ...common, body: form.Body, messaging_service_sid: form.MessagingServiceSid ?? null, direction: 'outbound-api' } : common;
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  };
  const listening = await listenLoopback(createServer(handler));
  fake.url = listening.url;
  fake.close = listening.close;
  return fake;
}
