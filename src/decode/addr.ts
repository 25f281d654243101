/**
 * Address text. IPv4: dotted quad. IPv6: the canonical form of RFC 5952 (lowercase hex, no leading zeros,
 * the longest run of two or more zero groups compressed to "::", the first such run on a tie, IPv4-mapped
 * addresses as ::ffff:a.b.c.d), so that the same address always compares equal as text.
 *
 * ipv6Text() is the one implementation of those rules: the decoders reach it through readIpv6() (bytes at a
 * cursor), analyze/addr.ts through formatIpv6() (the groups it parsed from text, written out as bytes).
 */
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
