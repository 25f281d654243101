/**
 * Address text from raw bytes. IPv4: dotted quad. IPv6: the canonical form of RFC 5952 (lowercase hex,
 * no leading zeros, the longest run of two or more zero groups compressed to "::", the first such run on a
 * tie, IPv4-mapped addresses as ::ffff:a.b.c.d), so that the same address always compares equal as text.
 */
import { need } from './cursor.js';

/** Dotted quad of the 4 bytes at `offset` (the caller has checked the bounds, or need() throws). */
export function formatIpv4(buf: Uint8Array, offset: number): string {
  need(buf.length, offset, 4, 'IPv4 address');
  return `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}`;
}

/** RFC 5952 text of the 16 bytes at `offset`. */
export function formatIpv6(buf: Uint8Array, offset: number): string {
  need(buf.length, offset, 16, 'IPv6 address');
  // Longest run of zero 16-bit groups (length >= 2), first one on a tie.
  let bestStart = -1;
  let bestLen = 0;
  let runStart = -1;
  for (let g = 0; g < 8; g++) {
    const at = offset + g * 2;
    if (buf[at] === 0 && buf[at + 1] === 0) {
      if (runStart < 0) runStart = g;
      const len = g - runStart + 1;
      if (len > bestLen) {
        bestLen = len;
        bestStart = runStart;
      }
    } else {
      runStart = -1;
    }
  }
  if (bestLen < 2) bestStart = -1;

  // ::ffff:a.b.c.d (IPv4-mapped, RFC 5952 section 5).
  if (bestStart === 0 && bestLen === 5 && buf[offset + 10] === 0xff && buf[offset + 11] === 0xff) {
    return `::ffff:${formatIpv4(buf, offset + 12)}`;
  }

  let out = '';
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      out += '::';
      g += bestLen - 1;
      continue;
    }
    if (out.length > 0 && !out.endsWith(':')) out += ':';
    const at = offset + g * 2;
    out += (((buf[at] as number) << 8) | (buf[at + 1] as number)).toString(16);
  }
  return out;
}
