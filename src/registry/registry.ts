import type { ReceiverDefinition, SourceDefinition } from '@herald/sdk';

export interface Registered<D> {
  definition: D;
  /** `built-in`, or the npm package it came from. */
  origin: string;
}

/** Definitions of one kind by type name. Built-ins and plugins register the same way. */
class TypeMap<D extends { type: string }> {
  private readonly byType = new Map<string, Registered<D>>();
  constructor(private readonly kind: string) {}

  register(definition: D, origin = 'built-in'): void {
    const existing = this.byType.get(definition.type);
    if (existing) throw new Error(`${this.kind} type "${definition.type}" from ${origin} is already registered by ${existing.origin}`);
    this.byType.set(definition.type, { definition, origin });
  }

  get(type: string): Registered<D> | undefined {
    return this.byType.get(type);
  }

  types(): string[] {
    return [...this.byType.keys()].sort();
  }

  all(): Registered<D>[] {
    return this.types().map((t) => this.byType.get(t) as Registered<D>);
  }
}

export type RegisteredReceiver = Registered<ReceiverDefinition>;
export type RegisteredSource = Registered<SourceDefinition>;

/**
 * Receiver types (the default methods, kept for their many callers) and
 * source types (`sources`), built-in and from plugins.
 */
export class Registry extends TypeMap<ReceiverDefinition> {
  readonly sources = new TypeMap<SourceDefinition>('source');
  constructor() {
    super('receiver');
  }
}
