import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { listenLoopback } from '../helpers/harness.js';

/**
 * A local Amazon SNS Query API endpoint that takes `Publish` as AWS documents it
 * (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html,
 * https://docs.aws.amazon.com/sns/latest/api/CommonParameters.html):
 * - `POST /`, `Content-Type: application/x-www-form-urlencoded`;
 * - Signature Version 4: the `Authorization` header's credential scope
 *   (`<key>/<yyyymmdd>/<region>/sns/aws4_request`), signed headers (at least `host` and
 *   `x-amz-date`), `x-amz-date` within 15 minutes, `x-amz-content-sha256` equal to the body's
 *   hash, and the signature itself **recomputed with the AWS SDK's signer** from the received
 *   request (403 `SignatureDoesNotMatch`; an unknown key is 403 `InvalidClientTokenId`);
 * - `Action=Publish`, `Version=2010-03-31`, an existing `TopicArn` (404 `NotFound`), a non-empty
 *   `Message` of at most 256 KiB with its attributes, `Subject` ASCII without line breaks and at
 *   most 100 characters, at most 10 `MessageAttributes.entry.N` with Name/DataType/StringValue;
 *   FIFO topics need `MessageGroupId` and `MessageDeduplicationId` (≤ 128 characters) and drop a
 *   duplicate id within 5 minutes (answered as a success, as SNS does);
 * - answers `PublishResponse` XML with a `MessageId` (and `SequenceNumber` on FIFO topics), errors
 *   as `ErrorResponse` XML with `Type`, `Code`, `Message`.
 */
export interface FakeSnsPublish {
  params: Record<string, string>;
  attributes: Record<string, { type: string; value: string }>;
  headers: IncomingMessage['headers'];
  messageId: string;
}

export interface FakeSns {
  url: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** When set, requests must carry it as x-amz-security-token. */
  sessionToken?: string;
  topics: string[];
  published: FakeSnsPublish[];
  /** FIFO publishes SNS dropped as duplicates. */
  duplicates: number;
  rejected: { status: number; code: string; message: string }[];
  script: { status: number; code: string; message?: string; headers?: Record<string, string> }[];
  /** The fake's idea of now, for the signature's time window (tests with a virtual clock replace it). */
  now: () => number;
  close(): Promise<void>;
}

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;
const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export async function startFakeSns(region = 'eu-central-1'): Promise<FakeSns> {
  const account = '123456789012';
  const fake: FakeSns = {
    url: '',
    region,
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    topics: [`arn:aws:sns:${region}:${account}:alerts`, `arn:aws:sns:${region}:${account}:alerts.fifo`],
    published: [],
    duplicates: 0,
    rejected: [],
    script: [],
    now: () => Date.now(),
    close: async () => {},
  };
  const seen = new Map<string, { at: number; messageId: string }>();
  let sequence = 10_000_000_000_000_000_000n;
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const fail = (status: number, code: string, message: string, headers: Record<string, string> = {}) => {
      fake.rejected.push({ status, code, message });
      res
        .writeHead(status, { 'content-type': 'text/xml', ...headers })
        .end(
          `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${code}</Code><Message>${xml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
        );
    };
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'POST' || url.pathname !== '/') return fail(400, 'InvalidAction', 'Only POST / is served here');
    if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded'))
      return fail(400, 'MalformedQueryString', 'Content-Type must be application/x-www-form-urlencoded');

    // Signature Version 4, checked as AWS checks it.
    const auth = AUTH.exec(String(req.headers.authorization ?? ''));
    if (!auth) return fail(403, 'IncompleteSignature', 'Authorization header requires Credential, SignedHeaders and Signature');
    const [, keyId, day, scopeRegion, service, signedList] = auth as unknown as string[];
    if (keyId !== fake.accessKeyId) return fail(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    if (service !== 'sns' || scopeRegion !== fake.region)
      return fail(403, 'SignatureDoesNotMatch', `Credential should be scoped to a valid region and service: ${fake.region}/sns`);
    const amzDate = String(req.headers['x-amz-date'] ?? '');
    const dm = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
    if (!dm) return fail(403, 'IncompleteSignature', 'x-amz-date is missing or not in ISO 8601 basic format');
    const [y, mo, d, hh, mi, ss] = dm.slice(1).map(Number) as [number, number, number, number, number, number];
    const signedAt = Date.UTC(y, mo - 1, d, hh, mi, ss);
    if (amzDate.slice(0, 8) !== day) return fail(403, 'SignatureDoesNotMatch', 'Credential scope date does not match x-amz-date');
    if (Math.abs(fake.now() - signedAt) > 15 * 60_000) return fail(403, 'SignatureDoesNotMatch', 'Signature expired: x-amz-date is more than 15 minutes off');
    const signedHeaders = (signedList as string).split(';');
    for (const h of ['host', 'x-amz-date']) if (!signedHeaders.includes(h)) return fail(403, 'SignatureDoesNotMatch', `${h} must be a signed header`);
    const bodyHash = createHash('sha256').update(raw).digest('hex');
    if (req.headers['x-amz-content-sha256'] !== undefined && req.headers['x-amz-content-sha256'] !== bodyHash)
      return fail(403, 'SignatureDoesNotMatch', 'x-amz-content-sha256 does not match the body');
    if (fake.sessionToken && req.headers['x-amz-security-token'] !== fake.sessionToken)
      return fail(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    const headers: Record<string, string> = {};
    for (const h of signedHeaders) headers[h] = String(req.headers[h] ?? '');
    const [hostname, port] = String(req.headers.host).split(':');
    const expected = await new SignatureV4({
      service: 'sns',
      region: fake.region,
      credentials: { accessKeyId: fake.accessKeyId, secretAccessKey: fake.secretAccessKey, sessionToken: fake.sessionToken },
      sha256: Hash.bind(null, 'sha256'),
    }).sign(
      { method: 'POST', protocol: 'http:', hostname: hostname as string, port: port ? Number(port) : undefined, path: '/', query: {}, headers, body: raw },
      { signingDate: new Date(signedAt) },
    );
    if (expected.headers.authorization !== req.headers.authorization)
      return fail(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');

    const params = Object.fromEntries(new URLSearchParams(raw));
    if (params.Action !== 'Publish') return fail(400, 'InvalidAction', `The action ${params.Action} is not valid for this endpoint.`);
    if (params.Version !== '2010-03-31') return fail(400, 'InvalidParameterValue', 'Version must be 2010-03-31');
    const topic = params.TopicArn ?? '';
    if (!fake.topics.includes(topic)) return fail(404, 'NotFound', 'Topic does not exist');
    if (!params.Message) return fail(400, 'InvalidParameter', 'Invalid parameter: Empty message');
    const attributes: FakeSnsPublish['attributes'] = {};
    for (let i = 1; params[`MessageAttributes.entry.${i}.Name`] !== undefined; i++) {
      const name = params[`MessageAttributes.entry.${i}.Name`] as string;
      const type = params[`MessageAttributes.entry.${i}.Value.DataType`];
      const value = params[`MessageAttributes.entry.${i}.Value.StringValue`];
      if (!type || !['String', 'Number', 'String.Array'].includes(type) || value === undefined)
        return fail(400, 'ParameterValueInvalid', `The message attribute '${name}' must contain non-empty message attribute value and type.`);
      attributes[name] = { type, value };
    }
    if (Object.keys(attributes).length > 10) return fail(400, 'InvalidParameterValue', 'Number of message attributes exceeds the limit of 10');
    const size =
      Buffer.byteLength(params.Message) +
      Object.entries(attributes).reduce((n, [k, a]) => n + Buffer.byteLength(k) + a.type.length + Buffer.byteLength(a.value), 0);
    if (size > 262_144) return fail(400, 'InvalidParameter', 'Invalid parameter: Message too long');
    if (params.Subject !== undefined && (params.Subject.length > 100 || !/^[\x21-\x7e][\x20-\x7e]*$/.test(params.Subject)))
      return fail(400, 'InvalidParameter', 'Invalid parameter: Subject');
    const fifo = topic.endsWith('.fifo');
    if (fifo) {
      if (!params.MessageGroupId || !/^[\x21-\x7e]{1,128}$/.test(params.MessageGroupId))
        return fail(400, 'InvalidParameter', 'Invalid parameter: The MessageGroupId parameter is required for FIFO topics');
      if (!params.MessageDeduplicationId || params.MessageDeduplicationId.length > 128)
        return fail(
          400,
          'InvalidParameter',
          'Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
        );
    } else if (params.MessageDeduplicationId) {
      return fail(400, 'InvalidParameter', 'Invalid parameter: MessageDeduplicationId is only valid for FIFO topics');
    }
    const scripted = fake.script.shift();
    if (scripted) return fail(scripted.status, scripted.code, scripted.message ?? 'scripted', scripted.headers);
    let messageId: string = randomUUID();
    const prior = fifo ? seen.get(params.MessageDeduplicationId as string) : undefined;
    if (prior && fake.now() - prior.at < 5 * 60_000) {
      fake.duplicates++;
      messageId = prior.messageId;
    } else {
      if (fifo) seen.set(params.MessageDeduplicationId as string, { at: fake.now(), messageId });
      fake.published.push({ params, attributes, headers: req.headers, messageId });
    }
    res
      .writeHead(200, { 'content-type': 'text/xml' })
      .end(
        `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${messageId}</MessageId>${fifo ? `<SequenceNumber>${sequence++}</SequenceNumber>` : ''}</PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
      );
  };
  const listening = await listenLoopback(createServer((req, res) => void handler(req, res)));
  fake.url = listening.url;
  fake.close = listening.close;
  return fake;
}
