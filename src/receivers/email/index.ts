import { DeliveryError, Duration, defineReceiver, parseDuration, permanent, retryable, Secret, STATUS_TITLE_TEMPLATE, Type, templateVars } from '@herald/sdk';
import { createTransport } from 'nodemailer';

const DEFAULT_TEXT = `{{ event.text }}
{% if event.url %}
{{ event.url }}{% endif %}
{% for l in event.labels %}
{{ l[0] }}: {{ l[1] }}{% endfor %}

Status: {{ event.status }}{% if event.severity %} · Severity: {{ event.severity }}{% endif %}{% if event.source %} · Source: {{ event.source }}{% endif %}
Event {{ event.id }}, received {{ event.received_at }}
`;
const DEFAULT_HTML = `<h2 style="margin:0 0 8px">{{ event.title }}</h2>
{% if event.text %}<p style="white-space:pre-wrap">{{ event.text }}</p>{% endif %}
{% if event.url %}<p><a href="{{ event.url }}">{{ event.url }}</a></p>{% endif %}
<table>{% for l in event.labels %}<tr><td><b>{{ l[0] }}</b></td><td>{{ l[1] }}</td></tr>{% endfor %}</table>
<p style="color:#666">Status: {{ event.status }}{% if event.severity %} · Severity: {{ event.severity }}{% endif %}{% if event.source %} · Source: {{ event.source }}{% endif %}<br>Event {{ event.id }}, received {{ event.received_at }}</p>`;

const Email = Type.String({ pattern: '^[^\\s@<>]+@[^\\s@<>]+$', description: 'an email address' });

/**
 * Email over SMTP (nodemailer): multipart text + HTML from templates, with
 * event values HTML-escaped in the HTML part. The connection comes from
 * Herald's guarded TCP client, so the SSRF policy applies to the mail relay too.
 */
export default defineReceiver({
  type: 'email',
  version: '1.0.0',
  displayName: 'Email (SMTP)',
  docsUrl: 'https://nodemailer.com/smtp/',
  contact: { field: 'email', pattern: /^[^\s@<>]+@[^\s@<>]+$/, description: 'an email address', example: 'alice@example.com' },
  config: Type.Object(
    {
      host: Type.String({ minLength: 1, description: 'SMTP relay host name or IP address' }),
      port: Type.Integer({ minimum: 1, maximum: 65535, default: 587, description: 'SMTP port' }),
      tls: Type.Enum(['starttls', 'implicit', 'none'], {
        default: 'starttls',
        description: 'starttls: upgrade required (587); implicit: TLS from the start (465); none: plain, local relays only, refused with a password',
      }),
      tls_ca: Type.Optional(Type.String({ minLength: 1, description: 'extra trusted CA certificate (PEM; default: system CAs)' })),
      username: Type.Optional(Type.String({ minLength: 1, description: 'SMTP AUTH user name; goes together with `password`' })),
      password: Type.Optional(Secret({ description: 'SMTP AUTH password; goes together with `username`' })),
      from: Email,
      to: Type.Optional(
        Type.Array(Email, {
          minItems: 1,
          maxItems: 100,
          description: 'recipient addresses; the email contacts of the people a route attaches (users, teams, on_call) are added',
        }),
      ),
      subject_template: Type.Optional(Type.String({ description: 'LiquidJS template for the subject; one line (line breaks become spaces)' })),
      text_template: Type.Optional(Type.String({ description: 'LiquidJS template for the plain-text part' })),
      html_template: Type.Optional(Type.String({ description: 'LiquidJS template for the HTML part; every printed value is HTML-escaped' })),
      timeout: Type.Optional(Duration({ description: 'connection and socket timeout (default: delivery.timeout)' })),
    },
    { additionalProperties: false },
  ),
  validate(config) {
    if ((config.username === undefined) !== (config.password === undefined))
      return [{ path: config.username ? 'password' : 'username', message: 'username and password go together' }];
    if (config.password !== undefined && config.tls === 'none')
      return [{ path: 'tls', message: 'refusing to send a password without TLS; use starttls or implicit' }];
    return [];
  },
  create(config, { templates }) {
    const subject = templates.compile(config.subject_template ?? STATUS_TITLE_TEMPLATE, { name: 'subject_template', escape: 'none' });
    const text = templates.compile(config.text_template ?? DEFAULT_TEXT, { name: 'text_template', escape: 'none' });
    const html = templates.compile(config.html_template ?? DEFAULT_HTML, { name: 'html_template', escape: 'html' });
    const tls = config.tls;
    const port = config.port;
    const timeoutMs = config.timeout ? parseDuration(config.timeout) : undefined;
    return {
      async send(notification, ctx) {
        const vars = templateVars(notification);
        // Config recipients plus the people the route attached (e.g. whoever is on call), once each.
        const recipients = [...new Set([...(config.to ?? []), ...notification.people.flatMap((p) => (p.contacts.email ? [p.contacts.email] : []))])];
        if (recipients.length === 0) throw permanent('no recipients: the receiver has no `to` and no attached person has an email contact');
        const transport = createTransport({
          host: config.host,
          port,
          secure: tls === 'implicit',
          requireTLS: tls === 'starttls',
          ignoreTLS: tls === 'none',
          auth: config.username ? { user: config.username, pass: config.password } : undefined,
          tls: { servername: config.host, ca: config.tls_ca },
          connectionTimeout: timeoutMs ?? 15_000,
          socketTimeout: timeoutMs ?? 15_000,
          // The socket comes through Herald's SSRF guard.
          getSocket: (_options: unknown, callback: (err: Error | null, socketOptions?: { connection: import('node:net').Socket }) => void) => {
            ctx.net.connect({ host: config.host, port, timeoutMs, signal: ctx.signal }).then(
              (connection) => callback(null, { connection }),
              (err: Error) => callback(err),
            );
          },
        } as Parameters<typeof createTransport>[0]);
        try {
          const info = await transport.sendMail({
            from: config.from,
            to: recipients,
            subject: subject
              .render(vars)
              .replace(/[\r\n]+/g, ' ')
              .slice(0, 998),
            text: text.render(vars),
            html: html.render(vars),
            headers: { 'X-Herald-Delivery': notification.id },
          });
          return { status: 250, response: info.response };
        } catch (err) {
          throw classifySmtpError(err);
        } finally {
          transport.close();
        }
      },
    };
  },
});

/** SMTP replies: 4xx is temporary, 5xx permanent (535 is auth); no reply means a network failure. */
export function classifySmtpError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const e = err as { responseCode?: number; code?: string; response?: string; message?: string };
  const message = `SMTP ${e.responseCode ? `${e.responseCode} ` : ''}${e.code ?? ''}: ${e.response ?? e.message ?? 'error'}`.replace(/\s+/g, ' ').trim();
  if (e.responseCode && e.responseCode >= 500) {
    if (e.responseCode === 535 || e.responseCode === 530 || e.code === 'EAUTH')
      return new DeliveryError(message, { reason: 'auth', retryable: false, status: e.responseCode });
    return permanent(message, { status: e.responseCode, response: e.response });
  }
  if (e.responseCode && e.responseCode >= 400) return retryable(message, { status: e.responseCode, response: e.response });
  if (e.code === 'EAUTH') return new DeliveryError(message, { reason: 'auth', retryable: false });
  if (e.code === 'ETIMEDOUT') return new DeliveryError(message, { reason: 'timeout', retryable: true });
  if (e.code === 'ETLS' || e.code === 'ESOCKET' || e.code === 'ECONNECTION' || e.code === 'EDNS')
    return new DeliveryError(message, { reason: 'network', retryable: true });
  return new DeliveryError(message, { reason: 'network', retryable: true });
}
