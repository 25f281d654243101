/**
 * Addresses as the build namespace sees them: canonical text, and what an address is under
 * network-sandbox (loopback, the 10/8 and ::/8 that Portage puts on lo, link-local, reserved ranges).
 * Pure; never throws on malformed input (addresses come from packets): unparseable text is kept as is.
 */
import { formatIpv6 } from '../decode/addr.js';
import type { Family } from '../model/types.js';

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

/** IPv4 text -> 32-bit unsigned number, or undefined. */
export function parseV4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

function formatV4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** IPv6 text (with optional embedded IPv4 tail and %zone) -> eight 16-bit words, or undefined. */
export function parseV6(text: string): number[] | undefined {
  const zone = text.indexOf('%');
  let s = zone >= 0 ? text.slice(0, zone) : text;
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (!s.includes(':')) return undefined;
  const lastColon = s.lastIndexOf(':');
  const last = s.slice(lastColon + 1);
  if (last.includes('.')) {
    const v4 = parseV4(last);
    if (v4 === undefined) return undefined;
    s = `${s.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const words = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    for (const w of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(w)) return undefined;
      out.push(parseInt(w, 16));
    }
    return out;
  };
  const head = words(halves[0] ?? '');
  if (!head) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const rest = words(halves[1] ?? '');
  if (!rest) return undefined;
  const given = head.length + rest.length;
  if (given > 7) return undefined;
  return [...head, ...new Array<number>(8 - given).fill(0), ...rest];
}

/** RFC 5952 text of eight 16-bit words, by the decoder's formatter (one implementation of the rules). */
export function formatV6(w: readonly number[]): string {
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const x = w[i] ?? 0;
    bytes[2 * i] = x >> 8;
    bytes[2 * i + 1] = x & 0xff;
  }
  return formatIpv6(bytes, 0);
}

/** Canonical text of an address (v4 dotted quad, v6 RFC 5952); unparseable text comes back unchanged. */
export function canonicalAddress(text: string): string {
  const v4 = parseV4(text);
  if (v4 !== undefined) return formatV4(v4);
  const v6 = parseV6(text);
  return v6 ? formatV6(v6) : text;
}

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

export function familyOf(text: string): Family {
  return text.includes(':') ? 6 : 4;
}

