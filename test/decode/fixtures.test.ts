/**
 * Every real capture under fixtures/pcap/<scenario>/ decodes to the packets.json beside it (checked by eye
 * against tcpdump -nr when the captures were made). NETAUDIT_UPDATE_FIXTURES=1 rewrites packets.json from
 * the decoder instead: review the diff before committing it.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPcapFile } from '../../src/capture/pcap.js';
import { decodeFrames } from '../../src/decode/index.js';
import type { DecodedPacket } from '../../src/decode/types.js';
import { scenarios, sourceOf, summarize, type FileSummary } from './fixtures.js';

const UPDATE = process.env.NETAUDIT_UPDATE_FIXTURES === '1';

describe('decode: fixture captures', () => {
  const all = scenarios();

  it('has the scenarios the brief asks for', () => {
    const names = all.map((s) => s.name);
    for (const n of ['curl-dns', 'curl-v4', 'curl-v6', 'udp-send', 'dns-nflog', 'refused-lo', 'own-server', 'private-net', 'cooked']) {
      assert.ok(names.includes(n), `fixtures/pcap/${n} missing`);
    }
  });

  for (const s of all) {
    it(`${s.name}: every capture decodes to packets.json`, async () => {
      const got: Record<string, FileSummary> = {};
      for (const f of s.files) {
        const pcap = await readPcapFile(join(s.dir, f));
        assert.equal(pcap.incomplete, false, `${f} is incomplete`);
        got[f] = summarize(pcap.linkType, pcap.snapLength, pcap.frames, sourceOf(f));
        // decodeFrames agrees with frame-by-frame decoding.
        const d = decodeFrames(pcap.linkType, pcap.frames, sourceOf(f));
        assert.equal(d.packets.length, got[f].packets);
        assert.equal(d.undecodable, got[f].undecodable, `${f}: ${JSON.stringify(got[f].decoded.filter((x) => 'undecodable' in x))}`);
        assert.equal(d.undecodable, 0);
      }
      const path = join(s.dir, 'packets.json');
      if (UPDATE) writeFileSync(path, `${JSON.stringify(got, null, 2)}\n`);
      assert.ok(existsSync(path), `${path} missing (run with NETAUDIT_UPDATE_FIXTURES=1 to create it)`);
      const want = JSON.parse(readFileSync(path, 'utf8')) as Record<string, FileSummary>;
      assert.deepStrictEqual(got, want);
    });
  }

  // What each scenario must show, whatever packets.json says: the facts the analysis relies on.
  async function packetsOf(scenario: string, file: string): Promise<DecodedPacket[]> {
    const dir = all.find((s) => s.name === scenario)?.dir ?? '';
    const pcap = await readPcapFile(join(dir, file));
    return decodeFrames(pcap.linkType, pcap.frames, sourceOf(file)).packets;
  }

  it('curl-dns: A and AAAA queries to the resolver on lo, each refused with ICMP port unreachable', async () => {
    const ps = await packetsOf('curl-dns', 'lo.pcap');
    const queries = ps.filter((p) => p.dns);
    assert.ok(queries.length >= 2);
    assert.deepEqual(new Set(queries.flatMap((p) => p.dns?.questions.map((q) => `${q.type} ${q.name}`))), new Set(['A anything.example.org', 'AAAA anything.example.org']));
    for (const q of queries) assert.deepEqual([q.dst, q.udp?.dstPort, q.src], ['10.255.255.53', 53, '10.0.0.1']);
    const errors = ps.filter((p) => p.icmp);
    assert.equal(errors.length, queries.length);
    for (const e of errors) {
      assert.deepEqual([e.icmp?.type, e.icmp?.code, e.icmp?.quoted?.dst, e.icmp?.quoted?.dstPort, e.icmp?.quoted?.proto], [3, 3, '10.255.255.53', 53, 'udp']);
    }
  });

  it('curl-v4: a SYN to 192.0.2.10:80 over the veth, answered by ICMP net unreachable quoting it', async () => {
    const ps = await packetsOf('curl-v4', 'veth.pcap');
    assert.equal(ps.length, 2);
    const [syn, err] = ps as [DecodedPacket, DecodedPacket];
    assert.deepEqual([syn.src, syn.dst, syn.tcp?.dstPort, syn.tcp?.syn, syn.tcp?.ackFlag], ['169.254.1.2', '192.0.2.10', 80, true, false]);
    assert.deepEqual([err.src, err.dst, err.icmp?.type, err.icmp?.code], ['169.254.1.1', '169.254.1.2', 3, 0]);
    assert.deepEqual(err.icmp?.quoted, { family: 4, src: '169.254.1.2', dst: '192.0.2.10', proto: 'tcp', srcPort: syn.tcp?.srcPort, dstPort: 80 });
  });

  it('curl-v6: SYNs from fd::1 to [2001:db8::10]:8080, ICMPv6 no-route quoting them; NDP/MLD/RS are noise', async () => {
    const ps = await packetsOf('curl-v6', 'veth.pcap');
    const syns = ps.filter((p) => p.tcp?.syn);
    assert.ok(syns.length >= 1);
    for (const s of syns) assert.deepEqual([s.family, s.src, s.dst, s.tcp?.dstPort], [6, 'fd::1', '2001:db8::10', 8080]);
    const errs = ps.filter((p) => p.icmp);
    assert.equal(errs.length, syns.length);
    for (const e of errs) {
      assert.deepEqual([e.proto, e.src, e.dst, e.icmp?.type, e.icmp?.code, e.icmp?.quoted?.dst, e.icmp?.quoted?.dstPort], ['icmp6', 'fe80::1', 'fd::1', 1, 0, '2001:db8::10', 8080]);
    }
    assert.equal(ps.length, syns.length + errs.length, 'nothing else on the veth is a packet');
  });

  it('udp-send: both datagrams are in the NFLOG capture, none on the veth', async () => {
    const ps = await packetsOf('udp-send', 'nflog.pcap');
    assert.deepEqual(
      ps.map((p) => [p.source, p.family, p.src, p.dst, p.udp?.dstPort, p.udp?.payloadLength]),
      [
        ['nflog', 4, '169.254.1.2', '198.51.100.7', 9999, 10],
        ['nflog', 6, 'fd::1', '2001:db8::7', 5000, 10],
      ],
    );
    assert.deepEqual(await packetsOf('udp-send', 'veth.pcap'), []);
  });

  it('dns-nflog: the NFLOG record holds the DNS question', async () => {
    const [p, ...rest] = await packetsOf('dns-nflog', 'nflog.pcap');
    assert.equal(rest.length, 0);
    assert.deepEqual([p?.dst, p?.udp?.dstPort], ['192.0.2.53', 53]);
    assert.deepEqual(p?.dns, { id: 0x1234, isResponse: false, rcode: 0, questions: [{ name: 'pkg.example', type: 'A' }], answers: [] });
  });

  it('refused-lo and private-net: SYN then RST+ACK on lo', async () => {
    for (const [scenario, addr, port] of [['refused-lo', '127.0.0.1', 5432], ['private-net', '10.1.2.3', 80]] as const) {
      const ps = await packetsOf(scenario, 'lo.pcap');
      assert.equal(ps.length, 2, scenario);
      const [syn, rst] = ps as [DecodedPacket, DecodedPacket];
      assert.deepEqual([syn.dst, syn.tcp?.dstPort, syn.tcp?.syn], [addr, port, true]);
      assert.deepEqual([rst.src, rst.tcp?.srcPort, rst.tcp?.rst, rst.tcp?.ackFlag, rst.tcp?.ack], [addr, port, true, true, ((syn.tcp?.seq ?? 0) + 1) >>> 0]);
    }
  });

  it('own-server: SYN and SYN-ACK on lo, nothing else (the loopback filter drops the data)', async () => {
    const ps = await packetsOf('own-server', 'lo.pcap');
    assert.deepEqual(
      ps.map((p) => [p.tcp?.syn, p.tcp?.ackFlag, p.tcp?.rst]),
      [
        [true, false, false],
        [true, true, false],
      ],
    );
    assert.equal(ps[0]?.tcp?.dstPort, 8000);
    assert.equal(ps[1]?.tcp?.srcPort, 8000);
  });

  it('cooked: the SLL and SLL2 captures of the same traffic decode to the same packets', async () => {
    const a = await packetsOf('cooked', 'any-sll.pcap');
    const b = await packetsOf('cooked', 'any-sll2.pcap');
    const strip = (ps: DecodedPacket[]): unknown[] => ps.map(({ tsMs: _t, ...rest }) => rest);
    assert.ok(a.length >= 4);
    assert.deepStrictEqual(strip(a), strip(b));
    assert.ok(a.some((p) => p.tcp?.syn && p.dst === '192.0.2.10'));
    assert.ok(a.some((p) => p.dns?.questions[0]?.name === 'anything.example.org'));
  });
});
