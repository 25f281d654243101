/**
 * The one supervisor of netaudit's helper processes: the captures (tcpdump), the syscall observer
 * (bpf/netaudit-tracer), the intercept responder (python3) and the user namespace's launcher. supervise() spawns a
 * helper, waits until it is ready and hands back a Helper that stops it (a signal, SIGKILL after a grace
 * period) and reaps it (its exit status, once node has waited for it and read all its output).
 *
 * Tied to netaudit's lifetime: a helper runs under `setpriv --pdeathsig KILL` (the kernel kills it when
 * netaudit dies, even by SIGKILL; setpriv and nsenter exec, so the pid stays the helper's), and on every
 * ordinary exit of node the helpers still running get SIGKILL. A helper started through a ProcessHost (the
 * user namespace's launcher, src/sandbox/userns.ts) lives in that launcher's pid namespace, which ends with
 * netaudit. A helper that does not become ready is killed and reaped before the failure is reported: who
 * gets the error holds nothing that still runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { MissingToolError, SetupError } from '../model/errors.js';
import { FileTail } from './tail.js';
import { installHint, missingTools, tool } from './tools.js';

/** How a helper ended. */
export interface ExitStatus {
  /** Its exit code; null when a signal ended it, or when it could not be started at all. */
  readonly code: number | null;
  /** The signal that ended it (a child of netaudit only; a hosted process reports 128+N as its code). */
  readonly signal: NodeJS.Signals | null;
}

/**
 * A process another process started for netaudit (the user namespace's launcher, the sandbox's set-up script):
 * its host pid, its output and its end.
 */
export interface HostedProcess {
  readonly pid: number;
  /** Files its stdout and stderr go to; they are read as they grow. Unused with `pipes`. */
  readonly outFile: string;
  readonly errFile: string;
  /** Pipes of node's its stdout and stderr go to (src/sandbox/starter.ts): read as a child's are. */
  readonly pipes?: { readonly stdout: Readable; readonly stderr: Readable };
  /** null while it runs. */
  readonly exitCode: number | null;
  /** Resolves with its exit code (negative: its host went away first). */
  readonly exited: Promise<number>;
  kill(signal: NodeJS.Signals): void;
}

/** Starts argv somewhere netaudit cannot spawn it itself (inside the user namespace, with its capabilities). */
export interface ProcessHost {
  /** Resolves once argv runs, with its host pid. */
  start(argv: readonly string[]): Promise<HostedProcess>;
}

/**
 * When a helper is ready. `line`: a line of its output holds this text or matches this pattern (stream
 * default stdout). `test`: the predicate holds, asked after every chunk of output (the caller's onStdout /
 * onStderr have seen it first). `file`: the file exists (polled every 10 ms).
 */
export type ReadyWhen =
  | { readonly line: string | RegExp; readonly stream?: 'stdout' | 'stderr' }
  | { readonly test: () => boolean }
  | { readonly file: string };

export interface HelperOptions {
  /** What the helper is, for messages: "the veth capture" gives "starting the veth capture: …". */
  readonly label: string;
  /**
   * The command. argv[0], and every tool it has another program exec by name (nsenter … -- tcpdump), should be
   * absolute paths from tool(): the exec'ing program searches the caller's PATH.
   */
  readonly argv: readonly string[];
  /** The tools argv needs, by name: when it cannot be started or exits 127, those not installed are named. Default: argv[0]. */
  readonly tools?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Run it under `setpriv --pdeathsig KILL`, so that it dies with netaudit even on SIGKILL. Default true (ignored with `host`). */
  readonly pdeathsig?: boolean;
  /** Its stdin: 'ignore' (default) or 'pipe' (then write to helper.stdin). Ignored with `host`. */
  readonly stdin?: 'ignore' | 'pipe';
  /** A session of its own (a terminal's Ctrl-C does not reach it). Default false. Ignored with `host`. */
  readonly detached?: boolean;
  /**
   * It does not keep netaudit running while idle (a child and pipes node does not wait for); keepAlive(true)
   * while it works for netaudit. Killed at exit like every helper. Ignored with `host`.
   */
  readonly background?: boolean;
  /** Start it through this host instead of spawning it (no root: the user namespace's launcher). */
  readonly host?: ProcessHost;
  /** Pipes beyond stdin, stdout and stderr (its file descriptors 3 and up), read by whoever it hands them to: helper.extraPipes(). Ignored with `host`. */
  readonly extraPipes?: number;
  /** When it is ready; default: as soon as it runs. */
  readonly ready?: ReadyWhen;
  /** Milliseconds to wait for `ready`. Default 5000. */
  readonly readyTimeoutMs?: number;
  /** The words before "within N ms" when it is not ready in time. Default "not ready". */
  readonly notReady?: string;
  /** Aborting while waiting for `ready` kills it; supervise() then rejects ("interrupted"). */
  readonly signal?: AbortSignal;
  readonly onStdout?: (chunk: Buffer) => void;
  readonly onStderr?: (chunk: Buffer) => void;
  /** Called once it is spawned, before it is ready (the observer nudges idle CPUs meanwhile). */
  readonly onSpawn?: (helper: Helper) => void;
  /** stderr lines that are notices, not the reason it failed: left out of messages (e.g. a library's notice on stderr). */
  readonly notices?: RegExp;
  /** Characters of stderr kept (the last ones) for messages and for helper.stderrText(). Default 16384. */
  readonly stderrLimit?: number;
}

export interface StopOptions {
  /** The first signal. Default SIGTERM. */
  readonly signal?: NodeJS.Signals;
  /** Milliseconds before SIGKILL follows. Default 1000. */
  readonly graceMs?: number;
}

/** A helper that did not become ready; it has been killed and reaped. Code E_SETUP. */
export class HelperStartError extends SetupError {
  constructor(
    label: string,
    message: string,
    /** Why: it did not get ready in time, it ended (or could not be started), or waiting was aborted. */
    readonly reason: 'timeout' | 'exit' | 'aborted',
    /** How it ended (after the kill, for a timeout). */
    readonly exit: ExitStatus | undefined,
    /** The last of what it wrote to stderr. */
    readonly stderrTail: string,
    options?: { cause?: unknown },
  ) {
    super(label, message, options);
  }

  /** The last non-empty line of its stderr. */
  get lastLine(): string {
    return lastLine(this.stderrTail);
  }
}

function lastLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? '';
}

/** How a helper runs: a child of node, or a process a host started. */
interface Backend {
  readonly pid: number | undefined;
  readonly stdin: Writable | undefined;
  readonly exited: Promise<ExitStatus>;
  /** Why it could not be started (spawn's ENOENT), when it could not. */
  readonly spawnError: () => NodeJS.ErrnoException | undefined;
  running(): boolean;
  kill(signal: NodeJS.Signals): void;
  detach(): void;
  /** Whether node waits for it (and its pipes) before it exits. */
  keepAlive(on: boolean): void;
  /** Its pipes beyond stderr (HelperOptions.extraPipes). */
  readonly extra: readonly Readable[];
}

function childBackend(options: HelperOptions, onOut: (b: Buffer) => void, onErr: (b: Buffer) => void): Backend {
  const argv = options.pdeathsig ?? true ? [tool('setpriv'), '--pdeathsig', 'KILL', '--', ...options.argv] : options.argv;
  const [file, ...args] = argv as [string, ...string[]];
  const child: ChildProcess = spawn(file, args, {
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe', ...Array<'pipe'>(options.extraPipes ?? 0).fill('pipe')],
    env: options.env ?? process.env,
    detached: options.detached ?? false,
  });
  let spawnError: NodeJS.ErrnoException | undefined;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (child.pid !== undefined) return;
      spawnError = e;
      resolve({ code: null, signal: null });
    });
  });
  child.stdin?.on('error', () => undefined);
  child.stdout?.on('data', onOut);
  child.stderr?.on('data', onErr);
  // Pipes are sockets to node: ref/unref decides whether they hold the event loop.
  const extra = child.stdio.slice(3) as Readable[];
  const handles = [child, child.stdin, child.stdout, child.stderr, ...extra] as unknown as ({ ref?: () => void; unref?: () => void } | null)[];
  const keepAlive = (on: boolean): void => {
    for (const h of handles) (on ? h?.ref : h?.unref)?.call(h);
  };
  if (options.background) keepAlive(false);
  return {
    pid: child.pid,
    stdin: child.stdin ?? undefined,
    exited,
    spawnError: () => spawnError,
    running: () => child.pid !== undefined && child.exitCode === null && child.signalCode === null,
    kill: (signal) => {
      try {
        child.kill(signal);
      } catch {
        /* gone */
      }
    },
    detach: () => {
      child.stdout?.destroy();
      child.stderr?.destroy();
    },
    keepAlive,
    extra,
  };
}

async function hostedBackend(host: ProcessHost, argv: readonly string[], onOut: (b: Buffer) => void, onErr: (b: Buffer) => void): Promise<Backend> {
  const proc = await host.start(argv);
  // Its output: pipes read as a child's are, or files read as they grow.
  let stopReading: () => void;
  if (proc.pipes) {
    const { stdout, stderr } = proc.pipes;
    stdout.on('data', onOut);
    stderr.on('data', onErr);
    stopReading = () => (stdout.destroy(), stderr.destroy());
  } else {
    const out = new FileTail(proc.outFile, onOut);
    const err = new FileTail(proc.errFile, onErr);
    stopReading = () => (out.close(), err.close());
  }
  let detached = false;
  const detach = (): void => {
    if (detached) return;
    detached = true;
    stopReading();
  };
  // The tails read what is left before the end is reported: output comes before the exit, as with a child.
  const exited = proc.exited.then((code): ExitStatus => (detach(), { code: code < 0 ? null : code, signal: null }));
  return {
    pid: proc.pid,
    stdin: undefined,
    exited,
    spawnError: () => undefined,
    running: () => proc.exitCode === null,
    kill: (signal) => proc.kill(signal),
    detach,
    keepAlive: () => undefined,
    extra: [],
  };
}

/** Helpers still running: each gets SIGKILL when node exits (pdeathsig covers netaudit's own death by a signal). */
const live = new Set<Helper>();
let exitHook = false;

function register(helper: Helper): void {
  live.add(helper);
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const h of live) h.signal('SIGKILL');
  });
}

/** A running helper: signal it, stop it, await its end. */
export class Helper {
  readonly label: string;
  /** Its pid (a host pid for a hosted process); -1 when it could not be started. */
  readonly pid: number;
  /** Its stdin, with `stdin: 'pipe'`. */
  readonly stdin: Writable | undefined;
  /** Resolves once it has ended and been reaped (no zombie remains) and its output has been read. Never rejects. */
  readonly exited: Promise<ExitStatus>;
  /** How it ended; undefined while it runs. */
  exitStatus: ExitStatus | undefined;
  private readonly backend: Backend;
  private stderr = '';
  private readonly stderrLimit: number;
  private readonly listeners = new Set<(stream: 'stdout' | 'stderr', chunk: Buffer) => void>();

  private constructor(label: string, backend: Backend, stderrLimit: number) {
    this.label = label;
    this.backend = backend;
    this.pid = backend.pid ?? -1;
    this.stdin = backend.stdin;
    this.stderrLimit = stderrLimit;
    this.exited = backend.exited.then((status) => {
      this.exitStatus = status;
      live.delete(this);
      return status;
    });
  }

  /** Spawn it (not yet ready). Rejects only when a host cannot start it; a failed spawn shows as an exit. */
  static async spawn(options: HelperOptions): Promise<Helper> {
    if (!options.argv.length) throw new SetupError(options.label, `starting ${options.label}: internal: empty command`);
    // Output that comes before the Helper exists (a host's tail reads at once) waits for it.
    const box: { helper?: Helper } = {};
    const early: [('stdout' | 'stderr'), Buffer][] = [];
    const deliver = (stream: 'stdout' | 'stderr', b: Buffer): void => {
      if (box.helper) box.helper.deliver(stream, b);
      else early.push([stream, b]);
    };
    const onOut = (b: Buffer): void => deliver('stdout', b);
    const onErr = (b: Buffer): void => deliver('stderr', b);
    let backend: Backend;
    if (options.host) {
      try {
        backend = await hostedBackend(options.host, options.argv, onOut, onErr);
      } catch (cause) {
        const why = (cause as Error).message;
        throw new HelperStartError(options.label, `starting ${options.label}: ${why}`, 'exit', undefined, '', { cause });
      }
    } else {
      backend = childBackend(options, onOut, onErr);
    }
    const helper = new Helper(options.label, backend, options.stderrLimit ?? 16_384);
    helper.handlers = { onStdout: options.onStdout, onStderr: options.onStderr };
    register(helper);
    box.helper = helper;
    for (const [stream, b] of early) helper.deliver(stream, b);
    return helper;
  }

  private handlers: { onStdout?: (b: Buffer) => void; onStderr?: (b: Buffer) => void } = {};

  private deliver(stream: 'stdout' | 'stderr', b: Buffer): void {
    if (stream === 'stderr') {
      this.stderr += b.toString('utf8');
      if (this.stderr.length > this.stderrLimit) this.stderr = this.stderr.slice(-this.stderrLimit);
      this.handlers.onStderr?.(b);
    } else {
      this.handlers.onStdout?.(b);
    }
    for (const l of [...this.listeners]) l(stream, b);
  }

  /** True until it has ended. */
  alive(): boolean {
    return this.exitStatus === undefined && this.backend.running();
  }

  /** With `background`: whether node waits for it now (while it works for netaudit) or not (idle). */
  keepAlive(on: boolean): void {
    if (this.alive()) this.backend.keepAlive(on);
  }

  /** Send a signal (nothing when it has ended). */
  signal(signal: NodeJS.Signals): void {
    if (this.alive()) this.backend.kill(signal);
  }

  /** The last of what it wrote to stderr (stderrLimit characters). */
  stderrText(): string {
    return this.stderr;
  }

  /** Its pipes beyond stderr (HelperOptions.extraPipes), in order. */
  extraPipes(): readonly Readable[] {
    return this.backend.extra;
  }

  /** Stop reading its output: nothing more is wanted (it is being killed). exited still waits for the reap. */
  detach(): void {
    this.backend.detach();
  }

  /** Signal it (default SIGTERM), SIGKILL after graceMs, and resolve once it is reaped. At once when it has ended. */
  async stop(options: StopOptions = {}): Promise<ExitStatus> {
    if (!this.alive()) return this.exited;
    this.signal(options.signal ?? 'SIGTERM');
    const killer = setTimeout(() => this.signal('SIGKILL'), options.graceMs ?? 1000);
    try {
      return await this.exited;
    } finally {
      clearTimeout(killer);
    }
  }

  /** SIGKILL, and resolve once it is reaped. */
  kill(): Promise<ExitStatus> {
    this.signal('SIGKILL');
    return this.exited;
  }

  /** Wait for `ready`; on a timeout, an exit or an abort: kill, reap, then reject (HelperStartError or MissingToolError). */
  async waitReady(options: HelperOptions): Promise<void> {
    const ready = options.ready;
    if (!ready) {
      // Ready as soon as it runs: a spawn that failed has already ended (or is about to: give it a turn).
      await new Promise((r) => setImmediate(r));
      if (this.exitStatus === undefined && this.pid !== -1) return;
      await this.exited;
      throw this.startError(options, 'exit');
    }
    const timeoutMs = options.readyTimeoutMs ?? 5000;
    const reason = await new Promise<'ready' | 'timeout' | 'exit' | 'aborted'>((resolve) => {
      const partial = { stdout: '', stderr: '' };
      const isReady = (stream?: 'stdout' | 'stderr', chunk?: Buffer): boolean => {
        if ('test' in ready) return ready.test();
        if ('file' in ready) return existsSync(ready.file);
        if (!stream || !chunk || stream !== (ready.stream ?? 'stdout')) return false;
        const lines = (partial[stream] + chunk.toString('utf8')).split('\n');
        partial[stream] = (lines.pop() ?? '').slice(-4096);
        return lines.some((l) => (typeof ready.line === 'string' ? l.includes(ready.line) : ready.line.test(l)));
      };
      const done = (r: 'ready' | 'timeout' | 'exit' | 'aborted'): void => {
        clearTimeout(timer);
        clearInterval(poll);
        this.listeners.delete(onOutput);
        options.signal?.removeEventListener('abort', onAbort);
        resolve(r);
      };
      const onOutput = (stream: 'stdout' | 'stderr', chunk: Buffer): void => {
        if (isReady(stream, chunk)) done('ready');
      };
      const onAbort = (): void => done('aborted');
      const timer = setTimeout(() => done('timeout'), timeoutMs);
      const poll = 'file' in ready ? setInterval(() => isReady() && done('ready'), 10) : undefined;
      this.listeners.add(onOutput);
      void this.exited.then(() => done('exit'));
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (!('line' in ready) && isReady()) done('ready');
    });
    if (reason === 'ready') return;
    await this.kill();
    throw this.startError(options, reason);
  }

  private startError(options: HelperOptions, reason: 'timeout' | 'exit' | 'aborted'): Error {
    const status = this.exitStatus;
    const notices = options.notices;
    const said = lastLine(notices ? this.stderr.split('\n').filter((l) => !notices.test(l)).join('\n') : this.stderr);
    const spawnError = this.backend.spawnError();
    let why: string;
    if (reason === 'timeout') why = `${options.notReady ?? 'not ready'} within ${options.readyTimeoutMs ?? 5000} ms${said ? ` (it said: ${said})` : ''}`;
    else if (reason === 'aborted') why = 'interrupted';
    else why = said || spawnError?.message || `exited with ${status?.code ?? status?.signal ?? 'no status'}`;
    const message = `starting ${options.label}: ${why}`;
    if (reason === 'exit' && (spawnError?.code === 'ENOENT' || status?.code === 127)) {
      const wrapped = options.host || !(options.pdeathsig ?? true) ? [] : ['setpriv'];
      const missing = missingTools([...wrapped, ...(options.tools ?? [options.argv[0] ?? ''])]);
      if (missing.length) return new MissingToolError(missing, `${message} — ${installHint(missing)}`, { cause: spawnError });
    }
    return new HelperStartError(options.label, message, reason, status, this.stderr, { cause: spawnError });
  }
}

/**
 * Start a helper and resolve once it is ready. On failure it rejects (HelperStartError, code E_SETUP, with
 * the helper's stderr tail; MissingToolError when a tool it needs is not installed) only once the helper is
 * gone.
 */
export async function supervise(options: HelperOptions): Promise<Helper> {
  const helper = await Helper.spawn(options);
  options.onSpawn?.(helper);
  await helper.waitReady(options);
  return helper;
}
