import { type Static, Type } from 'typebox';
import { EVENT_STATUSES, type EventInput, type EventStatus, type Json, SEVERITIES, type Severity } from './event.js';
import { SourceRejection } from './source.js';
import type { CompiledTemplate, TemplateEngine } from './template.js';

const T = (description: string) => Type.Optional(Type.String({ minLength: 1, description }));

/**
 * A declarative payload → event mapping: each field is a LiquidJS template
 * over `payload` (the parsed message), `item` (with `each`), `headers` and
 * `source`. Used by the generic webhook, stream and bus sources.
 */
export const EventMappingSchema = Type.Object(
  {
    each: T('dot path to a list in the payload; one event per element, seen as `item`'),
    filter: T('template; the message is skipped (acknowledged, not stored) when it renders empty or "false"'),
    title: Type.String({ minLength: 1, description: 'template for the title' }),
    text: T('template for the text'),
    status: T('template rendering firing, resolved or info'),
    severity: T('template rendering critical, error, warning or info'),
    key: T('template for the incident key'),
    type: T('template for the event type'),
    action: T('template for the action'),
    url: T('template for the main link'),
    labels: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'label name → template' })),
  },
  { additionalProperties: false },
);
export type EventMapping = Static<typeof EventMappingSchema>;

/** Reads `a.b.0.c` from a value; undefined when any step is missing. */
export function getPath(value: unknown, path: string): unknown {
  let cur: unknown = value;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Compiles a mapping once (at source creation); the result maps one parsed message to its events. */
export function compileMapping(
  mapping: EventMapping,
  templates: TemplateEngine,
  name = 'mapping',
): (vars: { payload: unknown; [k: string]: unknown }) => EventInput[] {
  const c = (field: string, src: string | undefined): CompiledTemplate | undefined =>
    src === undefined ? undefined : templates.compile(src, { name: `${name}.${field}`, escape: 'none' });
  const fields = {
    filter: c('filter', mapping.filter),
    title: c('title', mapping.title) as CompiledTemplate,
    text: c('text', mapping.text),
    status: c('status', mapping.status),
    severity: c('severity', mapping.severity),
    key: c('key', mapping.key),
    type: c('type', mapping.type),
    action: c('action', mapping.action),
    url: c('url', mapping.url),
  };
  const labels = Object.entries(mapping.labels ?? {}).map(([k, v]) => [k, c(`labels.${k}`, v) as CompiledTemplate] as const);
  const render = (t: CompiledTemplate | undefined, vars: object) => (t ? t.render(vars as never).trim() : undefined);
  const one = (vars: object, data: unknown): EventInput | undefined => {
    const filter = render(fields.filter, vars);
    if (filter !== undefined && (filter === '' || filter.toLowerCase() === 'false')) return undefined;
    const status = render(fields.status, vars)?.toLowerCase();
    if (status !== undefined && status !== '' && !EVENT_STATUSES.includes(status as EventStatus)) {
      throw new SourceRejection(422, 'invalid_event', `${name}.status rendered ${JSON.stringify(status)}; expected firing, resolved or info`);
    }
    const severity = render(fields.severity, vars)?.toLowerCase();
    if (severity !== undefined && severity !== '' && !SEVERITIES.includes(severity as Severity)) {
      throw new SourceRejection(422, 'invalid_event', `${name}.severity rendered ${JSON.stringify(severity)}; expected ${SEVERITIES.join(', ')}`);
    }
    const event: EventInput = { title: render(fields.title, vars) || '(no title)', data: data as Json };
    const set = <K extends 'text' | 'key' | 'type' | 'action' | 'url'>(k: K) => {
      const v = render(fields[k], vars);
      if (v) event[k] = v;
    };
    for (const k of ['text', 'key', 'type', 'action', 'url'] as const) set(k);
    if (status) event.status = status as EventStatus;
    if (severity) event.severity = severity as Severity;
    if (labels.length > 0) {
      event.labels = {};
      for (const [k, t] of labels) {
        const v = render(t, vars);
        if (v) event.labels[k] = v;
      }
    }
    return event;
  };
  return (vars) => {
    if (!mapping.each) return [one(vars, vars.payload)].filter((e): e is EventInput => e !== undefined);
    const list = getPath(vars.payload, mapping.each);
    if (!Array.isArray(list)) throw new SourceRejection(400, 'invalid_payload', `${name}.each: the payload has no list at "${mapping.each}"`);
    return list.map((item) => one({ ...vars, item }, item)).filter((e): e is EventInput => e !== undefined);
  };
}
