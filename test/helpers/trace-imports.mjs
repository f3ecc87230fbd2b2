// `node --import ./test/helpers/trace-imports.mjs …`: appends every module URL the program
// loads to the file named by HERALD_TRACE_IMPORTS (one per line), to check what a command pulls in.
import { register } from 'node:module';

const hook = `
import { appendFileSync } from 'node:fs';
const file = process.env.HERALD_TRACE_IMPORTS;
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (file) appendFileSync(file, r.url + '\\n');
  return r;
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);
