/** observe/: decoding the observer's output (sockaddr bytes, bpftrace JSON lines, records -> events). No root needed. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultPerfPages, measureOffsetMs, onlineCpus } from '../../src/observe/index.js';
import { OutputReader, assemble, errnoName, parseLine, parseOutput, splitArgv } from '../../src/decode/bpftrace.js';
import { bytesText, decodeSockaddr, hexBytes } from '../../src/decode/sockaddr.js';
import type { ExecEvent, SocketEvent, SyscallEvent } from '../../src/model/events.js';
import { packageRoot } from '../../src/util/package.js';
import { NS, begin, comm, end, exec, exit, fork, hex, line, lost, ret, sin, sin6, sock, sun, tick } from '../observe/lines.js';

const sockets = (events: SyscallEvent[]): SocketEvent[] => events.filter((e): e is SocketEvent => e.kind !== 'exec');
const execs = (events: SyscallEvent[]): ExecEvent[] => events.filter((e): e is ExecEvent => e.kind === 'exec');
const parse = (lines: (string | string[])[]) => parseOutput(lines.flat().join('\n') + '\n', 0);

describe('observe: sockaddr bytes', () => {
  it('IPv4 and IPv6 with the port in network byte order, IPv6 as RFC 5952 text', () => {
    assert.deepEqual(decodeSockaddr(Uint8Array.from(sin('203.0.113.7', 443))), { family: 4, address: '203.0.113.7', port: 443 });
    assert.deepEqual(decodeSockaddr(Uint8Array.from(sin6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 5], 80))), { family: 6, address: '2001:db8::5', port: 80 });
    assert.deepEqual(decodeSockaddr(Uint8Array.from(sin6([0xfd, 0, 0, 0, 0, 0, 0, 1], 8080))), { family: 6, address: 'fd::1', port: 8080 });
    assert.deepEqual(decodeSockaddr(Uint8Array.from(sin6([0, 0, 0, 0, 0, 0xffff, 0xcb00, 0x7107], 443))), { family: 6, address: '::ffff:203.0.113.7', port: 443 });
  });

  it('AF_UNIX: abstract (first byte 0) as @name, filesystem path to its NUL, unnamed as empty', () => {
    assert.deepEqual(decodeSockaddr(Uint8Array.from(sun('\0/tmp/.X11-unix/X0'))), { family: 'unix', address: '@/tmp/.X11-unix/X0', abstract: true });
    // An abstract name runs to the end of the address, NULs included.
    assert.deepEqual(decodeSockaddr(Uint8Array.from(sun('\0a\0b'))), { family: 'unix', address: '@a\u0000b', abstract: true });
    assert.deepEqual(decodeSockaddr(Uint8Array.from(sun('/run/dbus/system_bus_socket\0\0\0'))), { family: 'unix', address: '/run/dbus/system_bus_socket', abstract: false });
    assert.deepEqual(decodeSockaddr(Uint8Array.from([1, 0])), { family: 'unix', address: '', abstract: false });
  });

  it('short or unknown addresses give undefined, never a throw', () => {
    assert.equal(decodeSockaddr(Uint8Array.from([2, 0, 1])), undefined);
    assert.equal(decodeSockaddr(Uint8Array.from([10, 0, 0, 80, 0, 0])), undefined);
    assert.equal(decodeSockaddr(Uint8Array.from([16, 0, 1, 2, 3, 4])), undefined, 'AF_NETLINK');
    assert.equal(decodeSockaddr(new Uint8Array(0)), undefined);
  });

  it('hex strings: strict tokens; text from bytes: UTF-8 when valid, else byte by byte', () => {
    assert.deepEqual(hexBytes('2f 74 00'), Uint8Array.from([0x2f, 0x74, 0]));
    assert.deepEqual(hexBytes(''), new Uint8Array(0));
    assert.equal(hexBytes('2f zz'), undefined);
    assert.equal(hexBytes('2f 123'), undefined);
    assert.equal(bytesText(Uint8Array.from([0xc3, 0xa9])), 'é');
    assert.equal(bytesText(Uint8Array.from([0x61, 0xff, 0x22])), 'a\u00ff"');
  });
});

describe('observe: bpftrace JSON lines', () => {
  it('printf records, lost events, attached probes; anything else is ignored or counted malformed', () => {
    assert.deepEqual(parseLine(begin(5)), { type: 'record', record: { e: 'begin', ts: 5 } });
    assert.deepEqual(parseLine(lost(7)), { type: 'lost', events: 7 });
    assert.deepEqual(parseLine('{"type": "attached_probes", "data": {"probes": 19}}'), { type: 'attached', probes: 19 });
    assert.equal(parseLine('{"type": "map", "data": {"@start": {}}}').type, 'ignored');
    assert.equal(parseLine('').type, 'ignored');
    for (const bad of [
      'not json',
      '{"type": "printf", "data": "not json either\\n"}',
      line({ e: 'sock', ts: 1 }),
      line({ e: 'ret', ts: '1', pid: 1, tid: 1, ns: 1, ret: 0, us: 0 }),
      line({ e: 'nonsense', ts: 1 }),
      '{"type": "lost_events", "data": {}}',
      '[1, 2]',
    ]) {
      assert.equal(parseLine(bad).type, 'malformed', bad);
    }
  });

  it('the reader joins lines split across chunks and sums losses', () => {
    const r = new OutputReader();
    const text = [begin(1), sock({ ts: 10, pid: 5, sa: sin('203.0.113.7', 443) }), lost(3), ret({ ts: 11, pid: 5, ret: -101 }), lost(2), 'garbage'].join('\n');
    for (let i = 0; i < text.length; i += 7) r.push(text.slice(i, i + 7));
    r.flush();
    assert.equal(r.beganAtNs, 1);
    assert.equal(r.lost, 5);
    assert.equal(r.malformed, 1);
    assert.equal(r.records.length, 2);
  });

  it('drained past T only once every CPU has sent a heartbeat later than T', () => {
    const r = new OutputReader();
    r.push([tick(0, 100), tick(1, 90), ''].join('\n'));
    assert.equal(r.drainedPast(95, [0, 1]), false);
    r.push(tick(1, 150) + '\n');
    assert.equal(r.drainedPast(95, [0, 1]), true);
    assert.equal(r.drainedPast(95, [0, 1, 2]), false, 'a CPU never heard from');
    r.push(tick(1, 120) + '\n');
    assert.equal(r.drainedPast(140, [1]), true, 'an older tick read late does not move the mark back');
  });

  it('takeNamespace hands out the records of one namespace read so far', () => {
    const r = new OutputReader();
    r.push([sock({ ts: 1, pid: 5, sa: sin('203.0.113.7', 1), ns: 11 }), sock({ ts: 2, pid: 6, sa: sin('203.0.113.7', 2), ns: 22 }), ''].join('\n'));
    assert.equal(r.takeNamespace(11).length, 1);
    assert.equal(r.takeNamespace(11).length, 0);
    r.push(sock({ ts: 3, pid: 5, sa: sin('203.0.113.7', 3), ns: 11 }) + '\n');
    assert.deepEqual(
      r.records.map((x) => x.ns),
      [22, 11],
    );
  });
});

describe('observe: records -> events', () => {
  it('pairs each call with its return: errno, its name, time blocked; time order across CPUs', () => {
    const { events } = parse([
      // Read from CPU 1's buffer before CPU 0's: out of time order.
      sock({ ts: 3_000_000, pid: 8, sa: sin('198.51.100.5', 53), sys: 2, proto: 17, type: 2 }),
      ret({ ts: 3_000_500, pid: 8, ret: -101, us: 0 }),
      sock({ ts: 1_000_000, pid: 7, sa: sin('203.0.113.7', 443) }),
      ret({ ts: 2_000_000, pid: 7, ret: -101, us: 1000 }),
      sock({ ts: 4_000_000, pid: 7, sa: sin('203.0.113.8', 80) }),
      ret({ ts: 4_000_100, pid: 7, ret: -115, us: 0 }),
      sock({ ts: 5_000_000, pid: 7, sa: sin('203.0.113.9', 80) }),
      ret({ ts: 5_000_100, pid: 7, ret: 0, us: 0 }),
    ]);
    const s = sockets(events);
    assert.deepEqual(
      s.map((e) => [e.tsMs, e.kind, e.protocol, e.address, e.port, e.errno, e.error, e.blockedUs]),
      [
        [1, 'connect', 'tcp', '203.0.113.7', 443, 101, 'ENETUNREACH', 1000],
        [3, 'sendto', 'udp', '198.51.100.5', 53, 101, 'ENETUNREACH', 0],
        [4, 'connect', 'tcp', '203.0.113.8', 80, 115, 'EINPROGRESS', 0],
        [5, 'connect', 'tcp', '203.0.113.9', 80, 0, undefined, 0],
      ],
    );
  });

  it('a call that never returned, or whose return was lost, has no errno; a signal leaves ERESTARTSYS', () => {
    const s = sockets(
      parse([
        sock({ ts: 1, pid: 7, sa: sin('203.0.113.7', 443) }),
        sock({ ts: 5, pid: 7, sa: sin('203.0.113.8', 443) }), // the return of the first was lost
        ret({ ts: 6, pid: 7, ret: -512 }),
        sock({ ts: 9, pid: 7, sa: sin('203.0.113.9', 443) }), // still blocked at stop
      ]).events,
    );
    assert.deepEqual(
      s.map((e) => [e.address, e.errno, e.error, e.blockedUs]),
      [
        ['203.0.113.7', undefined, undefined, undefined],
        ['203.0.113.8', 512, 'ERESTARTSYS', 10],
        ['203.0.113.9', undefined, undefined, undefined],
      ],
    );
    assert.equal(errnoName(111), 'ECONNREFUSED');
  });

  it('the named messages of one sendmmsg share its return', () => {
    const s = sockets(
      parse([
        sock({ sys: 4, ts: 7, pid: 3, proto: 17, type: 2, sa: sin('198.51.100.7', 5300) }),
        sock({ sys: 4, ts: 7, pid: 3, proto: 17, type: 2, sa: sin('198.51.100.8', 5301) }),
        ret({ ts: 9, pid: 3, ret: -101 }),
      ]).events,
    );
    assert.deepEqual(
      s.map((e) => [e.kind, e.syscall, e.address, e.errno]),
      [
        ['sendmsg', 'sendmmsg', '198.51.100.7', 101],
        ['sendmsg', 'sendmmsg', '198.51.100.8', 101],
      ],
    );
  });

  it('bind and listen (inet from the kernel socket, unix from its address); AF_UNIX protocols by socket type', () => {
    const s = sockets(
      parse([
        sock({ sys: 5, ts: 1, pid: 4, sa: sin('127.0.0.1', 0) }),
        ret({ ts: 2, pid: 4, ret: 0 }),
        line({ e: 'listen', ts: 3, pid: 4, tid: 4, ppid: 1, ns: NS, fd: 3, proto: 6, type: 1, comm: comm('srv'), fam: 2, port: 40001, addr: '127.0.0.1' }),
        ret({ ts: 4, pid: 4, ret: 0 }),
        line({ e: 'listen', ts: 5, pid: 4, tid: 4, ppid: 1, ns: NS, fd: 4, proto: 6, type: 1, comm: comm('srv'), fam: 10, port: 8080, addr: '00fd::0001' }),
        line({ e: 'listen', ts: 6, pid: 4, tid: 5, ppid: 1, ns: NS, fd: 5, proto: 0, type: 5, comm: comm('srv'), fam: 1, sa: hex(sun('\0netaudit-x')) }),
        sock({ ts: 7, pid: 4, tid: 6, proto: 0, type: 2, sa: sun('/dev/log\0') }),
      ]).events,
    );
    assert.deepEqual(
      s.map((e) => [e.kind, e.family, e.protocol, e.address, e.port, e.abstract]),
      [
        ['bind', 4, 'tcp', '127.0.0.1', 0, undefined],
        ['listen', 4, 'tcp', '127.0.0.1', 40001, undefined],
        ['listen', 6, 'tcp', 'fd::1', 8080, undefined],
        ['listen', 'unix', 'unix-seqpacket', '@netaudit-x', undefined, true],
        ['connect', 'unix', 'unix-dgram', '/dev/log', undefined, false],
      ],
    );
  });

  it('argv from exec, inherited over fork, replaced by exec, forgotten at exit (pid reuse)', () => {
    const { events } = parse([
      exec({ ts: 1, pid: 100, ppid: 1, comm: 'sh', argv: ['sh', '-c', 'python3 -c x | cat'] }),
      fork({ ts: 2, pid: 100, child: 101 }),
      fork({ ts: 3, pid: 100, child: 102 }),
      exec({ ts: 4, pid: 102, ppid: 100, comm: 'python3', argv: ['python3', '-c', 'x'] }),
      sock({ ts: 5, pid: 101, ppid: 100, comm: 'sh', sa: sin('203.0.113.1', 1) }),
      sock({ ts: 6, pid: 102, ppid: 100, comm: 'python3', sa: sin('203.0.113.2', 2) }),
      exit({ ts: 7, pid: 102 }),
      sock({ ts: 8, pid: 102, ppid: 100, comm: 'again', sa: sin('203.0.113.3', 3) }),
      sock({ ts: 9, pid: 999, comm: 'stranger', sa: sin('203.0.113.4', 4) }),
    ]);
    assert.deepEqual(
      execs(events).map((e) => [e.pid, e.ppid, e.comm, e.argv]),
      [
        [100, 1, 'sh', ['sh', '-c', 'python3 -c x | cat']],
        [102, 100, 'python3', ['python3', '-c', 'x']],
      ],
    );
    assert.deepEqual(
      sockets(events).map((e) => [e.pid, e.ppid, e.comm, e.argv]),
      [
        [101, 100, 'sh', ['sh', '-c', 'python3 -c x | cat']],
        [102, 100, 'python3', ['python3', '-c', 'x']],
        [102, 100, 'again', undefined],
        [999, 1, 'stranger', undefined],
      ],
    );
  });

  it('argv over several chunks; cut at 3,200 bytes or by a lost chunk: marked truncated', () => {
    const long = Array.from({ length: 30 }, (_, i) => `--option-${i}=${'v'.repeat(100)}`);
    const lines = exec({ ts: 1, pid: 5, ppid: 1, argv: ['cc', ...long] });
    const full = execs(parse([exec({ ts: 1, pid: 5, ppid: 1, argv: ['cc', ...long.slice(0, 10)] })]).events)[0];
    assert.deepEqual(full?.argv, ['cc', ...long.slice(0, 10)]);
    assert.equal(full?.argvTruncated, undefined);

    const block = ['cc', ...long].join('\0') + '\0';
    const capped = execs(parse([lines]).events)[0];
    assert.ok(capped?.argvTruncated);
    assert.equal(capped?.argv.join('\0'), block.slice(0, 3200), 'the first 3,200 bytes, the partial last argument kept');

    const gapLines = exec({ ts: 1, pid: 5, ppid: 1, argv: ['cc', ...long.slice(0, 10)] });
    assert.ok(gapLines.length > 3);
    const gap = execs(parse([gapLines.filter((_, i) => i !== 3)]).events)[0];
    assert.ok(gap?.argvTruncated);
    assert.equal(gap?.argv.join('\0'), block.slice(0, 320), 'what came before the missing chunk');
  });

  it('comm and argv keep any byte (quotes, newlines, invalid UTF-8) for safeText to escape later', () => {
    const odd = Uint8Array.from([0x71, 0x22, 0x5c, 0x0a, 0xff]);
    const s = sockets(parse([exec({ ts: 1, pid: 5, ppid: 1, argv: [odd, 'ok'] }), sock({ ts: 2, pid: 5, comm: 'q"\\\n\u00ff', sa: sin('203.0.113.7', 1) })]).events)[0];
    assert.equal(s?.comm, 'q"\\\n\u00ff');
    assert.deepEqual(s?.argv, ['q"\\\n\u00ff', 'ok']);
    assert.deepEqual(splitArgv(Uint8Array.from([0x61, 0, 0x62])), ['a', 'b']);
  });

  it('epoch time: monotonic ns plus the measured offset', () => {
    const offset = 1_796_000_000_000.25;
    const e = parseOutput([sock({ ts: 2_500_000_123, pid: 1, sa: sin('203.0.113.7', 1) })].join('\n'), offset).events[0];
    assert.equal(e?.tsMs, 1_796_000_002_500.25);
    assert.equal(assemble([], 0).length, 0);
  });

  it('replays real bpftrace 0.17 output: a forking pipeline in a Portage-like namespace', () => {
    const text = readFileSync(path.join(packageRoot(), 'test/fixtures/observe/pipeline.jsonl'), 'utf8');
    const r = parseOutput(text, 0);
    assert.equal(r.malformed, 0);
    assert.equal(r.lost, 0);
    assert.equal(r.probes, 20);
    assert.equal(r.complete, true, 'END was printed');
    const [sh, py, cat] = execs(r.events);
    assert.deepEqual([sh?.comm, py?.comm, cat?.comm], ['sh', 'python3', 'cat']);
    assert.equal(py?.ppid, sh?.pid);
    assert.equal(cat?.ppid, sh?.pid);
    assert.deepEqual(py?.argv.slice(0, 2), ['/usr/bin/python3', '-c']);
    assert.ok((py?.argv[2] ?? '').includes('203.0.113.7'), 'the script argument, over several chunks');
    const s = sockets(r.events);
    assert.ok(s.every((e) => e.pid === py?.pid && e.ppid === sh?.pid && e.comm === 'python3' && e.argv?.[0] === '/usr/bin/python3'));
    assert.deepEqual(
      s.map((e) => [e.kind, e.protocol, e.address, e.port, e.error]),
      [
        ['connect', 'tcp', '203.0.113.7', 443, 'ENETUNREACH'],
        ['sendto', 'udp', '198.51.100.5', 53, 'ENETUNREACH'],
        ['connect', 'tcp', '2001:db8::5', 80, 'ENETUNREACH'],
        ['connect', 'unix-stream', '@/tmp/.X11-unix/X0', undefined, 'ECONNREFUSED'],
        ['bind', 'tcp', '127.0.0.1', 0, undefined],
        ['listen', 'tcp', '127.0.0.1', s[5]?.port, undefined],
      ],
    );
    assert.ok(s.every((e) => e.blockedUs !== undefined && e.blockedUs < 100_000));
  });
});

describe('observe: clock and sizing', () => {
  it('the offset is taken at a millisecond edge of the realtime clock', () => {
    const ms = 1000;
    let mono = 5_000_000n;
    const clock = {
      realtimeMs: () => (mono >= 5_400_000n ? ms + 1 : ms),
      monotonicNs: () => (mono += 100_000n),
    };
    // The realtime clock turns to 1001 when monotonic passes 5.4 ms: offset = 1001 - 5.4 (+ one step).
    const off = measureOffsetMs(clock);
    assert.ok(Math.abs(off - (1001 - 5.5)) < 0.2, String(off));
  });

  it('online CPUs from the kernel list; perf buffer pages: 16 MiB spread, [64, 1024], a power of 2', () => {
    assert.deepEqual(onlineCpus('0-3,6\n'), [0, 1, 2, 3, 6]);
    assert.deepEqual(onlineCpus('0'), [0]);
    assert.equal(defaultPerfPages(2), 1024);
    assert.equal(defaultPerfPages(8), 512);
    assert.equal(defaultPerfPages(64), 64);
    assert.equal(defaultPerfPages(1024), 64);
  });

  it('a whole output: lost events and END counted', () => {
    const r = parse([begin(0), lost(4), end()]);
    assert.equal(r.lost, 4);
    assert.equal(r.complete, true);
    assert.equal(parse([begin(0)]).complete, false);
  });
});
