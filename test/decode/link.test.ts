import assert from 'node:assert/strict';
import { decodeFrame } from '../../src/decode/index.js';
import { decodeLink, LINKTYPE_LOOP } from '../../src/decode/link.js';
import { LINKTYPE, type DecodedPacket, type DecodeResult } from '../../src/decode/types.js';
import { bytes, ETHERTYPE, ethernet, FLAGS, frame, ipv4, ipv6, nflog, sll, sll2, tcp, udp } from './build.js';

const SYN4 = ipv4({ src: '169.254.1.2', dst: '192.0.2.10', proto: 6 }, tcp({ sport: 40000, dport: 80, flags: FLAGS.SYN }));
const SYN6 = ipv6({ src: 'fd::1', dst: '2001:db8::10', next: 6 }, tcp({ sport: 40001, dport: 8080, flags: FLAGS.SYN }));

function packet(r: DecodeResult): DecodedPacket {
  assert.equal(r.kind, 'packet', JSON.stringify(r));
  return (r as { packet: DecodedPacket }).packet;
}

function assertSyn4(p: DecodedPacket): void {
  assert.equal(p.family, 4);
  assert.equal(p.src, '169.254.1.2');
  assert.equal(p.dst, '192.0.2.10');
  assert.equal(p.proto, 'tcp');
  assert.equal(p.tcp?.dstPort, 80);
  assert.equal(p.tcp?.syn, true);
}

function assertSyn6(p: DecodedPacket): void {
  assert.equal(p.family, 6);
  assert.equal(p.src, 'fd::1');
  assert.equal(p.dst, '2001:db8::10');
  assert.equal(p.tcp?.dstPort, 8080);
}

describe('decode/link', () => {
  describe('Ethernet', () => {
    it('finds IPv4 and IPv6 after 14 bytes', () => {
      assertSyn4(packet(decodeFrame(LINKTYPE.ETHERNET, frame(ethernet(ETHERTYPE.IPV4, SYN4)), 'veth')));
      assertSyn6(packet(decodeFrame(LINKTYPE.ETHERNET, frame(ethernet(ETHERTYPE.IPV6, SYN6)), 'veth')));
      assert.deepEqual(decodeLink(LINKTYPE.ETHERNET, ethernet(ETHERTYPE.IPV4, SYN4)), { kind: 'ip', family: 4, offset: 14, end: 14 + SYN4.length });
    });

    it('skips an 802.1Q tag and a Q-in-Q pair', () => {
      const one = ethernet(ETHERTYPE.IPV4, SYN4, [42]);
      assert.deepEqual(decodeLink(LINKTYPE.ETHERNET, one), { kind: 'ip', family: 4, offset: 18, end: one.length });
      assertSyn4(packet(decodeFrame(LINKTYPE.ETHERNET, frame(one), 'veth')));
      const two = ethernet(ETHERTYPE.IPV6, SYN6, [100, 42]);
      assert.deepEqual(decodeLink(LINKTYPE.ETHERNET, two), { kind: 'ip', family: 6, offset: 22, end: two.length });
      assertSyn6(packet(decodeFrame(LINKTYPE.ETHERNET, frame(two), 'veth')));
    });

    it('ignores Ethernet padding after a short IP packet', () => {
      const q = ipv4({ proto: 17, dst: '192.0.2.53' }, udp({ sport: 5000, dport: 9 }, Buffer.from('hi')));
      const padded = ethernet(ETHERTYPE.IPV4, bytes(q, Buffer.alloc(60 - 14 - q.length, 0xee)));
      const p = packet(decodeFrame(LINKTYPE.ETHERNET, frame(padded), 'veth'));
      assert.equal(p.udp?.payloadLength, 2);
    });

    it('calls ARP and other ethertypes noise', () => {
      const arp = ethernet(ETHERTYPE.ARP, Buffer.alloc(28));
      assert.deepEqual(decodeFrame(LINKTYPE.ETHERNET, frame(arp), 'veth'), { kind: 'noise', noise: 'arp' });
      assert.deepEqual(decodeFrame(LINKTYPE.ETHERNET, frame(ethernet(0x88cc, Buffer.alloc(30))), 'veth'), { kind: 'noise', noise: 'other-link' });
      assert.deepEqual(decodeFrame(LINKTYPE.ETHERNET, frame(ethernet(0x0026, Buffer.alloc(38))), 'veth'), { kind: 'noise', noise: 'other-link' }, '802.3 length field');
      assert.deepEqual(decodeFrame(LINKTYPE.ETHERNET, frame(ethernet(0x88cc, Buffer.alloc(30), [7])), 'veth'), { kind: 'noise', noise: 'other-link' });
    });

    it('reports a cut header or VLAN tag', () => {
      assert.deepEqual(decodeFrame(LINKTYPE.ETHERNET, frame(Buffer.alloc(13)), 'veth'), { kind: 'undecodable', reason: 'truncated Ethernet header at offset 0' });
      const tagged = ethernet(ETHERTYPE.IPV4, SYN4, [42]).subarray(0, 16);
      assert.deepEqual(decodeFrame(LINKTYPE.ETHERNET, frame(tagged), 'veth'), { kind: 'undecodable', reason: 'truncated VLAN tag at offset 14' });
    });
  });

  describe('Linux cooked', () => {
    it('SLL (113): protocol at 14, IP at 16', () => {
      assert.deepEqual(decodeLink(LINKTYPE.LINUX_SLL, sll(ETHERTYPE.IPV4, SYN4)), { kind: 'ip', family: 4, offset: 16, end: 16 + SYN4.length });
      assertSyn4(packet(decodeFrame(LINKTYPE.LINUX_SLL, frame(sll(ETHERTYPE.IPV4, SYN4)), 'lo')));
      assertSyn6(packet(decodeFrame(LINKTYPE.LINUX_SLL, frame(sll(ETHERTYPE.IPV6, SYN6)), 'lo')));
      assert.deepEqual(decodeFrame(LINKTYPE.LINUX_SLL, frame(sll(ETHERTYPE.ARP, Buffer.alloc(28))), 'lo'), { kind: 'noise', noise: 'arp' });
      assert.deepEqual(decodeFrame(LINKTYPE.LINUX_SLL, frame(sll(0x0004, Buffer.alloc(28))), 'lo'), { kind: 'noise', noise: 'other-link' });
      assert.deepEqual(decodeFrame(LINKTYPE.LINUX_SLL, frame(Buffer.alloc(15)), 'lo'), { kind: 'undecodable', reason: 'truncated Linux cooked (SLL) header at offset 0' });
    });

    it('SLL2 (276): protocol at 0, IP at 20', () => {
      assert.deepEqual(decodeLink(LINKTYPE.LINUX_SLL2, sll2(ETHERTYPE.IPV6, SYN6)), { kind: 'ip', family: 6, offset: 20, end: 20 + SYN6.length });
      assertSyn4(packet(decodeFrame(LINKTYPE.LINUX_SLL2, frame(sll2(ETHERTYPE.IPV4, SYN4)), 'lo')));
      assertSyn6(packet(decodeFrame(LINKTYPE.LINUX_SLL2, frame(sll2(ETHERTYPE.IPV6, SYN6)), 'lo')));
      assert.deepEqual(decodeFrame(LINKTYPE.LINUX_SLL2, frame(sll2(ETHERTYPE.ARP, Buffer.alloc(28))), 'lo'), { kind: 'noise', noise: 'arp' });
      assert.deepEqual(decodeFrame(LINKTYPE.LINUX_SLL2, frame(Buffer.alloc(19)), 'lo'), { kind: 'undecodable', reason: 'truncated Linux cooked (SLL2) header at offset 0' });
    });
  });

  describe('raw IP and loopback', () => {
    it('RAW (101): the first nibble decides', () => {
      assertSyn4(packet(decodeFrame(LINKTYPE.RAW, frame(SYN4), 'lo')));
      assertSyn6(packet(decodeFrame(LINKTYPE.RAW, frame(SYN6), 'lo')));
      assertSyn4(packet(decodeFrame(228, frame(SYN4), 'lo')));
      assertSyn6(packet(decodeFrame(229, frame(SYN6), 'lo')));
      const bad = Buffer.from(SYN4);
      bad[0] = 0x55;
      assert.deepEqual(decodeFrame(LINKTYPE.RAW, frame(bad), 'lo'), { kind: 'undecodable', reason: 'IP version 5 is neither 4 nor 6 at offset 0' });
      assert.deepEqual(decodeFrame(LINKTYPE.RAW, frame(Buffer.alloc(0)), 'lo'), { kind: 'undecodable', reason: 'truncated IP header at offset 0' });
    });

    it('NULL (0): a host-order family, either byte order', () => {
      const le = (n: number): Buffer => {
        const b = Buffer.alloc(4);
        b.writeUInt32LE(n);
        return b;
      };
      const be = (n: number): Buffer => {
        const b = Buffer.alloc(4);
        b.writeUInt32BE(n);
        return b;
      };
      assertSyn4(packet(decodeFrame(LINKTYPE.NULL, frame(bytes(le(2), SYN4)), 'lo')));
      assertSyn4(packet(decodeFrame(LINKTYPE.NULL, frame(bytes(be(2), SYN4)), 'lo')));
      for (const af of [10, 24, 28, 30]) {
        assertSyn6(packet(decodeFrame(LINKTYPE.NULL, frame(bytes(le(af), SYN6)), 'lo')));
        assertSyn6(packet(decodeFrame(LINKTYPE.NULL, frame(bytes(be(af), SYN6)), 'lo')));
      }
      assert.deepEqual(decodeFrame(LINKTYPE.NULL, frame(bytes(le(7), SYN4)), 'lo'), { kind: 'noise', noise: 'other-link' });
      assertSyn4(packet(decodeFrame(LINKTYPE_LOOP, frame(bytes(be(2), SYN4)), 'lo')));
    });

    it('an unknown link type is undecodable, not a crash', () => {
      assert.deepEqual(decodeFrame(147, frame(SYN4), 'veth'), { kind: 'undecodable', reason: 'unsupported link type 147' });
    });
  });

  describe('NFLOG (239)', () => {
    const DATAGRAM = ipv4({ src: '169.254.1.2', dst: '198.51.100.7', proto: 17 }, udp({ sport: 40996, dport: 9999 }, Buffer.from('metric:1|c')));
    const DATAGRAM6 = ipv6({ src: 'fd::1', dst: '2001:db8::7', next: 17 }, udp({ sport: 50412, dport: 5000 }, Buffer.from('metric:1|c')));

    it('finds the payload TLV after padded TLVs (little-endian, as written on x86)', () => {
      const rec = nflog(2, DATAGRAM);
      const link = decodeLink(LINKTYPE.NFLOG, rec);
      // header 4 + packet-hdr TLV 8 + prefix TLV 7 padded to 8 + payload TLV header 4
      assert.deepEqual(link, { kind: 'ip', family: 4, offset: 24, end: 24 + DATAGRAM.length });
      const p = packet(decodeFrame(LINKTYPE.NFLOG, frame(rec, 3, 5.5), 'nflog'));
      assert.deepEqual(p, {
        index: 3,
        tsMs: 5.5,
        source: 'nflog',
        family: 4,
        src: '169.254.1.2',
        dst: '198.51.100.7',
        proto: 'udp',
        protoNumber: 17,
        udp: { srcPort: 40996, dstPort: 9999, payloadLength: 10 },
      });
    });

    it('family 10 is IPv6; an unknown family falls back to the IP version', () => {
      const p = packet(decodeFrame(LINKTYPE.NFLOG, frame(nflog(10, DATAGRAM6)), 'nflog'));
      assert.equal(p.family, 6);
      assert.equal(p.dst, '2001:db8::7');
      assert.equal(p.udp?.dstPort, 5000);
      assert.equal(packet(decodeFrame(LINKTYPE.NFLOG, frame(nflog(0, DATAGRAM6)), 'nflog')).family, 6);
      assert.equal(packet(decodeFrame(LINKTYPE.NFLOG, frame(nflog(1, DATAGRAM)), 'nflog')).family, 4);
    });

    it('reads TLVs written in big-endian host order too', () => {
      const p = packet(decodeFrame(LINKTYPE.NFLOG, frame(nflog(2, DATAGRAM, { bigEndian: true })), 'nflog'));
      assert.equal(p.dst, '198.51.100.7');
    });

    it('takes what was captured of a payload cut by the snapshot length', () => {
      const rec = nflog(2, DATAGRAM);
      const cut = rec.subarray(0, rec.length - 4);
      const p = packet(decodeFrame(LINKTYPE.NFLOG, { index: 0, tsMs: 0, data: cut, origLength: rec.length }, 'nflog'));
      assert.equal(p.udp?.payloadLength, 10, 'the length on the wire, from the headers');
    });

    it('reports malformed records', () => {
      const noPayload = nflog(2, DATAGRAM, { payloadType: 10 });
      assert.match((decodeFrame(LINKTYPE.NFLOG, frame(noPayload), 'nflog') as { reason: string }).reason, /^NFLOG record without a payload TLV/);
      const zero = nflog(2, DATAGRAM);
      zero.writeUInt16LE(0, 4);
      assert.deepEqual(decodeFrame(LINKTYPE.NFLOG, frame(zero), 'nflog'), { kind: 'undecodable', reason: 'bad NFLOG TLV length 0 at offset 4' });
      const v1 = nflog(2, DATAGRAM);
      v1[1] = 1;
      assert.deepEqual(decodeFrame(LINKTYPE.NFLOG, frame(v1), 'nflog'), { kind: 'undecodable', reason: 'unsupported NFLOG version 1 at offset 1' });
      assert.deepEqual(decodeFrame(LINKTYPE.NFLOG, frame(Buffer.from([2, 0, 0])), 'nflog'), { kind: 'undecodable', reason: 'truncated NFLOG header at offset 0' });
      assert.deepEqual(decodeFrame(LINKTYPE.NFLOG, frame(nflog(2, DATAGRAM).subarray(0, 6)), 'nflog'), { kind: 'undecodable', reason: 'truncated NFLOG TLV header at offset 4' });
    });
  });
});
