// A Herald receiver for ntfy (https://ntfy.sh), published as its own npm package.
// Its type is `ntfy-example`: Herald has a built-in `ntfy` receiver, and a plugin may not shadow a built-in type.
// It imports nothing but @herald/sdk: HTTP goes through ctx.http (Herald's
// guarded client), templates through ctx.templates, errors through the SDK's
// classifier. Plain ESM JavaScript, so the package needs no build step.
import { classifyHttpResponse, defineReceiver, effectiveSeverity, HttpUrl, Secret, Type, templateVars } from '@herald/sdk';

/** Prefix for titles; the plugin's tests change it to tell versions apart. */
const TITLE_PREFIX = '';

/** ntfy priorities: 5 max, 4 high, 3 default, 2 low. */
const PRIORITY = { critical: 5, error: 4, warning: 3, info: 2 };

export default defineReceiver({
  type: 'ntfy-example',
  version: '1.0.0',
  displayName: 'ntfy (example plugin)',
  docsUrl: 'https://docs.ntfy.sh/publish/#publish-as-json',
  config: Type.Object(
    {
      server: Type.Optional(HttpUrl({ description: 'ntfy server', default: 'https://ntfy.sh' })),
      topic: Type.String({ pattern: '^[-_A-Za-z0-9]{1,64}$', description: 'topic to publish to' }),
      token: Type.Optional(Secret({ description: 'access token (tk_…) for protected topics' })),
      message_template: Type.Optional(Type.String({ description: 'LiquidJS' })),
    },
    { additionalProperties: false },
  ),
  create(config, { templates }) {
    const message = templates.compile(config.message_template ?? '{{ event.text | default: event.title }}', { name: 'message_template', escape: 'none' });
    const server = (config.server ?? 'https://ntfy.sh').replace(/\/$/, '');
    return {
      async send(notification, ctx) {
        const { event } = notification;
        // Herald's one rule: a firing event without severity is an error, a resolved one is `ok`.
        const severity = effectiveSeverity(event);
        const body = {
          topic: config.topic,
          title: `${TITLE_PREFIX}${event.status === 'resolved' ? '✅ ' : ''}${event.title}`.slice(0, 250),
          message: message.render(templateVars(notification)).slice(0, 4000),
          priority: severity === 'ok' ? 2 : PRIORITY[severity],
          tags: [event.status, ...(event.severity ? [event.severity] : [])],
          ...(event.url ? { click: event.url } : {}),
        };
        const headers = { 'content-type': 'application/json' };
        if (config.token) headers.authorization = `Bearer ${config.token}`;
        // ntfy publishes JSON posted to the server root (not to the topic URL).
        const res = await ctx.http.request({ method: 'POST', url: `${server}/`, headers, body: JSON.stringify(body), signal: ctx.signal });
        const failure = classifyHttpResponse(res.status, res.headers, res.body, ctx.clock.now());
        if (failure) throw failure;
        return { status: res.status, response: res.body };
      },
    };
  },
});
