import type { SourceDefinition } from '@herald/sdk';
import alertmanager from './alertmanager/index.js';
import amqp from './amqp/index.js';
import bitbucket from './bitbucket/index.js';
import checks from './checks/index.js';
import datadog from './datadog/index.js';
import generic from './generic/index.js';
import github from './github/index.js';
import gitlab from './gitlab/index.js';
import grafana from './grafana/index.js';
import mqtt from './mqtt/index.js';
import nats from './nats/index.js';
import sentry from './sentry/index.js';
import smtp from './smtp/index.js';
import websocket from './websocket/index.js';

/** Built-in sources. Adding one: a folder beside this file and one line here. */
export const builtinSources: readonly SourceDefinition[] = [
  alertmanager,
  amqp,
  bitbucket,
  ...checks,
  datadog,
  generic,
  github,
  gitlab,
  grafana,
  mqtt,
  nats,
  sentry,
  smtp,
  websocket,
] as SourceDefinition[];
