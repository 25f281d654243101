import assert from 'node:assert/strict';
import { canonicalAddress, parseV6 } from '../../src/decode/addr.js';
import { classifyAddress } from '../../src/analyze/addr.js';

describe('analyze/addr', () => {
  it('writes addresses canonically (RFC 5952 for IPv6)', () => {
    const cases: [string, string][] = [
      ['192.0.2.1', '192.0.2.1'],
      ['2001:0DB8:0000:0000:0000:0000:0000:0010', '2001:db8::10'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['0:0:0:0:0:0:0:1', '::1'],
      ['::', '::'],
      ['fd::1', 'fd::1'],
      ['00fd:0::1', 'fd::1'],
      ['fe80::2%na0', 'fe80::2'],
      ['::ffff:c000:0201', '::ffff:192.0.2.1'],
      ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
      ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
      ['not an address', 'not an address'],
      ['1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7:8:9'],
      ['1::2::3', '1::2::3'],
      ['256.1.1.1', '256.1.1.1'],
    ];
    for (const [input, want] of cases) assert.equal(canonicalAddress(input), want, input);
    assert.equal(parseV6('1:2:3:4:5:6:7'), undefined);
  });

  it('classifies addresses as network-sandbox sees them', () => {
    const cases: [string, ReturnType<typeof classifyAddress>][] = [
      ['127.0.0.1', 'loopback'],
      ['127.0.0.53', 'loopback'],
      ['::1', 'loopback'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['10.255.255.53', 'sandbox-local'],
      ['fd::1', 'sandbox-local'],
      ['::2', 'sandbox-local'],
      ['169.254.1.1', 'link-local'],
      ['fe80::1', 'link-local'],
      ['192.168.1.1', 'private'],
      ['172.31.0.1', 'private'],
      ['172.32.0.1', 'public'],
      ['fd12:3456::1', 'private'],
      ['192.0.2.10', 'documentation'],
      ['198.51.100.7', 'documentation'],
      ['203.0.113.9', 'documentation'],
      ['2001:db8::10', 'documentation'],
      ['239.192.152.143', 'multicast'],
      ['ff02::fb', 'multicast'],
      ['255.255.255.255', 'broadcast'],
      ['0.0.0.0', 'unspecified'],
      ['::', 'unspecified'],
      ['8.8.8.8', 'public'],
      ['2a00:1450::1', 'public'],
    ];
    for (const [input, want] of cases) assert.equal(classifyAddress(input), want, input);
  });

});
