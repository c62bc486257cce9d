/** Addresses on this machine, for the rules that allow plain http or an unauthenticated caller only there. */

const IPV4_LOOPBACK = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

export function isLoopbackHost(hostname: string): boolean {
  // URL normalises IPv4 (e.g. `127.1` becomes `127.0.0.1`), so a dotted-quad test is enough.
  return hostname === 'localhost' || hostname === '[::1]' || IPV4_LOOPBACK.test(hostname);
}

/** True for an http(s) URL whose host is on this machine; false for anything else, unparsable included. */
export function isLoopbackUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && isLoopbackHost(parsed.hostname);
}

/** True for the address of a peer on this machine, as Node reports it (`::ffff:`-mapped IPv4 included). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (typeof address !== 'string') return false;
  const ipv4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return ipv4 === '::1' || IPV4_LOOPBACK.test(ipv4);
}
