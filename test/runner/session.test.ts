/**
 * src/runner/session.ts: the lifecycle every building command shares. Without root: close() once, signals
 * through cli/signals.ts to the session's signal and exit code, teardown problems to the printer, a failed
 * set-up closing what it opened. With root (@privileged): the sandbox made ahead is removed by close() when no
 * build took it, and handed over once when one does.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { interruption } from '../../src/cli/signals.js';
import { UsageError } from '../../src/model/errors.js';
import { Session, type Interruption } from '../../src/runner/session.js';
import { ownerOf } from '../../src/sandbox/names.js';

/** This process's namespaces in /run/netns. */
function mine(): string[] {
  return existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => ownerOf(n)?.pid === process.pid) : [];
}

/** An interruption the test fires itself, counting dispose() calls. */
function fake(code = 143) {
  const controller = new AbortController();
  const state = { created: 0, disposed: 0, controller };
  const make = (): Interruption => {
    state.created++;
    return { signal: controller.signal, exitCode: () => code, dispose: () => void state.disposed++ };
  };
  return { state, make };
}

/** Runs `fn` with process.stderr.write captured (cli/signals.ts says what it does on stderr). */
async function capturingStderr<T>(fn: () => Promise<T>): Promise<{ value: T; stderr: string }> {
  const write = process.stderr.write;
  let stderr = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    return { value: await fn(), stderr };
  } finally {
    process.stderr.write = write;
  }
}

describe('runner/session: the lifecycle of a command', () => {
  it('close() runs once: later calls return the same promise, the interruption is disposed once', async () => {
    const { state, make } = fake();
    const session = await Session.open({ interruption: make });
    assert.equal(state.created, 1);
    const first = session.close();
    assert.equal(session.close(), first);
    await Promise.all([first, session.close(), session[Symbol.asyncDispose]()]);
    assert.equal(state.disposed, 1);
  });

  it('await using closes the session when the block throws', async () => {
    const { state, make } = fake();
    await assert.rejects(async () => {
      await using session = await Session.open({ interruption: make });
      assert.equal(session.interrupted, false);
      throw new Error('the command failed');
    }, /the command failed/);
    assert.equal(state.disposed, 1);
  });

  it('a signal aborts the session and gives 128+N; close() removes the signal handlers again', async () => {
    const before = ['SIGINT', 'SIGTERM', 'SIGHUP'].map((s) => process.listenerCount(s));
    const { value: session, stderr } = await capturingStderr(async () => {
      const s = await Session.open({ interruption });
      assert.equal(s.interrupted, false);
      process.emit('SIGTERM', 'SIGTERM');
      return s;
    });
    assert.match(stderr, /netaudit: SIGTERM: ending the build and removing the sandbox/);
    assert.equal(session.signal.aborted, true);
    assert.equal(session.interrupted, true);
    assert.equal(session.exitCode(), 143);
    await session.close();
    assert.deepEqual(['SIGINT', 'SIGTERM', 'SIGHUP'].map((s) => process.listenerCount(s)), before);
  });

  it("teardown problems reach the command's printer, in order", async () => {
    const seen: string[] = [];
    const session = await Session.open({ onTeardownProblem: (t) => seen.push(t) });
    session.teardownProblems(['ip netns del netaudit-x: busy', 'rm /tmp/netaudit-y: EBUSY']);
    session.teardownProblems([]);
    await session.close();
    assert.deepEqual(seen, ['ip netns del netaudit-x: busy', 'rm /tmp/netaudit-y: EBUSY']);
  });

  it('a set-up that fails (prerequisites, or the command check) rejects open() and closes what it opened', async () => {
    const { state, make } = fake();
    let checked = 0;
    await assert.rejects(
      Session.open({
        interruption: make,
        builds: {
          need: 'run',
          observe: true,
          sandboxAhead: {},
          check: () => {
            checked++;
            throw new UsageError('--user needs root', { option: '--user' });
          },
        },
      }),
      // As root (or with user namespaces) the check runs and fails; otherwise the prerequisites fail first.
      (e: unknown) => (checked ? e instanceof UsageError : e instanceof Error),
    );
    assert.equal(state.disposed, 1);
  });

  it('begin() once, and never after close(); a session without builds has no tracer and no sandbox', async () => {
    const session = await Session.open();
    assert.equal(session.observe, undefined);
    assert.equal(session.takeSandbox(), undefined);
    await session.close();
    await assert.rejects(session.begin({ need: 'run', observe: false }), /closed/);
  });

  it('@privileged a sandbox made ahead and never taken is removed by close(); taken, it is handed over once', async function () {
    if (process.getuid?.() !== 0) this.skip();
    this.timeout(30_000);
    const problems: string[] = [];
    const unused = await Session.open({ onTeardownProblem: (t) => problems.push(t), builds: { need: 'run', observe: false, sandboxAhead: {} } });
    const ahead = unused.takeSandbox();
    assert.ok(ahead, 'a sandbox was made ahead');
    assert.equal(unused.takeSandbox(), undefined, 'handed over once');
    const sandbox = await ahead;
    assert.ok(existsSync(sandbox.buildNsPath), sandbox.buildNsPath);
    // It was made beside the garbage collection, which never takes a live run's namespaces: another
    // collection now leaves it too.
    const { collectGarbage } = await import('../../src/sandbox/gc.js');
    const gc = await collectGarbage();
    assert.ok(!gc.namespaces.some((n) => sandbox.buildNsPath.endsWith(n)), `gc took this run's namespace: ${gc.namespaces.join(' ')}`);
    assert.ok(existsSync(sandbox.buildNsPath), 'gc removed the sandbox made ahead');
    assert.deepEqual(await sandbox.destroy(), []);
    await unused.close();

    // Not taken: close() waits for it and removes it (its namespaces are named after this process).
    const session = await Session.open({ onTeardownProblem: (t) => problems.push(t), builds: { need: 'run', observe: false, sandboxAhead: {} } });
    for (let waited = 0; mine().length < 2 && waited < 10_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    assert.equal(mine().length, 2, `made ahead: ${mine().join(' ')}`);
    await session.close();
    assert.deepEqual(mine(), []);
    assert.deepEqual(problems, []);
  });

  it('@privileged an early set-up is taken by the begin() that wants it, and removed otherwise (another set-up wanted, a failed check, none)', async function () {
    if (process.getuid?.() !== 0) this.skip();
    this.timeout(60_000);
    const problems: string[] = [];
    const onTeardownProblem = (t: string): number => problems.push(t);

    // Wanted: the very sandbox made early is the one handed over; nothing new is made.
    await Session.startEarly({ observe: false, intercept: false });
    for (let waited = 0; mine().length < 2 && waited < 10_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    const early = mine();
    assert.equal(early.length, 2, `made early: ${early.join(' ')}`);
    const taking = await Session.open({ onTeardownProblem, builds: { need: 'run', observe: false, sandboxAhead: {} } });
    const sandbox = await taking.takeSandbox();
    assert.ok(sandbox && early.some((n) => sandbox.buildNsPath.endsWith(n)), `not the early sandbox: ${sandbox?.buildNsPath}`);
    assert.deepEqual(mine().sort(), [...early].sort(), 'a second sandbox was made');
    assert.deepEqual(await sandbox.destroy(), []);
    await taking.close();
    assert.deepEqual(mine(), []);

    // Another set-up wanted (the tracer, here off): the early one is removed, a new one made.
    await Session.startEarly({ observe: false, intercept: false });
    for (let waited = 0; mine().length < 2 && waited < 10_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    const unwanted = mine();
    const other = await Session.open({ onTeardownProblem, builds: { need: 'run', observe: false, sandboxAhead: { intercept: true } } });
    const made = await other.takeSandbox();
    assert.ok(made && !unwanted.some((n) => made.buildNsPath.endsWith(n)), 'the early sandbox was taken by a begin() that wanted intercept');
    assert.ok(unwanted.every((n) => !mine().includes(n)), `the early sandbox is left: ${mine().join(' ')}`);
    assert.deepEqual(await made.destroy(), []);
    await other.close();

    // A failed check: removed with it.
    await Session.startEarly({ observe: false, intercept: false });
    await assert.rejects(
      Session.open({ onTeardownProblem, builds: { need: 'run', observe: false, sandboxAhead: {}, check: () => { throw new UsageError('no such user', { option: '--user' }); } } }),
      UsageError,
    );
    assert.deepEqual(mine(), []);

    // No begin() at all (the command line was bad): discardEarly() removes it.
    await Session.startEarly({ observe: false, intercept: false });
    await Session.discardEarly();
    assert.deepEqual(mine(), []);
    assert.deepEqual(problems, []);
  });
});
