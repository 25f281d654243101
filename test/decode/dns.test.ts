import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import { decodeDns, isDnsPort } from '../../src/decode/dns.js';
import { decodeFrame } from '../../src/decode/index.js';
import { LINKTYPE, type DecodedPacket, type DecodeResult } from '../../src/decode/types.js';
import { bytes, ETHERTYPE, ethernet, FLAGS, frame, ipv4, ipv6, tcp, udp } from './build.js';

function packet(r: DecodeResult): DecodedPacket {
  assert.equal(r.kind, 'packet', JSON.stringify(r));
  return (r as { packet: DecodedPacket }).packet;
}

const QUERY = dnsPacket.encode({
  type: 'query',
  id: 0x1234,
  flags: dnsPacket.RECURSION_DESIRED,
  questions: [{ type: 'A', name: 'pkg.example' }],
});

const ANSWER = dnsPacket.encode({
  type: 'response',
  id: 0x1234,
  flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
  questions: [{ type: 'AAAA', name: 'www.example' }],
  answers: [
    { type: 'CNAME', name: 'www.example', ttl: 60, data: 'cdn.example' },
    { type: 'AAAA', name: 'cdn.example', ttl: 60, data: '2001:db8:0:0:0:0:0:10' },
    { type: 'A', name: 'cdn.example', ttl: 60, data: '192.0.2.10' },
    { type: 'MX', name: 'cdn.example', ttl: 60, data: { preference: 10, exchange: 'mx.example' } },
    { type: 'TXT', name: 'cdn.example', ttl: 60, data: ['v=spf1', '-all'] },
  ],
  additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0 } as dnsPacket.Answer],
});

describe('decode/dns', () => {
  it('port 53 and mDNS 5353 are DNS ports', () => {
    assert.equal(isDnsPort(40000, 53), true);
    assert.equal(isDnsPort(53, 40000), true);
    assert.equal(isDnsPort(5353, 5353), true);
    assert.equal(isDnsPort(40000, 853), false);
  });

  it('decodes a query over UDP/IPv4', () => {
    const pkt = ethernet(ETHERTYPE.IPV4, ipv4({ src: '10.0.0.1', dst: '10.255.255.53', proto: 17 }, udp({ sport: 45965, dport: 53 }, QUERY)));
    const p = packet(decodeFrame(LINKTYPE.ETHERNET, frame(pkt), 'lo'));
    assert.deepEqual(p.dns, { id: 0x1234, isResponse: false, rcode: 0, questions: [{ name: 'pkg.example', type: 'A' }], answers: [] });
    assert.equal(p.udp?.payloadLength, QUERY.length);
  });

  it('decodes an answer: A, AAAA (RFC 5952 text), CNAME, MX, TXT; OPT is left out', () => {
    const pkt = ipv6({ src: 'fd::53', dst: 'fd::1', next: 17 }, udp({ sport: 53, dport: 41000 }, ANSWER));
    const p = packet(decodeFrame(LINKTYPE.RAW, frame(pkt), 'lo'));
    assert.deepEqual(p.dns, {
      id: 0x1234,
      isResponse: true,
      rcode: 0,
      questions: [{ name: 'www.example', type: 'AAAA' }],
      answers: [
        { name: 'www.example', type: 'CNAME', data: 'cdn.example' },
        { name: 'cdn.example', type: 'AAAA', data: '2001:db8::10' },
        { name: 'cdn.example', type: 'A', data: '192.0.2.10' },
        { name: 'cdn.example', type: 'MX', data: '10 mx.example' },
        { name: 'cdn.example', type: 'TXT', data: 'v=spf1 -all' },
      ],
    });
  });

  it('reports the rcode of an NXDOMAIN answer', () => {
    const nx = dnsPacket.encode({ type: 'response', id: 9, flags: 3, questions: [{ type: 'A', name: 'nothing.invalid' }] });
    const info = decodeDns(nx, false, false);
    assert.equal(info?.rcode, 3);
    assert.equal(info?.isResponse, true);
  });

  it('names unknown types TYPEnnn (RFC 3597)', () => {
    const q = Buffer.from(QUERY);
    q.writeUInt16BE(65280, q.length - 4);
    assert.deepEqual(decodeDns(q, false, false)?.questions, [{ name: 'pkg.example', type: 'TYPE65280' }]);
  });

  it('DNS over TCP: skips the 2-byte length prefix', () => {
    const stream = dnsPacket.streamEncode({ type: 'query', id: 77, questions: [{ type: 'AAAA', name: 'git.example' }] });
    const seg = tcp({ sport: 39000, dport: 53, flags: FLAGS.ACK | FLAGS.PSH }, stream);
    const p = packet(decodeFrame(LINKTYPE.RAW, frame(ipv4({ dst: '192.0.2.53', proto: 6 }, seg)), 'veth'));
    assert.deepEqual(p.dns, { id: 77, isResponse: false, rcode: 0, questions: [{ name: 'git.example', type: 'AAAA' }], answers: [] });
    assert.equal(p.tcp?.payloadLength, stream.length);
  });

  it('DNS over TCP: a message that continues in the next segment still gives its question', () => {
    const stream = dnsPacket.streamEncode({
      type: 'response',
      id: 78,
      questions: [{ type: 'A', name: 'big.example' }],
      answers: Array.from({ length: 20 }, (_, i) => ({ type: 'A' as const, name: 'big.example', data: `192.0.2.${i}` })),
    });
    const first = stream.subarray(0, 60);
    const p = packet(decodeFrame(LINKTYPE.RAW, frame(ipv4({ src: '192.0.2.53', proto: 6 }, tcp({ sport: 53, dport: 39000, flags: FLAGS.ACK }, first))), 'veth'));
    assert.deepEqual(p.dns, { id: 78, isResponse: true, rcode: 0, questions: [{ name: 'big.example', type: 'A' }], answers: [] });
  });

  it('a TCP segment on port 53 with no payload (the handshake) has no dns', () => {
    const p = packet(decodeFrame(LINKTYPE.RAW, frame(ipv4({ proto: 6 }, tcp({ sport: 40000, dport: 53, flags: FLAGS.SYN }))), 'veth'));
    assert.equal(p.dns, undefined);
  });

  it('mDNS on 5353', () => {
    const q = dnsPacket.encode({ type: 'query', id: 0, questions: [{ type: 'PTR', name: '_http._tcp.local' }] });
    const p = packet(decodeFrame(LINKTYPE.RAW, frame(ipv4({ dst: '224.0.0.251', proto: 17 }, udp({ sport: 5353, dport: 5353 }, q))), 'veth'));
    assert.deepEqual(p.dns?.questions, [{ name: '_http._tcp.local', type: 'PTR' }]);
  });

  it('a response cut by the snapshot length keeps its header and question', () => {
    const dg = ipv4({ src: '192.0.2.53', dst: '10.0.0.1', proto: 17 }, udp({ sport: 53, dport: 41000 }, ANSWER));
    const cut = dg.subarray(0, 20 + 8 + 12 + 17 + 10);
    const p = packet(decodeFrame(LINKTYPE.RAW, { index: 0, tsMs: 0, data: cut, origLength: dg.length }, 'lo'));
    assert.deepEqual(p.dns, { id: 0x1234, isResponse: true, rcode: 0, questions: [{ name: 'www.example', type: 'AAAA' }], answers: [] });
  });

  it('other ports are not decoded as DNS, even when the payload is DNS', () => {
    const p = packet(decodeFrame(LINKTYPE.RAW, frame(ipv4({ proto: 17 }, udp({ sport: 40000, dport: 5300 }, QUERY))), 'veth'));
    assert.equal(p.dns, undefined);
  });

  it('junk on port 53 leaves dns undefined and never throws', () => {
    const junk = [Buffer.from('GET / HTTP/1.1\r\n\r\n'), Buffer.alloc(5), Buffer.alloc(200, 0xff), bytes(QUERY.subarray(0, 12), [0xc0, 0x0c, 0, 1, 0, 1])];
    for (const j of junk) {
      assert.equal(decodeDns(j, false, false), undefined);
      const p = packet(decodeFrame(LINKTYPE.RAW, frame(ipv4({ proto: 17 }, udp({ sport: 40000, dport: 53 }, j))), 'veth'));
      assert.equal(p.dns, undefined);
      assert.equal(p.udp?.dstPort, 53);
    }
    assert.equal(decodeDns(Buffer.from([0]), true, false), undefined);
    assert.equal(decodeDns(Buffer.from([0, 5, 1, 2, 3, 4, 5]), true, false), undefined);
  });
});
