import { Bytes, defineSource, jsonBody, parseBytes, reject, requireToken, Secret, Type } from '@herald/sdk';
import { normalizeGitLab } from './normalize.js';

const config = Type.Object(
  {
    token: Secret({ description: 'the webhook\'s "Secret token" in GitLab; GitLab sends it in X-Gitlab-Token', minLength: 16 }),
    max_body: Type.Optional(Bytes({ description: 'largest accepted body (default: server.body_limit)' })),
  },
  { additionalProperties: false },
);

/**
 * GitLab project, group and system webhooks. The shared secret token is
 * compared in constant time; `X-Gitlab-Event` picks the mapping, and the
 * `Idempotency-Key` (same across GitLab's retries) makes a retry stored once.
 */
export default defineSource({
  type: 'gitlab',
  version: '1.0.0',
  displayName: 'GitLab webhooks',
  docsUrl: 'https://docs.gitlab.com/user/project/integrations/webhook_events/',
  config,
  create(c) {
    return {
      kind: 'http',
      maxBodyBytes: c.max_body === undefined ? undefined : parseBytes(c.max_body),
      handle(req) {
        requireToken(req, 'X-Gitlab-Token', c.token);
        const event = req.headers['x-gitlab-event']?.trim();
        if (!event) throw reject.malformed('missing X-Gitlab-Event header: GitLab names the hook type there (e.g. "Push Hook")');
        const payload = jsonBody(req);
        if (!payload || typeof payload !== 'object' || Array.isArray(payload)) throw reject.malformed('body must be a JSON object (a GitLab webhook payload)');
        const deliveryId = req.headers['idempotency-key']?.trim() || req.headers['x-gitlab-event-uuid']?.trim() || undefined;
        return { events: normalizeGitLab(event, payload), deliveryId };
      },
    };
  },
});
