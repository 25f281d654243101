/**
 * One RFC 5952 formatter, two ways in: decode/addr.ts formatIpv6 (bytes of a packet) and analyze/addr.ts
 * formatV6 / canonicalAddress (words parsed from text). They must write every address the same way.
 */
import assert from 'node:assert/strict';
import { canonicalAddress, formatIpv6, formatV6, parseV6 } from '../../src/decode/addr.js';

function bytesOf(words: readonly number[]): Uint8Array {
  const b = new Uint8Array(16);
  words.forEach((w, i) => {
    b[2 * i] = w >> 8;
    b[2 * i + 1] = w & 0xff;
  });
  return b;
}

/** The full, uncompressed text with leading zeros: what neither formatter may print. */
function longForm(words: readonly number[]): string {
  return words.map((w) => w.toString(16).padStart(4, '0')).join(':');
}

const TRICKY: number[][] = [
  [0, 0, 0, 0, 0, 0, 0, 0],
  [0, 0, 0, 0, 0, 0, 0, 1],
  [1, 0, 0, 0, 0, 0, 0, 0],
  [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1],
  [0xfd, 0, 0, 0, 0, 0, 0, 1], // fd::1, Portage's lo address
  [0xfe80, 0, 0, 0, 0, 0, 0, 2],
  [0x2001, 0xdb8, 0, 1, 1, 1, 1, 1], // a single zero group stays
  [0x2001, 0, 0, 1, 0, 0, 0, 1], // the longer run wins
  [0x2001, 0xdb8, 0, 0, 1, 0, 0, 1], // a tie: the first run
  [0, 0, 1, 0, 0, 1, 0, 0], // three runs of two: the first
  [1, 0, 1, 0, 1, 0, 1, 0], // only single zeros
  [0, 1, 1, 1, 1, 1, 1, 0],
  [0x2001, 0xdb8, 0xab, 0xc00, 0, 0, 0, 0x10],
  [0, 0, 0, 0, 0, 0xffff, 0xc000, 0x20a], // IPv4-mapped
  [0, 0, 0, 0, 0, 0xffff, 0, 0], // IPv4-mapped 0.0.0.0
  [0, 0, 0, 0, 0, 0xffff, 0xffff, 0xffff],
  [0, 0, 0, 0, 0xffff, 0, 0, 1], // not mapped: four zero groups
  [0, 0, 0, 0, 1, 0xffff, 0xc000, 0x201], // not mapped: a non-zero group before ffff
  [0, 0, 0, 0, 0, 0xfffe, 0xc000, 0x201], // not mapped: fffe
  [0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x221], // NAT64 prefix, not dotted
  [0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff],
  [0x2001, 0xdb8, 0x1111, 0x2222, 0x3333, 0x4444, 0x5555, 0x6666],
];

/** Every pattern of zero and non-zero groups, with values that have leading zeros to drop. */
function allZeroPatterns(): number[][] {
  const out: number[][] = [];
  for (let mask = 0; mask < 256; mask++) {
    out.push(Array.from({ length: 8 }, (_, i) => (mask & (1 << i) ? [0x1, 0xab, 0xf00, 0xbeef][i % 4] as number : 0)));
  }
  return out;
}

describe('RFC 5952: the decoder and analyze write every IPv6 address the same way', () => {
  it('tricky addresses: bytes, words and long-form text give identical text', () => {
    for (const words of TRICKY) {
      const fromBytes = formatIpv6(bytesOf(words), 0);
      assert.equal(formatV6(words), fromBytes, longForm(words));
      assert.equal(canonicalAddress(longForm(words)), fromBytes, longForm(words));
      assert.equal(canonicalAddress(fromBytes), fromBytes, `${fromBytes} is already canonical`);
      assert.deepEqual(parseV6(fromBytes), words, `${fromBytes} reads back as the same address`);
    }
  });

  it('all 256 patterns of zero groups: identical text, and as WHATWG URL writes them when not IPv4-mapped', () => {
    for (const words of allZeroPatterns()) {
      const fromBytes = formatIpv6(bytesOf(words), 0);
      assert.equal(formatV6(words), fromBytes, longForm(words));
      assert.equal(canonicalAddress(longForm(words)), fromBytes, longForm(words));
      // An independent writer of the same rules (it never uses the dotted IPv4-mapped form).
      assert.equal(`[${fromBytes}]`, new URL(`http://[${longForm(words)}]/`).hostname, longForm(words));
    }
  });

  it('the IPv4-mapped forms are dotted, whichever way in', () => {
    const mapped = [0, 0, 0, 0, 0, 0xffff, 0xc000, 0x20a];
    assert.equal(formatIpv6(bytesOf(mapped), 0), '::ffff:192.0.2.10');
    assert.equal(formatV6(mapped), '::ffff:192.0.2.10');
    assert.equal(canonicalAddress('::ffff:c000:20a'), '::ffff:192.0.2.10');
    assert.equal(canonicalAddress('0:0:0:0:0:ffff:192.0.2.10'), '::ffff:192.0.2.10');
  });
});
