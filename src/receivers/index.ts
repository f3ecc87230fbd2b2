import type { ReceiverDefinition } from '@herald/sdk';
import datadog from './datadog/index.js';
import discord from './discord/index.js';
import email from './email/index.js';
import githubIssues from './github-issues/index.js';
import googlechat from './googlechat/index.js';
import gotify from './gotify/index.js';
import incidentio from './incidentio/index.js';
import jira from './jira/index.js';
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
import sns from './sns/index.js';
import tcp from './tcp/index.js';
import telegram from './telegram/index.js';
import twilio from './twilio/index.js';
import victorops from './victorops/index.js';
import webex from './webex/index.js';
import webhook from './webhook/index.js';
import zulip from './zulip/index.js';

/** Built-in receivers. Adding one: a folder beside this file and one line here. */
export const builtinReceivers: readonly ReceiverDefinition[] = [
  datadog,
  discord,
  email,
  githubIssues,
  googlechat,
  gotify,
  incidentio,
  jira,
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
  sns,
  tcp,
  telegram,
  twilio,
  victorops,
  webex,
  webhook,
  zulip,
] as ReceiverDefinition[];
