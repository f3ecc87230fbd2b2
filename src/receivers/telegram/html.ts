import { escapeHtml } from '@herald/sdk';

/**
 * Telegram's HTML parse mode (https://core.telegram.org/bots/api#html-style):
 * a fixed set of tags, and `<`, `>`, `&` escaped everywhere else. Message
 * length limits count the text *after* entities parsing, i.e. without tags and
 * with entities decoded.
 */

const TOKEN = /<\/?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?>|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);|[\s\S]/g;

/** Length of the text Telegram sees after parsing entities (UTF-16 code units, as Telegram counts). */
export function visibleLength(html: string): number {
  let n = 0;
  for (const m of html.matchAll(TOKEN)) {
    const t = m[0];
    if (t.startsWith('<') && t.length > 1) continue;
    n += t.startsWith('&') && t.length > 1 ? 1 : t.length;
  }
  return n;
}

/**
 * Cuts HTML to at most `max` visible characters, never inside a tag or an
 * entity, closes the tags left open and appends `marker` (plain text).
 */
export function truncateHtml(html: string, max: number, marker: string): string {
  if (visibleLength(html) <= max) return html;
  const budget = max - marker.length;
  const open: string[] = [];
  let out = '';
  let used = 0;
  for (const m of html.matchAll(TOKEN)) {
    const t = m[0];
    if (t.startsWith('<') && t.length > 1) {
      const name = /^<\/?([a-zA-Z][a-zA-Z0-9-]*)/.exec(t)?.[1]?.toLowerCase() ?? '';
      if (t.startsWith('</')) {
        const i = open.lastIndexOf(name);
        if (i >= 0) open.splice(i, 1);
      } else open.push(name);
      out += t;
      continue;
    }
    const width = t.startsWith('&') && t.length > 1 ? 1 : t.length;
    if (used + width > budget) break;
    // Do not split a surrogate pair (the tokenizer yields code units).
    const code = t.charCodeAt(0);
    if (t.length === 1 && code >= 0xd800 && code <= 0xdbff && used + 2 > budget) break;
    out += t;
    used += width;
  }
  // A dangling high surrogate would be invalid UTF-8 on the wire.
  if (/[\ud800-\udbff]$/.test(out)) out = out.slice(0, -1);
  // Close what the cut left open, innermost first.
  for (let i = open.length - 1; i >= 0; i--) out += `</${open[i]}>`;
  return `${out}${escapeHtml(marker)}`;
}
