import { DeliveryError, type Escape, type TemplateEngine, type TemplateVars } from '@herald/sdk';
import { Liquid } from 'liquidjs';
import { ESCAPERS } from './escape.js';

/** Limits per render: config authors are trusted, but a template must not hang a worker. */
const LIMITS = { parseLimit: 100_000, renderLimit: 200, memoryLimit: 10_000_000 };

function engine(mode: Escape): Liquid {
  const esc = ESCAPERS[mode];
  return new Liquid({
    ...LIMITS,
    ownPropertyOnly: true,
    strictFilters: true,
    strictVariables: false,
    cache: false,
    // Every {{ output }} is escaped for the target; `| raw` opts out for trusted values only.
    outputEscape: mode === 'none' ? undefined : (value: unknown) => esc(value == null ? '' : String(value)),
  });
}

/**
 * LiquidJS: no code execution from config, no prototype access, bounded
 * parse and render work. One engine per escape mode.
 */
export function createTemplateEngine(): TemplateEngine {
  const engines = new Map<Escape, Liquid>();
  const get = (mode: Escape) => {
    let e = engines.get(mode);
    if (!e) {
      e = engine(mode);
      engines.set(mode, e);
    }
    return e;
  };
  return {
    compile(source, { name, escape: mode }) {
      const liquid = get(mode);
      let parsed: ReturnType<Liquid['parse']>;
      try {
        parsed = liquid.parse(source);
      } catch (err) {
        throw new Error(`template ${name}: ${(err as Error).message}`);
      }
      return {
        render(vars: TemplateVars | Record<string, unknown>): string {
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
