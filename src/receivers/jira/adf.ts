/**
 * Plain text as an Atlassian Document Format document, which Jira Cloud's v3
 * API requires for descriptions and comments
 * (https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/).
 * Text stays text: ADF has no markup to inject, so event strings need no escaping.
 * Blank lines separate paragraphs; single line breaks become hard breaks;
 * http(s) URLs become links.
 */
export interface AdfDoc {
  type: 'doc';
  version: 1;
  content: AdfNode[];
}

type AdfInline = { type: 'text'; text: string; marks?: { type: 'link'; attrs: { href: string } }[] } | { type: 'hardBreak' };
interface AdfNode {
  type: 'paragraph';
  content: AdfInline[];
}

const URL_RE = /\bhttps?:\/\/[^\s<>"]+/g;

function inline(line: string): AdfInline[] {
  const out: AdfInline[] = [];
  let last = 0;
  for (const m of line.matchAll(URL_RE)) {
    const at = m.index ?? 0;
    if (at > last) out.push({ type: 'text', text: line.slice(last, at) });
    out.push({ type: 'text', text: m[0], marks: [{ type: 'link', attrs: { href: m[0] } }] });
    last = at + m[0].length;
  }
  if (last < line.length) out.push({ type: 'text', text: line.slice(last) });
  return out;
}

export function adfDocument(text: string): AdfDoc {
  const paragraphs = text
    .replace(/\r\n?/g, '\n')
    .split(/\n{2,}/)
    .map((p) => p.trim())
    .filter(Boolean);
  const content: AdfNode[] = paragraphs.map((p) => {
    const parts: AdfInline[] = [];
    p.split('\n').forEach((line, i) => {
      if (i > 0) parts.push({ type: 'hardBreak' });
      parts.push(...inline(line));
    });
    // A text node may not be empty; a paragraph may be.
    return { type: 'paragraph', content: parts.filter((n) => n.type !== 'text' || n.text.length > 0) };
  });
  return { type: 'doc', version: 1, content };
}
