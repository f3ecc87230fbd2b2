const MASK = '***';

/**
 * Replaces every occurrence of the given secret values in text. Used on error
 * messages and response excerpts before they are logged or stored, because a
 * target may echo a token or a secret URL back.
 */
export function makeRedactor(secrets: Iterable<string | undefined>): (text: string) => string {
  const list = [...new Set([...secrets].filter((s): s is string => typeof s === 'string' && s.length >= 4))].sort((a, b) => b.length - a.length);
  if (list.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const s of list) if (out.includes(s)) out = out.split(s).join(MASK);
    return out;
  };
}
