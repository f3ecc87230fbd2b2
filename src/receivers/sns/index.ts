import { createHash } from 'node:crypto';
import {
  classifyHttpResponse,
  createPacer,
  DeliveryError,
  defineReceiver,
  effectiveSeverity,
  HttpUrl,
  type Notification,
  parseRetryAfter,
  permanent,
  rateLimited,
  Secret,
  Type,
  templateVars,
} from '@herald/sdk';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * Amazon SNS `Publish` through the Query API: a form-encoded
 * `POST https://sns.<region>.amazonaws.com/` with `Action=Publish`, signed
 * with Signature Version 4 by the AWS SDK's own signer (`@smithy/signature-v4`
 * with the Node hash of `@smithy/hash-node`), never a hand-written one.
 * FIFO topics (`….fifo`) get `MessageGroupId` from the incident/event key and
 * `MessageDeduplicationId` from the delivery id, so a retried publish is
 * de-duplicated by SNS.
 * API: https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
 *      https://docs.aws.amazon.com/sns/latest/api/CommonParameters.html
 *      https://docs.aws.amazon.com/sns/latest/api/CommonErrors.html
 * Signing: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */

/** Publish limits: Subject < 100 ASCII characters, no line breaks; message + attributes ≤ 256 KiB; 10 attributes; FIFO ids ≤ 128. */
export const SNS_LIMITS = { subject: 100, messageBytes: 262_144, attributes: 10, fifoId: 128 };
const ARN = '^arn:aws(-cn|-us-gov|-iso|-iso-b)?:sns:([a-z]{2}(-[a-z]+)+-\\d):(\\d{12}):([A-Za-z0-9_-]{1,256})(\\.fifo)?$';
const ATTRIBUTE_NAME = '^(?!(AWS\\.|Amazon\\.|aws\\.|amazon\\.))[A-Za-z0-9_.-]{1,256}$';
const MARKER = '… (truncated)';
/** Error codes SNS and the AWS Query protocol use for throttling (HTTP 400 or 429). */
const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'Throttled',
  'ThrottledException',
  'RequestThrottled',
  'KMSThrottling',
  'KMSThrottlingException',
]);
/** Credentials or signature refused (HTTP 403, sometimes 400). */
const AUTH = new Set([
  'AuthorizationError',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'ExpiredToken',
  'MissingAuthenticationToken',
  'AccessDenied',
]);
/** No Retry-After on a throttling answer: wait this long (AWS advises backing off). */
const THROTTLE_MS = 1000;

const DEFAULT_SUBJECT = '[{{ label }}] {{ event.title }}';
const DEFAULT_MESSAGE =
  '{{ event.title }}{% if event.text %}\n\n{{ event.text }}{% endif %}{% if event.url %}\n\n{{ event.url }}{% endif %}{% for l in event.labels %}\n{{ l[0] }}: {{ l[1] }}{% endfor %}';
const LABELS: Record<string, string> = { ok: 'RESOLVED', critical: 'CRITICAL', error: 'ERROR', warning: 'WARNING', info: 'INFO' };

/** The region and whether the topic is FIFO, from the ARN. */
export function parseTopicArn(arn: string): { partition: string; region: string; fifo: boolean } | undefined {
  const m = new RegExp(ARN).exec(arn);
  if (!m) return undefined;
  return { partition: `aws${m[1] ?? ''}`, region: m[2] as string, fifo: m[6] === '.fifo' };
}

/**
 * A Subject SNS accepts: ASCII only (others become `?`), no line breaks or control
 * characters, starting with a letter, digit or punctuation (so no leading space), at
 * most 100 characters.
 */
export function subjectFor(text: string): string {
  let s = text
    .replace(/\s+/g, ' ')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .replace(/[^\x20-\x7e]/g, '?')
    .trim();
  if (s.length > SNS_LIMITS.subject) s = `${s.slice(0, SNS_LIMITS.subject - 3)}...`;
  return s || 'Herald notification';
}

/** `MessageGroupId`: alphanumerics and punctuation, ≤ 128; other keys are hashed to fit. */
export function fifoGroupId(key: string): string {
  return /^[\x21-\x7e]{1,128}$/.test(key) ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

/** Cuts UTF-8 text to `max` bytes without splitting a character, marking the cut. */
export function cutBytes(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  const room = max - Buffer.byteLength(MARKER);
  let out = Buffer.from(text).subarray(0, room).toString('utf8');
  // A character cut in half decodes as U+FFFD: drop it.
  out = out.replace(/\uFFFD$/, '');
  return `${out}${MARKER}`;
}

/** RFC 3986 encoding, as the AWS SDKs send Query API parameters (spaces as %20, not +). */
const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function tag(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return m?.[1]
    ?.replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

export default defineReceiver({
  type: 'sns',
  version: '1.0.0',
  displayName: 'Amazon SNS (Publish)',
  docsUrl: 'https://docs.aws.amazon.com/sns/latest/api/API_Publish.html',
  config: Type.Object(
    {
      topic_arn: Type.String({ pattern: ARN, description: 'ARN of the topic (`arn:aws:sns:<region>:<account>:<name>`; `.fifo` names are FIFO topics)' }),
      region: Type.Optional(Type.String({ pattern: '^[a-z]{2}(-[a-z]+)+-\\d$', description: "signing region (default: the topic ARN's region)" })),
      access_key_id: Secret({ description: 'access key ID of an IAM identity allowed `sns:Publish` on the topic' }),
      secret_access_key: Secret({ description: 'its secret access key' }),
      session_token: Type.Optional(Secret({ description: 'session token, for temporary credentials' })),
      url: Type.Optional(HttpUrl({ description: 'endpoint overriding `https://sns.<region>.amazonaws.com/` (VPC endpoints, tests)' })),
      format: Type.Enum(['text', 'json'], {
        default: 'text',
        description: '`text`: the message template; `json`: the Herald notification as JSON, for SQS/Lambda subscribers',
      }),
      subject_template: Type.Optional(Type.String({ description: 'LiquidJS template for `Subject` (email subscribers; ASCII, cut to 100 characters)' })),
      message_template: Type.Optional(Type.String({ description: 'LiquidJS template for `Message` with `format: text` (cut to 256 KiB)' })),
      attributes: Type.Optional(
        Type.Record(Type.String({ pattern: ATTRIBUTE_NAME }), Type.String({ minLength: 1 }), {
          additionalProperties: false,
          description: 'extra String message attributes for subscription filter policies (with Herald’s, at most 10)',
        }),
      ),
      max_per_second: Type.Number({ exclusiveMinimum: 0, maximum: 100, default: 10, description: "pacing of this receiver's requests" }),
    },
    { additionalProperties: false },
  ),
  validate(config) {
    const errors: { path: string; message: string }[] = [];
    const arn = parseTopicArn(config.topic_arn);
    if (arn && config.region && config.region !== arn.region)
      errors.push({ path: 'region', message: `must be the topic's region ${arn.region}: SNS publishes only to topics in the same region` });
    const extra = Object.keys(config.attributes ?? {});
    const clash = extra.filter((k) => ['severity', 'status', 'source', 'key'].includes(k));
    if (clash.length > 0) errors.push({ path: 'attributes', message: `${clash.join(', ')} are set by Herald` });
    if (extra.length > SNS_LIMITS.attributes - 4)
      errors.push({ path: 'attributes', message: `at most ${SNS_LIMITS.attributes - 4} (Herald sets up to 4 of SNS's 10)` });
    return errors;
  },
  create(config, { templates, clock }) {
    const subject = templates.compile(config.subject_template ?? DEFAULT_SUBJECT, { name: 'subject_template', escape: 'none' });
    const message = templates.compile(config.message_template ?? DEFAULT_MESSAGE, { name: 'message_template', escape: 'none' });
    const arn = parseTopicArn(config.topic_arn) as NonNullable<ReturnType<typeof parseTopicArn>>;
    const region = config.region ?? arn.region;
    const endpoint = new URL(config.url ?? `https://sns.${region}.amazonaws.com${arn.partition === 'aws-cn' ? '.cn' : ''}/`);
    const signer = new SignatureV4({
      service: 'sns',
      region,
      credentials: { accessKeyId: config.access_key_id, secretAccessKey: config.secret_access_key, sessionToken: config.session_token },
      sha256: Hash.bind(null, 'sha256'),
    });
    const secrets = [config.secret_access_key, config.access_key_id, ...(config.session_token ? [config.session_token] : [])];
    const redact = (s: string) => secrets.reduce((out, secret) => out.split(secret).join('[redacted]'), s);
    const pacer = createPacer(config.max_per_second, clock);
    const format = config.format;

    const bodyFor = (notification: Notification) => {
      const { event } = notification;
      const severity = effectiveSeverity(event);
      const vars = { ...templateVars(notification), severity, label: LABELS[severity] };
      const attributes: [string, string][] = [
        ['severity', severity],
        ['status', event.status],
        ...(event.source ? [['source', event.source] as [string, string]] : []),
        ...(event.key ? [['key', event.key] as [string, string]] : []),
        ...Object.entries(config.attributes ?? {}),
      ];
      // The 256 KiB cap counts the attributes' names, types and values too.
      const attributeBytes = attributes.reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v) + 'String'.length, 0);
      const room = SNS_LIMITS.messageBytes - attributeBytes;
      let text: string;
      if (format === 'json') {
        const full = { version: 1, receiver: notification.receiver, event, ...(notification.incident ? { incident: notification.incident } : {}) };
        text = JSON.stringify(full);
        if (Buffer.byteLength(text) > room) {
          const { data: _dropped, ...rest } = event;
          text = JSON.stringify({ ...full, event: { ...rest, text: rest.text ? cutBytes(rest.text, 16_384) : undefined }, truncated: true });
        }
        if (Buffer.byteLength(text) > room) throw permanent(`the notification is ${Buffer.byteLength(text)} bytes as JSON; SNS takes at most ${room}`);
      } else {
        text = cutBytes(message.render(vars).trim() || event.title, room);
      }
      const params: [string, string][] = [
        ['Action', 'Publish'],
        ['Version', '2010-03-31'],
        ['TopicArn', config.topic_arn],
        ['Message', text],
        ['Subject', subjectFor(subject.render(vars) || event.title)],
      ];
      attributes.forEach(([name, value], i) => {
        params.push([`MessageAttributes.entry.${i + 1}.Name`, name]);
        params.push([`MessageAttributes.entry.${i + 1}.Value.DataType`, 'String']);
        params.push([`MessageAttributes.entry.${i + 1}.Value.StringValue`, value]);
      });
      if (arn.fifo) {
        const group = (notification.incident?.key as string | undefined) ?? event.key ?? 'herald';
        params.push(['MessageGroupId', fifoGroupId(group)]);
        params.push(['MessageDeduplicationId', notification.id.slice(0, SNS_LIMITS.fifoId)]);
      }
      return params.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
    };

    return {
      async send(notification, ctx) {
        const body = bodyFor(notification);
        return pacer.run(async () => {
          // Signed per attempt, with the clock's time: a retry carries a fresh x-amz-date.
          const signed = await signer.sign(
            {
              method: 'POST',
              protocol: endpoint.protocol,
              hostname: endpoint.hostname,
              port: endpoint.port ? Number(endpoint.port) : undefined,
              path: endpoint.pathname,
              query: {},
              headers: { host: endpoint.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
              body,
            },
            { signingDate: new Date(ctx.clock.now()) },
          );
          const { host: _host, ...headers } = signed.headers as Record<string, string>;
          const res = await ctx.http.request({ method: 'POST', url: endpoint.toString(), headers, body, signal: ctx.signal });
          const response = redact(res.body);
          if (res.status >= 200 && res.status < 300) {
            const id = tag(res.body, 'MessageId');
            return { status: res.status, response: id ? `MessageId ${id}` : response };
          }
          const code = tag(res.body, 'Code');
          const why = code ? `: ${code}${tag(res.body, 'Message') ? ` (${redact(tag(res.body, 'Message') as string).slice(0, 300)})` : ''}` : '';
          if (res.status === 429 || (code && THROTTLING.has(code))) {
            const ms = parseRetryAfter(res.headers['retry-after'], ctx.clock.now()) ?? THROTTLE_MS;
            pacer.block(ms);
            throw rateLimited(`SNS throttled the publish (HTTP ${res.status})${why}`, ms, { status: res.status, response });
          }
          if (code && AUTH.has(code) && res.status < 500)
            throw new DeliveryError(`HTTP ${res.status}: not authorized${why}`, { reason: 'auth', retryable: false, status: res.status, response });
          const failure = classifyHttpResponse(res.status, res.headers, response, ctx.clock.now()) as DeliveryError;
          throw new DeliveryError(`${failure.message}${why}`, {
            reason: failure.reason,
            retryable: failure.retryable,
            retryAfterMs: failure.retryAfterMs,
            status: res.status,
            response,
          });
        }, ctx.signal);
      },
    };
  },
});
