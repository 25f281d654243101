/**
 * The session of one netaudit command: what every command that builds shares, owned once. In order:
 *   1. the interruption (SIGINT/SIGTERM/SIGHUP → an AbortSignal and 128+N; the process part is cli/signals.ts),
 *      from open() on, so that a signal ends the command through the normal path;
 *   2. begin(): the prerequisites check (src/sandbox/prereq.ts), the command's own checks that need them met,
 *      the tracer started (src/runner/observe.ts: its attach, seconds, overlaps everything after), the garbage
 *      of killed runs collected (src/sandbox/gc.ts) before the first build, and a sandbox made ahead for the
 *      first build when the command asks for one (beside the collection, which never takes this run's);
 *   3. close(): the sandbox made ahead removed when no build took it, the tracer ended, the signal handlers
 *      removed. Once, whatever happened: call it in `finally`, or hold the session with `await using`.
 * Teardown problems of every build go to one printer (`onTeardownProblem`).
 *
 * Loading this module loads nothing else: each step imports what it needs when it runs (startup time is part
 * of every audit's overhead, and `netaudit run --no-observe` never loads the tracer).
 */
import type { PrivilegeNeed } from '../sandbox/prereq.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import { trace } from '../util/trace.js';
import type { ObserverSession } from './observe.js';

/** A signal turned into an abort (cli/signals.ts interruption()). */
export interface Interruption {
  readonly signal: AbortSignal;
  /** The exit code after the signal received (128+N). */
  exitCode(): number;
  /** Stop listening (close() calls it, once). */
  dispose(): void;
}

/** What the builds of a command need set up before the first one (Session.begin). */
export interface BuildSetup<T = void> {
  /** Privileges and tools, checked first (src/sandbox/prereq.ts); the first problem is thrown. */
  readonly need: PrivilegeNeed;
  /**
   * The command's own checks that need the prerequisites met (the sandbox mode, where Portage is), run before
   * anything is started: a failure here starts no tracer and collects nothing. What it returns, begin() returns.
   */
  readonly check?: () => T | Promise<T>;
  /** Run the syscall tracer (false: --no-observe; the builds run on packets alone). */
  readonly observe: boolean;
  /** Make a sandbox for the first build now, while the command reads its input (takeSandbox()). */
  readonly sandboxAhead?: { readonly intercept?: boolean };
}

export interface SessionOptions {
  /** How signals become an abort; default: none (a signal that never fires). */
  readonly interruption?: () => Interruption;
  /** Where each teardown problem is reported (there should be none); default: dropped. */
  readonly onTeardownProblem?: (problem: string) => void;
  /** Set up for builds at once (begin()); absent: a later begin(), or a session that only handles signals. */
  readonly builds?: BuildSetup;
}

/** The part of a session the runners use (src/runner/ebuild.ts auditEbuilds, the sweep). */
export interface AuditSession {
  readonly signal: AbortSignal;
  /** The tracer of this command, when it runs one. */
  readonly observe?: ObserverSession;
  /** The sandbox made ahead, handed over once: its taker uses or destroys it. Undefined when there is none (left). */
  takeSandbox(): Promise<Sandbox> | undefined;
  /** Report teardown problems to the command's printer. */
  teardownProblems(problems: readonly string[]): void;
}

/**
 * A build set-up started before the command line is parsed (Session.startEarly): the tracer, the garbage
 * collection and the first build's sandbox, started by the program's entry from a cheap look at its arguments,
 * so that their start (a sandbox ~100 ms, the tracer's attach ~50 ms) overlaps the command line's parse and the
 * prerequisites check instead of following them. The first begin() that wants exactly this set-up takes it;
 * any other command, a begin() that wants another, or an error before any begin() gets it removed
 * (Session.discardEarly(), which the entry awaits before the process ends).
 */
interface EarlySetup {
  readonly observe: boolean;
  readonly intercept: boolean;
  readonly tracer: ObserverSession | undefined;
  readonly ahead: Promise<Sandbox>;
  readonly gc: Promise<unknown>;
}

let early: Promise<EarlySetup> | undefined;

/**
 * Start what builds need before the first one, side by side: the tracer (its attach overlaps the rest), the
 * sandbox made ahead (when asked) and the garbage collection, which removes only what belongs to runs that are
 * gone (their PID is in every name), never this run's namespace or temp dir. The one start of both paths:
 * begin() and the early set-up.
 */
async function startSetup(want: { readonly observe: boolean; readonly ahead?: { readonly intercept?: boolean } }, signal?: AbortSignal) {
  // The sandbox first: its kind needs only whether the tracer can run here (files, availability()), not the
  // tracer's own modules, which load while the set-up script runs. A tracer that fails to attach after all
  // gets the build a packets sandbox instead (src/runner/command.ts), as when it is found missing.
  const [sandbox, available] = await Promise.all([
    want.ahead ? import('../sandbox/sandbox.js') : undefined,
    want.observe ? import('../observe/availability.js').then(async (m) => (await m.availability()).available) : false,
  ]);
  const ahead = want.ahead && sandbox ? sandbox.Sandbox.create({ kind: available ? 'faithful' : 'packets', intercept: want.ahead.intercept }) : undefined;
  const tracer = want.observe ? (await import('./observe.js')).ObserverSession.start({ enabled: true, ...(signal ? { signal } : {}) }) : undefined;
  trace('tracer started');
  // Its failure is the first build's (or nobody's, when no build takes it).
  ahead?.catch(() => undefined);
  const gc = import('../sandbox/gc.js').then((m) => m.collectGarbage());
  return { tracer, ahead, gc };
}

/** Remove what an early set-up started (the tracer ended, the sandbox destroyed). */
async function endEarly(e: EarlySetup): Promise<void> {
  await Promise.allSettled([e.gc, e.ahead.then((s) => s.destroy()), e.tracer?.close()]);
}

const NO_INTERRUPTION: () => Interruption = () => ({ signal: new AbortController().signal, exitCode: () => 130, dispose: () => undefined });

export class Session implements AuditSession {
  readonly signal: AbortSignal;
  private readonly interruption: Interruption;
  private readonly onTeardownProblem: (problem: string) => void;
  private tracer: ObserverSession | undefined;
  private ahead: Promise<Sandbox> | undefined;
  private begun = false;
  private closing: Promise<void> | undefined;

  private constructor(options: SessionOptions) {
    this.interruption = (options.interruption ?? NO_INTERRUPTION)();
    this.signal = this.interruption.signal;
    this.onTeardownProblem = options.onTeardownProblem ?? (() => undefined);
  }

  /** A session listening for signals, and set up for builds when `options.builds` says so (closed again if that fails). */
  static async open(options: SessionOptions = {}): Promise<Session> {
    const session = new Session(options);
    if (options.builds) {
      try {
        await session.begin(options.builds);
      } catch (e) {
        await session.close();
        throw e;
      }
    }
    return session;
  }

  /**
   * Start a build set-up now, before the command is known for sure (see EarlySetup): `observe` and `intercept` as
   * the command line seems to ask. Nothing fails here: a problem shows when begin() checks the prerequisites,
   * or as the first build's (as with a sandbox made ahead). Resolves once all of it has been started.
   */
  static startEarly(want: { readonly observe: boolean; readonly intercept: boolean }): Promise<unknown> {
    return (early ??= (async () => {
      trace('early set-up: loading');
      const { tracer, ahead, gc } = await startSetup({ observe: want.observe, ahead: { intercept: want.intercept } });
      // One turn of the event loop before the parse, which holds the thread for ~20 ms: the command shell's
      // start completes in it (supervise() waits a turn for a spawn that failed), so the sandbox's first command
      // (creating the namespaces) is written to it now and runs beside the parse, not after it.
      await new Promise((resolve) => setImmediate(resolve));
      trace('early set-up started');
      return { ...want, tracer, ahead: ahead as Promise<Sandbox>, gc: gc.catch(() => undefined) };
    })());
  }

  /** Remove an early set-up no begin() took (the entry awaits it before the process ends). */
  static async discardEarly(): Promise<void> {
    const e = early;
    early = undefined;
    if (e) await endEarly(await e);
  }

  /** Set up for builds (once; see BuildSetup); returns what `check` returned. On failure what was started is ended by close(). */
  async begin<T>(setup: BuildSetup<T> & { readonly check: () => T | Promise<T> }): Promise<T>;
  async begin(setup: BuildSetup): Promise<void>;
  async begin<T>(setup: BuildSetup<T>): Promise<T | undefined> {
    if (this.begun) throw new Error('Session.begin: called twice');
    if (this.closing) throw new Error('Session.begin: the session is closed');
    this.begun = true;
    // An early set-up is this session's when it is the one wanted, and removed otherwise (also when a check fails).
    const started = await early;
    early = undefined;
    const wanted =
      started && setup.need === 'run' && started.observe === setup.observe && setup.sandboxAhead !== undefined && started.intercept === (setup.sandboxAhead.intercept ?? false)
        ? started
        : undefined;
    if (started && !wanted) await endEarly(started);
    let checked: T | undefined;
    try {
      const { assertPrerequisites } = await import('../sandbox/prereq.js');
      assertPrerequisites(setup.need);
      checked = await setup.check?.();
    } catch (e) {
      if (wanted) await endEarly(wanted);
      throw e;
    }
    trace('prerequisites checked');
    if (wanted) {
      this.tracer = wanted.tracer;
      this.ahead = wanted.ahead;
      await wanted.gc;
      trace('early set-up taken');
      return checked;
    }
    const { tracer, ahead, gc } = await startSetup({ observe: setup.observe, ...(setup.sandboxAhead ? { ahead: setup.sandboxAhead } : {}) }, this.signal);
    this.tracer = tracer;
    this.ahead = ahead;
    await gc;
    trace('gc done');
    return checked;
  }

  get observe(): ObserverSession | undefined {
    return this.tracer;
  }

  /** Whether a signal ended the command (its exit code: exitCode()). */
  get interrupted(): boolean {
    return this.signal.aborted;
  }

  /** The exit code after a signal (130 SIGINT, 143 SIGTERM, 129 SIGHUP). */
  exitCode(): number {
    return this.interruption.exitCode();
  }

  takeSandbox(): Promise<Sandbox> | undefined {
    const ahead = this.ahead;
    this.ahead = undefined;
    return ahead;
  }

  teardownProblems(problems: readonly string[]): void {
    for (const p of problems) this.onTeardownProblem(p);
  }

  /** End everything the session started; once (later calls return the same promise), safe on every path. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        const ahead = this.takeSandbox();
        if (ahead) this.teardownProblems(await ahead.then((s) => s.destroy(), () => []));
        await this.tracer?.close();
      } finally {
        this.interruption.dispose();
      }
    })();
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
