/**
 * A listen failure as a user can act on it: which config key, which address, and why, instead
 * of Node's bare "listen EADDRINUSE: address already in use 127.0.0.1:9470". Used by Herald's API
 * server and by listener sources (SMTP, plugins).
 */
export function listenError(err: unknown, key: string, address: string): Error {
  const code = (err as { code?: unknown }).code;
  const why =
    code === 'EADDRINUSE'
      ? 'address already in use (EADDRINUSE): another program, or another Herald, listens there; stop it or choose another port'
      : code === 'EACCES'
        ? 'permission denied (EACCES): ports below 1024 need privileges; choose a port above 1023'
        : code === 'EADDRNOTAVAIL'
          ? 'address not available (EADDRNOTAVAIL): no network interface of this machine has that IP'
          : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
            ? `host name does not resolve (${code})`
            : (err as Error).message;
  return new Error(`${key}: cannot listen on ${address}: ${why}`, { cause: err });
}
