import { DeliveryError, type Escape, type TemplateEngine, type TemplateVars } from '@herald/sdk';
import { Liquid } from 'liquidjs';
import { ESCAPERS } from './escape.js';

/** Limits per render: config authors are trusted, but a template must not hang a worker. */
const LIMITS = { parseLimit: 100_000, renderLimit: 200, memoryLimit: 10_000_000 };

function engine(escape: Escape): Liquid {
  const esc = ESCAPERS[escape];
  return new Liquid({
    ...LIMITS,
    ownPropertyOnly: true,
    strictFilters: true,
    strictVariables: false,
    cache: false,
    // Every {{ output }} is escaped for the target; `| raw` opts out for trusted values only.
    outputEscape: escape === 'none' ? undefined : (value: unknown) => esc(value == null ? '' : String(value)),
  });
}

/**
 * LiquidJS: no code execution from config, no prototype access, bounded
 * parse and render work. One engine per escape mode.
 */
export function createTemplateEngine(): TemplateEngine {
  const engines = new Map<Escape, Liquid>();
  const get = (escape: Escape) => {
    let e = engines.get(escape);
    if (!e) {
      e = engine(escape);
      engines.set(escape, e);
    }
    return e;
  };
  return {
    compile(source, { name, escape }) {
      const liquid = get(escape);
      let parsed: ReturnType<Liquid['parse']>;
      try {
        parsed = liquid.parse(source);
      } catch (err) {
        throw new Error(`template ${name}: ${(err as Error).message}`);
      }
      return {
        render(vars: TemplateVars): string {
          try {
            return liquid.renderSync(parsed, vars as unknown as Record<string, unknown>) as string;
          } catch (err) {
            throw new DeliveryError(`template ${name} failed: ${(err as Error).message}`, { reason: 'config', retryable: false });
          }
        },
      };
    },
  };
}
