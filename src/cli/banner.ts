/**
 * What `herald serve` prints once it listens: where, and the next step (the
 * README's quick-start request), so a first run on a fresh clone is not a
 * wall of JSON logs with no hint of what to do.
 */
export function serveBanner(address: string, configFile: string, tokens: boolean): string {
  // A wildcard listener is reached through loopback from this machine.
  const url = address.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:');
  const auth = tokens ? ' -H "authorization: Bearer $HERALD_TOKEN"' : '';
  return [
    `Herald is listening on ${url} (config ${configFile}). Post a first event:`,
    `  curl -sS -X POST ${url}/api/v1/events${auth} -H 'content-type: application/json' \\`,
    `    -d '{"title": "Deploy finished", "source": "ci", "status": "info", "labels": {"env": "prod"}}'`,
    `then list it: curl -sS '${url}/api/v1/events?source=ci'${auth}`,
    `or watch it arrive in the web console: ${url}/  (\`herald --help\` lists every command)`,
    '',
  ].join('\n');
}
