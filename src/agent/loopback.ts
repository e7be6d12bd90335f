import { isIPv4, isIPv6 } from 'node:net';
import { parseListen } from '../config/schema/local.js';

/**
 * Pure: whether a listen host is a loopback address, reachable only from this
 * machine: 127.0.0.0/8, ::1, ::ffff:127.x.x.x or `localhost`. Any other name
 * may resolve to anything, and an empty host means every interface.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (isIPv4(h)) return h.startsWith('127.');
  if (!isIPv6(h)) return false;
  try {
    const n = new URL(`http://[${h}]/`).hostname;
    return n === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:/.test(n);
  } catch {
    return false; // a zone id (fe80::1%eth0): a link, not loopback
  }
}

/** Pure: `127.0.0.1:7070` yes, `0.0.0.0:7070` and `:7070` no. */
export function isLoopbackListen(listen: string): boolean {
  return isLoopbackHost(parseListen(listen).host);
}

/** Why the TCP control API may not listen on `listen` without TLS (null when it may): the token runs code, and it must not cross a network in clear text. */
export function plainControlRefusal(listen: string): string | null {
  if (isLoopbackListen(listen)) return null;
  return `expected a loopback address like "127.0.0.1:7070" unless provider.control.tls is set: the token grants code execution as the agent's user and must not cross a network in clear text (got "${listen}")`;
}
