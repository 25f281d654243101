/**
 * @privileged The observer next to a real netaudit sandbox (Sandbox.create(), used read-only through its
 * API): the packets become attempts as in `netaudit run`, and attribute() names the process of each. Also
 * the measured skew between a syscall's time and its first packet's capture time (the two clocks).
 * This is the wiring an integrator would do; it lives in the test until src/runner takes it over.
 */
import assert from 'node:assert/strict';
import { Observer, netnsInodeOf } from '../../src/observe/index.js';
import { attribute, unixAttempts } from '../../src/analyze/attribute.js';
import type { SocketEvent } from '../../src/model/events.js';
import { analyzeBuild } from '../../src/analyze/build.js';
import { capturedFrames } from '../../src/capture/frames.js';
import { runBuild } from '../../src/sandbox/build.js';
import { Sandbox } from '../../src/sandbox/sandbox.js';
import { PYTHON, requireObserver } from './ns.js';

describe('attribution on a netaudit sandbox @privileged', function () {
  this.timeout(180_000);
  let observer: Observer | undefined;
  before(async function () {
    this.timeout(120_000);
    await requireObserver(this);
    observer = await Observer.start();
  });
  after(async () => {
    await observer?.stop();
    await observer?.closed();
  });

  it('python3, curl, node and a pipeline: every attempt gets its process; the X11 connect is a unix attempt', async () => {
    const py = [
      'import socket',
      's = socket.socket(); s.settimeout(3)',
      'try: s.connect(("203.0.113.7", 443))',
      'except OSError as e: print("tcp", e.errno)',
      'u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
      'try: u.sendto(b"q", ("198.51.100.5", 53))',
      'except OSError as e: print("udp", e.errno)',
      'x = socket.socket(socket.AF_UNIX)',
      'try: x.connect(b"\\0/tmp/.X11-unix/X0")',
      'except OSError as e: print("x11", e.errno)',
    ].join('\n');
    const node = "require('net').connect({ host: '2001:db8::5', port: 80 }).on('error', (e) => console.log('v6', e.code))";
    const script = `${PYTHON} -c '${py}' | cat; curl -sS --max-time 5 http://198.51.100.9/ 2>/dev/null; '${process.execPath}' -e "${node}"; true`;
    const sb = await Sandbox.create();
    const inode = netnsInodeOf(sb.buildNsPath);
    await (observer as Observer).watch(inode);
    let out = '';
    let outcome;
    let captures;
    let seen;
    try {
      outcome = await runBuild(sb, { argv: ['sh', '-c', script], stdio: 'pipe', onOutput: (b) => (out += b.toString()) });
      await sb.killBuildProcesses(1000);
      // Before the captures are collected: their end marker is sent from inside the build namespace.
      const t = performance.now();
      seen = await (observer as Observer).collect(inode);
      process.stdout.write(`      collect: synced in ${(performance.now() - t).toFixed(0)} ms, ${seen.lost} records lost (all namespaces)\n`);
      captures = await sb.collect();
    } finally {
      await sb.destroy();
    }
    assert.equal(outcome.exitCode, 0, out);
    assert.match(out, /tcp 101/);
    assert.match(out, /udp 1\b/, 'EPERM: the nftables rule fails the send on the spot');
    assert.match(out, /x11 111/);
    assert.match(out, /v6 ENETUNREACH/);

    assert.equal(seen.complete, true);
    const evidence = analyzeBuild({ end: outcome, captures: await capturedFrames(captures.results, captures.sentinel, captures.nftLogged), tests: [] });
    const window = { buildStartMs: outcome.startMs, buildEndMs: outcome.startMs + outcome.durationMs, netns: inode };
    const { attempts, unmatched } = attribute(evidence.attempts, seen.events, window);
    const by = (address: string) => attempts.find((a) => a.address === address);

    const sh = seen.events.find((e) => e.kind === 'exec' && e.comm === 'sh' && e.argv[2] === script);
    assert.ok(sh, 'the build shell exec');
    const tcp = by('203.0.113.7');
    assert.deepEqual([tcp?.kind, tcp?.port, tcp?.process?.comm, tcp?.process?.ppid, tcp?.process?.argv?.slice(0, 2)], ['tcp', 443, 'python3', sh.pid, [PYTHON, '-c']]);
    const udp = by('198.51.100.5');
    assert.deepEqual([udp?.kind, udp?.port, udp?.process?.comm, udp?.process?.pid], ['udp', 53, 'python3', tcp?.process?.pid]);
    const curl = by('198.51.100.9');
    assert.deepEqual([curl?.kind, curl?.process?.comm, curl?.process?.ppid, curl?.process?.argv], ['tcp', 'curl', sh.pid, ['curl', '-sS', '--max-time', '5', 'http://198.51.100.9/']]);
    const v6 = by('2001:db8::5');
    assert.deepEqual([v6?.kind, v6?.family, v6?.process?.comm, v6?.process?.ppid], ['tcp', 6, 'node', sh.pid]);
    assert.deepEqual(unmatched, [], 'every external connect and send became a packet');

    const x11 = unixAttempts(seen.events, window);
    assert.deepEqual(
      x11.map((a) => [a.kind, a.address, a.outcome, a.process?.comm]),
      [['unix', '@/tmp/.X11-unix/X0', 'refused', 'python3']],
    );

    // Clock alignment: the SYN's capture time (CLOCK_REALTIME, kernel) against the connect's entry (CLOCK_MONOTONIC + offset).
    const connect = seen.events.find((e): e is SocketEvent => e.kind === 'connect' && e.address === '203.0.113.7');
    const syn = evidence.packets.find((p) => p.dst === '203.0.113.7' && p.tcp?.syn && p.tcp.dstPort === 443);
    assert.ok(connect && syn);
    const skewMs = syn.tsMs - connect.tsMs;
    process.stdout.write(`      clock: first SYN captured ${skewMs.toFixed(3)} ms after connect() entered\n`);
    assert.ok(skewMs > -1 && skewMs < 20, `skew ${skewMs} ms`);
  });
});
