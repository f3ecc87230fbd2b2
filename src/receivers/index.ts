import type { ReceiverDefinition } from '@herald/sdk';
import datadog from './datadog/index.js';
import email from './email/index.js';
import log from './log/index.js';
import pagerduty from './pagerduty/index.js';
import slack from './slack/index.js';
import tcp from './tcp/index.js';
import webhook from './webhook/index.js';

/** Built-in receivers. Adding one: a folder beside this file and one line here. */
export const builtinReceivers: readonly ReceiverDefinition[] = [datadog, email, log, pagerduty, slack, tcp, webhook] as ReceiverDefinition[];
