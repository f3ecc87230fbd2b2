// Fails when project modules import each other in a circle. The graph comes from the TypeScript
// compiler (the project of tsconfig.json, resolved with its own module resolution and conditions),
// so `@herald/sdk` leads to packages/sdk/src and `import type`, `export … from` and `import()` all count:
// a type-only cycle still ties two modules into one unit nobody can change or test alone.
//
//   node scripts/check-cycles.mjs [--project path/to/tsconfig.json]
//
// Exits 0 with a one-line summary, or prints every cycle as a chain of files and exits 1.
import { dirname, relative, resolve } from 'node:path';
import { API } from 'typescript/unstable/sync';

const args = process.argv.slice(2);
const at = args.indexOf('--project');
const project = resolve(at >= 0 && args[at + 1] ? args[at + 1] : 'tsconfig.json');
const root = dirname(project);
const show = (file) => relative(root, file);

/** Files of the project itself: not dependencies, not declaration files. */
const isOwn = (file) => !file.includes('/node_modules/') && !file.endsWith('.d.ts') && file.startsWith(`${root}/`);

function buildGraph() {
  const api = new API({ cwd: root });
  try {
    const snapshot = api.updateSnapshot({ openProjects: [project] });
    const p = snapshot.getProject(project) ?? snapshot.getProjects()[0];
    if (!p) throw new Error(`no TypeScript project at ${project}`);
    const files = p.program.getSourceFileNames().filter(isOwn);
    const graph = new Map(files.map((f) => [f, new Set()]));
    for (const file of files) {
      const sf = p.program.getSourceFile(file);
      // `imports` is every module specifier of the file: import/export declarations (type-only too),
      // import() expressions and import("…") types.
      const specifiers = sf?.imports ?? [];
      if (specifiers.length === 0) continue;
      // The module symbol of a specifier is declared by the file it resolves to.
      const symbols = p.checker.getSymbolAtLocation([...specifiers]);
      for (const symbol of symbols) {
        for (const d of symbol?.declarations ?? []) {
          if (d.path && graph.has(d.path) && d.path !== file) graph.get(file).add(d.path);
          else if (d.path === file) graph.get(file).add(file);
        }
      }
    }
    return graph;
  } finally {
    api.close();
  }
}

/** Tarjan's strongly connected components, iterative (no recursion limit on long import chains). */
function stronglyConnected(graph) {
  let next = 0;
  const index = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const out = [];
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work = [{ node: start, edges: [...graph.get(start)], i: 0 }];
    index.set(start, next);
    low.set(start, next++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const top = work[work.length - 1];
      if (top.i < top.edges.length) {
        const to = top.edges[top.i++];
        if (!index.has(to)) {
          index.set(to, next);
          low.set(to, next++);
          stack.push(to);
          onStack.add(to);
          work.push({ node: to, edges: [...graph.get(to)], i: 0 });
        } else if (onStack.has(to)) {
          low.set(top.node, Math.min(low.get(top.node), index.get(to)));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node), low.get(top.node)));
      if (low.get(top.node) === index.get(top.node)) {
        const component = [];
        let n;
        do {
          n = stack.pop();
          onStack.delete(n);
          component.push(n);
        } while (n !== top.node);
        if (component.length > 1 || graph.get(top.node).has(top.node)) out.push(component.sort());
      }
    }
  }
  return out;
}

/** A shortest way round from `start` back to itself inside one component, for the message. */
function chain(graph, component, start) {
  const inside = new Set(component);
  const from = new Map([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const n = queue.shift();
    for (const to of graph.get(n)) {
      if (!inside.has(to)) continue;
      if (to === start) {
        const path = [start];
        for (let at = n; at !== start; at = from.get(at)) path.splice(1, 0, at);
        return [...path, start];
      }
      if (!from.has(to)) {
        from.set(to, n);
        queue.push(to);
      }
    }
  }
  return [start, start];
}

const graph = buildGraph();
const cycles = stronglyConnected(graph);
const edges = [...graph.values()].reduce((n, s) => n + s.size, 0);
if (cycles.length === 0) {
  console.log(`check-cycles: no import cycles among ${graph.size} modules (${edges} imports)`);
  process.exit(0);
}
console.error(`check-cycles: ${cycles.length} import cycle${cycles.length === 1 ? '' : 's'} among ${graph.size} modules:`);
for (const component of cycles) {
  console.error(`\n  ${chain(graph, component, component[0]).map(show).join('\n    → ')}`);
  if (component.length > 2) console.error(`  (${component.length} modules in this knot: ${component.map(show).join(', ')})`);
}
console.error('\nBreak each cycle: move what both sides need into a module both import, or pass it in.');
process.exit(1);
