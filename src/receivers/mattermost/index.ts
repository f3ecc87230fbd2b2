import {
  createPacer,
  DeliveryError,
  defineReceiver,
  HttpUrl,
  pacedJsonPost,
  Secret,
  type SendContext,
  STATUS_TITLE_TEMPLATE,
  Type,
  templateVars,
} from '@herald/sdk';
import { buildMessage, defusedVars } from './message.js';

const DEFAULT_TEXT = '{{ event.text }}';

/**
 * Mattermost, through an incoming webhook. The post is the title in bold and
 * the text (cut to 16,383 characters so it stays one post) with a message
 * attachment coloured by severity holding labels, links and context. Event
 * text is Markdown-escaped and every @mention in it (`@channel`, `@all`,
 * `@here`, `@user`) is defused, so an event can neither format, link, nor
 * notify anyone. Sends are paced per receiver; a 429's Retry-After holds back
 * every send to the server. With a bot token instead of a webhook, posts go
 * through the REST API and a resolve edits the post its incident made.
 * API: https://developers.mattermost.com/integrate/webhooks/incoming/,
 * https://developers.mattermost.com/api-documentation/#/operations/CreatePost,
 * https://developers.mattermost.com/api-documentation/#/operations/PatchPost
 */
export default defineReceiver({
  type: 'mattermost',
  version: '1.0.0',
  displayName: 'Mattermost',
  docsUrl: 'https://developers.mattermost.com/integrate/webhooks/incoming/',
  config: Type.Object(
    {
      url: Type.Optional(
        HttpUrl({ secret: true, description: 'incoming webhook URL (https://your-mattermost-server/hooks/{key}); the key is the credential; or give `token`' }),
      ),
      token: Type.Optional(
        Secret({
          description: 'bot or personal access token for the REST API (`POST /api/v4/posts`); with `api_url` and `channel_id`, enables edit on resolve',
        }),
      ),
      api_url: Type.Optional(HttpUrl({ description: 'server URL for the REST API, e.g. https://chat.example.com (with `token`)' })),
      channel_id: Type.Optional(Type.String({ pattern: '^[a-z0-9]{26}$', description: 'ID of the channel posts go to (with `token`; 26 characters)' })),
      update_on_resolve: Type.Boolean({ default: true, description: 'with `token`: a resolve edits the post its incident last made instead of posting again' }),
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
      max_per_second: Type.Number({
        exclusiveMinimum: 0,
        maximum: 100,
        default: 5,
        description: "pacing of this receiver's sends (Mattermost's default API limit is 10/s per client)",
      }),
    },
    { additionalProperties: false },
  ),
  validate(config) {
    if (config.url && config.token)
      return [{ path: 'token', message: 'give either url (incoming webhook) or token + api_url + channel_id (REST API), not both' }];
    if (!config.url && !config.token) return [{ path: 'url', message: 'is required (or give token + api_url + channel_id)' }];
    if (config.token && !config.api_url) return [{ path: 'api_url', message: 'is required with token' }];
    if (config.token && !config.channel_id) return [{ path: 'channel_id', message: 'is required with token' }];
    if (config.token && (config.channel || config.username || config.icon_url || config.icon_emoji))
      return [{ path: 'token', message: 'channel, username and icon overrides belong to incoming webhooks; with token the post is the bot’s, in channel_id' }];
    return [];
  },
  create(config, { templates, clock }) {
    const title = templates.compile(config.title_template ?? STATUS_TITLE_TEMPLATE, { name: 'title_template', escape: 'markdown' });
    const text = templates.compile(config.text_template ?? DEFAULT_TEXT, { name: 'text_template', escape: 'markdown' });
    const pacer = createPacer(config.max_per_second, clock);
    const post = (payload: object, ctx: SendContext) => pacedJsonPost(pacer, ctx, config.url as string, payload);
    const api = `${(config.api_url ?? '').replace(/\/$/, '')}/api/v4`;
    const auth = { 'content-type': 'application/json', authorization: `Bearer ${config.token}` };
    const redact = (e: unknown) => {
      if (e instanceof DeliveryError && config.token && e.response?.includes(config.token))
        return new DeliveryError(e.message, { ...e, reason: e.reason, retryable: e.retryable, response: e.response.split(config.token).join('[redacted]') });
      return e;
    };
    /** REST API: create a post (`POST /api/v4/posts`) or patch one (`PUT /api/v4/posts/{id}/patch`); answers the post. */
    const apiCall = async (ctx: SendContext, method: 'POST' | 'PUT', url: string, payload: object) => {
      try {
        return await pacedJsonPost(pacer, ctx, url, payload, auth, method);
      } catch (err) {
        throw redact(err);
      }
    };
    return {
      async send(notification, ctx) {
        const vars = defusedVars(templateVars(notification));
        const message = buildMessage(notification.event, title.render(vars), text.render(vars), {
          username: config.username,
          icon_url: config.icon_url,
          icon_emoji: config.icon_emoji,
          channel: config.channel,
        });
        if (!config.token) {
          const res = await post(message, ctx);
          return { status: res.status, response: res.body };
        }
        // REST API: a post carries attachments in props; a resolve patches the post its firing made.
        const body = { message: message.text, props: { attachments: message.attachments } };
        const { event } = notification;
        const stateKey = event.key && config.update_on_resolve !== false ? `post:${event.key}` : undefined;
        if (stateKey && event.status === 'resolved') {
          const prior = await ctx.state.get(stateKey);
          if (prior) {
            try {
              const res = await apiCall(ctx, 'PUT', `${api}/posts/${prior}/patch`, body);
              await ctx.state.delete(stateKey);
              return { status: res.status, response: res.body };
            } catch (err) {
              // The post was deleted meanwhile (404): post the resolve anew.
              if (!(err instanceof DeliveryError && err.status === 404)) throw err;
              await ctx.state.delete(stateKey);
            }
          }
        }
        const res = await apiCall(ctx, 'POST', `${api}/posts`, { channel_id: config.channel_id, ...body });
        let id: unknown;
        try {
          id = (JSON.parse(res.body) as { id?: unknown }).id;
        } catch {
          // The post exists (2xx); retrying would post it twice. Only the later edit is lost.
          ctx.log.warn({ status: res.status }, 'mattermost answered the post without its id; its resolve will be posted, not edited');
        }
        if (stateKey && event.status === 'firing' && typeof id === 'string') await ctx.state.set(stateKey, id);
        return { status: res.status, response: res.body };
      },
    };
  },
});
