import { Duration, defineReceiver, parseDuration, Type, templateVars } from '@herald/sdk';

/** `[FIRING] title url`; a group notification's title states its status and counts already. */
export const DEFAULT_TEXT =
  "{% unless event.source == 'herald' and event.type == 'group' %}[{{ event.status | upcase }}] {% endunless %}{{ event.title }}{% if event.url %} {{ event.url }}{% endif %}";

/**
 * One framed message per notification to a raw TCP (or TLS) socket: a JSON
 * object or a line of text, newline-terminated. For log collectors, chat
 * bridges and legacy tools that read lines (the Sentry TCP plugin of old).
 */
export default defineReceiver({
  type: 'tcp',
  version: '1.0.0',
  displayName: 'TCP (newline-delimited JSON or text)',
  docsUrl: 'https://github.com/ndjson/ndjson-spec',
  config: Type.Object(
    {
      host: Type.String({ minLength: 1, description: 'host name or IP address' }),
      port: Type.Integer({ minimum: 1, maximum: 65535, description: 'TCP port' }),
      format: Type.Enum(['json', 'text'], {
        default: 'json',
        description: 'frame format; json: one JSON object per line; text: the rendered template per line',
      }),
      text_template: Type.Optional(Type.String({ description: 'LiquidJS template for the line, with `format: text`' })),
      tls: Type.Boolean({ default: false, description: 'wrap in TLS (certificate verified)' }),
      tls_server_name: Type.Optional(Type.String({ minLength: 1, description: 'TLS server name for SNI and verification (default: `host`)' })),
      tls_ca: Type.Optional(Type.String({ minLength: 1, description: 'extra trusted CA certificate (PEM; default: system CAs)' })),
      timeout: Type.Optional(Duration({ description: 'per message (default: delivery.timeout)' })),
    },
    { additionalProperties: false },
  ),
  validate(config) {
    if (config.text_template !== undefined && config.format !== 'text') return [{ path: 'text_template', message: 'only applies with format: text' }];
    return [];
  },
  create(config, { templates }) {
    const text = templates.compile(config.text_template ?? DEFAULT_TEXT, { name: 'text_template', escape: 'none' });
    const timeoutMs = config.timeout ? parseDuration(config.timeout) : undefined;
    return {
      async send(notification, ctx) {
        // JSON.stringify never emits a raw newline, and text lines have theirs replaced,
        // so one notification is always exactly one frame.
        const frame =
          config.format === 'json'
            ? JSON.stringify({ event: notification.event, receiver: notification.receiver, delivery: notification.id, attempt: ctx.attempt })
            : text.render(templateVars(notification)).replace(/[\r\n]+/g, ' ');
        await ctx.net.send({
          host: config.host,
          port: config.port,
          tls: config.tls,
          servername: config.tls_server_name,
          ca: config.tls_ca,
          data: `${frame}\n`,
          timeoutMs,
          signal: ctx.signal,
        });
        return undefined;
      },
    };
  },
});
