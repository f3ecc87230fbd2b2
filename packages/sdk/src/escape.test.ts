import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  defuseMassMentions,
  defuseMentions,
  escapeDiscord,
  escapeHtml,
  escapeMarkdown,
  escapeMattermost,
  escapeSlack,
  escapeZulip,
  mapStrings,
} from './escape.js';

const Z = '\u200b';

describe('escapeHtml', () => {
  it('escapes all five characters, so text is safe in an element and in either quoted attribute', () => {
    assert.equal(escapeHtml(`<a href="x" title='y'>&amp;</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  });
  it('leaves other text alone', () => {
    assert.equal(escapeHtml('plain — ünïcode 🔥 @room'), 'plain — ünïcode 🔥 @room');
  });
});

describe('escapeSlack', () => {
  it('escapes only &, < and > (quotes mean nothing to mrkdwn)', () => {
    assert.equal(escapeSlack(`<!channel> <https://evil|click> & "q" 'a' *b*`), `&lt;!channel&gt; &lt;https://evil|click&gt; &amp; "q" 'a' *b*`);
  });
});

describe('escapeMarkdown', () => {
  it('backslash-escapes CommonMark punctuation and defuses mass mentions', () => {
    assert.equal(
      escapeMarkdown('[x](https://evil) @everyone *b* `c` # h ~s~ |t| <u> {v} _w_ 1. + - !\\'),
      `\\[x\\]\\(https://evil\\) @${Z}everyone \\*b\\* \\\`c\\\` \\# h \\~s\\~ \\|t\\| \\<u\\> \\{v\\} \\_w\\_ 1\\. \\+ \\- \\!\\\\`,
    );
  });
  it('leaves letters, digits, colons and ordinary mentions alone', () => {
    assert.equal(escapeMarkdown('db:1 @alice ops@example'), 'db:1 @alice ops@example');
  });
});

describe('target dialects', () => {
  it('Discord also escapes `:` (emoji, timestamps) and defuses @everyone/@here', () => {
    assert.equal(escapeDiscord('<t:1:R> @here @alice'), `\\<t\\:1\\:R\\> @${Z}here @alice`);
  });
  it('Mattermost also escapes `:` and defuses every mention but not e-mail addresses', () => {
    assert.equal(escapeMattermost(':smile: @alice @all ops@example.com'), `\\:smile\\: @${Z}alice @${Z}all ops@example\\.com`);
  });
  it('Zulip escapes the Python-Markdown set (not `|`, `<`, `~`) and breaks @** mentions', () => {
    assert.equal(escapeZulip('@**all** |a| <b> ~c~ [d](e)'), `@${Z}\\*\\*all\\*\\* |a| <b\\> ~c~ \\[d\\]\\(e\\)`);
  });
});

describe('mention defusing', () => {
  it('defuseMassMentions only touches @everyone, @here, @channel, whole words', () => {
    assert.equal(defuseMassMentions('@Everyone @here @channel @channels @alice'), `@${Z}Everyone @${Z}here @${Z}channel @channels @alice`);
  });
  it('defuseMentions touches every mention at a word start', () => {
    assert.equal(defuseMentions('@alice, (@bob) a@b.c @'), `@${Z}alice, (@${Z}bob) a@b.c @`);
  });
});

describe('mapStrings', () => {
  it('applies fn to every string, deep, keeping keys, numbers and the input', () => {
    const input = { title: '<x>', n: 3, list: ['<y>', { deep: '<z>' }], none: null };
    const out = mapStrings(input, escapeHtml);
    assert.deepEqual(out, { title: '&lt;x&gt;', n: 3, list: ['&lt;y&gt;', { deep: '&lt;z&gt;' }], none: null });
    assert.equal(input.title, '<x>');
  });
});
