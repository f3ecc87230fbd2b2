/**
 * Codes that were in the catalogue and are no longer used. They stay here for
 * good, so no new refusal is ever given a code that once meant something else
 * (a user's runbook or alert rule may still match on it). Add an entry when you
 * delete one from the catalogue; never remove one. Empty so far: no code has
 * been retired.
 */
export const RETIRED_CODES: readonly { code: string; retired: string; why: string }[] = [];
