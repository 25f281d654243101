/**
 * One tcpdump per capture point, started inside a namespace with nsenter, writing pcap to stdout. The stream
 * is kept in memory; a capture is incomplete until the sentinel datagram (a random nonce) sent after the build
 * ends has been seen in it, so nothing the build sent is lost in a buffer when tcpdump is stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { MissingToolError, SetupError } from '../model/errors.js';
import type { CaptureSource } from '../model/types.js';
import { which } from '../sandbox/prereq.js';
import { FileTail, type Launcher } from '../sandbox/userns.js';

/** What a capture runs: setpriv execs nsenter, which execs tcpdump. */
const CAPTURE_TOOLS = ['setpriv', 'nsenter', 'tcpdump'] as const;

export interface CaptureOptions {
  readonly source: CaptureSource;
  /** Path of the namespace file, /run/netns/NAME. */
  readonly netnsPath: string;
  /** Interface: na1, lo, or nflog:7. */
  readonly iface: string;
  readonly filter: string;
  readonly snaplen: number;
  /** Kernel buffer in KiB (tcpdump -B). With --immediate-mode each frame takes a snaplen-sized slot. */
  readonly bufferKiB?: number;
  /** Bytes that mark the end of the capture once seen. */
  readonly sentinel: Buffer;
  /** Milliseconds to wait for tcpdump to say it is listening. */
  readonly readyTimeoutMs?: number;
  /** Without root: the user namespace's launcher starts tcpdump (src/sandbox/userns.ts). */
  readonly launcher?: Launcher;
}

/** The tcpdump process as Capture sees it: a child of netaudit (root) or one the launcher started (no root). */
interface CaptureProcess {
  readonly pid: number | undefined;
  alive(): boolean;
  kill(signal: NodeJS.Signals): void;
  onStdout(cb: (b: Buffer) => void): void;
  onStderr(cb: (b: Buffer) => void): void;
  /** Resolves with the exit code (null: a signal) once the process is reaped and its output read. */
  readonly exited: Promise<number | null>;
  /** Stop reading its output (it was killed, nothing more is wanted). */
  detach(): void;
}

function childProcess(child: ChildProcess): CaptureProcess {
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  // spawn failures (ENOENT: setpriv missing) end as exit 127, like the exec of a missing tool.
  child.on('error', () => undefined);
  return {
    pid: child.pid,
    alive: () => child.exitCode === null && child.signalCode === null,
    kill: (signal) => void child.kill(signal),
    onStdout: (cb) => void child.stdout?.on('data', cb),
    onStderr: (cb) => void child.stderr?.on('data', cb),
    exited: child.pid === undefined ? Promise.resolve(127) : exited,
    detach: () => {
      child.stdout?.destroy();
      child.stderr?.destroy();
    },
  };
}

async function launchedProcess(launcher: Launcher, argv: readonly string[]): Promise<CaptureProcess> {
  const proc = await launcher.start(argv);
  let out: FileTail | undefined;
  let err: FileTail | undefined;
  const detach = (): void => {
    out?.close();
    err?.close();
  };
  const exited = proc.exited.then((code) => (detach(), code));
  return {
    pid: proc.pid,
    alive: () => proc.exitCode === null,
    kill: (signal) => proc.kill(signal),
    onStdout: (cb) => void (out = new FileTail(proc.outFile, cb)),
    onStderr: (cb) => void (err = new FileTail(proc.errFile, cb)),
    exited,
    detach,
  };
}

export interface CaptureResult {
  readonly source: CaptureSource;
  readonly pcap: Buffer;
  /** tcpdump's own counts, from its closing statistics. */
  readonly captured: number;
  readonly receivedByFilter: number;
  readonly droppedByKernel: number;
  /** True when the sentinel never arrived: the capture did not finish and may miss the last packets. */
  readonly incomplete: boolean;
}

export class Capture {
  readonly pid: number;
  private readonly child: CaptureProcess;
  private readonly chunks: Buffer[] = [];
  private stderr = '';
  private tail: Buffer = Buffer.alloc(0);
  private sentinelSeen = false;
  private onSentinel: (() => void) | undefined;
  private readonly exited: Promise<void>;

  private constructor(
    private readonly options: CaptureOptions,
    child: CaptureProcess,
  ) {
    this.child = child;
    this.pid = child.pid ?? -1;
    this.exited = child.exited.then(() => undefined);
    child.onStdout((b: Buffer) => this.onData(b));
    child.onStderr((b: Buffer) => this.onStderr(b));
  }

  private stderrListeners: ((b: Buffer) => void)[] = [];

  private onStderr(b: Buffer): void {
    this.stderr += b.toString('utf8');
    for (const l of [...this.stderrListeners]) l(b);
  }

  /** Start tcpdump and resolve once it is listening (the kernel filter is attached). */
  static async start(options: CaptureOptions): Promise<Capture> {
    // setpriv --pdeathsig: tcpdump dies with netaudit even on SIGKILL; nsenter execs tcpdump (same pid).
    // Without root the launcher starts it, in the user namespace's pid namespace, which ends with netaudit.
    const tcpdump = [
      'nsenter',
      `--net=${options.netnsPath}`,
      '--',
      'tcpdump',
      '-i', options.iface,
      '-w', '-',
      '-U',
      '--immediate-mode',
      '-n',
      '-Z', 'root',
      '-B', String(options.bufferKiB ?? 16384),
      '-s', String(options.snaplen),
    ];
    if (options.filter) tcpdump.push(options.filter);
    const child = options.launcher
      ? await launchedProcess(options.launcher, tcpdump)
      : childProcess(spawn('setpriv', ['--pdeathsig', 'KILL', '--', ...tcpdump], { stdio: ['ignore', 'pipe', 'pipe'] }));
    const capture = new Capture(options, child);
    await capture.ready(options.readyTimeoutMs ?? 5000);
    return capture;
  }

  private ready(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let done = false;
      // setpriv not there: spawn fails (exit 127 here); nsenter or tcpdump not there: the exec before it exits 127.
      void this.child.exited.then((code) => fail(this.stderr.trim().split('\n').pop() || 'tcpdump exited', code === 127));
      const onStderr = (): void => {
        if (done || !this.stderr.includes('listening on')) return;
        done = true;
        clearTimeout(timer);
        this.stderrListeners = this.stderrListeners.filter((l) => l !== onStderr);
        resolve();
      };
      const timer = setTimeout(() => fail(`tcpdump on ${this.options.iface} did not start within ${timeoutMs} ms`), timeoutMs);
      const fail = (why: string, notFound = false): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.child.kill('SIGKILL');
        const message = `starting the ${this.options.source} capture: ${why}`;
        const missing = notFound ? CAPTURE_TOOLS.filter((t) => !which(t)) : [];
        const error = missing.length
          ? new MissingToolError(missing, `${message} — install ${missing.join(', ')} ('netaudit doctor' prints the command)`)
          : new SetupError(`the ${this.options.source} capture`, message);
        // Nobody holds this capture once start() has failed: it is reaped before the failure is reported.
        void this.exited.then(() => reject(error));
      };
      this.stderrListeners.push(onStderr);
      onStderr();
    });
  }

  private onData(b: Buffer): void {
    this.chunks.push(b);
    if (this.sentinelSeen) return;
    const s = this.options.sentinel;
    const window = this.tail.length ? Buffer.concat([this.tail, b]) : b;
    if (window.includes(s)) {
      this.sentinelSeen = true;
      this.onSentinel?.();
      return;
    }
    this.tail = window.subarray(Math.max(0, window.length - s.length + 1));
  }

  /** Resolve true when the sentinel has been captured, false after timeoutMs. */
  waitForSentinel(timeoutMs: number): Promise<boolean> {
    if (this.sentinelSeen) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.onSentinel = undefined;
        resolve(false);
      }, timeoutMs);
      this.onSentinel = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }

  /**
   * Stop tcpdump and collect the capture. Once the sentinel is in, everything the build sent has been written
   * out (-U), so tcpdump is asked for its statistics (SIGUSR1) and then killed: a graceful SIGTERM costs
   * 25-50 ms of teardown per capture. Without the sentinel, SIGTERM lets it write out what it holds.
   * After a kill the process may still be exiting: whoever stops a capture must also await reaped().
   */
  async stop(): Promise<CaptureResult> {
    const alive = (): boolean => this.child.alive();
    if (alive() && this.sentinelSeen && (await this.requestStats(300))) {
      // Its exit takes the kernel another 20-40 ms (closing a packet socket waits for an RCU grace period);
      // nothing more can come from it, so the results are returned at once and the exit is awaited in
      // reaped(), alongside the rest of the teardown (Sandbox.destroy). The child stays referenced, so node
      // cannot end before it has reaped it.
      this.child.kill('SIGKILL');
      this.child.detach();
    } else {
      if (alive()) this.child.kill('SIGTERM');
      const killer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
      await this.exited;
      clearTimeout(killer);
    }
    const stat = (what: string): number => {
      const all = [...this.stderr.matchAll(new RegExp(`(\\d+) packets? ${what}`, 'g'))];
      return Number(all[all.length - 1]?.[1] ?? 0);
    };
    return {
      source: this.options.source,
      pcap: Buffer.concat(this.chunks),
      captured: stat('captured'),
      receivedByFilter: stat('received by filter'),
      droppedByKernel: stat('dropped by kernel'),
      incomplete: !this.sentinelSeen,
    };
  }

  /** SIGUSR1 makes tcpdump print its statistics; resolve true once they are in. */
  private requestStats(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const onData = (): void => {
        if (/dropped by kernel/.test(this.stderr)) finish(true);
      };
      const finish = (ok: boolean): void => {
        clearTimeout(timer);
        this.stderrListeners = this.stderrListeners.filter((l) => l !== onData);
        resolve(ok);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.stderrListeners.push(onData);
      this.child.kill('SIGUSR1');
    });
  }

  /** Kill without collecting (teardown after a failure); resolves once the process is reaped. */
  kill(): Promise<void> {
    if (this.child.alive()) this.child.kill('SIGKILL');
    return this.exited;
  }

  /**
   * Resolves once tcpdump has exited and node has reaped it (waitpid: no zombie remains). It does not end the
   * process: after stop(), or when it ends by itself.
   */
  reaped(): Promise<void> {
    return this.exited;
  }
}
