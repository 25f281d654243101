import assert from 'node:assert/strict';
import { analyze } from '../../src/analyze/index.js';
import type { Attempt, Phase } from '../../src/model/types.js';
import { BUILD_LL6, BUILD_V4, BUILD_V6, MONITOR_LL6, MONITOR_V4, Packets, T0, shuffled } from './packets.js';

const run = (p: Packets, phases?: Phase[]): Attempt[] => analyze(p.list, { buildStartMs: T0, ...(phases ? { phases } : {}) });

describe('analyze', () => {
  describe('DNS', () => {
    it('folds A and AAAA retries to a 10.x resolver on lo, refused by ICMP port unreachable', () => {
      const p = new Packets();
      const R = '10.255.255.53';
      const C = '10.0.0.1';
      const A = { id: 0x1111, name: 'Anything.Example.ORG.', type: 'A' };
      const AAAA = { id: 0x2222, name: 'anything.example.org', type: 'AAAA' };
      for (const at of [100, 5100]) {
        p.dnsQuery('lo', at, C, 40000, R, A)
          .portUnreachable('lo', at + 0.05, R, C, { proto: 'udp', src: C, srcPort: 40000, dst: R, dstPort: 53 })
          .dnsQuery('lo', at + 0.2, C, 40000, R, AAAA)
          .portUnreachable('lo', at + 0.25, R, C, { proto: 'udp', src: C, srcPort: 40000, dst: R, dstPort: 53 });
      }
      const common = { kind: 'dns', scope: 'external', family: 4, address: R, port: 53, hostname: 'anything.example.org' } as const;
      assert.deepStrictEqual(run(p), [
        { ...common, qtype: 'A', count: 2, firstAtMs: 100, outcome: 'refused', seenOn: ['lo'], allowed: false },
        { ...common, qtype: 'AAAA', count: 2, firstAtMs: 100, outcome: 'refused', seenOn: ['lo'], allowed: false },
      ]);
    });

    it('counts a retransmitted query (same id) on the same attempt; 127.0.0.53 is host-local', () => {
      const p = new Packets();
      const q = { id: 7, name: 'pkg.example', type: 'A' };
      p.dnsQuery('lo', 10, '127.0.0.1', 41000, '127.0.0.53', q)
        .dnsQuery('lo', 1010, '127.0.0.1', 41000, '127.0.0.53', q)
        .portUnreachable('lo', 1010.1, '127.0.0.53', '127.0.0.1', { proto: 'udp', src: '127.0.0.1', srcPort: 41000, dst: '127.0.0.53', dstPort: 53 });
      assert.deepStrictEqual(run(p), [
        {
          kind: 'dns', scope: 'host-local', family: 4, address: '127.0.0.53', port: 53, hostname: 'pkg.example', qtype: 'A',
          count: 2, firstAtMs: 10, outcome: 'refused', seenOn: ['lo'], allowed: false,
        },
      ]);
    });

    it('reports an unanswered query on lo (its ICMP error may have been rate-limited)', () => {
      const p = new Packets().dnsQuery('lo', 3, '127.0.0.1', 41000, '127.0.0.53', { id: 1, name: 'a.example', type: 'AAAA' });
      assert.deepStrictEqual(run(p), [
        {
          kind: 'dns', scope: 'host-local', family: 4, address: '127.0.0.53', port: 53, hostname: 'a.example', qtype: 'AAAA',
          count: 1, firstAtMs: 3, outcome: 'unanswered', seenOn: ['lo'], allowed: false,
        },
      ]);
    });

    it('ignores a query the build answered itself on lo', () => {
      const q = { id: 9, name: 'local.test', type: 'A' };
      const p = new Packets()
        .dnsQuery('lo', 1, '127.0.0.1', 42000, '127.0.0.1', q)
        .dnsResponse('lo', 2, '127.0.0.1', 53, '127.0.0.1', 42000, q, [{ name: 'local.test', type: 'A', data: '127.0.0.1' }]);
      assert.deepStrictEqual(run(p), []);
    });

    it('reports queries to an external resolver logged by nflog as dropped', () => {
      const q = { id: 3, name: 'registry.example', type: 'A' };
      const p = new Packets().dnsQuery('nflog', 20, BUILD_V4, 43000, '192.0.2.53', q).dnsQuery('nflog', 25, BUILD_V4, 43000, '192.0.2.53', q);
      assert.deepStrictEqual(run(p), [
        {
          kind: 'dns', scope: 'external', family: 4, address: '192.0.2.53', port: 53, hostname: 'registry.example', qtype: 'A',
          count: 2, firstAtMs: 20, outcome: 'dropped', seenOn: ['nflog'], allowed: false,
        },
      ]);
    });

    it('gives a later connection to an answered address the name that was asked', () => {
      const q = { id: 5, name: 'www.example', type: 'A' };
      const p = new Packets()
        .syn('veth', 1, BUILD_V4, 50000, '192.0.2.44', 443) // before the answer: no name
        .dnsQuery('lo', 5, '127.0.0.1', 42000, '127.0.0.1', q)
        .dnsResponse('lo', 6, '127.0.0.1', 53, '127.0.0.1', 42000, q, [
          { name: 'www.example', type: 'CNAME', data: 'cdn.example' },
          { name: 'cdn.example', type: 'A', data: '192.0.2.44' },
        ])
        .syn('veth', 10, BUILD_V4, 50001, '192.0.2.44', 443)
        .netUnreachable('veth', 10.1, MONITOR_V4, BUILD_V4, { proto: 'tcp', src: BUILD_V4, srcPort: 50001, dst: '192.0.2.44', dstPort: 443 });
      const base = { kind: 'tcp', scope: 'external', family: 4, address: '192.0.2.44', port: 443 } as const;
      assert.deepStrictEqual(run(p), [
        { ...base, count: 1, firstAtMs: 1, outcome: 'unanswered', seenOn: ['veth'], allowed: false },
        { ...base, hostname: 'www.example', count: 1, firstAtMs: 10, outcome: 'unreachable', seenOn: ['veth'], allowed: false },
      ]);
    });
  });

  describe('TCP over the veth', () => {
    const quote = { proto: 'tcp', src: BUILD_V4, srcPort: 50000, dst: '192.0.2.10', dstPort: 80 } as const;
    const expected: Attempt = {
      kind: 'tcp', scope: 'external', family: 4, address: '192.0.2.10', port: 80,
      count: 2, firstAtMs: 12, outcome: 'unreachable', seenOn: ['veth'], allowed: false,
    };

    it('folds a SYN retransmit, each answered by ICMP net unreachable', () => {
      const p = new Packets()
        .syn('veth', 12, BUILD_V4, 50000, '192.0.2.10', 80)
        .netUnreachable('veth', 12.1, MONITOR_V4, BUILD_V4, quote)
        .syn('veth', 1012, BUILD_V4, 50000, '192.0.2.10', 80)
        .netUnreachable('veth', 1012.1, MONITOR_V4, BUILD_V4, quote);
      assert.deepStrictEqual(run(p), [expected]);
    });

    it('does not count the second ICMP error when the retransmit went out before the first error', () => {
      const p = new Packets()
        .syn('veth', 12, BUILD_V4, 50000, '192.0.2.10', 80)
        .syn('veth', 12.01, BUILD_V4, 50000, '192.0.2.10', 80)
        .netUnreachable('veth', 12.1, MONITOR_V4, BUILD_V4, quote)
        .netUnreachable('veth', 12.11, MONITOR_V4, BUILD_V4, quote);
      assert.deepStrictEqual(run(p), [expected]);
    });

    it('folds connections from different source ports into one attempt, counting every SYN', () => {
      const p = new Packets()
        .syn('veth', 12, BUILD_V4, 50000, '192.0.2.10', 80)
        .netUnreachable('veth', 12.1, MONITOR_V4, BUILD_V4, quote)
        .syn('veth', 20, BUILD_V4, 50002, '192.0.2.10', 80)
        .netUnreachable('veth', 20.1, MONITOR_V4, BUILD_V4, { ...quote, srcPort: 50002 })
        .syn('veth', 30, BUILD_V4, 50004, '192.0.2.10', 80); // error rate-limited: unanswered, folded in
      assert.deepStrictEqual(run(p), [{ ...expected, count: 3 }]);
    });

    it('reports an IPv6 SYN from fd::1 with canonical addresses', () => {
      const p = new Packets()
        .syn('veth', 5, BUILD_V6, 51000, '2001:0DB8:0:0::10', 8080)
        .netUnreachable('veth', 5.2, MONITOR_LL6, BUILD_V6, { proto: 'tcp', src: BUILD_V6, srcPort: 51000, dst: '2001:db8::10', dstPort: 8080 });
      assert.deepStrictEqual(run(p), [
        {
          kind: 'tcp', scope: 'external', family: 6, address: '2001:db8::10', port: 8080,
          count: 1, firstAtMs: 5, outcome: 'unreachable', seenOn: ['veth'], allowed: false,
        },
      ]);
    });

    it('reports an unanswered SYN, and a SYN answered over the veth (observation mode) without outcome', () => {
      const p = new Packets()
        .syn('veth', 1, BUILD_LL6, 52000, '2001:db8::20', 443)
        .syn('veth', 2, BUILD_V4, 52001, '192.0.2.30', 443)
        .synAck('veth', 2.5, '192.0.2.30', 443, BUILD_V4, 52001);
      assert.deepStrictEqual(run(p), [
        { kind: 'tcp', scope: 'external', family: 6, address: '2001:db8::20', port: 443, count: 1, firstAtMs: 1, outcome: 'unanswered', seenOn: ['veth'], allowed: false },
        { kind: 'tcp', scope: 'external', family: 4, address: '192.0.2.30', port: 443, count: 1, firstAtMs: 2, seenOn: ['veth'], allowed: false },
      ]);
    });

    it('ignores packets from the monitor and everything that is not an attempt', () => {
      const p = new Packets()
        .syn('veth', 1, MONITOR_V4, 1234, '192.0.2.1', 80) // from the monitor
        .syn('veth', 1, MONITOR_LL6, 1234, '2001:db8::1', 80)
        .udp('veth', 1, MONITOR_V4, 5353, '224.0.0.251', 5353)
        .echoRequest('veth', 1, MONITOR_LL6, 'ff02::1', 1, 1)
        .tcp('veth', 2, BUILD_V4, 50000, '192.0.2.1', 80, 'A') // not a SYN
        .tcp('veth', 2, BUILD_V4, 50000, '192.0.2.1', 80, 'FA')
        .echoReply('veth', 3, BUILD_V4, '192.0.2.9', 1, 1)
        // an error about the monitor's own packet, and one that is not a failure (packet too big)
        .netUnreachable('veth', 4, BUILD_V4, MONITOR_V4, { proto: 'udp', src: MONITOR_V4, srcPort: 1, dst: '192.0.2.5', dstPort: 2 })
        .icmpError('veth', 5, MONITOR_LL6, BUILD_V6, 0, { proto: 'tcp', src: BUILD_V6, srcPort: 1, dst: '2001:db8::5', dstPort: 2 }, 2);
      assert.deepStrictEqual(run(p), []);
    });

    it('keeps the evidence of an error whose SYN was not captured', () => {
      const p = new Packets().netUnreachable('veth', 7, MONITOR_V4, BUILD_V4, { proto: 'tcp', src: BUILD_V4, srcPort: 50000, dst: '198.51.100.1', dstPort: 9418 });
      assert.deepStrictEqual(run(p), [
        { kind: 'tcp', scope: 'external', family: 4, address: '198.51.100.1', port: 9418, count: 1, firstAtMs: 7, outcome: 'unreachable', seenOn: ['veth'], allowed: false },
      ]);
    });
  });

  describe('TCP on lo', () => {
    it('reports a refused connect to the host PostgreSQL on 127.0.0.1:5432', () => {
      const p = new Packets()
        .syn('lo', 40, '127.0.0.1', 40000, '127.0.0.1', 5432)
        .rst('lo', 40.01, '127.0.0.1', 5432, '127.0.0.1', 40000)
        .syn('lo', 41, '127.0.0.1', 40002, '127.0.0.1', 5432)
        .rst('lo', 41.01, '127.0.0.1', 5432, '127.0.0.1', 40002);
      assert.deepStrictEqual(run(p), [
        { kind: 'tcp', scope: 'host-local', family: 4, address: '127.0.0.1', port: 5432, count: 2, firstAtMs: 40, outcome: 'refused', seenOn: ['lo'], allowed: false },
      ]);
    });

    it('reports nothing for the build talking to its own server on loopback', () => {
      const p = new Packets();
      for (let i = 0; i < 3; i++) {
        p.syn('lo', i, '127.0.0.1', 45000 + i, '127.0.0.1', 8000)
          .synAck('lo', i + 0.01, '127.0.0.1', 8000, '127.0.0.1', 45000 + i)
          .rst('lo', i + 0.5, '127.0.0.1', 45000 + i, '127.0.0.1', 8000); // the client aborting later
      }
      p.syn('lo', 9, '::1', 46000, '::1', 8001).synAck('lo', 9.01, '::1', 8001, '::1', 46000);
      p.echoRequest('lo', 10, '127.0.0.1', '127.0.0.1', 3, 1).echoReply('lo', 10.01, '127.0.0.1', '127.0.0.1', 3, 1);
      p.syn('lo', 11, '127.0.0.1', 47000, '127.0.0.1', 8002); // own listener, slow: no answer captured
      assert.deepStrictEqual(run(p), []);
    });

    it("a refused connect to a port the build served itself in the run is no host service (its own test server)", () => {
      const p = new Packets()
        // A test server on 127.0.0.1:8765 answers one client, then closes; a later test still tries it.
        .syn('lo', 5, '127.0.0.1', 45000, '127.0.0.1', 8765)
        .synAck('lo', 5.01, '127.0.0.1', 8765, '127.0.0.1', 45000)
        .syn('lo', 50, '127.0.0.1', 45002, '127.0.0.1', 8765)
        .rst('lo', 50.01, '127.0.0.1', 8765, '127.0.0.1', 45002)
        // A client of localhost tries ::1 first (refused: the server is on 127.0.0.1 only), then 127.0.0.1.
        .syn('lo', 60, '::1', 46000, '::1', 9000)
        .rst('lo', 60.01, '::1', 9000, '::1', 46000)
        .syn('lo', 60.2, '127.0.0.1', 46002, '127.0.0.1', 9000)
        .synAck('lo', 60.21, '127.0.0.1', 9000, '127.0.0.1', 46002)
        // The host's PostgreSQL: nothing of the build's ever listened on 5432.
        .syn('lo', 70, '127.0.0.1', 47000, '127.0.0.1', 5432)
        .rst('lo', 70.01, '127.0.0.1', 5432, '127.0.0.1', 47000);
      assert.deepStrictEqual(run(p), [
        { kind: 'tcp', scope: 'host-local', family: 4, address: '127.0.0.1', port: 5432, count: 1, firstAtMs: 70, outcome: 'refused', seenOn: ['lo'], allowed: false },
      ]);
    });

    it('only a TCP handshake the build accepted makes a port its own: UDP answers and refusals do not', () => {
      const p = new Packets()
        // A UDP exchange on 5432 and a refused connect to a LAN address on 5432: neither is a server of the build's.
        .udp('lo', 1, '127.0.0.1', 41000, '127.0.0.1', 5432)
        .udp('lo', 1.01, '127.0.0.1', 5432, '127.0.0.1', 41000)
        .syn('lo', 2, '10.0.0.1', 40000, '10.1.2.3', 5432)
        .rst('lo', 2.01, '10.1.2.3', 5432, '10.0.0.1', 40000)
        .syn('lo', 3, '127.0.0.1', 40002, '127.0.0.1', 5432)
        .rst('lo', 3.01, '127.0.0.1', 5432, '127.0.0.1', 40002)
        // A server of the build's on 10.0.0.1:6000 makes 6000 its port on every lo address.
        .syn('lo', 4, '10.0.0.1', 40004, '10.0.0.1', 6000)
        .synAck('lo', 4.01, '10.0.0.1', 6000, '10.0.0.1', 40004)
        .syn('lo', 5, '127.0.0.1', 40006, '127.0.0.1', 6000)
        .rst('lo', 5.01, '127.0.0.1', 6000, '127.0.0.1', 40006);
      assert.deepStrictEqual(
        run(p).map((a) => [a.kind, a.scope, a.address, a.port]),
        [
          ['tcp', 'external', '10.1.2.3', 5432],
          ['tcp', 'host-local', '127.0.0.1', 5432],
        ],
      );
    });

    it('reports a LAN host in 10/8 as external, refused locally', () => {
      const p = new Packets().syn('lo', 8, '10.0.0.1', 40000, '10.1.2.3', 80).rst('lo', 8.01, '10.1.2.3', 80, '10.0.0.1', 40000);
      assert.deepStrictEqual(run(p), [
        { kind: 'tcp', scope: 'external', family: 4, address: '10.1.2.3', port: 80, count: 1, firstAtMs: 8, outcome: 'refused', seenOn: ['lo'], allowed: false },
      ]);
    });

    it("a refusal before the build's own server on that port came up (a readiness poll) is no attempt", () => {
      const p = new Packets()
        .syn('lo', 1, '127.0.0.1', 40000, '127.0.0.1', 6379)
        .rst('lo', 1.01, '127.0.0.1', 6379, '127.0.0.1', 40000)
        .syn('lo', 2, '127.0.0.1', 40000, '127.0.0.1', 6379) // the test started its own redis since
        .synAck('lo', 2.01, '127.0.0.1', 6379, '127.0.0.1', 40000);
      assert.deepStrictEqual(run(p), []);
    });
  });

  describe('UDP and ICMP', () => {
    it('reports UDP logged by nflog, IPv4 and IPv6, as dropped', () => {
      const p = new Packets()
        .udp('nflog', 3, BUILD_V4, 40000, '198.51.100.7', 8125)
        .udp('nflog', 4, BUILD_V4, 40000, '198.51.100.7', 8125)
        .udp('nflog', 5, BUILD_V6, 40001, '2001:db8::7', 8125);
      assert.deepStrictEqual(run(p), [
        { kind: 'udp', scope: 'external', family: 4, address: '198.51.100.7', port: 8125, count: 2, firstAtMs: 3, outcome: 'dropped', seenOn: ['nflog'], allowed: false },
        { kind: 'udp', scope: 'external', family: 6, address: '2001:db8::7', port: 8125, count: 1, firstAtMs: 5, outcome: 'dropped', seenOn: ['nflog'], allowed: false },
      ]);
    });

    it('reports ICMP echo requests logged by nflog as dropped, without a port', () => {
      const p = new Packets()
        .echoRequest('nflog', 1, BUILD_V4, '192.0.2.1', 77, 1)
        .echoRequest('nflog', 1001, BUILD_V4, '192.0.2.1', 77, 2)
        .echoRequest('nflog', 2001, BUILD_V4, '192.0.2.1', 77, 3)
        .echoRequest('nflog', 3000, BUILD_V6, '2001:db8::1', 78, 1);
      assert.deepStrictEqual(run(p), [
        { kind: 'icmp', scope: 'external', family: 4, address: '192.0.2.1', count: 3, firstAtMs: 1, outcome: 'dropped', seenOn: ['nflog'], allowed: false },
        { kind: 'icmp', scope: 'external', family: 6, address: '2001:db8::1', count: 1, firstAtMs: 3000, outcome: 'dropped', seenOn: ['nflog'], allowed: false },
      ]);
    });

    it('reports UDP refused on lo from the quoted header of ICMP port unreachable, v4 and v6', () => {
      const p = new Packets()
        .portUnreachable('lo', 50, '127.0.0.1', '127.0.0.1', { proto: 'udp', src: '127.0.0.1', srcPort: 40000, dst: '127.0.0.1', dstPort: 11211 })
        .portUnreachable('lo', 51, '127.0.0.1', '127.0.0.1', { proto: 'udp', src: '127.0.0.1', srcPort: 40000, dst: '127.0.0.1', dstPort: 11211 })
        .portUnreachable('lo', 52, '::1', '::1', { proto: 'udp', src: '::1', srcPort: 40001, dst: '::1', dstPort: 123 });
      assert.deepStrictEqual(run(p), [
        { kind: 'udp', scope: 'host-local', family: 4, address: '127.0.0.1', port: 11211, count: 2, firstAtMs: 50, outcome: 'refused', seenOn: ['lo'], allowed: false },
        { kind: 'udp', scope: 'host-local', family: 6, address: '::1', port: 123, count: 1, firstAtMs: 52, outcome: 'refused', seenOn: ['lo'], allowed: false },
      ]);
    });

    it('treats a port-53 datagram that is not DNS as udp', () => {
      const p = new Packets().udp('nflog', 1, BUILD_V4, 40000, '192.0.2.53', 53);
      assert.deepStrictEqual(run(p), [
        { kind: 'udp', scope: 'external', family: 4, address: '192.0.2.53', port: 53, count: 1, firstAtMs: 1, outcome: 'dropped', seenOn: ['nflog'], allowed: false },
      ]);
    });
  });

  describe('time and phases', () => {
    // Phases count from the build's start (T0), packets carry epoch ms.
    const phases: Phase[] = [
      { name: 'pkg_setup', startMs: 0, endMs: 1000, sandboxed: false },
      { name: 'src_unpack', startMs: 1000, endMs: 2000, sandboxed: true },
      { name: 'src_test', startMs: 3000, sandboxed: true },
    ];
    const at = (ms: number) => new Packets().udp('nflog', ms, BUILD_V4, 40000, '198.51.100.7', 8125);

    it('sets the phase whose interval holds the first packet, [start, end)', () => {
      assert.equal(run(at(999), phases)[0]?.phase, 'pkg_setup');
      assert.equal(run(at(1000), phases)[0]?.phase, 'src_unpack');
      assert.equal(run(at(2500), phases)[0]?.phase, undefined); // between phases
      assert.equal('phase' in (run(at(2500), phases)[0] ?? {}), false);
      assert.equal(run(at(99_999), phases)[0]?.phase, 'src_test'); // open-ended
      assert.equal(run(at(-5), phases)[0]?.phase, undefined);
    });

    it('keeps the same destination in two phases as two attempts', () => {
      const p = new Packets()
        .udp('nflog', 500, BUILD_V4, 40000, '198.51.100.7', 8125)
        .udp('nflog', 600, BUILD_V4, 40000, '198.51.100.7', 8125)
        .udp('nflog', 3500, BUILD_V4, 40000, '198.51.100.7', 8125);
      const base = { kind: 'udp', scope: 'external', family: 4, address: '198.51.100.7', port: 8125, outcome: 'dropped', seenOn: ['nflog'], allowed: false } as const;
      assert.deepStrictEqual(run(p, phases), [
        { ...base, count: 2, firstAtMs: 500, phase: 'pkg_setup' },
        { ...base, count: 1, firstAtMs: 3500, phase: 'src_test' },
      ]);
    });

    it('an open-ended phase ends where the next one starts; overlaps go to the innermost', () => {
      const open: Phase[] = [
        { name: 'src_compile', startMs: 0 },
        { name: 'src_test', startMs: 100, endMs: 200 },
        { name: 'src_install', startMs: 150 },
      ];
      assert.equal(run(at(120), open)[0]?.phase, 'src_test');
      assert.equal(run(at(170), open)[0]?.phase, 'src_install');
      assert.equal(run(at(50), open)[0]?.phase, 'src_compile');
    });

    it('clamps firstAtMs at 0, rounds it, and sorts by it', () => {
      const p = new Packets()
        .udp('nflog', 10.6, BUILD_V4, 40000, '198.51.100.9', 9)
        .udp('nflog', -30, BUILD_V4, 40000, '198.51.100.8', 9);
      assert.deepStrictEqual(run(p).map((a) => [a.address, a.firstAtMs]), [['198.51.100.8', 0], ['198.51.100.9', 11]]);
    });

    it('rejects a buildStartMs that is not a number', () => {
      assert.throws(() => analyze([], { buildStartMs: Number.NaN }), /buildStartMs.*got NaN/);
    });
  });

  describe('determinism and scale', () => {
    function mixed(): Packets {
      const p = new Packets();
      const q = { id: 1, name: 'x.example', type: 'A' };
      for (let i = 0; i < 5; i++) {
        p.dnsQuery('lo', i * 10, '127.0.0.1', 40000 + i, '127.0.0.53', q)
          .portUnreachable('lo', i * 10 + 1, '127.0.0.53', '127.0.0.1', { proto: 'udp', src: '127.0.0.1', srcPort: 40000 + i, dst: '127.0.0.53', dstPort: 53 })
          .syn('veth', i * 10, BUILD_V4, 50000 + i, `192.0.2.${i}`, 443)
          .netUnreachable('veth', i * 10 + 1, MONITOR_V4, BUILD_V4, { proto: 'tcp', src: BUILD_V4, srcPort: 50000 + i, dst: `192.0.2.${i}`, dstPort: 443 })
          .syn('lo', i * 10 + 2, '127.0.0.1', 41000 + i, '127.0.0.1', 5432)
          .rst('lo', i * 10 + 3, '127.0.0.1', 5432, '127.0.0.1', 41000 + i)
          .udp('nflog', i * 10, BUILD_V4, 40000, '198.51.100.7', 8125 + (i % 2));
      }
      return p;
    }

    it('gives the same attempts whatever the order of the input', () => {
      const p = mixed();
      const expected = analyze(p.list, { buildStartMs: T0 });
      assert.equal(expected.length, 9);
      for (const seed of [1, 2, 3, 42]) assert.deepStrictEqual(analyze(shuffled(p.list, seed), { buildStartMs: T0 }), expected);
    });

    it('analyzes 200,000 packets (no quadratic behaviour)', function () {
      this.timeout(60_000);
      const p = new Packets();
      for (let i = 0; i < 50_000; i++) {
        const dst = `198.51.100.${i % 200}`;
        const sport = 10_000 + (i % 50_000);
        p.syn('veth', i, BUILD_V4, sport, dst, 443)
          .netUnreachable('veth', i + 0.1, MONITOR_V4, BUILD_V4, { proto: 'tcp', src: BUILD_V4, srcPort: sport, dst, dstPort: 443 })
          .syn('lo', i, '127.0.0.1', sport, '127.0.0.1', 8000)
          .synAck('lo', i + 0.1, '127.0.0.1', 8000, '127.0.0.1', sport);
      }
      const started = Date.now();
      const attempts = analyze(p.list, { buildStartMs: T0 });
      const elapsed = Date.now() - started;
      assert.equal(attempts.length, 200);
      assert.equal(attempts.reduce((n, a) => n + a.count, 0), 50_000);
      assert.ok(elapsed < 30_000, `took ${elapsed} ms`);
    });
  });
});
