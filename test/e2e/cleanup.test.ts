/**
 * @privileged Nothing is left behind: after success, failure, timeout and SIGINT no namespace, veth, tcpdump
 * process or temp dir remains; no tcpdump (not even a zombie) outlives `netaudit run`, in a child process or
 * in-process; after kill -9, `netaudit gc` removes what is left; eight audits at once do not collide.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Report } from '../../src/model/types.js';
import { main } from '../../src/cli/app.js';
import { CLI, ROOT, netaudit } from '../helpers/cli.js';
import { namespacesOf, netauditNamespaces, pidAlive, processesWith, tcpdumpPids, waitFor } from '../helpers/host.js';
import { requirePrivileges } from '../helpers/privileged.js';
import { tracerPids } from '../observe/ns.js';


interface ProcEntry {
  readonly pid: number;
  readonly comm: string;
  /** R, S, D, Z, ... */
  readonly state: string;
  readonly ppid: number;
  readonly pgrp: number;
}

/** Every process, from /proc/PID/stat (comm may hold spaces and parentheses: the fields follow the last ')'). */
function processTable(): ProcEntry[] {
  const out: ProcEntry[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const [state, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.push({ pid: Number(e), comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), state: state ?? '', ppid: Number(ppid), pgrp: Number(pgrp) });
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

const describeProcs = (ps: readonly ProcEntry[]): string => ps.map((p) => `${p.pid} ${p.comm} (${p.state})`).join(', ');

function netauditTempDirs(): string[] {
  return readdirSync(os.tmpdir()).filter((n) => /^netaudit-\d+\./.test(n));
}

describe('cleanup @privileged', function () {
  let baselineTcpdump: number[];
  let baselineTracer: number[];
  before(function () {
    requirePrivileges(this);
  });
  beforeEach(() => {
    baselineTcpdump = tcpdumpPids();
    baselineTracer = tracerPids();
  });
  // A test that failed half-way must not leave its netaudit run behind (a build of `sleep 300` holding the
  // privileged tests' lock): SIGTERM makes the run tear down what it made.
  const running = new Set<number>();
  afterEach(async () => {
    for (const pid of running) if (pidAlive(pid)) process.kill(pid, 'SIGTERM');
    await waitFor('the runs of a failed test to end', () => [...running].every((p) => !pidAlive(p)), 10_000).catch(() => undefined);
    running.clear();
  });

  async function assertNothingLeft(pid: number): Promise<void> {
    assert.deepEqual(namespacesOf(pid), [], 'namespaces left');
    await waitFor('tcpdump processes to end', () => tcpdumpPids().filter((p) => !baselineTcpdump.includes(p)).length === 0, 3000);
    // The tracer ends on EOF (its detach is not waited for); after kill -9, PR_SET_PDEATHSIG ends it.
    await waitFor('the tracer to end', () => tracerPids().filter((p) => !baselineTracer.includes(p)).length === 0, 5000);
    assert.deepEqual(netauditTempDirs().filter((d) => d.startsWith(`netaudit-${pid}.`)), [], 'temp dirs left');
  }

  function start(args: string[]): { pid: number; done: Promise<{ code: number | null; stderr: string }> } {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    // 'exit', not 'close': after kill -9 the build's processes still hold the stderr pipe open.
    const done = new Promise<{ code: number | null; stderr: string }>((resolve) =>
      child.on('exit', (code) => {
        running.delete(child.pid as number);
        resolve({ code, stderr });
      }),
    );
    running.add(child.pid as number);
    return { pid: child.pid as number, done };
  }

  it('after success', async function () {
    const r = start(['run', '-q', '--', 'true']);
    assert.equal((await r.done).code, 0);
    await assertNothingLeft(r.pid);
  });

  it('no tcpdump, not even a zombie, outlives a netaudit run process (checked at once, no waiting)', async function () {
    // Its own process group (detached): what it started and what outlives it, reparented, still carries its pgid.
    // The kernel takes 20-40 ms to finish a killed tcpdump; unreaped, that shows up in about every other run.
    for (let i = 0; i < 6; i++) {
      // The first with the observer (the tracer must be reaped too), the rest without it.
      const child = spawn(process.execPath, [CLI, 'run', '-q', ...(i ? ['--no-observe'] : []), '--', 'true'], { cwd: ROOT, detached: true, stdio: 'ignore' });
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      const left = processTable().filter((p) => p.pgrp === child.pid);
      assert.equal(code, 0);
      assert.deepEqual(describeProcs(left), '', `run ${i + 1}: left behind by netaudit run`);
      assert.deepEqual(namespacesOf(child.pid as number), []);
    }
  });

  it('no tcpdump child and no zombie once an in-process main(run) has returned', async function () {
    const before = new Set(processTable().filter((p) => p.ppid === process.pid).map((p) => p.pid));
    // The tracer (the first run observes) must be gone too: netaudit reads its stop line and does not wait for
    // its detach (~30-50 ms in the kernel), so it is given that long to be reaped.
    for (let i = 0; i < 3; i++) {
      const code = await main(['run', '-q', ...(i ? ['--no-observe'] : []), '--', 'true']);
      const tracerGone = (): boolean => !processTable().some((p) => p.ppid === process.pid && !before.has(p.pid) && (p.comm === 'netaudit-tracer' || p.comm === 'setpriv'));
      await waitFor('the tracer to be reaped', tracerGone, 2000);
      const children = processTable().filter((p) => p.ppid === process.pid && !before.has(p.pid));
      assert.equal(code, 0);
      assert.deepEqual(describeProcs(children.filter((p) => p.comm === 'tcpdump' || p.comm === 'netaudit-tracer' || p.comm === 'setpriv' || p.state === 'Z')), '', `run ${i + 1}`);
      assert.deepEqual(namespacesOf(process.pid), []);
    }
  });

  it('after a bad option or a failed check, with the set-up started before the parse (exit 2, nothing left)', async function () {
    for (const args of [
      ['run', '-q', '--no-such-option', '--', 'true'],
      ['run', '-q', '--user', 'no-such-user-netaudit', '--', 'true'],
    ]) {
      const r = start(args);
      const end = await r.done;
      assert.equal(end.code, 2, `${args.join(' ')}: ${end.stderr}`);
      assert.equal(end.stderr.trim().split('\n').length, 1, end.stderr);
      await assertNothingLeft(r.pid);
    }
  });

  it('after SIGINT as soon as the first namespace exists (the set-up started before the parse, the command line maybe not parsed yet)', async function () {
    const marker = `netaudit-sigint-setup-${process.pid}-${Date.now()}`;
    const r = start(['run', '-q', '--', 'python3', '-c', 'import time; time.sleep(300)', marker]);
    // The first namespace file appears while the command line is still being parsed.
    await waitFor('the sandbox', () => namespacesOf(r.pid).length > 0, 10_000, 1);
    process.kill(r.pid, 'SIGINT');
    const { code } = await r.done;
    assert.equal(code, 130);
    await assertNothingLeft(r.pid);
    assert.deepEqual(processesWith(marker), [], 'no build after SIGINT');
  });

  it('after the build fails', async function () {
    const r = start(['run', '-q', '--', 'sh', '-c', 'exit 3']);
    assert.equal((await r.done).code, 0);
    await assertNothingLeft(r.pid);
  });

  it('after a timeout, killing the whole process tree (daemons included)', async function () {
    const marker = `netaudit-timeout-${process.pid}-${Date.now()}`;
    const t0 = Date.now();
    const r = start(['run', '-q', '--timeout', '1', '--', 'sh', '-c', `setsid python3 -c 'import time; time.sleep(300)' ${marker} & python3 -c 'import time; time.sleep(300)' ${marker}; :`]);
    const { code } = await r.done;
    assert.ok(Date.now() - t0 < 8000, 'timeout honoured');
    assert.equal(code, 0, 'a timed-out build without attempts is fails-without-network');
    await assertNothingLeft(r.pid);
    assert.deepEqual(processesWith(marker), [], 'processes of the build survived the timeout');
  });

  it('after SIGINT during the build', async function () {
    const marker = `netaudit-sigint-${process.pid}-${Date.now()}`;
    const r = start(['run', '-q', '--', 'python3', '-c', 'import time; time.sleep(300)', marker]);
    await waitFor('the build', () => processesWith(marker).some((p) => p !== r.pid), 60_000);
    process.kill(r.pid, 'SIGINT');
    const { code } = await r.done;
    assert.equal(code, 130);
    await assertNothingLeft(r.pid);
    assert.deepEqual(processesWith(marker), [], 'the build survived SIGINT');
  });

  it('after SIGINT while the observer attaches (the sandbox is up, the build not started)', async function () {
    const marker = `netaudit-sigint-early-${process.pid}-${Date.now()}`;
    const r = start(['run', '-q', '--', 'python3', '-c', 'import time; time.sleep(300)', marker]);
    await waitFor('the sandbox', () => namespacesOf(r.pid).length > 0);
    process.kill(r.pid, 'SIGINT');
    const { code } = await r.done;
    assert.equal(code, 130);
    await assertNothingLeft(r.pid);
    assert.deepEqual(processesWith(marker), [], 'no build after SIGINT');
  });

  it('after kill -9, netaudit gc removes namespaces and the processes inside them', async function () {
    const marker = `netaudit-kill9-${process.pid}-${Date.now()}`;
    const r = start(['run', '-q', '--', 'python3', '-c', 'import time; time.sleep(300)', marker]);
    // The build starts once the observer is attached (seconds): wait for the build itself, python3 running
    // (not the nsenter/unshare/sh chain that execs it), and asleep.
    const builds = (): ProcEntry[] => processTable().filter((p) => p.comm === 'python3' && p.state === 'S' && processesWith(marker).includes(p.pid));
    await waitFor('the build', () => builds().length > 0, 60_000);
    const build = builds()[0] as ProcEntry;
    process.kill(r.pid, 'SIGKILL');
    await r.done;
    assert.ok(pidAlive(build.pid), `the build (pid ${build.pid}) is alive after netaudit was killed`);
    assert.ok(namespacesOf(r.pid).length > 0, 'a killed run leaves its namespace (gc must remove it)');
    assert.ok(processesWith(marker).length > 0, 'the build outlives a killed netaudit (gc must end it)');
    const dry = await netaudit(['gc', '--dry-run']);
    assert.match(dry.stdout, new RegExp(`would remove namespace netaudit-${r.pid}\\.`));
    const gc = await netaudit(['gc']);
    assert.equal(gc.code, 0, gc.stderr);
    assert.match(gc.stdout, new RegExp(`removed namespace netaudit-${r.pid}\\.`));
    await assertNothingLeft(r.pid);
    assert.deepEqual(processesWith(marker), [], 'the build process inside the namespace survived gc');
  });

  it('gc never touches a live run', async function () {
    const r = start(['run', '-q', '--', 'sleep', '300']);
    await waitFor('the sandbox', () => namespacesOf(r.pid).length > 0);
    const gc = await netaudit(['gc']);
    assert.match(gc.stdout, /kept netaudit-/);
    assert.ok(namespacesOf(r.pid).length > 0, 'the live run keeps its namespace');
    assert.ok(pidAlive(r.pid));
    process.kill(r.pid, 'SIGTERM');
    assert.equal((await r.done).code, 143);
    await assertNothingLeft(r.pid);
  });

  it('eight audits at once do not collide', async function () {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-test-'));
    try {
      const fixtures = ['curl-dns.sh', 'curl-v4.sh', 'curl-v6.sh', 'udp-send.sh', 'own-server.sh', 'host-postgres.sh', 'tolerant.sh', 'clean.sh'];
      const want = ['breaks', 'breaks', 'breaks', 'breaks', 'clean', 'breaks', 'tolerates', 'clean'];
      // Two of them with their own tracer (each sees every namespace and keeps only its build's), six on packets.
      const runs = fixtures.map((f, i) =>
        netaudit(['run', '-q', ...(i < 2 ? [] : ['--no-observe']), '--json', path.join(tmp, `${i}.json`), '--', 'sh', path.join(ROOT, 'fixtures/commands', f)]),
      );
      const results = await Promise.all(runs);
      results.forEach((r, i) => {
        const report = JSON.parse(readFileSync(path.join(tmp, `${i}.json`), 'utf8')) as Report;
        assert.equal(report.builds[0]?.verdict, want[i], `${fixtures[i]}: ${r.stderr}`);
      });
      const addresses = results.map((_, i) => (JSON.parse(readFileSync(path.join(tmp, `${i}.json`), 'utf8')) as Report).builds[0]?.attempts.map((a) => a.address));
      assert.deepEqual(addresses[1], ['198.51.100.10'], 'no attempt of another audit leaked into this one');
      const observed = (JSON.parse(readFileSync(path.join(tmp, '1.json'), 'utf8')) as Report).builds[0];
      assert.equal(observed?.observer?.available, true);
      assert.equal(observed?.attempts[0]?.process?.comm, 'curl', 'attributed by its own tracer');
      assert.deepEqual(addresses[4], []);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    assert.deepEqual(netauditNamespaces().filter((n) => !n.startsWith(`netaudit-${process.pid}.`)), []);
  });
});
