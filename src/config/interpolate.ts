import { type Document, isMap, isScalar, isSeq, type Node } from 'yaml';

export interface InterpolationIssue {
  path: string;
  message: string;
}

const VAR_RE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Expands `${VAR}` and `${VAR:-default}` inside string scalars only, after
 * parsing, so an environment value can never inject YAML structure. `$${`
 * is a literal `${`. A variable that is unset (and has no default) is an error.
 */
export function interpolate(doc: Document, env: NodeJS.ProcessEnv): InterpolationIssue[] {
  return interpolateNode(doc.contents as Node, '', env);
}

/** The same for one part of a document (e.g. only `plugins:`); `path` prefixes the issues' paths. */
export function interpolateNode(root: unknown, rootPath: string, env: NodeJS.ProcessEnv): InterpolationIssue[] {
  const issues: InterpolationIssue[] = [];
  const walk = (node: Node | null | undefined, path: string) => {
    if (!node) return;
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        walk(pair.value as Node, path ? `${path}.${key}` : key);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        walk(item as Node, `${path}[${i}]`);
      });
    } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('$')) {
      node.value = node.value.replace(VAR_RE, (whole, name: string | undefined, fallback: string | undefined) => {
        if (whole === '$${') return '${';
        const value = env[name as string];
        if (value !== undefined && value !== '') return value;
        if (fallback !== undefined) return fallback;
        issues.push({ path: path || '(root)', message: `environment variable ${name} is not set (use \${${name}:-default} for a default)` });
        return '';
      });
    }
  };
  walk(root as Node, rootPath);
  return issues;
}
