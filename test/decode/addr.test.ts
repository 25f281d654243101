import assert from 'node:assert/strict';
import { formatIpv4, formatIpv6 } from '../../src/decode/addr.js';
import { DecodeError } from '../../src/decode/cursor.js';
import { v6addr } from './build.js';

function hex(h: string): Uint8Array {
  return Buffer.from(h.replace(/[: ]/g, ''), 'hex');
}

describe('decode/addr', () => {
  it('formats IPv4 as a dotted quad at an offset', () => {
    assert.equal(formatIpv4(Uint8Array.from([9, 192, 0, 2, 10]), 1), '192.0.2.10');
    assert.equal(formatIpv4(Uint8Array.from([0, 0, 0, 0]), 0), '0.0.0.0');
    assert.equal(formatIpv4(Uint8Array.from([255, 255, 255, 255]), 0), '255.255.255.255');
  });

  const cases: [string, string][] = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['00fd:0000:0000:0000:0000:0000:0000:0001', 'fd::1'],
    ['fe80:0000:0000:0000:0000:0000:0000:0001', 'fe80::1'],
    ['0000:0000:0000:0000:0000:0000:0000:0000', '::'],
    ['0000:0000:0000:0000:0000:0000:0000:0001', '::1'],
    ['0001:0000:0000:0000:0000:0000:0000:0000', '1::'],
    ['ff02:0000:0000:0000:0000:0001:ff00:0002', 'ff02::1:ff00:2'],
    // A single zero group is not compressed (RFC 5952 4.2.2).
    ['2001:0db8:0000:0001:0001:0001:0001:0001', '2001:db8:0:1:1:1:1:1'],
    // The longest run wins; on a tie, the first (4.2.3).
    ['2001:0000:0000:0001:0000:0000:0000:0001', '2001:0:0:1::1'],
    ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'],
    // Lowercase, no leading zeros (4.1, 4.3).
    ['2001:0DB8:00AB:0C00:0000:0000:0000:0010', '2001:db8:ab:c00::10'],
    // IPv4-mapped (5).
    ['0000:0000:0000:0000:0000:ffff:c000:020a', '::ffff:192.0.2.10'],
    ['2001:0db8:1111:2222:3333:4444:5555:6666', '2001:db8:1111:2222:3333:4444:5555:6666'],
  ];
  for (const [raw, text] of cases) {
    it(`formats ${raw} as ${text}`, () => {
      assert.equal(formatIpv6(hex(raw), 0), text);
    });
  }

  it('agrees with the test parser on round trips', () => {
    for (const text of ['2001:db8::7', 'fd::1', 'fe80::2', '2001:db8:0:0:1::', 'ff02::16', '::ffff:0:0:1']) {
      assert.equal(formatIpv6(v6addr(text), 0), text);
    }
    assert.equal(formatIpv6(v6addr('::ffff:0:1'), 0), '::ffff:0.0.0.1', 'IPv4-mapped in dotted form');
  });

  it('throws a DecodeError rather than read past the end', () => {
    assert.throws(() => formatIpv6(new Uint8Array(20), 8), DecodeError);
    assert.throws(() => formatIpv4(new Uint8Array(3), 0), DecodeError);
  });
});
