import type { Logger } from '@herald/sdk';
import { pino } from 'pino';

export interface LoggerOptions {
  level: string;
  format: 'auto' | 'json' | 'pretty';
  /** Secret values to mask wherever they appear in a log line. */
  secrets?: () => readonly string[];
  destination?: NodeJS.WritableStream;
}

/** Keys whose values are never logged, whatever their path. */
const REDACT_PATHS = [
  'token',
  'secret',
  'password',
  'authorization',
  '*.token',
  '*.secret',
  '*.password',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  '*.headers.authorization',
];

function errorFields(_key: string, value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const { code, cause } = value as Error & { code?: unknown };
  return { type: value.name, message: value.message, ...(code !== undefined ? { code } : {}), stack: value.stack, ...(cause !== undefined ? { cause } : {}) };
}

/**
 * Structured logs via pino: JSON by default, pretty when stdout is a
 * terminal. Known secret keys are redacted, and configured secret values
 * are masked inside any message string too.
 */
export function createLogger(o: LoggerOptions): Logger & pino.Logger {
  const pretty = o.format === 'pretty' || (o.format === 'auto' && process.stdout.isTTY && !o.destination);
  const mask = (s: string) => {
    let out = s;
    for (const secret of o.secrets?.() ?? []) if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join('***');
    return out;
  };
  const options: pino.LoggerOptions = {
    level: o.level,
    redact: { paths: REDACT_PATHS, censor: '***' },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? mask(a) : a)) as Parameters<typeof method>);
      },
    },
    formatters: {
      log(obj) {
        // Errors' message and stack are not enumerable: JSON.stringify alone would log `{}` or just
        // the code ("SQLITE_ERROR"), hiding the cause ("database or disk is full") from operators.
        return o.secrets ? (JSON.parse(mask(JSON.stringify(obj, errorFields))) as Record<string, unknown>) : obj;
      },
    },
  };
  if (pretty)
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } });
  return o.destination ? pino(options, o.destination as pino.DestinationStream) : pino(options);
}
