// Every built-in HTTP receiver runs the SDK's conformance kit, as plugins do.
import { receiverConformance } from '@herald/sdk/testing';
import { createTemplateEngine } from '../templates/liquid-engine.js';
import datadog from './datadog/index.js';
import pagerduty from './pagerduty/index.js';
import slack from './slack/index.js';
import webhook from './webhook/index.js';

const templates = createTemplateEngine();

receiverConformance(webhook, {
  templates,
  config: (base) => ({
    url: `${base}/hook/tok-secret-1234`,
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    headers: { authorization: 'Bearer hdr-secret-999' },
  }),
  secrets: ['tok-secret-1234', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'hdr-secret-999'],
  invalidConfigs: [{}, { url: 'ftp://x' }, { url: 'https://x.test', secret: 'plain' }, { url: 'https://x.test', retries: 3 }],
});

receiverConformance(slack, {
  templates,
  config: (base) => ({ url: `${base}/services/T000/B000/slack-secret-path`, max_per_second: 100 }),
  secrets: ['slack-secret-path'],
  invalidConfigs: [
    {},
    { token: 'xoxb-1' },
    { url: 'https://hooks.slack.com/x', token: 'xoxb-1', channel: 'C' },
    { url: 'https://hooks.slack.com/x', max_per_second: 0 },
  ],
});

receiverConformance(pagerduty, {
  templates,
  okBody: '{"status":"success","message":"Event processed","dedup_key":"disk:db-1"}',
  config: (base) => ({ routing_key: 'R0ut1ngK3yR0ut1ngK3yR0ut1ngK3y12', url: `${base}/v2/enqueue` }),
  secrets: ['R0ut1ngK3yR0ut1ngK3yR0ut1ngK3y12'],
  invalidConfigs: [{}, { routing_key: 'short' }, { routing_key: 'R0ut1ngK3yR0ut1ngK3yR0ut1ngK3y12', region: 'mars' }],
});

receiverConformance(datadog, {
  templates,
  okBody: '{"status":"ok"}',
  config: (base) => ({ api_key: 'dd-secret-key-0123456789', url: base }),
  secrets: ['dd-secret-key-0123456789'],
  invalidConfigs: [{}, { api_key: '' }, { api_key: 'k', site: 'MOON' }, { api_key: 'k', priority: 'urgent' }],
});
