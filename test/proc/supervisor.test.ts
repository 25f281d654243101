/**
 * src/proc/supervisor.ts with real small processes (sh, sleep, python3, node): readiness by a line, a
 * predicate or a file; a timeout and an early exit reported with a labelled error and the stderr tail, the
 * helper killed and reaped first; stop() escalating to SIGKILL; an already-dead helper reaped at once; no
 * zombie left; a helper dies with its parent even on SIGKILL (setpriv --pdeathsig).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MissingToolError, SetupError } from '../../src/model/errors.js';
import { HelperStartError, supervise, type Helper } from '../../src/proc/supervisor.js';
import { tool } from '../../src/proc/tools.js';

const SH = tool('sh');

/** 'gone' (reaped), 'zombie', or 'running'. */
function state(pid: number): 'gone' | 'zombie' | 'running' {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 'gone';
  }
  return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z') ? 'zombie' : 'running';
}

async function waitGone(pid: number, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (state(pid) !== 'gone') {
    if (Date.now() > deadline) throw new Error(`pid ${pid} still ${state(pid)} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('proc/supervisor: helper processes', () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-supervisor-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('ready on a line of stdout; stop() sends SIGTERM, resolves once reaped: no zombie', async () => {
    const lines: string[] = [];
    const h = await supervise({
      label: 'the test helper',
      argv: [SH, '-c', 'sleep 0.1; echo hello; echo ready now; exec sleep 30'],
      ready: { line: /^ready/ },
      onStdout: (b) => lines.push(b.toString()),
    });
    assert.ok(h.alive());
    assert.equal(state(h.pid), 'running');
    assert.match(lines.join(''), /hello\nready now\n/, 'the caller saw the output');
    // setpriv and sh exec: the pid is the sleep's (sh execs it just after the ready line: wait for that exec).
    const comm = () => readFileSync(`/proc/${h.pid}/comm`, 'utf8').trim();
    for (let i = 0; i < 200 && comm() !== 'sleep'; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(comm(), 'sleep');
    const status = await h.stop();
    assert.deepEqual(status, { code: null, signal: 'SIGTERM' });
    assert.equal(state(h.pid), 'gone');
    assert.equal(h.alive(), false);
  });

  it('ready on a line of stderr, on a predicate, on a file', async () => {
    const a = await supervise({ label: 'a', argv: [SH, '-c', 'echo "listening on lo" >&2; exec sleep 30'], ready: { line: 'listening on', stream: 'stderr' } });
    let seen = 0;
    const b = await supervise({ label: 'b', argv: [SH, '-c', 'for i in 1 2 3; do echo $i; sleep 0.05; done; exec sleep 30'], onStdout: (c) => (seen += c.toString().split('\n').filter(Boolean).length), ready: { test: () => seen >= 3 } });
    const file = path.join(tmp, 'ready-file');
    const c = await supervise({ label: 'c', argv: [SH, '-c', `sleep 0.1; : > '${file}'; exec sleep 30`], ready: { file } });
    assert.ok(existsSync(file));
    assert.equal(seen, 3);
    await Promise.all([a, b, c].map((h) => h.kill()));
    for (const h of [a, b, c]) assert.equal(state(h.pid), 'gone');
    assert.match(a.stderrText(), /listening on lo/);
  });

  it('not ready in time: a labelled error with the stderr tail, rejected only once the helper is reaped', async () => {
    let spawned: Helper | undefined;
    const t0 = performance.now();
    const error = await supervise({
      label: 'the test helper',
      argv: [SH, '-c', 'echo starting up >&2; exec sleep 30'],
      ready: { line: 'never' },
      readyTimeoutMs: 200,
      notReady: 'sleep did not answer',
      onSpawn: (h) => (spawned = h),
    }).then(
      () => assert.fail('resolved'),
      (e: unknown) => e,
    );
    const ms = performance.now() - t0;
    assert.ok(error instanceof HelperStartError && error instanceof SetupError, String(error));
    assert.equal(error.code, 'E_SETUP');
    assert.equal(error.reason, 'timeout');
    assert.equal(error.message, 'starting the test helper: sleep did not answer within 200 ms (it said: starting up)');
    assert.match(error.stderrTail, /starting up/);
    assert.deepEqual(error.exit, { code: null, signal: 'SIGKILL' });
    assert.ok(spawned);
    assert.equal(state(spawned.pid), 'gone', 'killed and reaped before the rejection');
    assert.ok(ms >= 195 && ms < 3000, `${ms} ms`);
  });

  it('exits before it is ready: the error names its last stderr line and exit code', async () => {
    const error = await supervise({ label: 'the test helper', argv: [SH, '-c', 'echo one >&2; echo "bind: Address in use" >&2; exit 3'], ready: { line: 'ready' } }).catch((e: unknown) => e);
    assert.ok(error instanceof HelperStartError, String(error));
    assert.equal(error.reason, 'exit');
    assert.equal(error.message, 'starting the test helper: bind: Address in use');
    assert.deepEqual(error.exit, { code: 3, signal: null });
    const silent = await supervise({ label: 'the test helper', argv: [SH, '-c', 'exit 4'], ready: { line: 'ready' } }).catch((e: unknown) => e);
    assert.equal((silent as Error).message, 'starting the test helper: exited with 4');
  });

  it('a tool that is not installed: MissingToolError naming it, with or without setpriv', async () => {
    const missing = '/nonexistent/netaudit-no-such-tool';
    for (const pdeathsig of [true, false]) {
      const error = await supervise({ label: 'the test helper', argv: [missing, '-x'], pdeathsig, ready: { line: 'ready' } }).catch((e: unknown) => e);
      assert.ok(error instanceof MissingToolError, `pdeathsig ${pdeathsig}: ${String(error)}`);
      assert.deepEqual(error.tools, [missing]);
      assert.match(error.message, /^starting the test helper: .* — install \/nonexistent\/netaudit-no-such-tool/);
    }
    // Without `ready`: the failed spawn is reported all the same.
    await assert.rejects(supervise({ label: 'x', argv: [missing], pdeathsig: false }), MissingToolError);
  });

  it('stop() escalates to SIGKILL after the grace period when SIGTERM is ignored', async () => {
    const h = await supervise({
      label: 'a stubborn helper',
      argv: [tool('python3'), '-c', 'import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint("ready", flush=True)\ntime.sleep(30)'],
      ready: { line: 'ready' },
    });
    const t0 = performance.now();
    const status = await h.stop({ graceMs: 300 });
    const ms = performance.now() - t0;
    assert.deepEqual(status, { code: null, signal: 'SIGKILL' });
    assert.ok(ms >= 290 && ms < 3000, `${ms} ms`);
    assert.equal(state(h.pid), 'gone');
  });

  it('a helper that has already ended: stop() and kill() give its exit status at once', async () => {
    const h = await supervise({ label: 'a short helper', argv: [SH, '-c', 'echo ready; exit 5'], ready: { line: 'ready' } });
    const status = await h.exited;
    assert.deepEqual(status, { code: 5, signal: null });
    assert.equal(h.alive(), false);
    const t0 = performance.now();
    assert.deepEqual(await h.stop(), status);
    assert.deepEqual(await h.kill(), status);
    assert.ok(performance.now() - t0 < 50);
    assert.equal(state(h.pid), 'gone', 'no zombie');
  });

  it('an abort while waiting kills it before rejecting', async () => {
    const ac = new AbortController();
    let pid = -1;
    setTimeout(() => ac.abort(), 100);
    const error = await supervise({ label: 'the test helper', argv: [SH, '-c', 'exec sleep 30'], ready: { line: 'never' }, signal: ac.signal, onSpawn: (h) => (pid = h.pid) }).catch((e: unknown) => e);
    assert.ok(error instanceof HelperStartError);
    assert.equal(error.reason, 'aborted');
    assert.equal(error.message, 'starting the test helper: interrupted');
    assert.equal(state(pid), 'gone');
  });

  it('dies with its parent, even on SIGKILL (setpriv --pdeathsig KILL)', async function () {
    this.timeout(20_000);
    const supervisor = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../src/proc/supervisor.js');
    const script = `
      const { supervise } = await import(${JSON.stringify(supervisor)});
      const h = await supervise({ label: 'orphan', argv: [${JSON.stringify(SH)}, '-c', 'echo ready; exec sleep 60'], ready: { line: 'ready' } });
      console.log(h.pid);
      setInterval(() => undefined, 1000);`;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve, reject) => {
      parent.stdout.once('data', (b: Buffer) => resolve(Number(b.toString().trim())));
      parent.once('exit', () => reject(new Error('the parent exited first')));
    });
    assert.equal(state(pid), 'running');
    parent.kill('SIGKILL');
    await waitGone(pid);
  });
});
