/**
 * The syscall observer process: bpftrace running bpf/observer.bt, filtered in the kernel on one network
 * namespace, its JSON output read as it comes (OutputReader). Like the captures (src/capture/tcpdump.ts) it
 * is a helper of the supervisor (src/proc/supervisor.ts): under `setpriv --pdeathsig KILL`, so it dies with
 * netaudit even on SIGKILL, and always waited for: stop() and kill() resolve only once the process is gone
 * (no zombie, no probe left attached).
 *
 * Ready means attached. Not BEGIN: bpftrace 0.17 runs BEGIN before it attaches the other probes, and
 * attaches those one by one in the order of the script (measured: connect 3-7 ms after BEGIN, bind 15 ms,
 * the exit probes 18-22 ms, the heartbeat 75-107 ms). The heartbeat (profile:hz:20, and a kill probe that
 * makes a tick on demand) comes last in the script: start() waits until a tick has come from every online
 * CPU, and then every probe is attached.
 * Complete means drained: stop() notes the monotonic time T, waits until a tick has been read from every
 * online CPU with a timestamp after T (so every event and every loss report written before T has been
 * read), then ends bpftrace. A vCPU with nothing to run can go seconds without a profile tick (measured: 4 s
 * on this VM), so a CPU that lags 100 ms gets a tick on demand: `taskset -c CPU kill -0 -- -MARK`.
 */
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { SetupError } from '../model/errors.js';
import { execCapture } from '../proc/exec.js';
import { supervise, type Helper } from '../proc/supervisor.js';
import { tool } from '../proc/tools.js';
import { packagePath } from '../util/package.js';
import { TRACEFS } from './availability.js';
import { measureOffsetMs } from './clock.js';
import { ARGV_CHUNK_BYTES } from '../decode/argv.js';
import { OutputReader, assemble } from '../decode/bpftrace.js';
import type { ObserverResult } from '../model/events.js';

/**
 * BPFTRACE_STRLEN: the script's buf() of an argv chunk is this long. bpftrace 0.17's limit for str()/buf() is
 * 200; 160 keeps the biggest printf of the script on the BPF stack.
 */
const STRLEN = ARGV_CHUNK_BYTES;
/** PID_MAX_LIMIT on 64-bit: kill(-(this + n), 0) names no process group, ever (ESRCH). */
const PID_MAX_LIMIT = 4_194_304;
/** A CPU whose heartbeat lags this long gets a tick on demand, and again every NUDGE_EVERY_MS. */
const NUDGE_AFTER_MS = 100;
const NUDGE_EVERY_MS = 250;
/** bpftrace's notice on kernels >= 5.11, where it is harmless: never the reason it failed. */
const RLIMIT_NOTICE = /couldn't set RLIMIT_MEMLOCK/;

export interface ObserverOptions {
  /**
   * Inode of the network namespace to observe (`stat -L -c %i /run/netns/NAME`, or netnsInodeOf()).
   * 0 observes every namespace except netaudit's own (one tracer for a whole sweep; route events by `netns`
   * with collect()): then only the records of namespaces between watch() and collect() are kept, so
   * containers and other tools cost no memory, and a namespace inode that the kernel reuses for the next
   * build starts empty.
   */
  readonly netnsInode: number;
  /** Milliseconds to wait for bpftrace to compile and attach. Default 30000 (it takes 1-8 s on 2 busy cores). */
  readonly readyTimeoutMs?: number;
  /**
   * Perf buffer pages per CPU (a power of 2). Default: 16 MiB in all, between 64 and 1024 pages per CPU
   * (1024 on 2 CPUs: 4 MiB each, room for ~15,000 socket calls without reading any).
   */
  readonly perfPagesPerCpu?: number;
  /** The script; default bpf/observer.bt of this package. */
  readonly script?: string;
  /** The bpftrace binary; default `bpftrace` as src/proc/tools.ts finds it. */
  readonly bpftrace?: string;
  /** Abort waiting for readiness (the process is killed and start() rejects). */
  readonly signal?: AbortSignal;
}

export interface StopOptions {
  /** Milliseconds to wait for the drain marker from every CPU. Default 5000 (it takes 50-100 ms; longer when bpftrace gets no CPU). */
  readonly drainTimeoutMs?: number;
  /**
   * stop() only: wait until bpftrace is gone before resolving (default true). The kernel detaches each of
   * the 19 probes in turn (~75 ms each, 1-3 s in all on 2 busy cores); with false, stop() resolves once the
   * events are in and SIGKILL is sent, and closed() resolves when the process is gone (await it in teardown).
   */
  readonly waitForExit?: boolean;
}

export interface ObserverRun extends ObserverResult {
  /** Milliseconds from spawning bpftrace to every probe attached (compile + attach). */
  readonly attachMs: number;
  /** realtime - monotonic offset used for tsMs, and how much it moved by stop() (NTP), in ms. */
  readonly clockOffsetMs: number;
  readonly clockDriftMs: number;
  /** bpftrace's stderr, without its RLIMIT_MEMLOCK notice (empty when all went well). */
  readonly stderr: string;
}

/** Inode of a network namespace file (/run/netns/NAME, /proc/PID/ns/net). */
export function netnsInodeOf(nsPath: string): number {
  return statSync(nsPath).ino;
}

/** Online CPUs from /sys/devices/system/cpu/online ("0-3,6"); all of os.cpus() when unreadable. */
export function onlineCpus(text?: string): number[] {
  let spec = text;
  if (spec === undefined) {
    try {
      spec = readFileSync('/sys/devices/system/cpu/online', 'utf8');
    } catch {
      return os.cpus().map((_, i) => i);
    }
  }
  const cpus: number[] = [];
  for (const part of spec.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const lo = Number(m[1]);
    const hi = Number(m[2] ?? m[1]);
    for (let c = lo; c <= hi; c++) cpus.push(c);
  }
  return cpus.length ? cpus : os.cpus().map((_, i) => i);
}

/** Default perf buffer size per CPU: 16 MiB spread over the CPUs, a power of 2 in [64, 1024] pages. */
export function defaultPerfPages(cpus: number): number {
  const budget = Math.floor((16 * 1024 * 1024) / 4096 / Math.max(1, cpus));
  let pages = 64;
  while (pages * 2 <= Math.min(1024, budget)) pages *= 2;
  return pages;
}

/** Mount tracefs when its mount point is there but empty (a fresh boot of some distributions). */
export async function ensureTracefs(): Promise<void> {
  try {
    statSync(path.join(TRACEFS, 'events'));
    return;
  } catch {
    /* not mounted */
  }
  const r = await execCapture([tool('mount'), '-t', 'tracefs', 'tracefs', TRACEFS]);
  if (r.code !== 0) {
    throw new SetupError('mounting tracefs', `mounting tracefs on ${TRACEFS}: ${r.stderr.trim() || `exit ${r.code}`}`);
  }
}

export class Observer {
  /** Milliseconds from spawn to attached. */
  attachMs = 0;
  private readonly reader = new OutputReader();
  private helper!: Helper;
  private readonly cpus = onlineCpus();
  /** Called on every chunk of output: readiness and drain waiters (collect() calls may overlap). */
  private readonly listeners = new Set<() => void>();
  private stopped: ObserverRun | undefined;
  private readonly lostAt = new Map<number, number>();
  /** With netnsInode 0: the namespaces between watch() and collect(); records of any other are dropped. */
  private readonly watched = new Set<number>();

  private constructor(
    private readonly offsetMs: number,
    private readonly mark: number,
  ) {}

  get pid(): number {
    return this.helper.pid;
  }

  /** Start bpftrace and resolve once every probe is attached (a heartbeat from every CPU). */
  static async start(options: ObserverOptions): Promise<Observer> {
    if (!Number.isInteger(options.netnsInode) || options.netnsInode < 0) {
      throw new RangeError(`Observer.start: netnsInode must be a namespace inode or 0 (got ${options.netnsInode})`);
    }
    await ensureTracefs();
    const offsetMs = measureOffsetMs();
    const host = netnsInodeOf('/proc/self/ns/net');
    const script = options.script ?? packagePath('bpf/observer.bt');
    const pages = options.perfPagesPerCpu ?? defaultPerfPages(onlineCpus().length);
    const mark = PID_MAX_LIMIT + randomInt(1, 1_000_000);
    const bpftrace = options.bpftrace ?? tool('bpftrace');
    const observer = new Observer(offsetMs, mark);
    if (options.netnsInode === 0) observer.reader.keep = (ns) => observer.watched.has(ns);
    const reader = observer.reader;
    // A character split between two chunks of output stays whole.
    const utf8 = new StringDecoder('utf8');
    // Once BEGIN is in, CPUs that stay silent get a tick on demand (it works once the last probe is attached).
    let nudger: NodeJS.Timeout | undefined;
    const t0 = performance.now();
    try {
      await supervise({
        label: 'the syscall observer',
        argv: [bpftrace, '--no-warnings', '-B', 'none', '-f', 'json', script, String(options.netnsInode), String(host), String(mark)],
        tools: [bpftrace],
        env: { ...process.env, BPFTRACE_STRLEN: String(STRLEN), BPFTRACE_PERF_RB_PAGES: String(pages) },
        onStdout: (b) => {
          reader.push(utf8.write(b));
          for (const l of [...observer.listeners]) l();
        },
        onSpawn: (helper) => {
          observer.helper = helper;
          nudger = setInterval(() => {
            const begin = reader.beganAtNs;
            if (begin !== undefined && Number(process.hrtime.bigint()) - begin > NUDGE_AFTER_MS * 1e6) observer.nudge(begin);
          }, NUDGE_EVERY_MS);
        },
        ready: {
          test: () => {
            const begin = reader.beganAtNs;
            return begin !== undefined && reader.drainedPast(begin, observer.cpus);
          },
        },
        readyTimeoutMs: options.readyTimeoutMs ?? 30_000,
        notReady: 'bpftrace did not attach',
        notices: RLIMIT_NOTICE,
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } finally {
      clearInterval(nudger);
    }
    observer.attachMs = Math.round(performance.now() - t0);
    return observer;
  }

  private alive(): boolean {
    return this.helper.alive();
  }

  /** bpftrace's stderr without its RLIMIT_MEMLOCK notice (harmless on kernels >= 5.11). */
  private cleanStderr(): string {
    return this.helper
      .stderrText()
      .split('\n')
      .filter((l) => !RLIMIT_NOTICE.test(l))
      .join('\n')
      .trim();
  }

  /**
   * Note the start of a build in namespace `netns` (with a shared tracer, netnsInode 0): its records are
   * kept from here on (earlier ones, of a namespace that had the inode before, are dropped), and collect()
   * charges it the losses from here on.
   */
  watch(netns: number): void {
    this.lostAt.set(netns, this.reader.lost);
    this.watched.add(netns);
    this.reader.takeNamespace(netns);
  }

  /**
   * The events of one namespace so far, without stopping the tracer (a sweep shares one tracer: its ~2 s
   * of compile and attach and ~1 s of detach are paid once). Waits for the drain marker first, so every
   * event the namespace's processes made before this call is in. `lost` counts every record lost since
   * watch(netns) in any namespace: a loss cannot be traced to its namespace, so it is charged to every
   * build observed at the time (over-reported, never hidden). End the build's processes first: what they do
   * after collect() stays in the tracer (and would go to a later namespace that reuses the inode).
   */
  async collect(netns: number, options: StopOptions = {}): Promise<ObserverResult> {
    const marker = Number(process.hrtime.bigint());
    const complete = this.alive() && (await this.drain(marker, options.drainTimeoutMs ?? 5000));
    const records = this.reader.takeNamespace(netns);
    const lost = this.reader.lost - (this.lostAt.get(netns) ?? 0);
    this.lostAt.delete(netns);
    this.watched.delete(netns);
    return { events: assemble(records, this.offsetMs), lost, complete, malformed: this.reader.malformed };
  }

  /** Wait for the drain marker, end bpftrace, return everything it saw. Safe to call twice. */
  async stop(options: StopOptions = {}): Promise<ObserverRun> {
    if (this.stopped) return this.stopped;
    const marker = Number(process.hrtime.bigint());
    const complete = this.alive() && (await this.drain(marker, options.drainTimeoutMs ?? 5000));
    if (options.waitForExit ?? true) {
      await this.kill();
    } else if (this.alive()) {
      this.helper.detach();
      this.helper.signal('SIGKILL');
    }
    this.reader.flush();
    const driftMs = Math.round((measureOffsetMs() - this.offsetMs) * 1000) / 1000;
    this.stopped = {
      ...this.reader.result(this.offsetMs, complete),
      attachMs: this.attachMs,
      clockOffsetMs: this.offsetMs,
      clockDriftMs: driftMs,
      stderr: this.cleanStderr(),
    };
    return this.stopped;
  }

  private drain(markerNs: number, timeoutMs: number): Promise<boolean> {
    if (this.reader.drainedPast(markerNs, this.cpus)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        clearTimeout(nudgeStart);
        clearInterval(nudger);
        clearInterval(debug);
        this.listeners.delete(onData);
        resolve(ok);
      };
      const onClose = (): void => done(this.reader.drainedPast(markerNs, this.cpus));
      const timer = setTimeout(() => done(false), timeoutMs);
      // A CPU with nothing to run may send no heartbeat for seconds: give the laggards a tick on demand.
      let nudger: NodeJS.Timeout | undefined;
      const nudgeStart = setTimeout(() => {
        this.nudge(markerNs);
        nudger = setInterval(() => this.nudge(markerNs), NUDGE_EVERY_MS);
      }, NUDGE_AFTER_MS);
      // NETAUDIT_DEBUG: how far behind each CPU's heartbeat is while waiting.
      const debug = process.env.NETAUDIT_DEBUG
        ? setInterval(() => {
            const behind = this.cpus.map((c) => `cpu${c} ${(((this.reader.lastTickNs(c) ?? 0) - markerNs) / 1e6).toFixed(0)} ms`).join(', ');
            process.stderr.write(`netaudit: observer drain: heartbeat relative to the marker: ${behind}\n`);
          }, 500)
        : undefined;
      const onData = (): void => {
        if (this.reader.drainedPast(markerNs, this.cpus)) done(true);
      };
      this.listeners.add(onData);
      void this.helper.exited.then(onClose);
    });
  }

  /**
   * A tick on demand on every CPU whose heartbeat is not past `markerNs`: `taskset -c CPU kill -0 -- -MARK`
   * (ESRCH, harmless; the script's kill probe prints a tick on that CPU). Best effort: without taskset or
   * kill, the wait relies on the heartbeat alone.
   */
  private nudge(markerNs: number): void {
    if (!this.alive()) return;
    for (const c of this.cpus) {
      if ((this.reader.lastTickNs(c) ?? -1) > markerNs) continue;
      const k = spawn(tool('taskset'), ['-c', String(c), tool('kill'), '-0', '--', `-${this.mark}`], { stdio: 'ignore' });
      k.on('error', () => undefined);
    }
  }

  /** Resolves when the bpftrace process is gone (reaped). */
  async closed(): Promise<void> {
    await this.helper.exited;
  }

  /**
   * End bpftrace at once and wait until it is gone. Nothing is lost by SIGKILL once drained: the kernel
   * detaches the probes when the process's file descriptors close; END is not needed.
   */
  async kill(): Promise<void> {
    await this.helper.kill();
  }
}
