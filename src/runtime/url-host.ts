/**
 * The host part of a URL for a server bound to `host`, as a client on this machine asks for it:
 * a browser refuses 0.0.0.0 and [::], which name every address when bound and none when asked
 * for; an IPv6 address goes in brackets.
 */
export function urlHost(host: string): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return reachable.includes(':') ? `[${reachable}]` : reachable;
}
