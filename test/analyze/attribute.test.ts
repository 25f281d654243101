/** analyze/: attempts + tracer events -> process attribution, abstract UNIX attempts (availability(): test/cli/doctor.test.ts). No root needed. */
import assert from 'node:assert/strict';
import { attemptOf, type Attempt, type AttemptFields, type ProcessInfo } from '../../src/model/types.js';
import { processText, shownAttempt } from '../../src/model/format.js';
import { socketEvents } from '../helpers/events.js';
import { attribute, reportArgv, unixAttempts } from '../../src/analyze/attribute.js';
import type { SocketEvent } from '../../src/model/events.js';

const START = 1_796_000_000_000;
const NS = 4026532999;

function attempt(over: Partial<AttemptFields> = {}): Attempt {
  return attemptOf({ kind: 'tcp', scope: 'external', family: 4, address: '203.0.113.7', port: 443, count: 1, firstAtMs: 100, allowed: false, ...over });
}

const ev = socketEvents({ startMs: START, netns: NS });

describe('observe: attribute()', () => {
  it('fills process {pid, ppid, comm, argv} from the call that made the first packet', () => {
    const { attempts, unmatched } = attribute([attempt()], [ev({ atMs: 99.6 })], { buildStartMs: START });
    assert.deepEqual(attempts[0]?.process, { pid: 42, ppid: 41, comm: 'python3', argv: ['python3', '-c', 'x'] });
    assert.deepEqual(unmatched, []);
  });

  it('the latest call before the first packet wins; one after it (beyond the skew allowance) does not', () => {
    const events = [ev({ atMs: 10, pid: 1 }), ev({ atMs: 99, pid: 2 }), ev({ atMs: 100.5, pid: 3 }), ev({ atMs: 150, pid: 4 })];
    assert.equal(attribute([attempt()], events, { buildStartMs: START }).attempts[0]?.process?.pid, 3, 'within afterMs (firstAtMs is rounded)');
    assert.equal(attribute([attempt()], events, { buildStartMs: START, afterMs: 0 }).attempts[0]?.process?.pid, 2);
    assert.equal(attribute([attempt({ firstAtMs: 5 })], events, { buildStartMs: START }).attempts[0]?.process, undefined, 'every call came later');
  });

  it('a UDP socket connect()ed long before its first datagram; DNS attempts match UDP calls to the resolver', () => {
    const events = [
      ev({ atMs: 5, protocol: 'udp', address: '127.0.0.53', port: 53, comm: 'getent', pid: 7 }),
      ev({ atMs: 8, protocol: 'udp', kind: 'sendto', syscall: 'sendto', address: '198.51.100.5', port: 53, pid: 8 }),
    ];
    const { attempts } = attribute(
      [attempt({ kind: 'dns', address: '127.0.0.53', port: 53, scope: 'host-local', firstAtMs: 900 }), attempt({ kind: 'udp', address: '198.51.100.5', port: 53, firstAtMs: 8 })],
      events,
      { buildStartMs: START },
    );
    assert.deepEqual(
      attempts.map((a) => a.process?.pid),
      [7, 8],
    );
  });

  it('transport, port and address must agree; IPv6 compared canonically, IPv4-mapped as IPv4', () => {
    const events = [
      ev({ atMs: 1, protocol: 'udp', pid: 1 }),
      ev({ atMs: 1, port: 80, pid: 2 }),
      ev({ atMs: 1, family: 6, address: '::ffff:198.51.100.9', port: 80, pid: 3 }),
      ev({ atMs: 1, family: 6, address: '2001:db8::5', port: 80, pid: 4 }),
      ev({ atMs: 1, protocol: 'icmp', kind: 'sendto', syscall: 'sendto', address: '203.0.113.99', port: 0, pid: 5 }),
    ];
    const { attempts } = attribute(
      [
        attempt({ firstAtMs: 2 }),
        attempt({ address: '198.51.100.9', port: 80, firstAtMs: 2 }),
        attempt({ family: 6, address: '2001:0db8:0:0::5', port: 80, firstAtMs: 2 }),
        attempt({ kind: 'icmp', address: '203.0.113.99', port: undefined, firstAtMs: 2 }),
      ],
      events,
      { buildStartMs: START },
    );
    assert.deepEqual(
      attempts.map((a) => a.process?.pid),
      [undefined, 3, 4, 5],
    );
  });

  it('only the build namespace when asked; the attempts keep their order and fields', () => {
    const a = [attempt({ hostname: 'pkg.example', count: 3, phase: 'src_test' })];
    const { attempts } = attribute(a, [ev({ atMs: 1, netns: 1 })], { buildStartMs: START, netns: NS });
    assert.deepEqual(attempts, a);
    const other = attribute(a, [ev({ atMs: 1, netns: 1 })], { buildStartMs: START });
    assert.equal(other.attempts[0]?.hostname, 'pkg.example');
    assert.equal(other.attempts[0]?.count, 3);
    assert.equal(other.attempts[0]?.process?.pid, 42);
  });

  it('unmatched: calls with an IPv4/IPv6 destination that no attempt explains (never bind, listen, exec, UNIX)', () => {
    const events: SocketEvent[] = [
      ev({ atMs: 1 }),
      ev({ atMs: 2, address: '10.1.2.3', port: 5432, error: 'ECONNREFUSED', errno: 111 }),
      ev({ atMs: 3, kind: 'bind', syscall: 'bind', address: '127.0.0.1', port: 0 }),
      ev({ atMs: 4, kind: 'listen', syscall: 'listen', address: '127.0.0.1', port: 4000 }),
      ev({ atMs: 5, family: 'unix', protocol: 'unix-stream', address: '@/tmp/.X11-unix/X0', port: undefined, abstract: true }),
    ];
    const { unmatched } = attribute([attempt()], [...events, { kind: 'exec', tsMs: START, pid: 1, ppid: 0, comm: 'sh', argv: ['sh'], netns: NS }], { buildStartMs: START });
    assert.deepEqual(
      unmatched.map((e) => `${e.address}:${e.port}`),
      ['10.1.2.3:5432'],
    );
    const before = attribute([attempt()], events, { buildStartMs: START, buildEndMs: START + 1.5 });
    assert.deepEqual(before.unmatched, [], 'events after the build ended are not the build s');
  });

  it('argv capped at 16 arguments of 256 characters; the build\'s text kept as it was, escaped only where shown', () => {
    const argv = ['cc', 'a"b\\c\nd\u00ff\u{1f600}', 'x'.repeat(300), ...Array.from({ length: 20 }, (_, i) => `-I${i}`)];
    const { attempts } = attribute([attempt()], [ev({ atMs: 1, comm: 'c\u001bc', argv })], { buildStartMs: START });
    const p = attempts[0]?.process;
    assert.equal(p?.comm, 'c\u001bc');
    assert.equal(p?.argv?.length, 17);
    assert.equal(p?.argv?.[1], 'a"b\\c\nd\u00ff\u{1f600}');
    assert.equal(processText(p as ProcessInfo, { argv: true }).split(' ')[2], 'a\\"b\\\\c\\x0ad\\xff\\u{1f600}', 'escaped where shown');
    assert.equal(processText(p as ProcessInfo), 'c\\x1bc[42]');
    assert.equal(p?.argv?.[2], `${'x'.repeat(256)}…`);
    assert.equal(p?.argv?.[16], '…(+7)');
    assert.deepEqual(reportArgv(['a', 'b'], true), ['a', 'b', '…'], 'cut by the kernel-side cap');
  });
});

describe('observe: unixAttempts()', () => {
  const x11 = (over: Partial<SocketEvent> & { atMs: number }): SocketEvent =>
    ev({ family: 'unix', protocol: 'unix-stream', address: '@/tmp/.X11-unix/X0', port: undefined, abstract: true, errno: 111, error: 'ECONNREFUSED', ...over });

  it('a refused abstract connect is a unix attempt with its process; repeats fold into count', () => {
    const got = unixAttempts([x11({ atMs: 12.4 }), x11({ atMs: 20, pid: 50 })], { buildStartMs: START });
    assert.deepEqual(got, [
      {
        kind: 'unix',
        scope: 'host-local',
        seenOn: ['syscall'],
        address: '@/tmp/.X11-unix/X0',
        count: 2,
        firstAtMs: 12,
        outcome: 'refused',
        process: { pid: 42, ppid: 41, comm: 'python3', argv: ['python3', '-c', 'x'] },
        allowed: false,
      },
    ]);
  });

  it('not attempts: filesystem sockets, successful connects, the build own abstract server, other namespaces', () => {
    const got = unixAttempts(
      [
        x11({ atMs: 1, address: '/tmp/.X11-unix/X0', abstract: false }),
        x11({ atMs: 2, address: '@dbus-own', errno: 0, error: undefined }),
        x11({ atMs: 3, address: '@test-server', kind: 'bind', syscall: 'bind', errno: 0, error: undefined }),
        x11({ atMs: 4, address: '@test-server', errno: 111 }),
        x11({ atMs: 5, netns: 1 }),
      ],
      { buildStartMs: START, netns: NS },
    );
    assert.deepEqual(got, []);
  });

  it('addresses kept as the build gave them, escaped where shown; a connect that never returned is still an attempt, without outcome', () => {
    const got = unixAttempts([x11({ atMs: 1, address: '@bad\u0000"name', errno: undefined, error: undefined })], { buildStartMs: START });
    assert.equal(got[0]?.address, '@bad\u0000"name');
    assert.equal(shownAttempt(got[0] as Attempt).address, '@bad\\x00\\"name');
    assert.equal(got[0]?.outcome, undefined);
  });
});
