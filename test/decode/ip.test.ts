import assert from 'node:assert/strict';
import { decodeFrame } from '../../src/decode/index.js';
import { decodeIpv4 } from '../../src/decode/ipv4.js';
import { decodeIpv6 } from '../../src/decode/ipv6.js';
import { LINKTYPE, type DecodedPacket, type DecodeResult } from '../../src/decode/types.js';
import { bytes, FLAGS, frame, ipv4, ipv6, tcp, udp } from './build.js';

function raw(data: Uint8Array, origLength = data.length): DecodeResult {
  return decodeFrame(LINKTYPE.RAW, { index: 0, tsMs: 0, data, origLength }, 'veth');
}

function packet(r: DecodeResult): DecodedPacket {
  assert.equal(r.kind, 'packet', JSON.stringify(r));
  return (r as { packet: DecodedPacket }).packet;
}

const SYN = tcp({ sport: 40000, dport: 443, flags: FLAGS.SYN, seq: 7 });

describe('decode/ipv4', () => {
  it('decodes the fixed header', () => {
    const pkt = ipv4({ src: '10.0.0.1', dst: '203.0.113.5', proto: 6 }, SYN);
    const h = decodeIpv4(pkt, 0, pkt.length);
    assert.deepEqual(h, {
      src: '10.0.0.1',
      dst: '203.0.113.5',
      protocol: 6,
      headerLength: 20,
      fragmentOffset: 0,
      moreFragments: false,
      payloadOffset: 20,
      payloadEnd: 40,
      payloadLength: 20,
      cut: false,
    });
  });

  it('skips options (IHL > 5)', () => {
    const opts = Buffer.from([0x94, 0x04, 0, 0, 1, 1, 1, 0]); // router alert + 3 NOP + EOL
    const p = packet(raw(ipv4({ dst: '203.0.113.5', proto: 6, options: opts }, SYN)));
    assert.equal(p.tcp?.dstPort, 443);
    assert.equal(p.tcp?.seq, 7);
  });

  it('first fragment: transport header decoded; later fragments are noise', () => {
    // The UDP length covers the whole datagram, beyond this fragment's payload.
    const first = packet(raw(ipv4({ proto: 17, moreFragments: true }, udp({ sport: 1, dport: 9, length: 3000 }, Buffer.alloc(4)))));
    assert.equal(first.proto, 'udp');
    assert.deepEqual(first.udp, { srcPort: 1, dstPort: 9, payloadLength: 2992 });
    // Not fragmented, the same UDP length is a lie.
    assert.deepEqual(raw(ipv4({ proto: 17 }, udp({ sport: 1, dport: 9, length: 3000 }, Buffer.alloc(4)))), {
      kind: 'undecodable',
      reason: 'UDP length 3000 beyond the IP payload (12 bytes) at offset 24',
    });
    const later = raw(ipv4({ proto: 17, fragOffset: 1480 }, Buffer.alloc(100, 0x41)));
    assert.deepEqual(later, { kind: 'noise', noise: 'other-ip' });
  });

  it('IGMP is noise; other protocols are packets with proto "other"', () => {
    assert.deepEqual(raw(ipv4({ proto: 2 }, Buffer.alloc(8))), { kind: 'noise', noise: 'other-ip' });
    const sctp = packet(raw(ipv4({ proto: 132, dst: '198.51.100.1' }, Buffer.alloc(12))));
    assert.equal(sctp.proto, 'other');
    assert.equal(sctp.protoNumber, 132);
    assert.equal(sctp.dst, '198.51.100.1');
    const icmp6in4 = packet(raw(ipv4({ proto: 58 }, Buffer.alloc(8))));
    assert.equal(icmp6in4.proto, 'other');
    assert.equal(icmp6in4.icmp, undefined);
  });

  it('uses the total length on the wire when the capture cut the packet', () => {
    const pkt = ipv4({ proto: 6 }, tcp({ sport: 1, dport: 2, flags: FLAGS.ACK | FLAGS.PSH }, Buffer.alloc(1000)));
    const p = packet(raw(pkt.subarray(0, 60), pkt.length));
    assert.equal(p.tcp?.payloadLength, 1000);
    const h = decodeIpv4(pkt, 0, 60);
    assert.equal(h.cut, true);
    assert.equal(h.payloadEnd, 60);
    assert.equal(h.payloadLength, 1020);
  });

  it('total length 0 (offload super-packet): takes the captured length', () => {
    const pkt = ipv4({ proto: 6, totalLength: 0 }, tcp({ sport: 1, dport: 2, flags: FLAGS.ACK }, Buffer.alloc(70000 - 40)));
    assert.equal(packet(raw(pkt)).tcp?.payloadLength, 70000 - 40);
  });

  it('rejects bad versions, header lengths and total lengths', () => {
    const pkt = ipv4({ proto: 6 }, SYN);
    const v = Buffer.from(pkt);
    v[0] = 0x65;
    assert.throws(() => decodeIpv4(v, 0, v.length), /IPv4 header with version 6 at offset 0/);
    const ihl = Buffer.from(pkt);
    ihl[0] = 0x44;
    assert.deepEqual(raw(ihl), { kind: 'undecodable', reason: 'IPv4 header length 16 below 20 at offset 0' });
    const tl = Buffer.from(pkt);
    tl.writeUInt16BE(19, 2);
    assert.deepEqual(raw(tl), { kind: 'undecodable', reason: 'IPv4 total length 19 below header length 20 at offset 0' });
    assert.deepEqual(raw(pkt.subarray(0, 19)), { kind: 'undecodable', reason: 'truncated IPv4 header at offset 0' });
    const opts = ipv4({ proto: 6, options: Buffer.alloc(8, 1) }, SYN);
    assert.deepEqual(raw(opts.subarray(0, 24)), { kind: 'undecodable', reason: 'truncated IPv4 header at offset 0' });
  });
});

describe('decode/ipv6', () => {
  it('decodes the fixed header', () => {
    const pkt = ipv6({ src: 'fd::1', dst: '2001:db8::10', next: 6 }, SYN);
    assert.deepEqual(decodeIpv6(pkt, 0, pkt.length), {
      src: 'fd::1',
      dst: '2001:db8::10',
      protocol: 6,
      fragmentOffset: 0,
      moreFragments: false,
      payloadOffset: 40,
      payloadEnd: 60,
      payloadLength: 20,
      cut: false,
    });
  });

  it('walks hop-by-hop and fragment headers to the transport header', () => {
    const pkt = ipv6({ next: 17, ext: [{ type: 0, body: Buffer.from([5, 2, 0, 0, 1, 0]) }, { type: 44, body: Buffer.from([0, 1, 0, 0, 0, 42]) }] }, udp({ sport: 5353, dport: 5000 }, Buffer.from('x')));
    const h = decodeIpv6(pkt, 0, pkt.length);
    assert.equal(h.protocol, 17);
    assert.equal(h.payloadOffset, 40 + 8 + 8);
    assert.equal(h.fragmentOffset, 0);
    assert.equal(h.moreFragments, true);
    assert.equal(h.payloadLength, 9);
    const p = packet(raw(pkt));
    assert.equal(p.protoNumber, 17);
    assert.deepEqual(p.udp, { srcPort: 5353, dstPort: 5000, payloadLength: 1 });
  });

  it('walks routing, destination options and AH (4-byte units)', () => {
    const pkt = ipv6(
      { next: 6, ext: [{ type: 43, body: Buffer.alloc(22) }, { type: 60, body: Buffer.alloc(6) }, { type: 51, body: Buffer.alloc(22) }] },
      SYN,
    );
    const h = decodeIpv6(pkt, 0, pkt.length);
    assert.equal(h.payloadOffset, 40 + 24 + 8 + 24);
    assert.equal(packet(raw(pkt)).tcp?.dstPort, 443);
  });

  it('a later fragment is noise; "no next header" is noise', () => {
    const later = ipv6({ next: 6, ext: [{ type: 44, body: Buffer.from([0x05, 0xc8, 0, 0, 0, 42]) }] }, Buffer.alloc(64));
    assert.equal(decodeIpv6(later, 0, later.length).fragmentOffset, 1480);
    assert.deepEqual(raw(later), { kind: 'noise', noise: 'other-ip' });
    assert.deepEqual(raw(ipv6({ next: 59 }, Buffer.alloc(0))), { kind: 'noise', noise: 'other-ip' });
  });

  it('ESP ends the walk: a packet with proto "other"', () => {
    const p = packet(raw(ipv6({ next: 50 }, Buffer.alloc(16))));
    assert.equal(p.proto, 'other');
    assert.equal(p.protoNumber, 50);
  });

  it('reports cut or overlong extension headers', () => {
    const pkt = ipv6({ next: 6, ext: [{ type: 0 }] }, SYN);
    assert.deepEqual(raw(pkt.subarray(0, 44)), { kind: 'undecodable', reason: 'truncated IPv6 extension header at offset 40' });
    const long = Buffer.from(pkt);
    long[41] = 200; // hop-by-hop claims 1608 bytes
    assert.deepEqual(raw(long), { kind: 'undecodable', reason: 'truncated IPv6 extension header at offset 42' });
    assert.deepEqual(raw(pkt.subarray(0, 39)), { kind: 'undecodable', reason: 'truncated IPv6 header at offset 0' });
  });

  it('payload length 0 (jumbogram / offload): takes the captured length', () => {
    const p = packet(raw(ipv6({ next: 6, payloadLength: 0 }, tcp({ sport: 1, dport: 2, flags: FLAGS.ACK }, Buffer.alloc(100)))));
    assert.equal(p.tcp?.payloadLength, 100);
  });

  it('payload length beyond the capture: cut, length from the header', () => {
    const pkt = ipv6({ next: 6 }, tcp({ sport: 1, dport: 2, flags: FLAGS.ACK }, Buffer.alloc(500)));
    const h = decodeIpv6(pkt, 0, 80);
    assert.equal(h.cut, true);
    assert.equal(h.payloadEnd, 80);
    assert.equal(h.payloadLength, 520);
  });

  it('decodes at an offset inside a larger buffer', () => {
    const pkt = bytes(Buffer.alloc(7, 0xff), ipv6({ src: 'fe80::2', dst: 'ff02::16', next: 6 }, SYN));
    const h = decodeIpv6(pkt, 7, pkt.length);
    assert.equal(h.src, 'fe80::2');
    assert.equal(h.dst, 'ff02::16');
    assert.equal(h.payloadOffset, 47);
  });
});

describe('decodeFrame shape', () => {
  it('copies index, timestamp and source from the frame', () => {
    const p = packet(decodeFrame(LINKTYPE.RAW, frame(ipv4({ proto: 6 }, SYN), 17, 1234.5), 'lo'));
    assert.equal(p.index, 17);
    assert.equal(p.tsMs, 1234.5);
    assert.equal(p.source, 'lo');
  });
});
