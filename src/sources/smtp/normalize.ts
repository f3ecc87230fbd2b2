import type { EventInput, EventStatus, Json, Severity } from '@herald/sdk';
import type { AddressObject, HeaderValue, ParsedMail } from 'mailparser';

// mailparser takes ~0.4 s to load; only a process that receives mail needs it.
async function simpleParser(source: Buffer, options: import('mailparser').SimpleParserOptions): Promise<ParsedMail> {
  return (await import('mailparser')).simpleParser(source, options);
}

/** Subjects that open an incident, unless `firing_subject` replaces it (always case-insensitive). */
export const DEFAULT_FIRING_SUBJECT = '\\b(fail(ed|ure|ing)?|down|error|critical|alert)\\b';
/** Subjects that close one, unless `resolved_subject` replaces it (always case-insensitive). */
export const DEFAULT_RESOLVED_SUBJECT = '\\b(succe(ss|ssful|eded)|fixed|recovered|resolved|back up|back to normal|ok)\\b';

/** Largest HTML part mailparser converts to text (longer parts keep no text; the event text is cut at 64 KiB anyway). */
const MAX_HTML_TO_TEXT = 2_000_000;
const MAX_DATA_HEADERS = 40;
const MAX_HEADER_VALUE = 1000;
/** Headers kept in `data.headers` besides every `X-…` header. */
const KEPT_HEADERS = new Set(['reply-to', 'in-reply-to', 'references', 'auto-submitted', 'precedence', 'user-agent', 'priority', 'list-id', 'importance']);

/** A message this source refuses as unusable (answered 554, nothing stored). */
export class MalformedMail extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedMail';
  }
}

export interface MailAddress {
  name?: string;
  address: string;
}

/** What normalize needs from a parsed message: plain data, so fixtures and tests stay simple. */
export interface Mail {
  subject?: string;
  /** The text part, or the HTML converted to text when there is none. */
  text?: string;
  from: MailAddress[];
  to: MailAddress[];
  cc: MailAddress[];
  messageId?: string;
  /** The Date header as RFC 3339, when it parses. */
  date?: string;
  /** A subset: every `X-…` header and a few others (see KEPT_HEADERS), lower-case names. */
  headers: Record<string, string | string[]>;
  attachments: { filename?: string; content_type: string; size: number }[];
}

/** An accepted recipient split into its parts: `ci+bamboo@Herald.Example` → local `ci`, tag `bamboo`. */
export interface Recipient {
  /** Lower-cased address. */
  address: string;
  /** The local part before any `+tag`. */
  local: string;
  tag?: string;
  domain: string;
}

export function parseRecipient(address: string): Recipient {
  const lower = address.trim().toLowerCase();
  const at = lower.lastIndexOf('@');
  const localFull = at < 0 ? lower : lower.slice(0, at);
  const domain = at < 0 ? '' : lower.slice(at + 1);
  const plus = localFull.indexOf('+');
  const local = plus < 0 ? localFull : localFull.slice(0, plus);
  const tag = plus < 0 ? undefined : localFull.slice(plus + 1);
  return { address: lower, local, domain, ...(tag ? { tag } : {}) };
}

export interface MappingEntry {
  source?: string;
  labels?: Record<string, string>;
  severity?: Severity;
}

export interface KeyVars {
  subject: string;
  from: string;
  to: string;
  local_part: string;
  tag: string;
  domain: string;
}

export interface NormalizeOptions {
  /** Recipient local part (lower case) → what its events get. */
  mapping?: Record<string, MappingEntry>;
  firing?: RegExp;
  resolved?: RegExp;
  /** Renders the event key; an empty result means no key. */
  key?: (vars: KeyVars) => string;
}

/**
 * Parses a raw RFC 5322 message. Refuses an empty message or one without a
 * header section; HTML-only mail gets its text from mailparser's HTML-to-text
 * conversion.
 */
export async function parseMail(raw: Buffer): Promise<Mail> {
  if (raw.toString('latin1').trim() === '') throw new MalformedMail('the message is empty');
  let parsed: ParsedMail;
  try {
    parsed = await simpleParser(raw, { maxHtmlLengthToParse: MAX_HTML_TO_TEXT, skipImageLinks: true, skipTextToHtml: true, checksumAlgo: false });
  } catch (err) {
    throw new MalformedMail(`the message could not be parsed: ${(err as Error).message}`);
  }
  if (parsed.headers.size === 0) {
    throw new MalformedMail('the message has no header section (expected header lines such as "Subject: …" and "From: …", then an empty line, then the body)');
  }
  let text = parsed.text?.trim() ? parsed.text : undefined;
  if (text === undefined && typeof parsed.html === 'string' && parsed.html.trim() !== '') text = await htmlToText(parsed.html);
  const dateHeader = parsed.headers.get('date');
  // mailparser substitutes "now" for a Date header it cannot parse; only a real date becomes occurred_at.
  const rawDate = parsed.headerLines.find((l) => l.key === 'date')?.line.replace(/^date:\s*/i, '');
  const date = dateHeader instanceof Date && rawDate && !Number.isNaN(Date.parse(rawDate)) ? dateHeader.toISOString() : undefined;
  return {
    subject: parsed.subject,
    text: text?.trim() || undefined,
    from: addresses(parsed.from),
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    messageId: parsed.messageId?.trim() || undefined,
    date,
    headers: keptHeaders(parsed.headers),
    attachments: parsed.attachments.map((a) => ({ ...(a.filename ? { filename: a.filename } : {}), content_type: a.contentType, size: a.size })),
  };
}

/**
 * mailparser converts HTML to text only for a text/html message or a
 * multipart/alternative without a text part; an HTML part elsewhere (e.g. in
 * multipart/mixed) stays HTML. Re-parsing it as a single text/html message
 * uses the same converter, so no second HTML library is needed.
 */
async function htmlToText(html: string): Promise<string | undefined> {
  const single = `Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from(html, 'utf8').toString('base64')}\r\n`;
  const parsed = await simpleParser(Buffer.from(single), { maxHtmlLengthToParse: MAX_HTML_TO_TEXT, skipImageLinks: true, skipTextToHtml: true });
  return parsed.text?.trim() || undefined;
}

function addresses(header: AddressObject | AddressObject[] | undefined): MailAddress[] {
  const out: MailAddress[] = [];
  const visit = (entries: { name: string; address?: string; group?: unknown[] }[]) => {
    for (const e of entries) {
      if (e.group) visit(e.group as typeof entries);
      else if (e.address) out.push({ ...(e.name ? { name: e.name } : {}), address: e.address });
    }
  };
  for (const h of header === undefined ? [] : Array.isArray(header) ? header : [header]) visit(h.value);
  return out;
}

function headerText(v: HeaderValue): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.toISOString();
  if (Array.isArray(v)) return undefined;
  if ('text' in v && typeof v.text === 'string') return v.text;
  if ('value' in v && typeof v.value === 'string') return v.value;
  return undefined;
}

function keptHeaders(headers: Map<string, HeaderValue>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  let n = 0;
  for (const [name, value] of headers) {
    if (n >= MAX_DATA_HEADERS) break;
    if (!name.startsWith('x-') && !KEPT_HEADERS.has(name)) continue;
    const cut = (s: string) => (s.length > MAX_HEADER_VALUE ? `${s.slice(0, MAX_HEADER_VALUE - 1)}…` : s);
    const kept = Array.isArray(value)
      ? (value as HeaderValue[]).flatMap((x) => {
          const t = headerText(x);
          return t === undefined ? [] : [cut(t)];
        })
      : headerText(value);
    if (kept === undefined || (Array.isArray(kept) && kept.length === 0)) continue;
    out[name] = typeof kept === 'string' ? cut(kept) : kept;
    n++;
  }
  return out;
}

/** firing when the subject matches `firing`, else resolved when it matches `resolved`, else info. */
export function subjectStatus(subject: string, firing: RegExp, resolved: RegExp): EventStatus {
  if (firing.test(subject)) return 'firing';
  if (resolved.test(subject)) return 'resolved';
  return 'info';
}

const DEFAULT_FIRING = new RegExp(DEFAULT_FIRING_SUBJECT, 'i');
const DEFAULT_RESOLVED = new RegExp(DEFAULT_RESOLVED_SUBJECT, 'i');

/**
 * One parsed mail for one accepted recipient → one event. The recipient's
 * local part picks the mapping entry (source, labels, severity); the subject
 * gives title and status. Pure.
 */
export function normalizeMail(mail: Mail, envelope: { mailFrom: string; recipient: string }, options: NormalizeOptions = {}): EventInput {
  const rcpt = parseRecipient(envelope.recipient);
  const entry = options.mapping?.[rcpt.local];
  const subject = (mail.subject ?? '').replace(/\s+/g, ' ').trim();
  const from = (mail.from[0]?.address ?? envelope.mailFrom).toLowerCase();
  const labels: Record<string, string> = { ...(from ? { from } : {}), to: rcpt.address, ...(rcpt.tag ? { tag: rcpt.tag } : {}), ...entry?.labels };
  const status = subjectStatus(subject, options.firing ?? DEFAULT_FIRING, options.resolved ?? DEFAULT_RESOLVED);
  const key = options.key?.({ subject, from, to: rcpt.address, local_part: rcpt.local, tag: rcpt.tag ?? '', domain: rcpt.domain }).trim();
  const data: Json = {
    from: mail.from as unknown as Json,
    to: mail.to as unknown as Json,
    cc: mail.cc as unknown as Json,
    subject: mail.subject ?? null,
    message_id: mail.messageId ?? null,
    date: mail.date ?? null,
    headers: mail.headers,
    attachments: mail.attachments as unknown as Json,
    envelope: { mail_from: envelope.mailFrom, rcpt_to: rcpt.address },
  };
  const event: EventInput = { title: subject || '(no subject)', type: 'email', status, labels, data };
  if (mail.text) event.text = mail.text;
  if (entry?.source) event.source = entry.source;
  if (entry?.severity) event.severity = entry.severity;
  if (key) event.key = key;
  if (mail.date) event.occurred_at = mail.date;
  return event;
}
