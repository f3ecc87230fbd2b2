/**
 * Escapers for untrusted event text, one per target syntax. Receivers and the
 * template engine's `escape` modes share these, so a fix to what a target
 * treats as markup lands everywhere that target is written.
 */

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * HTML (and XML) text and attribute values: `& < > " '` all escaped, so one
 * function is safe inside an element and inside a quoted attribute of either
 * quote style. `'` is `&#39;`, not `&apos;`: HTML 4 and some chat clients'
 * HTML subsets (Telegram, Matrix) only promise numeric entities for it; XML
 * (TwiML) accepts numeric references as well.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c] as string);
}

/** Slack mrkdwn control characters (https://api.slack.com/reference/surfaces/formatting#escaping): only `&`, `<`, `>`. */
export function escapeSlack(text: string): string {
  return text.replace(/[&<>]/g, (c) => HTML_ENTITIES[c] as string);
}

/** A zero-width space: invisible, but it breaks a token a parser would otherwise read. */
const ZWSP = '\u200b';

/** `@everyone`, `@here` and `@channel` get a zero-width space after the `@`, so they display as written but ping nobody. */
export function defuseMassMentions(text: string): string {
  return text.replace(/@(everyone|here|channel)\b/gi, `@${ZWSP}$1`);
}

/**
 * Every @mention gets a zero-width space after the `@` (`@channel`, `@all`,
 * `@someone`), for targets where any name can ping. An `@` inside a word (an
 * e-mail address) is left alone, as such parsers do not read it as a mention.
 */
export function defuseMentions(text: string): string {
  return text.replace(/(^|[^\p{L}\p{N}_])@(?=[\p{L}\p{N}_.-])/gu, `$1@${ZWSP}`);
}

/**
 * CommonMark: every ASCII punctuation mark that can start or close inline or
 * block syntax (emphasis, code, links, headings, lists, quotes, tables,
 * strikethrough, autolinks) is backslash-escaped, and mass mentions defused, so
 * event text cannot add links, formatting or `@everyone` pings.
 */
export function escapeMarkdown(text: string): string {
  return defuseMassMentions(text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, '\\$&'));
}

/**
 * Discord: CommonMark's escapes plus `:` (custom emoji `<:name:id>` and
 * timestamps `<t:…>`); Discord's mass mentions are `@everyone` and `@here`.
 */
export function escapeDiscord(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~:]/g, '\\$&').replace(/@(everyone|here)\b/gi, `@${ZWSP}$1`);
}

/**
 * Mattermost: CommonMark's escapes plus `:` (emoji), and every @mention
 * defused, since any `@name` (and `@all`) notifies.
 */
export function escapeMattermost(text: string): string {
  return defuseMentions(text.replace(/[\\`*_{}[\]()#+\-.!|<>~:]/g, '\\$&'));
}

/**
 * Zulip Markdown: backslash escapes for the characters Python-Markdown
 * escapes (a smaller set than CommonMark's: no `|`, `<`, `~`), so event text
 * cannot add links, formatting, or the `@**all**` / `@**Name**` /
 * `#**channel**` mention syntax (which needs `**`); a zero-width space after
 * `@` keeps a mention from forming even where a client's parser differs.
 */
export function escapeZulip(text: string): string {
  return text.replace(/@(?=[*_])/g, `@${ZWSP}`).replace(/[\\`*_{}[\]()>#+\-.!]/g, '\\$&');
}

/**
 * A deep copy of `value` with `fn` applied to every string in it (arrays and
 * plain objects walked, keys kept): how a receiver escapes or defuses all the
 * event text a user template may print.
 */
export function mapStrings<T>(value: T, fn: (s: string) => string): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return fn(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}
