import { createPacer, defineReceiver, HttpUrl, pacedJsonPost, type SendContext, STATUS_TITLE_TEMPLATE, Type, templateVars } from '@herald/sdk';
import { buildMessage, defusedVars } from './message.js';

const DEFAULT_TEXT = '{{ event.text }}';

/**
 * Mattermost, through an incoming webhook. The post is the title in bold and
 * the text (cut to 16,383 characters so it stays one post) with a message
 * attachment coloured by severity holding labels, links and context. Event
 * text is Markdown-escaped and every @mention in it (`@channel`, `@all`,
 * `@here`, `@user`) is defused, so an event can neither format, link, nor
 * notify anyone. Sends are paced per receiver; a 429's Retry-After holds back
 * every send to the server.
 * API: https://developers.mattermost.com/integrate/webhooks/incoming/
 */
export default defineReceiver({
  type: 'mattermost',
  version: '1.0.0',
  displayName: 'Mattermost',
  docsUrl: 'https://developers.mattermost.com/integrate/webhooks/incoming/',
  config: Type.Object(
    {
      url: HttpUrl({ secret: true, description: 'incoming webhook URL (https://your-mattermost-server/hooks/{key}); the key is the credential' }),
      channel: Type.Optional(
        Type.String({ minLength: 1, description: "channel name (not display name) overriding the webhook's channel, unless the webhook is locked to it" }),
      ),
      username: Type.Optional(
        Type.String({ minLength: 1, maxLength: 64, description: 'overrides the username (needs “Enable integrations to override usernames”)' }),
      ),
      icon_url: Type.Optional(HttpUrl({ description: 'overrides the profile picture (needs “Enable integrations to override profile picture icons”)' })),
      icon_emoji: Type.Optional(
        Type.String({ pattern: '^[a-z0-9_+-]+$', description: 'emoji name (without colons) used as the profile picture; overrides `icon_url`' }),
      ),
      title_template: Type.Optional(Type.String({ description: 'LiquidJS template for the first line (bold); values are Markdown-escaped, mentions defused' })),
      text_template: Type.Optional(Type.String({ description: 'LiquidJS template for the body; values are Markdown-escaped, mentions defused' })),
      max_per_second: Type.Optional(
        Type.Number({
          exclusiveMinimum: 0,
          maximum: 100,
          default: 5,
          description: "pacing of this receiver's sends (Mattermost's default API limit is 10/s per client)",
        }),
      ),
    },
    { additionalProperties: false },
  ),
  create(config, { templates, clock }) {
    const title = templates.compile(config.title_template ?? STATUS_TITLE_TEMPLATE, { name: 'title_template', escape: 'markdown' });
    const text = templates.compile(config.text_template ?? DEFAULT_TEXT, { name: 'text_template', escape: 'markdown' });
    const pacer = createPacer(config.max_per_second ?? 5, clock);
    const post = (payload: object, ctx: SendContext) => pacedJsonPost(pacer, ctx, config.url, payload);
    return {
      async send(notification, ctx) {
        const vars = defusedVars(templateVars(notification));
        const message = buildMessage(notification.event, title.render(vars), text.render(vars), {
          username: config.username,
          icon_url: config.icon_url,
          icon_emoji: config.icon_emoji,
          channel: config.channel,
        });
        const res = await post(message, ctx);
        return { status: res.status, response: res.body };
      },
    };
  },
});
