import {
  type CompiledTemplate,
  type EventInput,
  type HttpClient,
  type Json,
  type JsonInputError,
  type Logger,
  parseUntrustedJson,
  type TemplateEngine,
} from '@herald/sdk';

export interface EnrichStepConfig {
  name: string;
  /** LiquidJS over `event`; an empty result skips the step for that event. */
  url: string;
  headers?: Record<string, string>;
  timeoutMs: number;
  cacheTtlMs: number;
}

export type EnrichOutcome = 'ok' | 'cached' | 'skipped' | 'failed';

interface Step {
  name: string;
  url: CompiledTemplate;
  headers: Record<string, string>;
  timeoutMs: number;
  cacheTtlMs: number;
}

const CACHE_LIMIT = 1000;
const BODY_LIMIT = 256 * 1024;

/**
 * Fetches related resources for events before they are stored and routed,
 * e.g. the service or container a stream event points at. A failure never
 * blocks or loses the event: it is stored without that data, with the reason
 * under `data.enrichment_errors`.
 */
export class Enricher {
  private readonly steps: Step[];
  private readonly cache = new Map<string, { expires: number; value: Json }>();
  /** Lookups in progress, so events of one batch pointing at one resource share a request. */
  private readonly inflight = new Map<string, Promise<Json>>();

  constructor(
    configs: EnrichStepConfig[],
    templates: TemplateEngine,
    private readonly o: { http: HttpClient; log: Logger; now: () => number; record: (step: string, outcome: EnrichOutcome) => void },
  ) {
    this.steps = configs.map((c) => ({
      name: c.name,
      url: templates.compile(c.url, { name: `enrich.${c.name}.url`, escape: 'none' }),
      headers: c.headers ?? {},
      timeoutMs: c.timeoutMs,
      cacheTtlMs: c.cacheTtlMs,
    }));
  }

  get empty(): boolean {
    return this.steps.length === 0;
  }

  async enrich(event: EventInput): Promise<EventInput> {
    if (this.steps.length === 0) return event;
    const enriched: Record<string, Json> = {};
    const errors: Record<string, string> = {};
    for (const step of this.steps) {
      try {
        const url = step.url.render({ event }).trim();
        if (url === '') {
          this.o.record(step.name, 'skipped');
          continue;
        }
        enriched[step.name] = await this.fetch(step, url);
      } catch (err) {
        errors[step.name] = (err as Error).message;
        this.o.record(step.name, 'failed');
        this.o.log.warn({ step: step.name, err: (err as Error).message }, 'enrichment failed; the event is stored without it');
      }
    }
    const base: Record<string, Json> =
      event.data && typeof event.data === 'object' && !Array.isArray(event.data)
        ? { ...(event.data as Record<string, Json>) }
        : event.data === undefined
          ? {}
          : { value: event.data };
    if (Object.keys(enriched).length > 0) base.enriched = enriched;
    if (Object.keys(errors).length > 0) base.enrichment_errors = errors;
    return { ...event, data: base };
  }

  private async fetch(step: Step, url: string): Promise<Json> {
    const cacheKey = `${step.name} ${url}`;
    const hit = this.cache.get(cacheKey);
    const now = this.o.now();
    const pending = this.inflight.get(cacheKey);
    if ((hit && hit.expires > now) || pending) {
      this.o.record(step.name, 'cached');
      return hit && hit.expires > now ? hit.value : (pending as Promise<Json>);
    }
    const request = this.request(step, url, cacheKey, now);
    this.inflight.set(cacheKey, request);
    try {
      return await request;
    } finally {
      this.inflight.delete(cacheKey);
    }
  }

  private async request(step: Step, url: string, cacheKey: string, now: number): Promise<Json> {
    const res = await this.o.http.request({ method: 'GET', url, headers: { accept: 'application/json', ...step.headers }, timeoutMs: step.timeoutMs });
    if (res.status < 200 || res.status > 299) throw new Error(`GET ${redactUrl(url)} answered HTTP ${res.status}`);
    if (res.truncated || res.body.length > BODY_LIMIT) throw new Error(`GET ${redactUrl(url)}: response larger than ${BODY_LIMIT} bytes`);
    let value: Json;
    try {
      value = parseUntrustedJson(res.body, `GET ${redactUrl(url)}: response`) as Json;
    } catch (err) {
      // A non-JSON answer is kept as text; one nested past JSON_MAX_DEPTH would break storing the event.
      if ((err as JsonInputError).kind === 'depth') throw err;
      value = res.body;
    }
    this.o.record(step.name, 'ok');
    if (step.cacheTtlMs > 0) {
      if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(cacheKey, { expires: now + step.cacheTtlMs, value });
    }
    return value;
  }
}

/** Query strings often carry tokens; errors show only scheme, host and path. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
