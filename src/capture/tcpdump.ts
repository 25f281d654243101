/**
 * One tcpdump per capture point, started inside a namespace with nsenter, writing pcap to stdout. The stream
 * is kept in memory; a capture is incomplete until the sentinel datagram (a random nonce) sent after the build
 * ends has been seen in it, so nothing the build sent is lost in a buffer when tcpdump is stopped.
 */
import type { CaptureSource } from '../model/types.js';
import { IP_BATCH_LINE } from '../proc/exec.js';
import { supervise, type Helper, type ProcessHost } from '../proc/supervisor.js';
import { tool } from '../proc/tools.js';

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
  /**
   * Bytes that mark the end of the capture once seen; several (a capture of several NFLOG groups, one end marker
   * each): the end once each has been seen.
   */
  readonly sentinel: Buffer | readonly Buffer[];
  /** Milliseconds to wait for tcpdump to say it is listening. */
  readonly readyTimeoutMs?: number;
  /**
   * Who starts tcpdump instead of a spawn of netaudit's: without root the user namespace's launcher
   * (src/sandbox/userns.ts); as root the sandbox's set-up script (src/sandbox/starter.ts), which has started it
   * already (argv() is what it runs).
   */
  readonly host?: ProcessHost;
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
  private helper!: Helper;
  private readonly chunks: Buffer[] = [];
  private tail: Buffer = Buffer.alloc(0);
  /** The end markers not seen yet. */
  private awaited: Buffer[];
  private onSentinel: (() => void) | undefined;
  private stderrListeners: (() => void)[] = [];

  private constructor(private readonly options: CaptureOptions) {
    this.awaited = Buffer.isBuffer(options.sentinel) ? [options.sentinel] : [...options.sentinel];
  }

  /** Every end marker is in: nothing the build sent is still on its way. */
  private get sentinelSeen(): boolean {
    return this.awaited.length === 0;
  }

  get pid(): number {
    return this.helper.pid;
  }

  get source(): CaptureSource {
    return this.options.source;
  }

  /**
   * The command of a capture: nsenter, which execs tcpdump (the same pid), writing pcap to stdout. Under
   * setpriv --pdeathsig (the supervisor, or the set-up script) tcpdump dies with netaudit even on SIGKILL.
   * Without root the launcher starts it, in the user namespace's pid namespace, which ends with netaudit.
   */
  static argv(options: Pick<CaptureOptions, 'netnsPath' | 'iface' | 'filter' | 'snaplen' | 'bufferKiB'>): string[] {
    const argv = [
      tool('nsenter'),
      `--net=${options.netnsPath}`,
      '--',
      tool('tcpdump'),
      '-i', options.iface,
      '-w', '-',
      '-U',
      '--immediate-mode',
      '-n',
      '-Z', 'root',
      '-B', String(options.bufferKiB ?? 16384),
      '-s', String(options.snaplen),
    ];
    if (options.filter) argv.push(options.filter);
    return argv;
  }

  /** Start tcpdump (or take the one a host started) and resolve once it is listening (the kernel filter is attached). */
  static async start(options: CaptureOptions): Promise<Capture> {
    const capture = new Capture(options);
    capture.helper = await supervise({
      label: `the ${options.source} capture`,
      argv: Capture.argv(options),
      tools: ['nsenter', 'tcpdump'],
      ...(options.host ? { host: options.host } : {}),
      ready: { line: 'listening on', stream: 'stderr' },
      readyTimeoutMs: options.readyTimeoutMs ?? 5000,
      notReady: `tcpdump on ${options.iface} did not start`,
      // A capture that configures its interface first (src/sandbox/starter.ts) may fail in `ip -batch`, which
      // says why and then "Command failed -:N".
      notices: IP_BATCH_LINE,
      onStdout: (b) => capture.onData(b),
      onStderr: () => capture.onStderr(),
    });
    return capture;
  }

  private onStderr(): void {
    for (const l of [...this.stderrListeners]) l();
  }

  private onData(b: Buffer): void {
    this.chunks.push(b);
    if (this.sentinelSeen) return;
    const window = this.tail.length ? Buffer.concat([this.tail, b]) : b;
    this.awaited = this.awaited.filter((s) => !window.includes(s));
    if (this.sentinelSeen) {
      this.onSentinel?.();
      return;
    }
    const longest = Math.max(...this.awaited.map((s) => s.length));
    this.tail = window.subarray(Math.max(0, window.length - longest + 1));
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
    if (this.helper.alive() && this.sentinelSeen && (await this.requestStats(300))) {
      // Its exit may take the kernel another 20-40 ms (closing a packet socket waits for RCU grace periods; an
      // NFLOG capture's close is quick);
      // nothing more can come from it, so the results are returned at once and the exit is awaited in
      // reaped(), alongside the rest of the teardown (Sandbox.destroy). The child stays referenced, so node
      // cannot end before it has reaped it.
      this.helper.signal('SIGKILL');
      this.helper.detach();
    } else {
      // Without the sentinel, SIGTERM lets it write out what it holds.
      await this.helper.stop({ signal: 'SIGTERM', graceMs: 2000 });
    }
    const stderr = this.helper.stderrText();
    const stat = (what: string): number => {
      const all = [...stderr.matchAll(new RegExp(`(\\d+) packets? ${what}`, 'g'))];
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
        if (/dropped by kernel/.test(this.helper.stderrText())) finish(true);
      };
      const finish = (ok: boolean): void => {
        clearTimeout(timer);
        this.stderrListeners = this.stderrListeners.filter((l) => l !== onData);
        resolve(ok);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.stderrListeners.push(onData);
      this.helper.signal('SIGUSR1');
    });
  }

  /** Kill without collecting (teardown after a failure); resolves once the process is reaped. */
  async kill(): Promise<void> {
    await this.helper.kill();
  }

  /**
   * Resolves once tcpdump has exited and node has reaped it (waitpid: no zombie remains). It does not end the
   * process: after stop(), or when it ends by itself.
   */
  async reaped(): Promise<void> {
    await this.helper.exited;
  }
}
