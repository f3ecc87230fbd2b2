import { AREAS, CATALOGUE, type CatalogueEntry } from './catalogue.js';
import { RETIRED_CODES } from './retired.js';

/** A table cell: one line, and a `|` would end the cell. */
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const row = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;

function table(area: string, entries: readonly CatalogueEntry[]): string[] {
  if (area === 'API' || area === 'STORE') {
    const rows = entries.map((e) => row([`\`${e.code}\``, e.http ? e.http.status.join(', ') : '', e.http ? `\`${e.http.error}\`` : '', e.meaning, e.action]));
    return ['| code | status | `error` | meaning | what to do |', '|---|---|---|---|---|', ...rows];
  }
  if (area === 'SOURCE') {
    const rows = entries.map((e) =>
      row([
        `\`${e.code}\``,
        e.rejection?.status === undefined ? '—' : String(e.rejection.status),
        e.rejection && e.rejection.slugs.length > 0 ? e.rejection.slugs.map((s) => `\`${s}\``).join(', ') : '(any other)',
        e.meaning,
        e.action,
      ]),
    );
    return ['| code | status | `error` / reason | meaning | what to do |', '|---|---|---|---|---|', ...rows];
  }
  return ['| code | meaning | what to do |', '|---|---|---|', ...entries.map((e) => row([`\`${e.code}\``, e.meaning, e.action]))];
}

/** docs/errors.md, generated from the catalogue (`npm run docs:errors`; a test keeps it fresh). */
export function renderErrorDocs(): string {
  const lines = [
    '# Error codes',
    '',
    '<!-- Generated from src/errors/catalogue.ts and the SDK’s SOURCE_REJECTIONS by `npm run docs:errors`; do not edit by hand. -->',
    '',
    'Every refusal Herald makes carries a stable code, `HERALD_ERR_<AREA>_<NAME>`: in API answers',
    '(`"code"` beside `"error"`), at the start of config and plugin error messages, in the CLI’s',
    '`herald: <code>: …` lines and in the log line of a refused source input. Search for the code here.',
    '',
    'A code is never renamed, reused or given another meaning. A code that is no longer used is',
    'listed under [Retired codes](#retired-codes) and never comes back.',
    '',
  ];
  for (const { area, title, intro } of AREAS) {
    lines.push(
      `## ${title}`,
      '',
      intro,
      '',
      ...table(
        area,
        CATALOGUE.filter((e) => e.area === area),
      ),
      '',
    );
  }
  lines.push('## Retired codes', '');
  if (RETIRED_CODES.length === 0) lines.push('None so far.');
  else lines.push('| code | retired in | why |', '|---|---|---|', ...RETIRED_CODES.map((r) => row([`\`${r.code}\``, r.retired, r.why])));
  return `${lines.join('\n')}\n`;
}
