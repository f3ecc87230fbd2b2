import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DEFAULT_FIRING_SUBJECT, DEFAULT_RESOLVED_SUBJECT, MalformedMail, normalizeMail, parseMail, parseRecipient, subjectStatus } from './normalize.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}.eml`, import.meta.url));
const mapping = { ci: { source: 'ci', labels: { team: 'core' } }, ops: { severity: 'critical' as const } };

describe('smtp normalize', () => {
  it('maps a Jenkins "Build failed" mail: subject → title, text part → text, firing, plus-tag and mapping labels, X-Jenkins headers kept', async () => {
    const mail = await parseMail(fixture('jenkins-build-failed'));
    const e = normalizeMail(mail, { mailFrom: 'bounces@ci.example.com', recipient: 'CI+Jenkins@Herald.Example' }, { mapping });
    assert.equal(e.title, 'Build failed in Jenkins: herald-main #1287');
    assert.equal(e.status, 'firing');
    assert.equal(e.source, 'ci');
    assert.equal(e.type, 'email');
    assert.equal(e.occurred_at, '2026-03-03T09:14:07.000Z');
    assert.equal(e.key, undefined, 'no key without key_template');
    assert.deepEqual(e.labels, { from: 'jenkins@ci.example.com', to: 'ci+jenkins@herald.example', tag: 'jenkins', team: 'core' });
    assert.match(e.text ?? '', /^See <https:\/\/ci\.example\.com\/job\/herald-main\/1287\//);
    assert.match(e.text ?? '', /Build step 'Execute shell' marked build as failure$/);
    assert.deepEqual(e.data, {
      from: [{ name: 'Jenkins', address: 'jenkins@ci.example.com' }],
      to: [{ address: 'ci+jenkins@herald.example' }],
      cc: [],
      subject: 'Build failed in Jenkins: herald-main #1287',
      message_id: '<1405913187.17.1772529247312@ci.example.com>',
      date: '2026-03-03T09:14:07.000Z',
      headers: { 'reply-to': 'no-reply@ci.example.com', 'x-jenkins-job': 'herald-main', 'x-jenkins-result': 'FAILURE', precedence: 'bulk' },
      attachments: [],
      envelope: { mail_from: 'bounces@ci.example.com', rcpt_to: 'ci+jenkins@herald.example' },
    });
  });

  it('maps the "back to normal" mail to resolved and renders a key that pairs it with the failure', async () => {
    const key = (v: { local_part: string; tag: string; subject: string }) => `${v.local_part}:${v.tag}:${/: (\S+) #/.exec(v.subject)?.[1] ?? ''}`;
    const failed = normalizeMail(await parseMail(fixture('jenkins-build-failed')), { mailFrom: '', recipient: 'ci+jenkins@herald.example' }, { key });
    const fixed = normalizeMail(await parseMail(fixture('jenkins-back-to-normal')), { mailFrom: '', recipient: 'ci+jenkins@herald.example' }, { key });
    assert.equal(fixed.status, 'resolved');
    assert.equal(fixed.title, 'Jenkins build is back to normal : herald-main #1288');
    assert.equal(failed.key, 'ci:jenkins:herald-main');
    assert.equal(fixed.key, failed.key);
    assert.equal(fixed.source, undefined, 'no mapping: Herald uses the source name');
  });

  it('decodes a Bamboo multipart/alternative mail (RFC 2047 subject, quoted-printable) and prefers the text part over HTML', async () => {
    const mail = await parseMail(fixture('bamboo-build-failed'));
    const e = normalizeMail(mail, { mailFrom: 'bamboo@bamboo.example.com', recipient: 'ci+bamboo@herald.example' }, { mapping });
    assert.equal(e.title, '[Bamboo] Herald › Main › #42 failed. Changes by Alice Example');
    assert.equal(e.status, 'firing');
    assert.match(e.text ?? '', /^Herald › Main › #42 failed\.\n\nThis build was triggered by changes by Alice Example\./);
    assert.doesNotMatch(e.text ?? '', /<h2>|<b>/, 'the text part, not the HTML');
    assert.deepEqual(e.labels, { from: 'bamboo@bamboo.example.com', to: 'ci+bamboo@herald.example', tag: 'bamboo', team: 'core' });
    const data = e.data as { cc: unknown; headers: unknown };
    assert.deepEqual(data.cc, [{ name: 'Alice Example', address: 'alice@example.com' }]);
    assert.deepEqual(data.headers, { 'auto-submitted': 'auto-generated' });
  });

  it('derives the text of an HTML-only multipart/mixed mail and lists its attachment', async () => {
    const mail = await parseMail(fixture('uptime-down-html-only'));
    const e = normalizeMail(mail, { mailFrom: 'alerts@status.example.net', recipient: 'ops@herald.example' }, { mapping });
    assert.equal(e.title, 'Monitor is DOWN: api.example.com (HTTP 503)');
    assert.equal(e.status, 'firing');
    assert.equal(e.severity, 'critical');
    assert.match(e.text ?? '', /API\.EXAMPLE\.COM IS DOWN/);
    assert.match(e.text ?? '', /Check HTTPS api\.example\.com\/health failed from 3 of 3 locations\./);
    assert.match(e.text ?? '', /Open the monitor \[https:\/\/status\.example\.net\/monitors\/77\]/);
    assert.doesNotMatch(e.text ?? '', /<p>|color: #333/, 'no markup or CSS in the text');
    assert.deepEqual(e.labels, { from: 'alerts@status.example.net', to: 'ops@herald.example' });
    assert.deepEqual((e.data as { attachments: unknown }).attachments, [{ filename: 'response.txt', content_type: 'text/plain', size: 34 }]);
  });

  it('falls back to "(no subject)", the envelope sender and no text; an unparseable Date gives no occurred_at', async () => {
    const mail = await parseMail(Buffer.from('Date: not a date\r\nX-Thing: 1\r\n\r\n  \r\n'));
    const e = normalizeMail(mail, { mailFrom: 'Cron@Host.Example', recipient: 'misc@herald.example' });
    assert.equal(e.title, '(no subject)');
    assert.equal(e.status, 'info');
    assert.equal(e.text, undefined);
    assert.equal(e.occurred_at, undefined);
    assert.deepEqual(e.labels, { from: 'cron@host.example', to: 'misc@herald.example' });
  });

  it('refuses an empty message and one without a header section', async () => {
    await assert.rejects(parseMail(Buffer.from('\r\n')), (err: Error) => err instanceof MalformedMail && /empty/.test(err.message));
    for (const raw of ['just a line of text\r\nand another\r\n', '\r\n\r\nbody without headers\r\n']) {
      await assert.rejects(parseMail(Buffer.from(raw)), (err: Error) => err instanceof MalformedMail && /no header section/.test(err.message));
    }
  });

  it('reads status from the subject with the default regexes: firing wins over resolved, anything else is info', () => {
    const firing = new RegExp(DEFAULT_FIRING_SUBJECT, 'i');
    const resolved = new RegExp(DEFAULT_RESOLVED_SUBJECT, 'i');
    const cases: [string, string][] = [
      ['Build failed', 'firing'],
      ['[Bamboo] HRLD-MAIN-43 was successful', 'resolved'],
      ['Host db-1 is back up', 'resolved'],
      ['Backup OK', 'resolved'],
      ['Disk alert recovered? no: still failing', 'firing'],
      ['Weekly report', 'info'],
      ['Downtime window announced', 'info'],
    ];
    for (const [subject, status] of cases) assert.equal(subjectStatus(subject, firing, resolved), status, subject);
  });

  it('splits recipients into local part, plus-tag and domain', () => {
    assert.deepEqual(parseRecipient('CI+Bamboo@Herald.Example'), { address: 'ci+bamboo@herald.example', local: 'ci', tag: 'bamboo', domain: 'herald.example' });
    assert.deepEqual(parseRecipient('ops@herald.example'), { address: 'ops@herald.example', local: 'ops', domain: 'herald.example' });
  });
});
