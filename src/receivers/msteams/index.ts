import { createPacer, defineReceiver, HttpUrl, pacedJsonPost, type SendContext, STATUS_TITLE_TEMPLATE, Type, templateVars } from '@herald/sdk';
import { buildMessage } from './message.js';

const DEFAULT_TEXT = '{{ event.text }}';

/**
 * Microsoft Teams through a Workflows (Power Automate) webhook: the flow
 * "When a Teams webhook request is received" → "Post card in a chat or
 * channel". Each notification is one Adaptive Card 1.4 (title coloured by
 * severity, text, labels as facts, link buttons), kept under Teams' 28 KB.
 * Event text is Markdown-escaped, so it cannot format, link or call card
 * functions. Sends are paced per receiver; a 429's Retry-After holds back
 * every send to the workflow.
 * API: https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using
 */
export default defineReceiver({
  type: 'msteams',
  version: '1.0.0',
  displayName: 'Microsoft Teams (Workflows)',
  docsUrl: 'https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using',
  config: Type.Object(
    {
      url: HttpUrl({
        secret: true,
        description: 'HTTP URL of the workflow’s “When a Teams webhook request is received” trigger (it carries the `sig` signature)',
      }),
      title_template: Type.Optional(Type.String({ description: 'LiquidJS template for the card title (bold); values are Markdown-escaped' })),
      text_template: Type.Optional(Type.String({ description: 'LiquidJS template for the card text; values are Markdown-escaped' })),
      max_per_second: Type.Number({
        exclusiveMinimum: 0,
        maximum: 10,
        default: 1,
        description: "pacing of this receiver's sends (the Teams connector allows 100 calls per minute per connection)",
      }),
    },
    { additionalProperties: false },
  ),
  create(config, { templates, clock }) {
    const title = templates.compile(config.title_template ?? STATUS_TITLE_TEMPLATE, { name: 'title_template', escape: 'markdown' });
    const text = templates.compile(config.text_template ?? DEFAULT_TEXT, { name: 'text_template', escape: 'markdown' });
    const pacer = createPacer(config.max_per_second, clock);
    const post = (payload: object, ctx: SendContext) => pacedJsonPost(pacer, ctx, config.url, payload);
    return {
      async send(notification, ctx) {
        const vars = templateVars(notification);
        const res = await post(buildMessage(notification.event, title.render(vars), text.render(vars)), ctx);
        // Workflows answer 202 Accepted: the flow runs later; its failures show in the flow's run history.
        return { status: res.status, response: res.body };
      },
    };
  },
});
