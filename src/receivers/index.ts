import type { ReceiverDefinition } from '@herald/sdk';
import datadog from './datadog/index.js';
import discord from './discord/index.js';
import email from './email/index.js';
import googlechat from './googlechat/index.js';
import gotify from './gotify/index.js';
import log from './log/index.js';
import matrix from './matrix/index.js';
import mattermost from './mattermost/index.js';
import msteams from './msteams/index.js';
import ntfy from './ntfy/index.js';
import opsgenie from './opsgenie/index.js';
import pagerduty from './pagerduty/index.js';
import pushover from './pushover/index.js';
import rocketchat from './rocketchat/index.js';
import slack from './slack/index.js';
import tcp from './tcp/index.js';
import telegram from './telegram/index.js';
import webex from './webex/index.js';
import webhook from './webhook/index.js';
import zulip from './zulip/index.js';

/** Built-in receivers. Adding one: a folder beside this file and one line here. */
export const builtinReceivers: readonly ReceiverDefinition[] = [
  datadog,
  discord,
  email,
  googlechat,
  gotify,
  log,
  matrix,
  mattermost,
  msteams,
  ntfy,
  opsgenie,
  pagerduty,
  pushover,
  rocketchat,
  slack,
  tcp,
  telegram,
  webex,
  webhook,
  zulip,
] as ReceiverDefinition[];
