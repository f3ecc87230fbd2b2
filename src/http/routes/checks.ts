import type { FastifyPluginAsync } from 'fastify';
import { ApiError } from '../errors.js';

export interface CheckRouteDeps {
  /** The running sources whose type declares itself a health check (`capabilities.check`). */
  checks: () => { name: string; inspect(): object }[];
}

/** Health checks (`http-check`, `tcp-check`, `dns-check` sources, and any plugin check): state and recent results. */
export const checkRoutes: FastifyPluginAsync<CheckRouteDeps> = async (app, deps) => {
  app.get('/api/v1/checks', { config: { scope: 'read' } }, async () => {
    const checks = deps.checks().map((c) => {
      const { history: _history, ...summary } = c.inspect() as { history?: unknown };
      return summary;
    });
    return { checks };
  });

  app.get<{ Params: { name: string } }>('/api/v1/checks/:name', { config: { scope: 'read' } }, async (req) => {
    const check = deps.checks().find((c) => c.name === req.params.name);
    if (!check) throw new ApiError(404, 'not_found', `no health check named "${req.params.name}"`);
    return check.inspect();
  });
};
