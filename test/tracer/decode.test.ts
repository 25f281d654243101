/**
 * The compiled tracer's lines -> typed events (src/decode/tracer.ts), on a recording of a real run
 * (test/tracer/recorded.jsonl: bpf/netaudit-tracer watching a namespace set up like Portage's while python3
 * made connects, DNS sends on every path, interface enumeration, bind/listen and getaddrinfo, then getent
 * looked a name up) and on hand-made lines for the edges.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import dnsPacket from 'dns-packet';
import { TracerDecoder, assembleTracerEvents, decodeTracerSockaddr, hexToBytes, parseTracerLine, splitArgv, type TracerRecord } from '../../src/decode/tracer.js';
import type { DnsQuestionEvent, InterfaceEnumEvent, ResolveEvent, TracerControl, TracerEvent } from '../../src/model/tracer-events.js';
import type { ExecEvent, SocketEvent } from '../../src/model/events.js';
import { packageRoot } from '../../src/util/package.js';

const hex = (b: Uint8Array | number[] | string): string => Buffer.from(typeof b === 'string' ? Buffer.from(b, 'latin1') : b).toString('hex');
const HEAD = { pid: 100, tid: 100, ppid: 1, ns: 4026532999, comm: hex('python3') };

function decodeAll(lines: readonly string[]): { events: TracerEvent[]; controls: TracerControl[]; malformed: number } {
  const d = new TracerDecoder();
  const controls: TracerControl[] = [];
  for (const l of lines) {
    const c = d.push(l);
    if (c) controls.push(c);
  }
  return { events: d.events(), controls, malformed: d.malformed };
}

describe('tracer lines (decode/tracer.ts)', () => {
  describe('a recorded run', () => {
    const lines = readFileSync(path.join(packageRoot(), 'test/tracer/recorded.jsonl'), 'utf8').split('\n');
    const { events, controls, malformed } = decodeAll(lines);
    const py = (e: TracerEvent): boolean => e.comm === 'python3';
    const sockets = events.filter((e): e is SocketEvent => ['connect', 'sendto', 'sendmsg', 'bind', 'listen'].includes(e.kind));
    const dns = events.filter((e): e is DnsQuestionEvent => e.kind === 'dns-question');

    it('every line understood; ready, sync and stop come back as controls with zero loss', () => {
      assert.equal(malformed, 0);
      assert.deepEqual(controls.map((c) => c.kind), ['ready', 'sync', 'stop']);
      const ready = controls[0];
      assert.ok(ready?.kind === 'ready');
      assert.ok(ready.probes.includes('sys_enter') && ready.probes.includes('uprobe:getaddrinfo'));
      assert.match(ready.libc ?? '', /libc\.so/);
      const sync = controls[1];
      assert.ok(sync?.kind === 'sync');
      assert.equal(sync.id, 'rec1');
      assert.equal(sync.loss.total, 0);
    });

    it('connects to 192.0.2.9:443 and 2001:db8::7 with ENETUNREACH, the argv of the python3 that made them', () => {
      const ext = sockets.filter((e) => py(e) && e.kind === 'connect' && e.protocol === 'tcp');
      assert.deepEqual(ext.map((e) => [e.family, e.address, e.port, e.error]), [
        [4, '192.0.2.9', 443, 'ENETUNREACH'],
        [6, '2001:db8::7', 443, 'ENETUNREACH'],
      ]);
      assert.deepEqual(ext[0]?.argv?.slice(1), ['/tmp/tr/prog.py']);
      assert.match(ext[0]?.argv?.[0] ?? '', /python3$/);
      assert.ok((ext[0]?.blockedUs ?? -1) >= 0);
      assert.ok((ext[0]?.tsMs ?? 0) > 1.7e12, 'epoch milliseconds');
    });

    it('DNS questions from send and write on a connected socket, sendto v4/v6, and the resolver`s sendmmsg, decoded', () => {
      const ofPy = dns.filter(py);
      const row = (e: DnsQuestionEvent): unknown[] => [e.syscall, e.toPeer, e.address, e.port, e.dns?.questions[0]?.name, e.dns?.questions[0]?.type];
      assert.deepEqual(ofPy.slice(0, 4).map(row), [
        ['sendto', true, '10.0.0.53', 53, 'foo.example', 'A'],
        ['write', true, '10.0.0.53', 53, 'foo.example', 'A'],
        ['sendto', false, '198.51.100.5', 53, 'foo.example', 'A'],
        ['sendto', false, '2001:db8::35', 53, 'foo.example', 'A'],
      ]);
      const mm = ofPy.filter((e) => e.syscall === 'sendmmsg');
      assert.ok(mm.length >= 2);
      assert.deepEqual(mm.slice(0, 2).map((e) => [e.index, e.dns?.questions[0]?.type]), [[0, 'A'], [1, 'AAAA']]);
      assert.ok(ofPy.every((e) => e.length === 29 && e.payload.length === 29 && !e.truncated));
      // sendto to an unrouted address fails; the connected sends succeed (29 bytes).
      assert.equal(ofPy[0]?.returned, 29);
      assert.equal(ofPy[2]?.error, 'ENETUNREACH');
      const getent = dns.filter((e) => e.comm === 'getent');
      assert.ok(getent.length > 0 && getent.every((e) => e.dns?.questions[0]?.name === 'bar.example'));
    });

    it('names handed to libc (getaddrinfo from python3, gethostbyname2 from getent)', () => {
      const r = events.filter((e): e is ResolveEvent => e.kind === 'resolve');
      assert.ok(r.some((e) => e.comm === 'python3' && e.function === 'getaddrinfo' && e.name === 'foo.example'));
      assert.ok(r.some((e) => e.comm === 'getent' && e.function === 'gethostbyname2' && e.name === 'bar.example'));
    });

    it('interface enumeration: SIOCGIFCONF, SIOCGIFINDEX eth0, an RTM_GETLINK dump', () => {
      const i = events.filter((e): e is InterfaceEnumEvent => e.kind === 'interface-enum');
      assert.deepEqual(i.map((e) => [e.method, e.request, e.interfaceName, e.dump]), [
        ['ioctl', 'SIOCGIFCONF', undefined, undefined],
        ['ioctl', 'SIOCGIFINDEX', 'eth0', undefined],
        ['netlink', 'RTM_GETLINK', undefined, true],
      ]);
      assert.equal(i[1]?.error, 'ENODEV');
    });

    it('bind and listen name the bound address (listen: the port the kernel chose)', () => {
      const b = sockets.find((e) => e.kind === 'bind');
      const l = sockets.find((e) => e.kind === 'listen');
      assert.deepEqual([b?.address, b?.port, b?.errno], ['127.0.0.1', 0, 0]);
      assert.equal(l?.address, '127.0.0.1');
      assert.ok((l?.port ?? 0) > 0);
    });

    it('exec, fork and exit make a process tree: every event of python3 has a parent and an argv', () => {
      const execs = events.filter((e): e is ExecEvent => e.kind === 'exec');
      assert.ok(execs.some((e) => e.argv[0] === 'getent' && e.argv[2] === 'bar.example'));
      assert.ok(events.some((e) => e.kind === 'fork'));
      const exits = events.filter((e) => e.kind === 'exit');
      assert.ok(exits.some((e) => e.comm === 'python3' && e.exitCode === 0));
      assert.ok(events.filter(py).every((e) => e.ppid > 0 && e.argv !== undefined));
    });
  });

  describe('edges', () => {
    it('a call without its ret keeps no errno; a ret without its call is ignored', () => {
      const sa = hex([2, 0, 1, 187, 192, 0, 2, 9, 0, 0, 0, 0, 0, 0, 0, 0]);
      const lines = [
        JSON.stringify({ t: 'call', ts: 1.5e12, ...HEAD, sys: 'connect', fd: 3, fam: 2, type: 1, proto: 6, i: 0, sa }),
        JSON.stringify({ t: 'ret', ts: 1.5e12 + 1, ...HEAD, sys: 'connect', enter: 1.4e12, ret: -101, us: 3 }),
      ];
      const { events, malformed } = decodeAll(lines);
      assert.equal(malformed, 0);
      assert.equal(events.length, 1);
      assert.equal((events[0] as SocketEvent).errno, undefined);
    });

    it('malformed lines are counted, never thrown: bad JSON, odd hex, missing fields, unknown kinds', () => {
      for (const l of ['{', '[]', '{"t":"call"}', JSON.stringify({ t: 'exec', ts: 1, ...HEAD, argvLen: 1, argv: 'zz' }), '{"t":"nope"}', '{"t":"sync","id":"x"}']) {
        assert.equal(parseTracerLine(l).type, 'malformed', l);
      }
      assert.equal(parseTracerLine('  ').type, 'ignored');
    });

    it('byte strings are lossless: argv with invalid UTF-8 keeps each byte, a cut argv is flagged', () => {
      const argv = [...Buffer.from('sh\0-c\0'), 0xff, 0xfe, 0];
      const r = JSON.parse(JSON.stringify({ t: 'exec', ts: 2, ...HEAD, argvLen: 9000, argv: hex(argv), trunc: true })) as TracerRecord;
      const [e] = assembleTracerEvents([r]) as ExecEvent[];
      assert.deepEqual(e?.argv, ['sh', '-c', '\u00ff\u00fe']);
      assert.equal(e?.argvTruncated, true);
      assert.deepEqual(splitArgv(Uint8Array.from(Buffer.from('a\0b'))), ['a', 'b']);
    });

    it('a DNS payload cut at the cap is decoded as far as it goes and flagged', () => {
      const q = dnsPacket.encode({ type: 'query', id: 7, questions: [{ type: 'A', name: 'long.example' }] });
      const sa = hex([2, 0, 0, 53, 10, 0, 0, 53, 0, 0, 0, 0, 0, 0, 0, 0]);
      const line = JSON.stringify({ t: 'dns', ts: 3, ...HEAD, sys: 'sendto', fd: 3, i: 0, peer: true, sa, len: 900, payload: hex(q), trunc: true });
      const [e] = decodeAll([line]).events as DnsQuestionEvent[];
      assert.equal(e?.truncated, true);
      assert.equal(e?.length, 900);
      assert.equal(e?.dns?.questions[0]?.name, 'long.example');
    });

    it('sockaddrs: abstract and filesystem AF_UNIX, unknown families', () => {
      assert.deepEqual(decodeTracerSockaddr(Uint8Array.from([1, 0, 0, 0x78, 0, 0x79])), { family: 'unix', address: '@x\u0000y', abstract: true });
      assert.deepEqual(decodeTracerSockaddr(Uint8Array.from([1, 0, 0x2f, 0x61, 0, 0x7a])), { family: 'unix', address: '/a', abstract: false });
      assert.equal(decodeTracerSockaddr(Uint8Array.from([16, 0, 0, 0])), undefined);
      assert.equal(hexToBytes('abc'), undefined);
    });

    it('control lines: ack, error, stop with losses per record kind; chunks split mid-line', () => {
      const d = new TracerDecoder();
      const text = '{"t":"ack","cmd":"watch","ns":5}\n{"t":"error","message":"x"}\n{"t":"stop","reason":"signal","lost":{"connect":3,"ret":1},"lostTotal":4,"records":9}\n';
      const got = [...d.pushChunk(text.slice(0, 20)), ...d.pushChunk(text.slice(20))];
      assert.deepEqual(got, [
        { kind: 'ack', command: 'watch', netns: 5 },
        { kind: 'error', message: 'x' },
        { kind: 'stop', reason: 'signal', loss: { byRecord: { connect: 3, ret: 1 }, total: 4, records: 9 } },
      ]);
    });
  });
});
