/**
 * What an address is under network-sandbox (loopback, the 10/8 and ::/8 that Portage puts on lo, link-local,
 * reserved ranges); its canonical text is src/decode/addr.ts's. Pure; never throws on malformed input
 * (addresses come from packets): unparseable text counts as public.
 */
import { parseV4, parseV6 } from '../decode/addr.js';

/**
 * What a destination address is.
 * - `loopback`: 127.0.0.0/8, ::1 — a service on the host, which network-sandbox hides (scope host-local).
 * - `sandbox-local`: 10.0.0.0/8 and ::/8 (fd::1/8 written so is 00fd::1/8) — on lo under network-sandbox,
 *   so connects are refused locally; by intent a LAN host (scope external).
 * - `link-local`: 169.254.0.0/16, fe80::/10.
 * - `private`: 172.16/12, 192.168/16, 100.64/10 (shared), fc00::/7 (ULA).
 * - `documentation`: 192.0.2/24, 198.51.100/24, 203.0.113/24 (RFC 5737), 2001:db8::/32 (RFC 3849).
 * - `multicast`: 224/4, ff00::/8. `broadcast`: 255.255.255.255. `unspecified`: 0.0.0.0/8, ::.
 * - `public`: everything else.
 */
export type AddressClass =
  | 'loopback'
  | 'sandbox-local'
  | 'link-local'
  | 'private'
  | 'documentation'
  | 'multicast'
  | 'broadcast'
  | 'unspecified'
  | 'public';

function inV4(n: number, base: string, bits: number): boolean {
  const b = parseV4(base) ?? 0;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return ((n & mask) >>> 0) === ((b & mask) >>> 0);
}

function classifyV4(n: number): AddressClass {
  if (inV4(n, '127.0.0.0', 8)) return 'loopback';
  if (inV4(n, '10.0.0.0', 8)) return 'sandbox-local';
  if (inV4(n, '169.254.0.0', 16)) return 'link-local';
  if (inV4(n, '172.16.0.0', 12) || inV4(n, '192.168.0.0', 16) || inV4(n, '100.64.0.0', 10)) return 'private';
  if (inV4(n, '192.0.2.0', 24) || inV4(n, '198.51.100.0', 24) || inV4(n, '203.0.113.0', 24)) return 'documentation';
  if (inV4(n, '224.0.0.0', 4)) return 'multicast';
  if (n === 0xffffffff) return 'broadcast';
  if (inV4(n, '0.0.0.0', 8)) return 'unspecified';
  return 'public';
}

function classifyV6(w: readonly number[]): AddressClass {
  const [w0 = 0, w1 = 0] = w;
  if (w.every((x, i) => x === (i === 7 ? 1 : 0))) return 'loopback';
  if (w.every((x) => x === 0)) return 'unspecified';
  if (w.slice(0, 5).every((x) => x === 0) && w[5] === 0xffff) {
    return classifyV4((((w[6] ?? 0) << 16) | (w[7] ?? 0)) >>> 0);
  }
  if (w0 >> 8 === 0) return 'sandbox-local';
  if ((w0 & 0xffc0) === 0xfe80) return 'link-local';
  if ((w0 & 0xfe00) === 0xfc00) return 'private';
  if (w0 === 0x2001 && w1 === 0x0db8) return 'documentation';
  if (w0 >> 8 === 0xff) return 'multicast';
  return 'public';
}

/** What an address is, under network-sandbox's loopback setup. Unparseable text counts as public. */
export function classifyAddress(text: string): AddressClass {
  const v4 = parseV4(text);
  if (v4 !== undefined) return classifyV4(v4);
  const v6 = parseV6(text);
  return v6 ? classifyV6(v6) : 'public';
}
