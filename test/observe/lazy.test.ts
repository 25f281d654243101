/**
 * @privileged The tracer's --lazy-proc against the full stream: two tracers watch the same namespace at once,
 * one printing every exec/fork/exit, one printing them only for the processes that need them, while real
 * programs run there (a path-named AF_UNIX connect, a deep chain of shells down to python's connect, a perl TAP test file, a DNS send, libc's
 * resolver, an interface listing whose child fails, a process whose parents are gone before it connects, and a
 * hundred short processes that never touch the network). What the analysis makes of the two must be the same:
 * every network event with its process and argv, each one's ancestry as the TAP attribution walks it, the
 * attempts and interface listings analyzeBuild() makes of them (as `netaudit watch` runs it: calls only), while
 * the lazy stream carries far fewer exec/fork/exit lines and reports no loss.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Observer, type ObservedNamespace } from '../../src/observe/index.js';
import { analyzeBuild } from '../../src/analyze/build.js';
import { isSocketEvent } from '../../src/analyze/attribute.js';
import { ProcessTree } from '../../src/analyze/tap.js';
import type { TracerEvent } from '../../src/model/tracer-events.js';
import { PYTHON, portageNetns, requireObserver, runIn, type TestNetns } from './ns.js';

const PROCESS_KINDS = new Set(['exec', 'fork', 'exit']);

/**
 * Without times: the two tracers' programs each read the clock (µs apart), and a call's time in the kernel
 * (blockedUs) is each one's own measurement. Everything else must be equal.
 */
const timeless = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (k, x: unknown) => (/(?:Ms|Us)$/.test(k) ? undefined : x)));

/** The ancestry of an event's process as the TAP attribution walks it: (pid, argv) up to 32 levels. */
function ancestry(tree: ProcessTree, e: TracerEvent): string {
  const out: string[] = [];
  const seen = new Set<number>();
  let pid: number | undefined = e.pid;
  for (let depth = 0; pid !== undefined && pid > 1 && !seen.has(pid) && depth < 32; depth++) {
    seen.add(pid);
    const s = tree.at(pid, e.tsMs);
    if (!s) break;
    out.push(`${pid}:${s.ppid}:${(s.argv ?? []).join(' ')}`);
    pid = s.ppid;
  }
  return out.join(' < ');
}

/** What the analysis of `netaudit watch` (calls only) makes of the events. */
function analysis(seen: ObservedNamespace, netns: number, startMs: number): unknown {
  const endMs = Math.max(startMs, ...seen.events.map((e) => e.tsMs)) + 1;
  const a = analyzeBuild(
    {
      end: { exitCode: 0, signal: null, timedOut: false, interrupted: false, startMs, durationMs: Math.round(endMs - startMs) },
      captures: [],
      tracer: { events: seen.events, netns, buildEndMs: endMs, lost: seen.lost, complete: seen.complete },
      tests: [],
    },
    { syscallsOnly: true },
  );
  return { attempts: a.attempts, interfaceQueries: a.interfaceQueries };
}

describe('the tracer with --lazy-proc hands over what the analysis uses @privileged', function () {
  this.timeout(120_000);
  let eager: Observer | undefined;
  let lazy: Observer | undefined;
  let ns: TestNetns | undefined;
  let tmp: string | undefined;

  before(async function () {
    await requireObserver(this);
    [eager, lazy] = await Promise.all([Observer.start(), Observer.start({ args: ['--lazy-proc'] })]);
    ns = portageNetns();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-lazy-test-'));
  });

  after(async function () {
    await Promise.all([eager?.stop(), lazy?.stop()]);
    ns?.destroy();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('the same events, processes, ancestry, attempts and interface listings as the full stream', async function () {
    const dir = tmp as string;
    const n = ns as TestNetns;
    mkdirSync(path.join(dir, 't'));
    // A TAP test file: perl t/net.t, whose child (a shell, then python) connects.
    writeFileSync(path.join(dir, 't/net.t'), `system('sh', '-c', '${PYTHON} ${dir}/connect.py 192.0.2.7 81');\nprint "ok 1\\n";\n`);
    writeFileSync(
      path.join(dir, 'connect.py'),
      'import socket, sys\ns = socket.socket()\ns.settimeout(0.3)\ntry:\n    s.connect((sys.argv[1], int(sys.argv[2])))\nexcept OSError:\n    pass\n',
    );
    writeFileSync(
      path.join(dir, 'dns.py'),
      // A DNS question for lazy.example to a documentation address, and a lookup through libc (getaddrinfo).
      "import socket\nq = bytes.fromhex('123401000001000000000000') + b'\\x04lazy\\x07example\\x00' + bytes.fromhex('00010001')\n" +
        "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ntry:\n    u.sendto(q, ('192.0.2.53', 53))\nexcept OSError:\n    pass\n" +
        "try:\n    socket.getaddrinfo('resolve.invalid', 80)\nexcept OSError:\n    pass\n",
    );
    writeFileSync(path.join(dir, 'unix.py'), "import socket\ntry:\n    socket.socket(socket.AF_UNIX).connect('/nonexistent-netaudit.sock')\nexcept OSError:\n    pass\n");
    writeFileSync(
      path.join(dir, 'ifenum.py'),
      // Lists the interfaces, then a child of it fails: the listing's failure is that child's.
      'import socket, subprocess\nsocket.if_nameindex()\nsubprocess.run(["sh", "-c", "true; exit 3"])\n',
    );
    const script = [
      // Noise: short processes that never touch the network.
      'for i in $(seq 1 40); do true | cat >/dev/null; sed -n 1p /etc/hostname >/dev/null; done',
      // A path-named AF_UNIX connect (as getpwnam's to nscd): no attempt.
      `${PYTHON} ${dir}/unix.py`,
      // A deep chain down to a connect.
      `bash -c "sh -c 'sh -c \\"${PYTHON} ${dir}/connect.py 192.0.2.1 80\\"'"`,
      `cd ${dir} && perl t/net.t >/dev/null`,
      `${PYTHON} ${dir}/dns.py`,
      `${PYTHON} ${dir}/ifenum.py`,
      // Its parents are gone before it connects (reparented): their records are still what it came from.
      `sh -c '(sh -c "sleep 0.3; exec ${PYTHON} ${dir}/connect.py 198.51.100.9 443") & exit 0'`,
      'sleep 0.8',
    ].join('\n');
    await Promise.all([(eager as Observer).watch(n.inode), (lazy as Observer).watch(n.inode)]);
    const startMs = Date.now();
    const ran = await runIn(n.path, ['bash', '-c', script], 60_000);
    assert.equal(ran.code, 0, ran.stderr);
    const [full, lean] = await Promise.all([(eager as Observer).collect(n.inode), (lazy as Observer).collect(n.inode)]);
    assert.ok(full.complete && lean.complete);
    assert.equal(full.lost, 0);
    assert.equal(lean.lost, 0, 'the lazy table lost records');

    // Calls on path-named AF_UNIX sockets are never attempts (only abstract names are): --lazy-proc prints them
    // only for processes it prints anyway. Everything else must be there.
    const unixPath = (e: TracerEvent) => isSocketEvent(e) && e.family === 'unix' && !e.abstract;
    assert.ok(
      full.events.some((e) => unixPath(e) && (e as { address?: string }).address === '/nonexistent-netaudit.sock'),
      'the full stream has the path-named AF_UNIX connect',
    );
    const net = (s: ObservedNamespace) => s.events.filter((e) => !PROCESS_KINDS.has(e.kind) && !unixPath(e));
    assert.ok(net(full).length >= 8, `network events: ${net(full).length}`);
    // Every network event, with its process (pid, ppid, comm, argv), in the same order.
    assert.deepEqual(timeless(net(lean)), timeless(net(full)));
    // Each one's ancestry as the TAP attribution walks it.
    const [tf, tl] = [new ProcessTree(full.events), new ProcessTree(lean.events)];
    assert.deepEqual(
      net(lean).map((e) => ancestry(tl, e)),
      net(full).map((e) => ancestry(tf, e)),
    );
    const tap = net(full).map((e) => ancestry(tf, e)).find((a) => a.includes('t/net.t'));
    assert.ok(tap, 'the perl test file is an ancestor of its connect');
    // What the analysis makes of them.
    const [af, al] = [analysis(full, n.inode, startMs), analysis(lean, n.inode, startMs)];
    assert.deepEqual(timeless(al), timeless(af));
    const queries = (af as { interfaceQueries: { failure?: { exitCode?: number } }[] }).interfaceQueries;
    assert.equal(queries.length, 1);
    assert.equal(queries[0]?.failure?.exitCode, 3, 'the listing process\'s failing child');
    // And the point of it: most of the process lines are gone.
    const procs = (s: ObservedNamespace) => s.events.filter((e) => PROCESS_KINDS.has(e.kind)).length;
    assert.ok(procs(lean) * 3 < procs(full), `process lines: ${procs(lean)} lazy, ${procs(full)} full`);
  });
});
