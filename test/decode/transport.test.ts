import assert from 'node:assert/strict';
import { decodeIcmp, icmpNoise } from '../../src/decode/icmp.js';
import { decodeFrame } from '../../src/decode/index.js';
import { decodeTcp } from '../../src/decode/tcp.js';
import { decodeUdp } from '../../src/decode/udp.js';
import { LINKTYPE, type DecodedPacket, type DecodeResult } from '../../src/decode/types.js';
import { echo, ETHERTYPE, ethernet, FLAGS, frame, icmp, ipv4, ipv6, tcp, udp } from './build.js';

function raw(data: Uint8Array): DecodeResult {
  return decodeFrame(LINKTYPE.RAW, frame(data), 'veth');
}

function packet(r: DecodeResult): DecodedPacket {
  assert.equal(r.kind, 'packet', JSON.stringify(r));
  return (r as { packet: DecodedPacket }).packet;
}

describe('decode/tcp', () => {
  it('decodes ports, sequence numbers and each flag', () => {
    const seg = tcp({ sport: 5432, dport: 37514, flags: FLAGS.RST | FLAGS.ACK, seq: 0, ack: 0xfffffff0 });
    assert.deepEqual(decodeTcp(seg, 0, seg.length, seg.length), {
      info: { srcPort: 5432, dstPort: 37514, seq: 0, ack: 0xfffffff0, syn: false, ackFlag: true, rst: true, fin: false, payloadLength: 0 },
      payloadOffset: 20,
    });
    const synAck = decodeTcp(tcp({ sport: 1, dport: 2, flags: FLAGS.SYN | FLAGS.ACK }), 0, 20, 20).info;
    assert.equal(synAck.syn && synAck.ackFlag && !synAck.rst && !synAck.fin, true);
    assert.equal(decodeTcp(tcp({ sport: 1, dport: 2, flags: FLAGS.FIN | FLAGS.ACK }), 0, 20, 20).info.fin, true);
  });

  it('skips options; payload length from the wire length', () => {
    const opts = Buffer.from([2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7]);
    const seg = tcp({ sport: 1, dport: 80, flags: FLAGS.ACK | FLAGS.PSH, options: opts }, Buffer.from('GET / HTTP/1.1\r\n'));
    const d = decodeTcp(seg, 0, seg.length, seg.length);
    assert.equal(d.payloadOffset, 40);
    assert.equal(d.info.payloadLength, 16);
    // Options cut by the snapshot length are no error: the fixed header has the ports and flags.
    const cut = decodeTcp(seg, 0, 24, seg.length);
    assert.equal(cut.info.dstPort, 80);
    assert.equal(cut.info.payloadLength, 16);
    assert.equal(cut.payloadOffset, 24);
  });

  it('rejects a bad data offset and a cut fixed header', () => {
    const seg = tcp({ sport: 1, dport: 2, flags: FLAGS.SYN });
    seg[12] = 0x40;
    assert.throws(() => decodeTcp(seg, 0, 20, 20), /TCP data offset 16 below 20 at offset 12/);
    seg[12] = 0xf0;
    assert.throws(() => decodeTcp(seg, 0, 20, 20), /TCP data offset 60 beyond the segment \(20 bytes\) at offset 12/);
    assert.throws(() => decodeTcp(seg, 0, 19, 20), /truncated TCP header at offset 0/);
  });

  it('a whole IPv4 SYN as decodeFrame returns it', () => {
    const r = decodeFrame(LINKTYPE.ETHERNET, frame(ethernet(ETHERTYPE.IPV4, ipv4({ src: '169.254.1.2', dst: '192.0.2.10', proto: 6 }, tcp({ sport: 53148, dport: 80, flags: FLAGS.SYN, seq: 4200095637 }))), 8, 99), 'veth');
    assert.deepEqual(r, {
      kind: 'packet',
      packet: {
        index: 8,
        tsMs: 99,
        source: 'veth',
        family: 4,
        src: '169.254.1.2',
        dst: '192.0.2.10',
        proto: 'tcp',
        protoNumber: 6,
        tcp: { srcPort: 53148, dstPort: 80, seq: 4200095637, ack: 0, syn: true, ackFlag: false, rst: false, fin: false, payloadLength: 0 },
      },
    });
  });
});

describe('decode/udp', () => {
  it('decodes ports and payload length, bounded by the UDP length', () => {
    const dg = Buffer.concat([udp({ sport: 36874, dport: 9999 }, Buffer.from('metric:1|c')), Buffer.alloc(6)]);
    assert.deepEqual(decodeUdp(dg, 0, dg.length, dg.length), {
      info: { srcPort: 36874, dstPort: 9999, payloadLength: 10 },
      payloadOffset: 8,
      payloadEnd: 18,
    });
  });

  it('rejects bad lengths and a cut header', () => {
    assert.throws(() => decodeUdp(udp({ sport: 1, dport: 2, length: 7 }), 0, 8, 8), /UDP length 7 below 8 at offset 4/);
    assert.throws(() => decodeUdp(udp({ sport: 1, dport: 2, length: 9 }), 0, 8, 8), /UDP length 9 beyond the IP payload \(8 bytes\) at offset 4/);
    assert.throws(() => decodeUdp(udp({ sport: 1, dport: 2 }), 0, 7, 8), /truncated UDP header at offset 0/);
  });

  it('length 0 (jumbogram): the IP payload length', () => {
    assert.equal(decodeUdp(udp({ sport: 1, dport: 2, length: 0 }, Buffer.alloc(30)), 0, 38, 38).info.payloadLength, 30);
  });

  it('IPv6 UDP through decodeFrame', () => {
    const p = packet(raw(ipv6({ src: 'fd::1', dst: '2001:db8::7', next: 17 }, udp({ sport: 58130, dport: 5000 }, Buffer.from('metric:1|c')))));
    assert.deepEqual([p.family, p.src, p.dst, p.proto, p.protoNumber], [6, 'fd::1', '2001:db8::7', 'udp', 17]);
    assert.deepEqual(p.udp, { srcPort: 58130, dstPort: 5000, payloadLength: 10 });
  });
});

describe('decode/icmp', () => {
  it('ICMP echo request and reply: id and sequence', () => {
    const req = packet(raw(ipv4({ proto: 1, dst: '198.51.100.9' }, echo(8, 0x1234, 7))));
    assert.deepEqual(req.icmp, { v6: false, type: 8, code: 0, echo: { id: 0x1234, seq: 7 } });
    const rep = packet(raw(ipv4({ proto: 1 }, echo(0, 1, 65535))));
    assert.deepEqual(rep.icmp, { v6: false, type: 0, code: 0, echo: { id: 1, seq: 65535 } });
  });

  it('ICMPv6 echo request and reply', () => {
    const req = packet(raw(ipv6({ next: 58, dst: '2001:db8::9' }, echo(128, 99, 3))));
    assert.equal(req.proto, 'icmp6');
    assert.deepEqual(req.icmp, { v6: true, type: 128, code: 0, echo: { id: 99, seq: 3 } });
    assert.deepEqual(packet(raw(ipv6({ next: 58 }, echo(129, 99, 3)))).icmp?.echo, { id: 99, seq: 3 });
  });

  it('ICMP net unreachable quoting a TCP SYN', () => {
    const syn = ipv4({ src: '169.254.1.2', dst: '192.0.2.10', proto: 6 }, tcp({ sport: 53148, dport: 80, flags: FLAGS.SYN }));
    const p = packet(raw(ipv4({ src: '169.254.1.1', dst: '169.254.1.2', proto: 1 }, icmp(3, 0, [0, 0, 0, 0], syn))));
    assert.deepEqual(p.icmp, {
      v6: false,
      type: 3,
      code: 0,
      quoted: { family: 4, src: '169.254.1.2', dst: '192.0.2.10', proto: 'tcp', srcPort: 53148, dstPort: 80 },
    });
  });

  it('ICMP port unreachable quoting UDP: only the first 8 bytes of the datagram', () => {
    const dns = ipv4({ src: '10.0.0.1', dst: '10.255.255.53', proto: 17 }, udp({ sport: 45965, dport: 53 }, Buffer.alloc(38)));
    const quote = dns.subarray(0, 28);
    const p = packet(raw(ipv4({ src: '10.255.255.53', dst: '10.0.0.1', proto: 1 }, icmp(3, 3, [0, 0, 0, 0], quote))));
    assert.deepEqual(p.icmp?.quoted, { family: 4, src: '10.0.0.1', dst: '10.255.255.53', proto: 'udp', srcPort: 45965, dstPort: 53 });
    assert.equal(p.udp, undefined, 'the quoted UDP header is not the packet\'s own');
    assert.equal(p.dns, undefined);
  });

  it('ICMP time exceeded and parameter problem quote too; a quote with options', () => {
    const inner = ipv4({ src: '10.0.0.1', dst: '203.0.113.1', proto: 17, options: Buffer.from([1, 1, 1, 0]) }, udp({ sport: 33434, dport: 33435 }));
    for (const type of [11, 12]) {
      const p = packet(raw(ipv4({ proto: 1 }, icmp(type, 0, [0, 0, 0, 0], inner))));
      assert.equal(p.icmp?.type, type);
      assert.deepEqual(p.icmp?.quoted, { family: 4, src: '10.0.0.1', dst: '203.0.113.1', proto: 'udp', srcPort: 33434, dstPort: 33435 });
    }
  });

  it('ICMPv6 unreachable quoting TCP and UDP', () => {
    const syn = ipv6({ src: 'fd::1', dst: '2001:db8::10', next: 6 }, tcp({ sport: 52916, dport: 8080, flags: FLAGS.SYN }));
    const p = packet(raw(ipv6({ src: 'fe80::1', dst: 'fd::1', next: 58 }, icmp(1, 0, [0, 0, 0, 0], syn))));
    assert.deepEqual(p.icmp, {
      v6: true,
      type: 1,
      code: 0,
      quoted: { family: 6, src: 'fd::1', dst: '2001:db8::10', proto: 'tcp', srcPort: 52916, dstPort: 8080 },
    });
    const dg = ipv6({ src: 'fd::1', dst: '2001:db8::7', next: 17 }, udp({ sport: 41000, dport: 5000 }, Buffer.from('x')));
    const u = packet(raw(ipv6({ src: 'fe80::1', dst: 'fd::1', next: 58 }, icmp(1, 4, [0, 0, 0, 0], dg))));
    assert.deepEqual(u.icmp?.quoted, { family: 6, src: 'fd::1', dst: '2001:db8::7', proto: 'udp', srcPort: 41000, dstPort: 5000 });
    // Packet too big (2) and time exceeded (3) quote the same way; the quote may hold extension headers.
    const frag = ipv6({ src: 'fd::1', dst: '2001:db8::7', next: 17, ext: [{ type: 44, body: Buffer.from([0, 1, 0, 0, 0, 9]) }] }, udp({ sport: 1, dport: 2 }));
    assert.deepEqual(packet(raw(ipv6({ next: 58 }, icmp(2, 0, [0, 0, 5, 0], frag)))).icmp?.quoted, { family: 6, src: 'fd::1', dst: '2001:db8::7', proto: 'udp', srcPort: 1, dstPort: 2 });
  });

  it('a quote cut short keeps what it has', () => {
    const syn = ipv4({ src: '169.254.1.2', dst: '192.0.2.10', proto: 6 }, tcp({ sport: 53148, dport: 80, flags: FLAGS.SYN }));
    const twoBytes = packet(raw(ipv4({ proto: 1 }, icmp(3, 1, [0, 0, 0, 0], syn.subarray(0, 22)))));
    assert.deepEqual(twoBytes.icmp?.quoted, { family: 4, src: '169.254.1.2', dst: '192.0.2.10', proto: 'tcp' });
    const tenBytes = packet(raw(ipv4({ proto: 1 }, icmp(3, 1, [0, 0, 0, 0], syn.subarray(0, 10)))));
    assert.deepEqual(tenBytes.icmp, { v6: false, type: 3, code: 1 });
    const v6 = ipv6({ src: 'fd::1', dst: '2001:db8::1', next: 6, ext: [{ type: 0, body: Buffer.alloc(14) }] }, tcp({ sport: 1, dport: 2, flags: FLAGS.SYN }));
    const hbhCut = packet(raw(ipv6({ next: 58 }, icmp(1, 0, [0, 0, 0, 0], v6.subarray(0, 44)))));
    assert.deepEqual(hbhCut.icmp?.quoted, { family: 6, src: 'fd::1', dst: '2001:db8::1', proto: 'other' });
  });

  it('NDP, MLD and router solicitations are noise, never packets', () => {
    const cases: [number, string][] = [
      [133, 'router-solicitation'],
      [134, 'ndp'],
      [135, 'ndp'],
      [136, 'ndp'],
      [137, 'ndp'],
      [130, 'mld'],
      [131, 'mld'],
      [132, 'mld'],
      [143, 'mld'],
    ];
    for (const [type, noise] of cases) {
      assert.equal(icmpNoise(true, type), noise);
      const pkt = ipv6({ src: 'fe80::2', dst: 'ff02::2', next: 58 }, icmp(type, 0, [0, 0, 0, 0], Buffer.alloc(16)));
      assert.deepEqual(raw(pkt), { kind: 'noise', noise }, `type ${type}`);
    }
    // MLDv2 reports come behind a hop-by-hop header with router alert.
    const mld = ipv6({ src: 'fe80::2', dst: 'ff02::16', next: 58, ext: [{ type: 0, body: Buffer.from([5, 2, 0, 0, 1, 0]) }] }, icmp(143, 0, [0, 0, 0, 1], Buffer.alloc(20)));
    assert.deepEqual(decodeFrame(LINKTYPE.ETHERNET, frame(ethernet(ETHERTYPE.IPV6, mld)), 'veth'), { kind: 'noise', noise: 'mld' });
    assert.equal(icmpNoise(true, 128), undefined);
    assert.equal(icmpNoise(true, 1), undefined);
    assert.equal(icmpNoise(false, 10), 'router-solicitation');
    assert.equal(icmpNoise(false, 3), undefined);
  });

  it('rejects messages cut before type and code, or an echo cut before its id', () => {
    assert.deepEqual(raw(ipv4({ proto: 1 }, Buffer.from([8, 0, 0]))), { kind: 'undecodable', reason: 'truncated ICMP header at offset 20' });
    assert.deepEqual(raw(ipv4({ proto: 1 }, Buffer.from([8, 0, 0, 0, 0]))), { kind: 'undecodable', reason: 'truncated ICMP echo header at offset 20' });
    assert.deepEqual(raw(ipv6({ next: 58 }, Buffer.from([128, 0, 0, 0]))), { kind: 'undecodable', reason: 'truncated ICMPv6 echo header at offset 40' });
    assert.throws(() => decodeIcmp(Buffer.from([3, 0, 0, 0, 0]), 0, 5, false), /truncated ICMP header at offset 0/);
  });

  it('other ICMP types are packets without echo or quote', () => {
    assert.deepEqual(packet(raw(ipv4({ proto: 1 }, icmp(13, 0)))).icmp, { v6: false, type: 13, code: 0 });
    assert.deepEqual(packet(raw(ipv6({ next: 58 }, icmp(139, 0)))).icmp, { v6: true, type: 139, code: 0 });
  });
});
