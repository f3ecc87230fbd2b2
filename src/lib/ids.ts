import { monotonicFactory } from 'ulid';

/** Sortable ids: lexical order is creation order, even within one millisecond. */
export const newId: () => string = monotonicFactory();
