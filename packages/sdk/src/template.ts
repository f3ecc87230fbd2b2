import type { HeraldEvent } from './event.js';

/**
 * How values printed by `{{ … }}` are escaped for the target's markup.
 * Template text itself is trusted (it comes from config); event data is not.
 */
export type Escape = 'none' | 'slack' | 'html' | 'markdown';

/** A person attached to a notification (on-call, users, teams). */
export interface Person {
  name: string;
  contacts: Record<string, string>;
}

/** What a template sees. */
export interface TemplateVars {
  event: HeraldEvent;
  receiver: string;
  people: Person[];
  /** Set once incidents exist (times seen, first/last seen, link). */
  incident?: Record<string, unknown>;
}

export interface CompiledTemplate {
  /** Renders; throws a DeliveryError (reason `config`) if the template fails or exceeds its limits. */
  render(vars: TemplateVars | Record<string, unknown>): string;
}

export interface TemplateEngine {
  /** Parses once, at receiver creation; throws with the template's name on a syntax error. */
  compile(source: string, options: { name: string; escape: Escape }): CompiledTemplate;
}

// Takes the notification's fields rather than the `Notification` type: receiver.ts imports this
// module, and a type import back would tie the two into an import cycle (scripts/check-cycles.mjs).
export function templateVars(n: TemplateVars): TemplateVars {
  return { event: n.event, receiver: n.receiver, people: n.people, ...(n.incident ? { incident: n.incident } : {}) };
}

/**
 * The default title of chat, mail and push receivers: `[FIRING] ` or
 * `[RESOLVED] ` before the event's title. Herald's own group and digest
 * notifications (`source: herald`, `type: group`) already carry their counts
 * in the title (`[FIRING:3, RESOLVED:1] service=api`), so they get no second
 * tag — `[FIRING] [FIRING:3] …` said the same thing twice.
 */
export const STATUS_TITLE_TEMPLATE =
  "{% unless event.source == 'herald' and event.type == 'group' %}{% if event.status == 'firing' %}[FIRING] {% elsif event.status == 'resolved' %}[RESOLVED] {% endif %}{% endunless %}{{ event.title }}";
