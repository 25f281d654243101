/**
 * @privileged The syscall observer (the compiled tracer, dist/bpf/netaudit-tracer) against real programs
 * (python3, curl, node, a forking shell pipeline, an abstract-socket server on the host) in a namespace set up
 * as Portage's network-sandbox sets one up. One tracer serves the tests, each in its own namespace watched and
 * collected, as a sweep uses it; the burst and the lifetime tests start their own.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Observer, type ObservedNamespace } from '../../src/observe/index.js';
import { attribute, isSocketEvent, unixAttempts } from '../../src/analyze/attribute.js';
import type { ExecEvent, SocketEvent } from '../../src/model/events.js';
import type { TracerEvent } from '../../src/model/tracer-events.js';
import { SetupError } from '../../src/model/errors.js';
import { waitFor } from '../helpers/host.js';
import { PYTHON, tracerPids, portageNetns, requireObserver, runIn, type TestNetns } from './ns.js';

type Seen = { readonly events: readonly TracerEvent[] };
const sockets = (r: Seen): SocketEvent[] => r.events.filter(isSocketEvent);
const execs = (r: Seen): ExecEvent[] => r.events.filter((e): e is ExecEvent => e.kind === 'exec');
const connects = (r: Seen): SocketEvent[] => sockets(r).filter((e) => e.kind === 'connect');

/** A python3 on the host (root namespace) listening on a UNIX address; resolves once it listens. */
function hostListener(address: string): Promise<ChildProcess> {
  const code = `import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.bind(${JSON.stringify(address)}.encode('latin1'))\ns.listen(8)\nprint('ready',flush=True)\nwhile True:\n  c,_=s.accept(); c.close()\n`;
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-c', code], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.stdout.on('data', (b: Buffer) => b.toString().includes('ready') && resolve(child));
    child.on('error', reject);
    child.on('close', (c) => reject(new Error(`host listener exited ${c}: ${err}`)));
  });
}

/** Alive and not a zombie. */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('close', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('syscall observer on real programs @privileged', function () {
  this.timeout(120_000);
  let observer: Observer | undefined;
  let ns: TestNetns | undefined;

  before(async function () {
    this.timeout(120_000);
    await requireObserver(this);
    observer = await Observer.start();
  });
  after(async () => {
    const end = await observer?.stop();
    assert.equal(end?.complete, true, 'the stop line came');
    await observer?.closed();
    if (observer) assert.equal(running(observer.pid), false, 'the tracer ended');
  });
  beforeEach(async () => {
    ns = portageNetns();
    await observer?.watch(ns.inode);
  });
  afterEach(() => ns?.destroy());

  const collect = async (): Promise<ObservedNamespace> => {
    const r = await (observer as Observer).collect((ns as TestNetns).inode);
    assert.equal(r.complete, true, 'the sync line came');
    assert.equal(r.lost, 0);
    assert.equal(r.malformed, 0);
    assert.ok(r.events.every((e) => e.netns === ns?.inode));
    return r;
  };

  it('python3: connect to 203.0.113.7:443 and sendto UDP 198.51.100.5:53, both ENETUNREACH, with pid/ppid/comm/argv', async () => {
    const script = [
      'import socket',
      's = socket.socket()',
      'try: s.connect(("203.0.113.7", 443))',
      'except OSError as e: print(e.errno)',
      'u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
      'try: u.sendto(b"q", ("198.51.100.5", 53))',
      'except OSError as e: print(e.errno)',
    ].join('\n');
    const run = await runIn((ns as TestNetns).path, [PYTHON, '-c', script]);
    assert.equal(run.stdout, '101\n101\n', run.stderr);
    const r = await collect();
    const exec = execs(r).find((e) => e.pid === run.pid);
    assert.deepEqual(exec?.argv, [PYTHON, '-c', script]);
    assert.equal(exec?.ppid, process.pid, 'nsenter execs python3: its parent is this test');
    const s = sockets(r).filter((e) => e.pid === run.pid);
    assert.deepEqual(
      s.map((e) => [e.kind, e.protocol, e.family, e.address, e.port, e.error, e.ppid, e.comm]),
      [
        ['connect', 'tcp', 4, '203.0.113.7', 443, 'ENETUNREACH', process.pid, 'python3'],
        ['sendto', 'udp', 4, '198.51.100.5', 53, 'ENETUNREACH', process.pid, 'python3'],
      ],
    );
    assert.ok(s.every((e) => e.argv?.[2] === script && (e.blockedUs ?? -1) >= 0 && (e.blockedUs ?? 1e9) < 100_000));
  });

  it('curl http://198.51.100.9/: its connect, its argv, exit 7', async () => {
    const run = await runIn((ns as TestNetns).path, ['curl', '-sS', '--max-time', '5', 'http://198.51.100.9/']);
    assert.equal(run.code, 7, run.stderr);
    const r = await collect();
    const c = connects(r).filter((e) => e.address === '198.51.100.9');
    assert.equal(c.length, 1, JSON.stringify(sockets(r)));
    assert.deepEqual([c[0]?.pid, c[0]?.comm, c[0]?.port, c[0]?.protocol, c[0]?.error], [run.pid, 'curl', 80, 'tcp', 'ENETUNREACH']);
    assert.deepEqual(c[0]?.argv, ['curl', '-sS', '--max-time', '5', 'http://198.51.100.9/']);
  });

  it('node: net.connect to [2001:db8::5]:80, IPv6 text as packets give it', async () => {
    const code = "require('net').connect({ host: '2001:db8::5', port: 80 }).on('error', (e) => { console.log(e.code); })";
    const run = await runIn((ns as TestNetns).path, [process.execPath, '-e', code]);
    assert.equal(run.stdout.trim(), 'ENETUNREACH', run.stderr);
    const r = await collect();
    const c = connects(r).filter((e) => e.pid === run.pid && e.family === 6);
    assert.equal(c.length, 1, JSON.stringify(sockets(r)));
    assert.deepEqual([c[0]?.address, c[0]?.port, c[0]?.comm, c[0]?.error, c[0]?.argv], ['2001:db8::5', 80, 'node', 'ENETUNREACH', [process.execPath, '-e', code]]);
    assert.notEqual(c[0]?.tid, undefined);
  });

  it("a forking pipeline: sh -c 'python3 … | cat' gives the child its own pid, the shell as parent, its argv", async () => {
    const py = 'import socket\ntry: socket.socket().connect(("203.0.113.8", 8080))\nexcept OSError: pass';
    const cmd = `${PYTHON} -c '${py}' | cat`;
    const run = await runIn((ns as TestNetns).path, ['sh', '-c', cmd]);
    assert.equal(run.code, 0, run.stderr);
    const r = await collect();
    const shExec = execs(r).find((e) => e.pid === run.pid);
    assert.deepEqual(shExec?.argv, ['sh', '-c', cmd]);
    const c = connects(r).filter((e) => e.address === '203.0.113.8');
    assert.equal(c.length, 1);
    const child = c[0] as SocketEvent;
    assert.notEqual(child.pid, run.pid, 'a child of the shell made it');
    assert.equal(child.ppid, run.pid);
    assert.equal(child.comm, 'python3');
    assert.deepEqual(child.argv, [PYTHON, '-c', py]);
    assert.equal(child.error, 'ENETUNREACH');
    const cat = execs(r).find((e) => e.comm === 'cat');
    assert.equal(cat?.ppid, run.pid);
    assert.deepEqual(cat?.argv, ['cat']);
  });

  it("an abstract socket of the host is unreachable from the build namespace: @name, ECONNREFUSED, a unix attempt", async () => {
    const name = `netaudit-test-${randomBytes(4).toString('hex')}`;
    let listener: ChildProcess | undefined;
    try {
      listener = await hostListener(`\0${name}`);
      const code = `import socket,sys\ns=socket.socket(socket.AF_UNIX)\ntry:\n  s.connect(b"\\0${name}"); print("connected")\nexcept OSError as e: print(e.errno)`;
      // On the host the server answers: the refusal inside is the namespace's doing.
      const onHost = spawn(PYTHON, ['-c', code], { stdio: ['ignore', 'pipe', 'ignore'] });
      let hostOut = '';
      onHost.stdout.on('data', (b: Buffer) => (hostOut += b.toString()));
      await new Promise((r) => onHost.on('close', r));
      assert.equal(hostOut.trim(), 'connected');

      const t0 = Date.now();
      const run = await runIn((ns as TestNetns).path, [PYTHON, '-c', code]);
      assert.equal(run.stdout.trim(), '111', run.stderr);
      const r = await collect();
      const c = connects(r).filter((e) => e.family === 'unix');
      assert.equal(c.length, 1);
      assert.deepEqual([c[0]?.address, c[0]?.abstract, c[0]?.protocol, c[0]?.error, c[0]?.pid], [`@${name}`, true, 'unix-stream', 'ECONNREFUSED', run.pid]);
      const attempts = unixAttempts(r.events, { buildStartMs: t0, netns: ns?.inode });
      assert.equal(attempts.length, 1);
      assert.deepEqual([attempts[0]?.kind, attempts[0]?.address, attempts[0]?.outcome, attempts[0]?.process?.pid], ['unix', `@${name}`, 'refused', run.pid]);
      assert.equal('family' in (attempts[0] ?? {}), false, 'no IP family');
    } finally {
      await stopChild(listener);
    }
  });

  it('a filesystem UNIX socket still works across namespaces and is not an attempt', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'obs-test-'));
    const sockPath = path.join(dir, 'server.sock');
    let listener: ChildProcess | undefined;
    try {
      listener = await hostListener(sockPath);
      const code = `import socket\ns=socket.socket(socket.AF_UNIX)\ns.connect(${JSON.stringify(sockPath)})\nprint("connected")`;
      const t0 = Date.now();
      const run = await runIn((ns as TestNetns).path, [PYTHON, '-c', code]);
      assert.equal(run.stdout.trim(), 'connected', run.stderr);
      const r = await collect();
      const c = connects(r).filter((e) => e.family === 'unix' && e.pid === run.pid);
      assert.deepEqual(
        c.map((e) => [e.address, e.abstract, e.errno]),
        [[sockPath, false, 0]],
      );
      assert.deepEqual(unixAttempts(r.events, { buildStartMs: t0, netns: ns?.inode }), []);
    } finally {
      await stopChild(listener);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bind and listen inside the build (its own server on 127.0.0.1 and an abstract name) are seen, not attempts', async () => {
    const code = [
      'import socket',
      's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()',
      'u = socket.socket(socket.AF_UNIX); u.bind(b"\\0own-server"); u.listen()',
      'c = socket.socket(socket.AF_UNIX); c.connect(b"\\0own-server")',
    ].join('\n');
    const t0 = Date.now();
    const run = await runIn((ns as TestNetns).path, [PYTHON, '-c', code]);
    assert.equal(run.code, 0, run.stderr);
    const r = await collect();
    const s = sockets(r).filter((e) => e.pid === run.pid);
    assert.deepEqual(
      s.map((e) => [e.kind, e.address, e.errno]),
      [
        ['bind', '127.0.0.1', 0],
        ['listen', '127.0.0.1', 0],
        ['bind', '@own-server', 0],
        ['listen', '@own-server', 0],
        ['connect', '@own-server', 0],
      ],
    );
    assert.ok((s[1]?.port ?? 0) > 0, 'listen reports the port bind picked');
    assert.deepEqual(unixAttempts(r.events, { buildStartMs: t0, netns: ns?.inode }), []);
    assert.deepEqual(attribute([], r.events, { buildStartMs: t0 }).unmatched, []);
  });
});

describe('syscall observer shared by two builds at once @privileged', function () {
  this.timeout(120_000);
  let observer: Observer | undefined;
  const spaces: TestNetns[] = [];
  before(async function () {
    await requireObserver(this);
    observer = await Observer.start();
  });
  after(async () => {
    await observer?.stop();
    await observer?.closed();
    for (const s of spaces) s.destroy();
  });
  const connect = (port: number): string => `import socket\ntry: socket.socket().connect(("203.0.113.10", ${port}))\nexcept OSError: pass`;

  it('keeps only watched namespaces: nothing before watch() or after collect(), none of an unwatched one', async () => {
    const c = portageNetns();
    const other = portageNetns();
    spaces.push(c, other);
    const o = observer as Observer;
    await runIn(c.path, [PYTHON, '-c', connect(3331)]);
    await o.watch(c.inode);
    const [during] = await Promise.all([runIn(c.path, [PYTHON, '-c', connect(3332)]), runIn(other.path, [PYTHON, '-c', connect(3334)])]);
    const first = await o.collect(c.inode);
    await runIn(c.path, [PYTHON, '-c', connect(3333)]);
    await o.watch(c.inode);
    const second = await o.collect(c.inode);
    assert.deepEqual(connects(first).map((e) => [e.pid, e.port]), [[during.pid, 3332]]);
    assert.deepEqual(connects(second), [], 'what came after collect() is not kept for the next watch()');
    assert.equal(first.complete && second.complete, true);
  });

  it('routes events by namespace; two collect() calls may overlap', async () => {
    const a = portageNetns();
    const b = portageNetns();
    spaces.push(a, b);
    const o = observer as Observer;
    await Promise.all([o.watch(a.inode), o.watch(b.inode)]);
    const [ra, rb] = await Promise.all([runIn(a.path, [PYTHON, '-c', connect(1111)]), runIn(b.path, [PYTHON, '-c', connect(2222)])]);
    const [ea, eb] = await Promise.all([o.collect(a.inode), o.collect(b.inode)]);
    assert.equal(ea.complete && eb.complete, true);
    assert.deepEqual(
      connects(ea).map((e) => [e.pid, e.port, e.netns]),
      [[ra.pid, 1111, a.inode]],
    );
    assert.deepEqual(
      connects(eb).map((e) => [e.pid, e.port, e.netns]),
      [[rb.pid, 2222, b.inode]],
    );
    // Every kind the tracer gives is kept: the processes' exec, fork-free python exits, their exit.
    assert.ok(ea.events.some((e) => e.kind === 'exec' && e.pid === ra.pid));
    assert.ok(ea.events.some((e) => e.kind === 'exit' && e.pid === ra.pid));
  });

  it('a DNS question sent and a name handed to the resolver are kept as events of their own kinds', async () => {
    const c = portageNetns();
    spaces.push(c);
    const o = observer as Observer;
    await o.watch(c.inode);
    const script = [
      'import socket',
      'try: socket.getaddrinfo("netaudit-observer.example", 443)',
      'except OSError: pass',
      'u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
      'q = bytes.fromhex("1234010000010000000000000474657374076578616d706c650000010001")',
      'try: u.sendto(q, ("10.1.2.3", 53))',
      'except OSError: pass',
    ].join('\n');
    const run = await runIn(c.path, [PYTHON, '-c', script]);
    const r = await o.collect(c.inode);
    const mine = r.events.filter((e) => e.pid === run.pid);
    const resolve = mine.find((e) => e.kind === 'resolve');
    assert.equal(resolve?.kind === 'resolve' ? resolve.name : undefined, 'netaudit-observer.example');
    const q = mine.find((e) => e.kind === 'dns-question' && e.address === '10.1.2.3');
    assert.equal(q?.kind === 'dns-question' ? q.dns?.questions[0]?.name : undefined, 'test.example');
    // The same send is also a socket call (sendto to port 53), the one attribution uses.
    assert.ok(sockets(r).some((e) => e.pid === run.pid && e.kind === 'sendto' && e.address === '10.1.2.3' && e.port === 53));
  });
});

describe('syscall observer: losses @privileged', function () {
  this.timeout(180_000);
  let ns: TestNetns | undefined;
  let observer: Observer | undefined;
  before(async function () {
    await requireObserver(this);
    ns = portageNetns();
  });
  after(async () => {
    await observer?.kill();
    ns?.destroy();
  });

  it('2,000 non-blocking connects fired at once into a 16 KiB ring buffer: every one seen, or the loss counted for the build', async () => {
    observer = await Observer.start({ args: ['--ringbuf-kib', '16'] });
    await observer.watch((ns as TestNetns).inode);
    const script = [
      'import socket',
      'n = 0',
      'for i in range(2000):',
      '    s = socket.socket(); s.setblocking(False)',
      '    try: s.connect(("203.0.113.%d" % (1 + i % 250), 1000 + i))',
      '    except OSError as e: n += e.errno == 101',
      '    s.close()',
      'print(n)',
    ].join('\n');
    const run = await runIn((ns as TestNetns).path, [PYTHON, '-c', script]);
    assert.equal(run.stdout.trim(), '2000', run.stderr);
    const r = await observer.collect((ns as TestNetns).inode);
    const c = connects(r).filter((e) => e.pid === run.pid);
    const answered = c.filter((e) => e.error === 'ENETUNREACH').length;
    process.stdout.write(`      burst: ${c.length}/2000 connects seen, ${answered} with their return, ${r.lost} records lost, attach ${observer.attachMs} ms\n`);
    assert.equal(r.complete, true);
    assert.equal(new Set(c.map((e) => e.port)).size, c.length, 'no connect twice');
    if (r.lost === 0) {
      assert.equal(c.length, 2000);
      assert.equal(answered, 2000);
    } else {
      // Whatever is missing (a connect, or the return of one seen) is accounted for by a lost record.
      assert.ok(2000 - c.length + (c.length - answered) <= r.lost, `${2000 - c.length} connects and ${c.length - answered} returns missing, ${r.lost} lost`);
    }
    // A build watched after the burst starts with no loss of its own.
    await observer.watch((ns as TestNetns).inode);
    const next = await observer.collect((ns as TestNetns).inode);
    assert.equal(next.lost, 0, 'the losses of an earlier window are not charged to a later build');
    const end = await observer.stop();
    assert.equal(end.lost >= r.lost, true);
    assert.equal(await observer.stop(), end, 'stop() twice is safe');
    await observer.closed();
    assert.equal(running(observer.pid), false);
  });
});

describe('syscall observer: lifetime @privileged', function () {
  this.timeout(180_000);
  before(async function () {
    await requireObserver(this);
  });

  it('a start that fails says why, with the tracer\'s own line, and leaves no process', async () => {
    const before = new Set(tracerPids());
    await assert.rejects(
      Observer.start({ args: ['--ringbuf-kib', '3'] }),
      (e: unknown) => e instanceof SetupError && /^starting the syscall tracer: netaudit-tracer: .*ringbuf/.test(e.message),
    );
    assert.deepEqual(
      tracerPids().filter((p) => !before.has(p)),
      [],
    );
  });

  it('a missing tracer binary is a clear error', async () => {
    await assert.rejects(Observer.start({ tracer: '/nonexistent/netaudit-tracer' }), (e: unknown) => e instanceof Error && /netaudit-tracer/.test(e.message));
  });

  it('an abort signal while attaching (SIGINT in netaudit) kills the tracer before rejecting', async () => {
    const before = new Set(tracerPids());
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(Observer.start({ signal: ac.signal }), (e: unknown) => e instanceof SetupError && /interrupted/.test(e.message));
    assert.deepEqual(
      tracerPids().filter((p) => !before.has(p)),
      [],
    );
  });

  it('stop() does not wait for the detach; the process is reaped after, and nothing is left', async () => {
    const before = new Set(tracerPids());
    const o = await Observer.start();
    const t0 = performance.now();
    const end = await o.stop();
    const stopMs = performance.now() - t0;
    await o.closed();
    const exitMs = performance.now() - t0;
    process.stdout.write(`      attach ${o.attachMs} ms, stop line ${stopMs.toFixed(1)} ms, reaped ${exitMs.toFixed(0)} ms\n`);
    assert.equal(end.complete, true);
    assert.equal(end.stderr, '');
    assert.ok(stopMs <= exitMs);
    assert.deepEqual(
      tracerPids().filter((p) => !before.has(p)),
      [],
    );
  });

  for (const how of ['SIGKILL', 'SIGTERM'] as const) {
    it(`the tracer dies with netaudit (${how} of netaudit: setpriv --pdeathsig, and its own parent-death signal)`, async () => {
      const url = new URL('../../src/observe/index.js', import.meta.url).href;
      const code = `const { Observer } = await import(${JSON.stringify(url)}); const o = await Observer.start(); console.log(o.pid); setInterval(() => {}, 1000);`;
      const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        const pid = await new Promise<number>((resolve, reject) => {
          child.stdout.on('data', (b: Buffer) => resolve(Number(b.toString().trim())));
          child.on('close', (c) => reject(new Error(`exited ${c}`)));
        });
        assert.ok(running(pid));
        child.kill(how);
        await waitFor(`the tracer ${pid} to die with its parent`, () => !running(pid), 15_000);
      } finally {
        await stopChild(child);
      }
    });
  }
});
