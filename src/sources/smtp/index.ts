import { readFileSync } from 'node:fs';
import {
  Bytes,
  Duration,
  defineSource,
  type EventInput,
  listenError,
  parseBytes,
  parseDuration,
  SEVERITIES,
  Secret,
  SourceRejection,
  type Static,
  safeEqual,
  Type,
} from '@herald/sdk';
// Loaded when the source starts, so processes that never listen (the CLI) do not pay for it.
import type { SMTPServer, SMTPServerDataStream, SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import {
  DEFAULT_FIRING_SUBJECT,
  DEFAULT_RESOLVED_SUBJECT,
  type KeyVars,
  type Mail,
  MalformedMail,
  type MappingEntry,
  normalizeMail,
  parseMail,
  parseRecipient,
} from './normalize.js';

const LISTEN_PATTERN = '^(\\[[0-9A-Fa-f:.]+\\]|[^\\s:\\[\\]]+):(\\d{1,5})$';
const LABEL_NAME = '^[A-Za-z_][A-Za-z0-9_.\\-/]{0,127}$';

const config = Type.Object(
  {
    listen: Type.String({
      pattern: LISTEN_PATTERN,
      default: '127.0.0.1:2525',
      description: 'host:port to listen on ([::1]:2525 for IPv6; port 0 picks a free port)',
    }),
    domains: Type.Optional(
      Type.Array(Type.String({ minLength: 1, pattern: '^[^@\\s]+$' }), {
        minItems: 1,
        description: 'accept mail to any address at these domains (exact match, case-insensitive)',
      }),
    ),
    recipients: Type.Optional(
      Type.Array(Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$' }), {
        minItems: 1,
        description: 'accept mail to these addresses; a +tag is ignored when matching, so name@domain also accepts name+anything@domain',
      }),
    ),
    mapping: Type.Optional(
      Type.Record(
        Type.String({ pattern: '^[^@+\\s]+$' }),
        Type.Object(
          {
            source: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'event source (default: the source name)' })),
            labels: Type.Optional(Type.Record(Type.String({ pattern: LABEL_NAME }), Type.String({ maxLength: 1024 }))),
            severity: Type.Optional(Type.Enum([...SEVERITIES])),
          },
          { additionalProperties: false },
        ),
        { description: 'recipient local part (before + and @) → {source, labels, severity}' },
      ),
    ),
    firing_subject: Type.String({ minLength: 1, default: DEFAULT_FIRING_SUBJECT, description: 'regex (case-insensitive): a matching subject is firing' }),
    resolved_subject: Type.String({ minLength: 1, default: DEFAULT_RESOLVED_SUBJECT, description: 'regex (case-insensitive): a matching subject is resolved' }),
    key_template: Type.Optional(
      Type.String({ minLength: 1, description: 'LiquidJS template for the event key over subject, from, to, local_part, tag, domain' }),
    ),
    auth: Type.Optional(
      Type.Object(
        {
          username: Type.String({ minLength: 1 }),
          password: Secret({ description: 'password senders give with AUTH PLAIN or LOGIN' }),
        },
        { additionalProperties: false, description: 'require SMTP AUTH (offered only after STARTTLS; needs tls)' },
      ),
    ),
    tls: Type.Optional(
      Type.Object(
        {
          cert: Type.String({ minLength: 1, description: 'certificate chain: a PEM file path or the PEM text' }),
          key: Secret({ description: 'private key: a PEM file path or the PEM text' }),
        },
        { additionalProperties: false, description: 'offer STARTTLS with this certificate' },
      ),
    ),
    max_message_size: Bytes({ default: '10MiB', description: 'largest accepted message, counted while it streams in' }),
    max_clients: Type.Integer({ minimum: 1, maximum: 10_000, default: 50, description: 'concurrent connections; more are answered 421' }),
    socket_timeout: Duration({ default: '60s', description: 'idle time before a connection is closed' }),
  },
  { additionalProperties: false },
);

type Config = Static<typeof config>;

/** An SMTP reply for a smtp-server callback: `code` plus the text (with its enhanced status code). */
function smtpError(code: number, text: string): Error & { responseCode: number } {
  return Object.assign(new Error(text), { responseCode: code });
}

function splitListen(listen: string): { host: string; port: number } {
  const m = new RegExp(LISTEN_PATTERN).exec(listen) as RegExpExecArray;
  return { host: (m[1] as string).replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) };
}

/** A PEM value: the text itself, or a file holding it. */
function pem(value: string, what: string): string {
  if (value.includes('-----BEGIN')) return value;
  try {
    return readFileSync(value, 'utf8');
  } catch (err) {
    throw new Error(`tls.${what}: cannot read ${JSON.stringify(value)}: ${(err as Error).message}`);
  }
}

/**
 * Receives mail over SMTP so that tools which can only send email become
 * event sources. Accepts only the configured domains/recipients (never a
 * relay), answers 250 only once the event is committed, 451 when the store is
 * unavailable, and refuses oversized or unusable messages storing nothing.
 */
export default defineSource({
  type: 'smtp',
  version: '1.0.0',
  displayName: 'SMTP (incoming mail)',
  docsUrl: 'https://www.rfc-editor.org/rfc/rfc5321',
  config,
  validate(c: Config) {
    const issues: { path: string; message: string }[] = [];
    if (!c.domains && !c.recipients)
      issues.push({ path: 'domains', message: 'give domains and/or recipients: the mail this source accepts (it never relays)' });
    if (c.auth && !c.tls)
      issues.push({ path: 'auth', message: 'auth needs tls: AUTH is offered only after STARTTLS, so passwords never cross the wire in clear' });
    for (const f of ['firing_subject', 'resolved_subject'] as const) {
      const v = c[f];
      if (v === undefined) continue;
      try {
        new RegExp(v, 'i');
      } catch (err) {
        issues.push({ path: f, message: `not a valid regular expression: ${(err as Error).message}` });
      }
    }
    const m = new RegExp(LISTEN_PATTERN).exec(c.listen);
    if (m && Number(m[2]) > 65_535) issues.push({ path: 'listen', message: `port ${m[2]} is out of range (0-65535)` });
    const seen = new Set<string>();
    for (const k of Object.keys(c.mapping ?? {})) {
      if (seen.has(k.toLowerCase())) issues.push({ path: `mapping.${k}`, message: 'duplicate local part (local parts are case-insensitive)' });
      seen.add(k.toLowerCase());
    }
    return issues;
  },
  create(c, ctx) {
    const { host, port } = splitListen(c.listen);
    const maxBytes = parseBytes(c.max_message_size);
    const tls = c.tls ? { cert: pem(c.tls.cert, 'cert'), key: pem(c.tls.key, 'key') } : undefined;
    const domains = new Set((c.domains ?? []).map((d) => d.toLowerCase()));
    const recipients = new Set((c.recipients ?? []).map((r) => parseRecipient(r)).map((r) => `${r.local}@${r.domain}`));
    const mapping: Record<string, MappingEntry> = Object.fromEntries(Object.entries(c.mapping ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const keyTemplate = c.key_template ? ctx.templates.compile(c.key_template, { name: 'key_template', escape: 'none' }) : undefined;
    const normalizeOptions = {
      mapping,
      firing: new RegExp(c.firing_subject, 'i'),
      resolved: new RegExp(c.resolved_subject, 'i'),
      key: keyTemplate ? (vars: KeyVars) => keyTemplate.render(vars as unknown as Record<string, unknown>) : undefined,
    };
    const accepts = (address: string) => {
      const r = parseRecipient(address);
      return domains.has(r.domain) || recipients.has(`${r.local}@${r.domain}`);
    };

    let server: SMTPServer | undefined;

    const onData = (stream: SMTPServerDataStream, session: SMTPServerSession, reply: (err?: Error | null, message?: string) => void) => {
      let answered = false;
      const callback = (err: Error | null, message?: string) => {
        if (answered) return;
        answered = true;
        reply(err, message);
      };
      // smtp-server resets the envelope once the callback runs: copy it first.
      const envelope = {
        mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
        rcptTo: session.envelope.rcptTo.map((r) => r.address),
      };
      const chunks: Buffer[] = [];
      let bytes = 0;
      stream.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        // Over the limit: keep reading (the client sends the rest anyway) but hold nothing.
        if (bytes > maxBytes) chunks.length = 0;
        else chunks.push(chunk);
      });
      stream.on('error', (err) => {
        ctx.log.warn({ err: err.message, session: session.id }, 'smtp data stream failed');
        callback(smtpError(451, '4.3.0 temporary failure, try again later'));
      });
      stream.on('end', () => {
        if (bytes > maxBytes) {
          ctx.rejected('too_large', `${bytes} bytes from ${envelope.mailFrom || '<>'} (limit ${maxBytes})`);
          callback(smtpError(552, `5.3.4 message too large: the limit is ${maxBytes} bytes`));
          return;
        }
        accept(Buffer.concat(chunks, bytes), envelope).then(
          (reply) => callback(null, reply),
          (err: Error) => callback(err),
        );
      });
    };

    const accept = async (raw: Buffer, envelope: { mailFrom: string; rcptTo: string[] }): Promise<string> => {
      let mail: Mail;
      try {
        mail = await parseMail(raw);
      } catch (err) {
        if (!(err instanceof MalformedMail)) throw err;
        ctx.rejected('malformed', err.message);
        throw smtpError(554, `5.6.0 ${err.message}`);
      }
      let events: EventInput[];
      try {
        events = envelope.rcptTo.map((recipient) => normalizeMail(mail, { mailFrom: envelope.mailFrom, recipient }, normalizeOptions));
      } catch (err) {
        // key_template failed to render: a configuration problem the sender cannot fix by retrying later.
        ctx.log.error({ err: (err as Error).message }, 'smtp mail could not be mapped');
        ctx.rejected('mapping_failed', (err as Error).message);
        throw smtpError(554, `5.3.5 the message could not be mapped: ${(err as Error).message}`);
      }
      // With a Message-ID, each recipient's event is its own delivery, so a retry after a partial
      // failure (or a split delivery by the sending MTA) stores every recipient's event exactly once.
      const batches = mail.messageId
        ? events.map((e, i) => ({ events: [e], deliveryId: `${mail.messageId} ${envelope.rcptTo[i]?.toLowerCase()}` }))
        : [{ events, deliveryId: undefined }];
      const ids: string[] = [];
      let replayed = true;
      for (const b of batches) {
        try {
          const r = await ctx.emit(b.events, b.deliveryId ? { deliveryId: b.deliveryId } : {});
          ids.push(...r.ids);
          replayed &&= r.replayed === true;
        } catch (err) {
          if (err instanceof SourceRejection && err.code === 'idempotency_conflict') {
            // The same Message-ID with other content is, for mail, the same message by another relay
            // path (which adds its own X-… headers, e.g. X-Spam-Status): the first copy stands, and
            // the mail must not bounce.
            ctx.log.info({ messageId: mail.messageId }, 'mail already received (same Message-ID, other headers); the first copy stands');
            continue;
          }
          if (err instanceof SourceRejection) {
            ctx.rejected(err.code, err.message);
            throw smtpError(554, `5.6.0 ${err.message}`);
          }
          ctx.log.warn({ err: (err as Error).message }, 'smtp mail not stored; answered 451 so the sender retries');
          throw smtpError(451, '4.3.0 temporary failure, try again later');
        }
      }
      return replayed ? '2.0.0 OK: already received' : `2.0.0 OK: accepted as ${ids.join(', ')}`;
    };

    const options: SMTPServerOptions = {
      secure: false,
      ...(tls ?? {}),
      minVersion: 'TLSv1.2',
      // Without tls no STARTTLS (smtp-server would otherwise use its built-in, publicly known key);
      // without auth no AUTH at all.
      disabledCommands: [...(tls ? [] : ['STARTTLS']), ...(c.auth ? [] : ['AUTH'])],
      authMethods: ['PLAIN', 'LOGIN'],
      // onMailFrom below enforces auth itself (RCPT and DATA need MAIL first), with one reply and
      // one rejection count whether or not the session is already on TLS.
      authOptional: true,
      size: maxBytes,
      maxClients: c.max_clients,
      socketTimeout: parseDuration(c.socket_timeout),
      closeTimeout: 1000,
      disableReverseLookup: true,
      logger: false,
      onConnect(session, cb) {
        // AUTH is neither advertised nor accepted before STARTTLS, so no client sends a password in clear.
        if (c.auth && !session.secure) session.disabledCommands = ['AUTH'];
        cb();
      },
      onSecure(_socket, session, cb) {
        session.disabledCommands = undefined;
        cb();
      },
      onAuth(auth, session, cb) {
        const ok = c.auth !== undefined && session.secure && safeEqual(auth.username ?? '', c.auth.username) && safeEqual(auth.password ?? '', c.auth.password);
        if (!ok) {
          ctx.rejected('auth_failed', `${auth.method} for ${JSON.stringify(auth.username ?? '')} from ${session.remoteAddress}`);
          cb(smtpError(535, '5.7.8 authentication failed'));
          return;
        }
        cb(null, { user: auth.username });
      },
      onMailFrom(_address, session, cb) {
        if (c.auth && !session.user) {
          ctx.rejected('auth_required', `MAIL without AUTH from ${session.remoteAddress}`);
          cb(smtpError(530, `5.7.0 authentication required${session.secure ? '' : ': issue STARTTLS, then AUTH'}`));
          return;
        }
        cb();
      },
      onRcptTo(address, _session, cb) {
        if (!accepts(address.address)) {
          ctx.rejected('relay_denied', address.address);
          cb(smtpError(550, '5.7.1 relay not permitted'));
          return;
        }
        cb();
      },
      onData,
    };

    let listening: { since: number; detail: string } | undefined;
    return {
      kind: 'listener',
      async start() {
        const { SMTPServer } = await import('smtp-server');
        const s = new SMTPServer(options);
        s.on('error', (err: Error) => ctx.log.warn({ err: err.message }, 'smtp connection error'));
        await new Promise<void>((resolve, reject) => {
          const onError = (err: Error) => reject(listenError(err, 'listen', c.listen ?? `${host}:${port}`));
          s.server.once('error', onError);
          s.listen(port, host, () => {
            s.server.off('error', onError);
            resolve();
          });
        });
        server = s;
        const bound = s.server.address();
        const at = typeof bound === 'object' && bound ? { address: bound.address, port: bound.port } : { address: host, port };
        ctx.log.info({ ...at, tls: tls !== undefined, auth: c.auth !== undefined }, 'smtp listening');
        listening = { since: ctx.clock.now(), detail: `${at.address.includes(':') ? `[${at.address}]` : at.address}:${at.port}${tls ? ' (TLS)' : ''}` };
      },
      status() {
        return listening && server ? { state: 'listening', ...listening } : { state: 'running', detail: 'not listening' };
      },
      async stop() {
        const s = server;
        server = undefined;
        if (!s) return;
        await new Promise<void>((resolve) => s.close(() => resolve()));
      },
    };
  },
});
