/**
 * The benchmark and the soak drive only servers they start themselves, on 127.0.0.1: the bot under test
 * runs with anonymous (Emulator) authentication, so it must not be reachable from the network, and a
 * load test must never be pointed at someone else's server.
 */
import net from 'node:net';

export const LOOPBACK_HOST = '127.0.0.1';

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host === '::1') return true;
  return net.isIPv4(host) && host.startsWith('127.');
}

/** Throws, naming the URL, unless it is an http(s) URL on a loopback address. */
export function assertLoopbackUrl(url: string, what: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${what} is not a URL: ${url}`);
  }
  if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || !isLoopbackHost(parsed.hostname)) {
    throw new Error(`refusing ${what} ${url}: only servers on loopback (127.0.0.1, ::1, localhost) are driven by the bench and the soak`);
  }
}
