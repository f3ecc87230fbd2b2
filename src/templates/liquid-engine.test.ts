import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeliveryError, escapeMarkdown, escapeSlack, type HeraldEvent } from '@herald/sdk';
import { createTemplateEngine } from './liquid-engine.js';

const event: HeraldEvent = {
  id: '01J0000000000000000000000',
  title: 'Deploy <!channel> <https://evil.example|click> & more',
  status: 'firing',
  labels: { env: 'prod', team: 'core' },
  received_at: '2026-01-01T00:00:00.000Z',
};
const vars = { event, receiver: 'chat', people: [] };
const t = createTemplateEngine();

describe('templates', () => {
  it('renders event fields and filters', () => {
    const tpl = t.compile('{{ event.status | upcase }}: {{ event.labels.env }} {{ event.title | truncate: 9 }}{% if event.severity %}!{% endif %}', {
      name: 'x',
      escape: 'none',
    });
    assert.equal(tpl.render(vars), 'FIRING: prod Deploy...');
  });

  it('escapes untrusted values for Slack, so an event cannot ping @channel or inject links', () => {
    const out = t.compile('*{{ event.title }}* <https://herald.example|open>', { name: 'x', escape: 'slack' }).render(vars);
    assert.equal(out, '*Deploy &lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; more* <https://herald.example|open>');
    assert.ok(!out.includes('<!channel>'));
  });

  it('escapes for HTML and Markdown', () => {
    assert.match(
      t.compile('<b>{{ event.title }}</b>', { name: 'x', escape: 'html' }).render(vars),
      /^<b>Deploy &lt;!channel&gt; &lt;https:\/\/evil\.example\|click&gt; &amp; more<\/b>$/,
    );
    assert.equal(escapeMarkdown('[x](https://evil) @everyone *b*'), '\\[x\\]\\(https://evil\\) @\u200beveryone \\*b\\*');
    assert.equal(escapeSlack('a<b>&'), 'a&lt;b&gt;&amp;');
  });

  it('cannot reach prototypes or run code', () => {
    const out = t.compile('[{{ event.title.constructor }}][{{ event.__proto__ }}][{{ event.constructor.name }}]', { name: 'x', escape: 'none' }).render(vars);
    assert.equal(out, '[][][]');
  });

  it('names the template on a syntax error, and unknown filters are errors', () => {
    assert.throws(() => t.compile('{% if %}', { name: 'receivers[1].text', escape: 'none' }), /template receivers\[1\]\.text:/);
    assert.throws(() => t.compile('{{ event.title | shout }}', { name: 'x', escape: 'none' }), /template x: .*shout/);
  });

  it('stops runaway templates with a permanent config error', () => {
    const bomb = t.compile('{% for i in (1..100000000) %}{{ i }}{% endfor %}', { name: 'bomb', escape: 'none' });
    assert.throws(
      () => bomb.render(vars),
      (err: unknown) => err instanceof DeliveryError && err.reason === 'config' && !err.retryable && /template bomb failed/.test(err.message),
    );
  });
});
