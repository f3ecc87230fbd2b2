import type { ReceiverDefinition } from '@herald/sdk';

/** The ntfy-example receiver definition (see index.js). */
declare const ntfy: ReceiverDefinition;
export default ntfy;
