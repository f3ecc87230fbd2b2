import { defineReceiver, Type } from '@herald/sdk';

/** Writes each notification to Herald's own log. The example config's default. */
export default defineReceiver({
  type: 'log',
  version: '1.0.0',
  displayName: 'Log',
  config: Type.Object(
    {
      level: Type.Enum(['info', 'warn', 'error'], { default: 'info', description: 'level of the line' }),
      include_data: Type.Boolean({ default: false, description: "include the event's `data` payload in the line (it can be up to 256 KiB)" }),
    },
    { additionalProperties: false },
  ),
  create(config) {
    const level = config.level;
    return {
      async send(notification, ctx) {
        const { data, ...event } = notification.event;
        ctx.log[level]({ delivery: notification.id, event: config.include_data ? { ...event, data } : event }, `event: ${event.title}`);
        return undefined;
      },
    };
  },
});
