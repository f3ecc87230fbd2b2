// Every built-in HTTP receiver runs the SDK's conformance kit, as plugins do.
import { receiverConformance } from '@herald/sdk/testing';
import { filledConfig } from '../../test/helpers/receiver-config.js';
import { createTemplateEngine } from '../templates/liquid-engine.js';
import datadog from './datadog/index.js';
import discord from './discord/index.js';
import incidentio from './incidentio/index.js';
import mattermost from './mattermost/index.js';
import msteams from './msteams/index.js';
import opsgenie from './opsgenie/index.js';
import pagerduty from './pagerduty/index.js';
import pushover from './pushover/index.js';
import slack from './slack/index.js';
import sns from './sns/index.js';
import telegram from './telegram/index.js';
import twilio from './twilio/index.js';
import victorops from './victorops/index.js';
import webhook from './webhook/index.js';

const templates = createTemplateEngine();

receiverConformance(webhook, {
  templates,
  config: (base) =>
    filledConfig(webhook, {
      url: `${base}/hook/tok-secret-1234`,
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      headers: { authorization: 'Bearer hdr-secret-999' },
    }),
  secrets: ['tok-secret-1234', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'hdr-secret-999'],
  invalidConfigs: [{}, { url: 'ftp://x' }, { url: 'https://x.test', secret: 'plain' }, { url: 'https://x.test', retries: 3 }],
});

receiverConformance(slack, {
  templates,
  config: (base) => filledConfig(slack, { url: `${base}/services/T000/B000/slack-secret-path`, max_per_second: 100 }),
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
  config: (base) => filledConfig(pagerduty, { routing_key: 'R0ut1ngK3yR0ut1ngK3yR0ut1ngK3y12', url: `${base}/v2/enqueue` }),
  secrets: ['R0ut1ngK3yR0ut1ngK3yR0ut1ngK3y12'],
  invalidConfigs: [{}, { routing_key: 'short' }, { routing_key: 'R0ut1ngK3yR0ut1ngK3yR0ut1ngK3y12', region: 'mars' }],
});

receiverConformance(datadog, {
  templates,
  okBody: '{"status":"ok"}',
  config: (base) => filledConfig(datadog, { api_key: 'dd-secret-key-0123456789', url: base }),
  secrets: ['dd-secret-key-0123456789'],
  invalidConfigs: [{}, { api_key: '' }, { api_key: 'k', site: 'MOON' }, { api_key: 'k', priority: 'urgent' }],
});

receiverConformance(discord, {
  templates,
  okBody: '{"id":"1180000000000100001","type":0,"channel_id":"1180000000000000002","content":"","embeds":[]}',
  config: (base) => filledConfig(discord, { url: `${base}/api/webhooks/1180000000000000001/discord-secret-token-0123456789`, max_per_second: 50 }),
  secrets: ['discord-secret-token-0123456789'],
  invalidConfigs: [
    {},
    { url: 'ftp://discord.com/api/webhooks/1/t' },
    { url: 'https://discord.com/api/webhooks/1/t', username: 'Discord alerts' },
    { url: 'https://discord.com/api/webhooks/1/t', username: 'x'.repeat(81) },
    { url: 'https://discord.com/api/webhooks/1/t', thread_id: 'general' },
    { url: 'https://discord.com/api/webhooks/1/t', max_per_second: 0 },
  ],
});

receiverConformance(opsgenie, {
  templates,
  okBody: '{"result":"Request will be processed","took":0.302,"requestId":"43a29c5c-3dbf-4fa4-9c26-f4f71023e120"}',
  config: (base) => filledConfig(opsgenie, { api_key: 'og-secret-key-eb243592-faa2', url: base }),
  secrets: ['og-secret-key-eb243592-faa2'],
  invalidConfigs: [
    {},
    { api_key: '' },
    { api_key: 'k', region: 'mars' },
    { api_key: 'k', responders: [{ type: 'team' }] },
    { api_key: 'k', responders: [{ type: 'user', name: 'x' }] },
    { api_key: 'k', tags: Array.from({ length: 21 }, (_, i) => `t${i}`) },
  ],
});

receiverConformance(telegram, {
  templates,
  okBody: '{"ok":true,"result":{"message_id":101,"date":1767225600,"chat":{"id":42,"type":"private"},"text":"x"}}',
  config: (base) => filledConfig(telegram, { token: '123456789:conformance-secret-token-AAHdqTcvCH1vG', chat_id: 42, api_url: base, max_per_second: 30 }),
  secrets: ['123456789:conformance-secret-token-AAHdqTcvCH1vG', 'conformance-secret-token-AAHdqTcvCH1vG'],
  invalidConfigs: [
    {},
    { token: '123456789:conformance-secret-token-AAHdqTcvCH1vG' },
    { token: 'not-a-token', chat_id: 42 },
    { token: '123456789:conformance-secret-token-AAHdqTcvCH1vG', chat_id: 'general' },
    { token: '123456789:conformance-secret-token-AAHdqTcvCH1vG', chat_id: 42, max_per_second: 0 },
  ],
});

receiverConformance(msteams, {
  templates,
  okBody: '',
  config: (base) =>
    filledConfig(msteams, {
      url: `${base}/workflows/5c3b0b9e8a2f4d6c/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=teams-secret-sig-0123456789`,
      max_per_second: 10,
    }),
  secrets: ['teams-secret-sig-0123456789'],
  invalidConfigs: [{}, { url: 'ftp://x.example/w' }, { url: 'https://x.example/w', max_per_second: 0 }, { url: 'https://x.example/w', color: 'red' }],
});

receiverConformance(pushover, {
  templates,
  okBody: '{"status":1,"request":"647d2300-702c-4b38-8b2f-d56326ae460b"}',
  config: (base) => filledConfig(pushover, { token: 'aConformanceSecretAppToken0001', user: 'uConformanceSecretUserKey00002', url: base, max_per_second: 10 }),
  secrets: ['aConformanceSecretAppToken0001', 'uConformanceSecretUserKey00002'],
  invalidConfigs: [
    {},
    { token: 'a' },
    { token: 'a', user: 'u', priorities: { critical: 3 } },
    { token: 'a', user: 'u', retry: 10 },
    { token: 'a', user: 'u', expire: 20000 },
    { token: 'a', user: 'u', retry: 600, expire: 300 },
    { token: 'a', user: 'u', device: 'a,b c' },
  ],
});

receiverConformance(mattermost, {
  templates,
  config: (base) => filledConfig(mattermost, { url: `${base}/hooks/mmsecretkey0123456789abcd`, max_per_second: 100 }),
  secrets: ['mmsecretkey0123456789abcd'],
  invalidConfigs: [
    {},
    { url: 'ftp://mm.example/hooks/k' },
    { url: 'https://mm.example/hooks/k', icon_emoji: ':fire:' },
    { url: 'https://mm.example/hooks/k', channel: '' },
    { url: 'https://mm.example/hooks/k', max_per_second: 0 },
  ],
});

// Mattermost's REST API mode (bot token): the token must stay out of errors and logs too.
receiverConformance(mattermost, {
  templates,
  config: (base) =>
    filledConfig(mattermost, { token: 'mmbottokensecret0123456789', api_url: base, channel_id: 'q1w2e3r4t5y6u7i8o9p0a1s2d3', max_per_second: 100 }),
  secrets: ['mmbottokensecret0123456789'],
  okBody: JSON.stringify({ id: 'p0000000000000000000000001' }),
  invalidConfigs: [
    { token: 't' },
    { token: 't', api_url: 'https://mm.example' },
    { token: 't', api_url: 'https://mm.example', channel_id: 'short' },
    { token: 't', url: 'https://mm.example/hooks/k', api_url: 'https://mm.example', channel_id: 'q1w2e3r4t5y6u7i8o9p0a1s2d3' },
  ],
});

receiverConformance(twilio, {
  templates,
  okBody: '{"sid":"SM00000000000000000000000000000001","status":"queued","to":"+14155550100","from":"+15017122661","body":"x"}',
  config: (base) =>
    filledConfig(twilio, {
      account_sid: 'AC0123456789abcdef0123456789abcdef',
      auth_token: 'twilio-secret-auth-token-000001',
      from: '+15017122661',
      to: ['+14155550100'],
      api_url: base,
      max_per_second: 100,
    }),
  secrets: ['twilio-secret-auth-token-000001', Buffer.from('AC0123456789abcdef0123456789abcdef:twilio-secret-auth-token-000001').toString('base64')],
  invalidConfigs: [
    {},
    { account_sid: 'AC0123456789abcdef0123456789abcdef', from: '+15017122661' },
    { account_sid: 'AC0123456789abcdef0123456789abcdef', auth_token: 't', from: '5017122661' },
    { account_sid: 'AC0123456789abcdef0123456789abcdef', auth_token: 't', mode: 'call' },
    { account_sid: 'AC0123456789abcdef0123456789abcdef', auth_token: 't', from: '+15017122661', loop: 0 },
  ],
});

receiverConformance(victorops, {
  templates,
  okBody: '{"result":"success","entity_id":"disk:db-1"}',
  config: (base) =>
    filledConfig(victorops, {
      api_key: 'vo-secret-key-3ad8a2f1-5d0c',
      routing_key: 'database',
      url: `${base}/integrations/generic/20131114/alert`,
      max_per_second: 100,
    }),
  secrets: ['vo-secret-key-3ad8a2f1-5d0c'],
  invalidConfigs: [
    {},
    { api_key: 'k' },
    { api_key: 'k', routing_key: 'has space' },
    { api_key: '', routing_key: 'r' },
    { api_key: 'k', routing_key: 'r', url: 'ftp://x' },
  ],
});

receiverConformance(incidentio, {
  templates,
  okBody: '{"deduplication_key":"disk:db-1","message":"Event accepted for processing","status":"success"}',
  config: (base) =>
    filledConfig(incidentio, { alert_source_config_id: '01GW2G3V0S59R238FAHPDS1R66', token: 'inc-secret-source-token-77aa', url: base, max_per_second: 20 }),
  secrets: ['inc-secret-source-token-77aa'],
  invalidConfigs: [
    {},
    { token: 't' },
    { alert_source_config_id: 'not-a-ulid', token: 't' },
    { alert_source_config_id: '01GW2G3V0S59R238FAHPDS1R66', token: '' },
    { alert_source_config_id: '01GW2G3V0S59R238FAHPDS1R66', token: 't', metadata: { 'bad key': 'v' } },
  ],
});

receiverConformance(sns, {
  templates,
  okBody:
    '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>567910cd-659e-55d4-8ccb-5aaf14679dc0</MessageId></PublishResult><ResponseMetadata><RequestId>d74b8436-ae13-5ab4-a9ff-ce54dfea72a0</RequestId></ResponseMetadata></PublishResponse>',
  config: (base) =>
    filledConfig(sns, {
      topic_arn: 'arn:aws:sns:eu-central-1:123456789012:alerts',
      access_key_id: 'AKIACONFORMANCE00001',
      secret_access_key: 'conformance/Secret+Access/Key0000000000001',
      url: base,
      max_per_second: 100,
    }),
  secrets: ['AKIACONFORMANCE00001', 'conformance/Secret+Access/Key0000000000001'],
  invalidConfigs: [
    {},
    { topic_arn: 'arn:aws:sns:eu-central-1:123456789012:alerts', access_key_id: 'AKIA' },
    { topic_arn: 'arn:aws:sqs:eu-central-1:123456789012:q', access_key_id: 'AKIA', secret_access_key: 's' },
    { topic_arn: 'arn:aws:sns:eu-central-1:123456789012:alerts', access_key_id: 'AKIA', secret_access_key: 's', region: 'us-east-1' },
    { topic_arn: 'arn:aws:sns:eu-central-1:123456789012:alerts', access_key_id: 'AKIA', secret_access_key: 's', attributes: { status: 'x' } },
  ],
});
