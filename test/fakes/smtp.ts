import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

/** A local SMTP server that keeps every mail (envelope and parsed message). */
export interface Mailbox {
  port: number;
  mails: { from: string; to: string[]; parsed: ParsedMail }[];
  connections: number;
  close(): Promise<void>;
}

export async function startSmtp(options: Partial<SMTPServerOptions> = {}): Promise<Mailbox> {
  const box: Mailbox = { port: 0, mails: [], connections: 0, close: async () => {} };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onConnect(_session, cb) {
      box.connections++;
      cb();
    },
    onData(stream, session, cb) {
      const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
      const to = session.envelope.rcptTo.map((r) => r.address);
      simpleParser(stream).then(
        (parsed) => {
          box.mails.push({ from, to, parsed });
          cb();
        },
        (err: Error) => cb(err),
      );
    },
    ...options,
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  box.port = (server.server.address() as AddressInfo).port;
  box.close = () => new Promise<void>((r) => server.close(() => r()));
  return box;
}
