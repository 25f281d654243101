/**
 * src/analyze/syscalls.ts and analyze/build.ts withSyscalls(): socket calls that made no packet (the faithful
 * sandbox: the kernel refused them with ENETUNREACH) become attempts seen on `syscall`, with their
 * process and phase; calls explained by packets only lend them their process. Pure, no root.
 */
import assert from 'node:assert/strict';
import { analyzeSyscalls } from '../../src/analyze/index.js';
import { AddressBook } from '../../src/analyze/book.js';
import { syscallObservations } from '../../src/analyze/syscalls.js';
import type { Attempt } from '../../src/model/types.js';
import type { SyscallEvent } from '../../src/model/events.js';
import type { DnsQuestionEvent, ResolveEvent } from '../../src/model/tracer-events.js';
import { withSyscalls } from '../../src/analyze/build.js';
import { socketEvents } from '../helpers/events.js';

const START = 1_796_000_000_000;
const NS = 4026532777;

const ev = socketEvents({ startMs: START, netns: NS, pid: 7, tid: 7, ppid: 6, comm: 'curl', argv: ['curl', 'https://files.example.org/'], fd: 5, blockedUs: 40 });

const book = (): AddressBook => new AddressBook();

describe('analyze: syscall-only tries', () => {
  it('turns failed TCP connects, UDP sends and ICMP sends into tries with the outcome of their errno', () => {
    const obs = syscallObservations(
      [
        ev({ atMs: 1 }),
        ev({ atMs: 2, family: 6, address: '2001:db8::7', port: 80 }),
        ev({ atMs: 3, kind: 'sendto', syscall: 'sendto', protocol: 'udp', address: '198.51.100.9', port: 9999 }),
        ev({ atMs: 4, kind: 'sendto', syscall: 'sendto', protocol: 'udp', address: '198.51.100.53', port: 53, errno: 1, error: 'EPERM' }),
        ev({ atMs: 5, kind: 'sendto', syscall: 'sendto', protocol: 'icmp', address: '203.0.113.1', port: undefined }),
        ev({ atMs: 6, address: '203.0.113.8', errno: 111, error: 'ECONNREFUSED' }),
        ev({ atMs: 7, address: '203.0.113.9', errno: undefined, error: undefined, blockedUs: undefined }),
      ],
      book(),
    );
    assert.deepEqual(
      obs.map((o) => [o.kind, o.family, o.address, o.port, o.outcome, o.source]),
      [
        ['tcp', 4, '203.0.113.7', 443, 'unreachable', 'syscall'],
        ['tcp', 6, '2001:db8::7', 80, 'unreachable', 'syscall'],
        ['udp', 4, '198.51.100.9', 9999, 'unreachable', 'syscall'],
        ['dns', 4, '198.51.100.53', 53, 'dropped', 'syscall'],
        ['icmp', 4, '203.0.113.1', undefined, 'unreachable', 'syscall'],
        ['tcp', 4, '203.0.113.8', 443, 'refused', 'syscall'],
        ['tcp', 4, '203.0.113.9', 443, undefined, 'syscall'],
      ],
    );
  });

  it('leaves out what is no try: a UDP connect that worked, bind/listen, UNIX sockets, loopback and 10/8 (the lo capture sees those)', () => {
    const obs = syscallObservations(
      [
        ev({ atMs: 1, protocol: 'udp', errno: 0, error: undefined }),
        ev({ atMs: 2, kind: 'bind', syscall: 'bind', address: '0.0.0.0', port: 8080, errno: 0, error: undefined }),
        ev({ atMs: 3, kind: 'listen', syscall: 'listen', address: '0.0.0.0', port: 8080, errno: 0, error: undefined }),
        ev({ atMs: 4, family: 'unix', protocol: 'unix-stream', address: '@/tmp/.X11-unix/X0', port: undefined, abstract: true }),
        ev({ atMs: 5, address: '127.0.0.1', port: 5432, errno: 111, error: 'ECONNREFUSED' }),
        ev({ atMs: 6, address: '10.0.0.1', port: 3632, errno: 111, error: 'ECONNREFUSED' }),
        ev({ atMs: 7, family: 6, address: '::1', port: 6379, errno: 111, error: 'ECONNREFUSED' }),
      ],
      book(),
    );
    assert.deepEqual(obs, []);
  });

  it('a UDP connect that failed is a try (the route query of "which source address would I use?")', () => {
    const [o] = syscallObservations([ev({ atMs: 1, protocol: 'udp', address: '203.0.113.53', port: 80 })], book());
    assert.equal(o?.kind, 'udp');
    assert.equal(o?.outcome, 'unreachable');
  });

  it('an IPv4-mapped address of a v6 socket is the IPv4 address it is on the wire', () => {
    const [o] = syscallObservations([ev({ atMs: 1, family: 6, address: '::ffff:203.0.113.7' })], book());
    assert.equal(o?.family, 4);
    assert.equal(o?.address, '203.0.113.7');
  });

  it('folds five blocking connects to one destination into one attempt ×5, in its phase', () => {
    const events = [1, 2, 3, 4, 5].map((i) => ev({ atMs: 100 + i }));
    const attempts = analyzeSyscalls(events, [], { buildStartMs: START, phases: [{ name: 'src_test', startMs: 50, endMs: 500 }] });
    assert.equal(attempts.length, 1);
    assert.deepEqual(
      { ...attempts[0] },
      { kind: 'tcp', scope: 'external', family: 4, address: '203.0.113.7', port: 443, count: 5, firstAtMs: 101, outcome: 'unreachable', seenOn: ['syscall'], phase: 'src_test', allowed: false },
    );
  });
});

describe('analyze: withSyscalls()', () => {
  const packetAttempt: Attempt = {
    kind: 'dns', scope: 'external', family: 4, address: '198.51.100.53', port: 53, hostname: 'files.example.org', qtype: 'A',
    count: 1, firstAtMs: 10, outcome: 'dropped', seenOn: ['nflog'], allowed: false,
  };

  it('merges packet attempts (their process filled), syscall-only attempts and abstract UNIX connects, in time order', () => {
    const events: SyscallEvent[] = [
      ev({ atMs: 9.5, kind: 'sendto', syscall: 'sendto', protocol: 'udp', address: '198.51.100.53', port: 53, errno: 1, error: 'EPERM', pid: 8, comm: 'getent' }),
      ev({ atMs: 20 }),
      ev({ atMs: 30, family: 'unix', protocol: 'unix-stream', address: '@/tmp/.X11-unix/X0', port: undefined, abstract: true, errno: 111, error: 'ECONNREFUSED', pid: 9, comm: 'xterm' }),
      ev({ atMs: 40, address: '203.0.113.99', pid: 10, netns: NS + 1 }),
      ev({ atMs: 5000, address: '203.0.113.98' }),
    ];
    const attempts = withSyscalls([packetAttempt], [], { buildStartMs: START }, { events, netns: NS, buildEndMs: START + 1000 });
    assert.deepEqual(
      attempts.map((a) => [a.kind, a.address, a.port, a.seenOn?.join(','), a.process?.comm, a.process?.pid]),
      [
        ['dns', '198.51.100.53', 53, 'nflog', 'getent', 8],
        ['tcp', '203.0.113.7', 443, 'syscall', 'curl', 7],
        ['unix', '@/tmp/.X11-unix/X0', undefined, 'syscall', 'xterm', 9],
      ],
      'another namespace and calls after the build ended are not the build s',
    );
    assert.deepEqual(attempts[1]?.process, { pid: 7, ppid: 6, comm: 'curl', argv: ['curl', 'https://files.example.org/'] });
    assert.equal(attempts[2]?.outcome, 'refused');
  });

  it('gives UNIX attempts their phase', () => {
    const events = [ev({ atMs: 30, family: 'unix', protocol: 'unix-stream', address: '@/tmp/dbus-x', port: undefined, abstract: true, errno: 111, error: 'ECONNREFUSED' })];
    const [a] = withSyscalls([], [], { buildStartMs: START, phases: [{ name: 'src_test', startMs: 0 }] }, { events, netns: NS, buildEndMs: START + 100 });
    assert.equal(a?.phase, 'src_test');
  });

  describe('DNS names from the tracer (the question sent, the name handed to the resolver)', () => {
    const base = { pid: 7, tid: 7, ppid: 6, comm: 'python3', netns: NS };
    const question = (atMs: number, address: string, name: string, type = 'AAAA'): DnsQuestionEvent => ({
      ...base, kind: 'dns-question', tsMs: START + atMs, syscall: 'sendto', fd: 5, family: address.includes(':') ? 6 : 4, address, port: 53,
      toPeer: false, index: 0, length: 40, payload: new Uint8Array(), truncated: false,
      dns: { id: 1, isResponse: false, rcode: 0, questions: [{ name, type }], answers: [] }, errno: 101, error: 'ENETUNREACH',
    });
    const resolve = (atMs: number, name: string, tid = 7): ResolveEvent => ({ ...base, tid, kind: 'resolve', tsMs: START + atMs, function: 'getaddrinfo', name, truncated: false });

    it('a send to an IPv6 resolver that never became a packet is a DNS lookup with its question', () => {
      const events = [
        ev({ atMs: 3, kind: 'sendto', syscall: 'sendto', protocol: 'udp', family: 6, address: '2001:db8::53', port: 53, comm: 'python3' }),
        question(3, '2001:db8::53', 'Files.Example.org.'),
      ];
      const [a] = withSyscalls([], [], { buildStartMs: START }, { events, netns: NS, buildEndMs: START + 100 });
      assert.deepEqual([a?.kind, a?.address, a?.port, a?.hostname, a?.qtype, a?.outcome, a?.seenOn, a?.process?.comm], ['dns', '2001:db8::53', 53, 'files.example.org', 'AAAA', 'unreachable', ['syscall'], 'python3']);
    });

    it('a resolver connect that failed before any question: the name the thread was resolving', () => {
      const events = [
        resolve(1, 'pypi.example', 8),
        resolve(2, 'mirror.example'),
        ev({ atMs: 2.5, protocol: 'udp', family: 6, address: '2001:db8::53', port: 53 }),
        resolve(4, 'later.example'),
      ];
      const [a] = withSyscalls([], [], { buildStartMs: START }, { events, netns: NS, buildEndMs: START + 100 });
      assert.deepEqual([a?.kind, a?.hostname, a?.qtype, a?.outcome], ['dns', 'mirror.example', undefined, 'unreachable']);
    });

    it('without a question or a name it is a DNS lookup without a name (a resolver that is not libc\'s); names of another namespace do not count', () => {
      const events = [
        ev({ atMs: 3, kind: 'sendto', syscall: 'sendto', protocol: 'udp', address: '192.0.2.53', port: 53 }),
        { ...question(3, '192.0.2.53', 'other.example', 'A'), netns: NS + 1 },
        ev({ atMs: 5, protocol: 'udp', address: '192.0.2.54', port: 53, tid: 99 }),
        resolve(4, 'not-this-thread.example'),
      ];
      const attempts = withSyscalls([], [], { buildStartMs: START }, { events, netns: NS, buildEndMs: START + 100 });
      assert.deepEqual(attempts.map((a) => [a.kind, a.address, a.hostname]), [['dns', '192.0.2.53', undefined], ['dns', '192.0.2.54', undefined]]);
    });
  });
});
