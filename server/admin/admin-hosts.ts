import { tryParseAddress } from '../net/index.js';

/** Decides whether a `Host` header value (`name:port`, lower case) names this admin server. */
export type HostCheck = (host: string) => boolean;

/**
 * The admin server's Host-header check, its DNS-rebinding defence: a rebinding page reaches the
 * server under the attacker's domain name, so only names the operator uses may pass. Accepted, with
 * the admin port: the listen host, `localhost`, `127.0.0.1`, `[::1]` and every name in `extraNames`
 * (`--admin-hosts`). On a wildcard listen address (`0.0.0.0`, `::`) any IP-literal host is accepted
 * too: a browser sends an IP literal only when it really connected to that address, which a
 * rebinding attack (it needs a name it controls) cannot produce.
 */
export function adminHostCheck(
  listenHost: string,
  port: number,
  extraNames: readonly string[] = [],
): HostCheck {
  const wildcard = listenHost === '0.0.0.0' || listenHost === '::';
  const names = new Set(
    [listenHost, 'localhost', '127.0.0.1', '::1', ...extraNames].map((name) =>
      withPort(name.toLowerCase(), port),
    ),
  );
  const suffix = `:${port}`;
  return (host) => {
    if (names.has(host)) return true;
    if (!wildcard || !host.endsWith(suffix)) return false;
    const name = host.slice(0, -suffix.length);
    const literal = name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
    if (literal !== name && !literal.includes(':')) return false;
    if (literal === name && literal.includes(':')) return false;
    return tryParseAddress(literal) !== null;
  };
}

function withPort(name: string, port: number): string {
  return `${name.includes(':') && !name.startsWith('[') ? `[${name}]` : name}:${port}`;
}
