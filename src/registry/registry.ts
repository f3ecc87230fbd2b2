import type { ReceiverDefinition } from '@herald/sdk';

export interface RegisteredReceiver {
  definition: ReceiverDefinition;
  /** `built-in`, or the npm package it came from. */
  origin: string;
}

/** Receiver types by name. Built-ins and plugins register the same way. */
export class ReceiverRegistry {
  private readonly byType = new Map<string, RegisteredReceiver>();

  register(definition: ReceiverDefinition, origin = 'built-in'): void {
    const existing = this.byType.get(definition.type);
    if (existing) {
      throw new Error(`receiver type "${definition.type}" from ${origin} is already registered by ${existing.origin}`);
    }
    this.byType.set(definition.type, { definition, origin });
  }

  get(type: string): RegisteredReceiver | undefined {
    return this.byType.get(type);
  }

  types(): string[] {
    return [...this.byType.keys()].sort();
  }

  all(): RegisteredReceiver[] {
    return this.types().map((t) => this.byType.get(t) as RegisteredReceiver);
  }
}
