import { defineSource, type Static, Type } from '@herald/sdk';
import { type CommonCheckConfig, commonCheckProperties, createCheck, validateCommon } from './runner.js';

const config = Type.Object(
  {
    host: Type.String({ minLength: 1, description: 'host name or IP address to connect to' }),
    port: Type.Integer({ minimum: 1, maximum: 65535, description: 'TCP port' }),
    ...commonCheckProperties,
  },
  { additionalProperties: false },
);

export type TcpCheckConfig = Static<typeof config>;

/** Succeeds when a TCP connection to host:port opens within `timeout`; the connection is closed at once. */
export default defineSource({
  type: 'tcp-check',
  version: '1.0.0',
  displayName: 'TCP check',
  config,
  validate: (c: TcpCheckConfig) => validateCommon(c as CommonCheckConfig),
  create(c, ctx) {
    const where = `${c.host}:${c.port}`;
    return createCheck(ctx, 'tcp-check', 'tcp', c as CommonCheckConfig, async (signal, timeoutMs) => {
      const t0 = performance.now();
      const socket = await ctx.net.connect({ host: c.host, port: c.port, timeoutMs, signal });
      const ms = Math.round(performance.now() - t0);
      socket.destroy();
      return { ok: true, message: `connected to ${where} in ${ms} ms` };
    });
  },
});
