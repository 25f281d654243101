/**
 * Address text. IPv4: dotted quad. IPv6: the canonical form of RFC 5952 (lowercase hex, no leading zeros,
 * the longest run of two or more zero groups compressed to "::", the first such run on a tie, IPv4-mapped
 * addresses as ::ffff:a.b.c.d), so that the same address always compares equal as text.
 *
 * ipv6Text() is the one implementation of those rules: the decoders reach it through readIpv6() (bytes at a
 * cursor), canonicalAddress() below through formatIpv6() (the groups it parsed from text, written out as bytes).
 * Text in, canonical text out (parseV4/parseV6/canonicalAddress) never throws on malformed input (addresses
 * come from packets and the tracer): unparseable text is kept as is.
 */
import type { Family } from '../model/types.js';
import { Cursor } from './cursor.js';

/**
 * RFC 5952 text of the 16 bytes at `at`, which the caller has bounds-checked with a Cursor (readIpv6). It reads
 * the bytes directly, not through the cursor: an address is formatted for every packet, twice.
 */
function ipv6Text(b: Uint8Array, at: number): string {
  // Longest run of zero 16-bit groups (length >= 2), the first one on a tie.
  let bestStart = -1;
  let bestLen = 1;
  let runStart = -1;
  for (let g = 0; g < 8; g++) {
    if (b[at + 2 * g] !== 0 || b[at + 2 * g + 1] !== 0) {
      runStart = -1;
      continue;
    }
    if (runStart < 0) runStart = g;
    if (g - runStart + 1 > bestLen) {
      bestStart = runStart;
      bestLen = g - runStart + 1;
    }
  }

  // ::ffff:a.b.c.d (IPv4-mapped, RFC 5952 section 5): five zero groups, then ffff.
  if (bestStart === 0 && bestLen === 5 && b[at + 10] === 0xff && b[at + 11] === 0xff) {
    return `::ffff:${b[at + 12]}.${b[at + 13]}.${b[at + 14]}.${b[at + 15]}`;
  }

  let out = '';
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      out += '::';
      g += bestLen - 1;
      continue;
    }
    if (out.length > 0 && !out.endsWith(':')) out += ':';
    out += (((b[at + 2 * g] as number) << 8) | (b[at + 2 * g + 1] as number)).toString(16);
  }
  return out;
}

/** Dotted quad of the next 4 bytes at the cursor. */
export function readIpv4(c: Cursor, what: string): string {
  const n = c.u32(what);
  return `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
}

/** RFC 5952 text of the next 16 bytes at the cursor. */
export function readIpv6(c: Cursor, what: string): string {
  const at = c.offset;
  c.skip(16, what);
  return ipv6Text(c.buf, at);
}

/** Dotted quad of the 4 bytes at `offset`; a DecodeError when they are not all there. */
export function formatIpv4(buf: Uint8Array, offset: number): string {
  return readIpv4(new Cursor(buf, offset), 'IPv4 address');
}

/** RFC 5952 text of the 16 bytes at `offset`; a DecodeError when they are not all there. */
export function formatIpv6(buf: Uint8Array, offset: number): string {
  return readIpv6(new Cursor(buf, offset), 'IPv6 address');
}

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

export function familyOf(text: string): Family {
  return text.includes(':') ? 6 : 4;
}

