/**
 * The syscall observer process: netaudit's compiled tracer (dist/bpf/netaudit-tracer, built from bpf/ by
 * scripts/build-tracer.sh; its stdin/stdout contract is documented at the top of bpf/netaudit-tracer.c), one
 * per netaudit command. Like the captures it is a helper of the supervisor (src/proc/supervisor.ts): under
 * `setpriv --pdeathsig KILL`, and the loader itself stops when its parent dies, so nothing outlives netaudit.
 *
 * - start(): spawn the loader with no namespace watched; ready = its ready line (every program attached, in
 *   ~25-40 ms). When it fails, the error says so with the loader's own line from stderr.
 * - watch(netns): `watch INODE` (the in-kernel filter, a hash map of inodes) and `sync ID`; resolves once
 *   both are answered, so the build's first call is seen, and the loss counter at that moment is the base
 *   of the build's window.
 * - collect(netns): `sync ID`, wait for its line (everything the kernel committed before it is read; a
 *   timeout gives complete: false, never a hang), hand over that namespace's events, then `unwatch`.
 * - stop(): EOF on stdin; resolves on the stop line (~2 ms) without waiting for the detach (the kernel
 *   closes the links afterwards; closed() resolves when the process is reaped). Node's own exit still reaps
 *   it (its child handle holds the event loop, 30-50 ms at most): unref'd, a tracer still detaching is left
 *   a zombie to init, which here reaped it 1.5 s later (measured), and nothing of netaudit may outlive it.
 * The loader prints epoch times (CLOCK_REALTIME), so its events share the captures' clock as they come.
 */
import { statSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { SetupError } from '../model/errors.js';
import { HelperStartError, supervise, type Helper } from '../proc/supervisor.js';
import { packagePath } from '../util/package.js';
import { TRACER_PATH } from './availability.js';
import { assembleTracerEvents, parseTracerLine, type TracerRecord } from '../decode/tracer.js';
import type { TracerControl, TracerEvent, TracerReady, TracerStop } from '../model/tracer-events.js';

/** The built loader, relative to the package root. */
export { TRACER_PATH };

export interface ObserverOptions {
  /** The loader; default dist/bpf/netaudit-tracer of this package. */
  readonly tracer?: string;
  /** More arguments for the loader (`--ringbuf-kib N`, `--no-libc`, ...). */
  readonly args?: readonly string[];
  /** Milliseconds to wait for the ready line. Default 15000 (it takes 25-40 ms; more on busy cores). */
  readonly readyTimeoutMs?: number;
  /** Abort waiting for readiness (the process is killed and start() rejects). */
  readonly signal?: AbortSignal;
  /**
   * Every event record as it is read, whatever its namespace (follow mode, `netaudit watch`: records are
   * routed by process there, not by namespace). Called before the namespace routing.
   */
  readonly onRecord?: (record: TracerRecord) => void;
  /** After the records of one read of the tracer's output have gone to onRecord (only when there were any). */
  readonly onRecords?: () => void;
}

export interface CollectOptions {
  /** Milliseconds to wait for the sync line. Default 5000 (it comes in about a millisecond). */
  readonly syncTimeoutMs?: number;
}

/** What the tracer saw of one namespace between watch() and collect(). */
export interface ObservedNamespace {
  /** Its events, in the kernel's order (calls with their outcome, processes with their argv). */
  readonly events: TracerEvent[];
  /**
   * Records the kernel could not hand over between watch() and collect(), in any namespace: a loss cannot be
   * traced to its namespace, so it is charged to every build watched at the time (over-reported, never hidden).
   */
  readonly lost: number;
  /** True when the sync line came back: every record committed before collect() was read. */
  readonly complete: boolean;
  /** Lines of the loader that could not be understood, in all (should stay 0). */
  readonly malformed: number;
}

/** How the tracer ended (stop()). */
export interface ObserverEnd {
  /** The stop line came (every record before it was read); false: it ended some other way, or too late. */
  readonly complete: boolean;
  /** Records lost over the tracer's whole life (from the stop line, else the last count seen). */
  readonly lost: number;
  /** The loader's stderr (empty when all went well). */
  readonly stderr: string;
}

/** Inode of a network namespace file (/run/netns/NAME, /proc/PID/ns/net). */
export function netnsInodeOf(nsPath: string): number {
  return statSync(nsPath).ino;
}

type Waiter = { readonly test: (c: TracerControl) => boolean; readonly resolve: (c: TracerControl | undefined) => void };

export class Observer {
  /** Milliseconds from spawning the loader to its ready line. */
  attachMs = 0;
  /** The loader's ready line (its probes, what could not be attached, its caps). */
  ready!: TracerReady;
  private helper!: Helper;
  private readonly utf8 = new StringDecoder('utf8');
  private partial = '';
  private malformed = 0;
  /** The loss counter of the last sync or stop line. */
  private lostTotal = 0;
  /** Watched namespaces: their records since watch(), and the loss counter when they were watched. */
  private readonly watched = new Map<number, { records: TracerRecord[]; lostAt: number }>();
  private waiters: Waiter[] = [];
  private syncs = 0;
  private stopLine: TracerStop | undefined;
  private ending: Promise<ObserverEnd> | undefined;
  private onRecord: ((record: TracerRecord) => void) | undefined;
  private onRecords: (() => void) | undefined;

  private constructor() {}

  /** Records lost since the start, as of the last sync or stop line. */
  get lost(): number {
    return this.lostTotal;
  }

  /** Follow mode: stop following process `pid` (its children forked from now on are not followed). No answer is awaited. */
  unfollow(pid: number): void {
    if (Number.isInteger(pid) && pid > 0 && this.alive()) this.helper.stdin?.write(`unfollow ${pid}\n`);
  }

  /** `sync`: resolves with the loss total once every record committed before it has been read (undefined: no answer). */
  flush(timeoutMs = 5000): Promise<number | undefined> {
    return this.sync(timeoutMs);
  }

  get pid(): number {
    return this.helper.pid;
  }

  /** Start the loader and resolve once every program is attached (its ready line). */
  static async start(options: ObserverOptions = {}): Promise<Observer> {
    const tracer = options.tracer ?? packagePath(TRACER_PATH);
    const observer = new Observer();
    observer.onRecord = options.onRecord;
    observer.onRecords = options.onRecords;
    const t0 = performance.now();
    try {
      observer.helper = await supervise({
        label: 'the syscall tracer',
        argv: [tracer, ...(options.args ?? [])],
        tools: [tracer],
        stdin: 'pipe',
        onStdout: (b) => observer.read(observer.utf8.write(b)),
        ready: { test: () => observer.ready !== undefined },
        readyTimeoutMs: options.readyTimeoutMs ?? 15_000,
        notReady: 'the tracer did not attach',
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (e) {
      // The loader's one line ("netaudit-tracer: ...") is the reason; the supervisor's message carries it.
      if (e instanceof HelperStartError && e.reason === 'exit' && !e.lastLine) {
        throw new SetupError('the syscall tracer', `${e.message} (no message; is ${tracer} built? bash scripts/build-tracer.sh)`, { cause: e });
      }
      throw e;
    }
    observer.attachMs = Math.round(performance.now() - t0);
    // Nothing waits on the stdin pipe: a tracer that is gone makes writes fail, quietly.
    observer.helper.stdin?.on('error', () => undefined);
    void observer.helper.exited.then(() => observer.settle());
    return observer;
  }

  /** A chunk of the loader's stdout: records to their namespace, control lines to their waiters. */
  private read(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    let records = false;
    for (const line of lines) {
      const l = parseTracerLine(line);
      if (l.type === 'record') {
        records = true;
        this.onRecord?.(l.record);
        this.watched.get(l.record.ns)?.records.push(l.record);
      }
      else if (l.type === 'malformed') this.malformed++;
      else if (l.type === 'control') this.control(l.control);
    }
    if (records) this.onRecords?.();
  }

  private control(c: TracerControl): void {
    if (c.kind === 'ready') this.ready = c;
    if (c.kind === 'sync' || c.kind === 'stop') this.lostTotal = c.loss.total;
    if (c.kind === 'stop') this.stopLine = c;
    this.waiters = this.waiters.filter((w) => (w.test(c) ? (w.resolve(c), false) : true));
  }

  /** The process is gone: whoever still waits gets undefined. */
  private settle(): void {
    for (const w of this.waiters) w.resolve(undefined);
    this.waiters = [];
  }

  private alive(): boolean {
    return this.helper.alive() && this.stopLine === undefined && this.ending === undefined;
  }

  /** Send a command and wait for the control line that answers it; undefined on timeout or when the tracer is gone. */
  private ask(command: string, test: (c: TracerControl) => boolean, timeoutMs: number): Promise<TracerControl | undefined> {
    if (!this.alive()) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(undefined);
      }, timeoutMs);
      const waiter: Waiter = { test, resolve: (c) => (clearTimeout(timer), resolve(c)) };
      this.waiters.push(waiter);
      this.helper.stdin?.write(`${command}\n`);
    });
  }

  /** `sync ID`: resolves with the loss total once every record before it has been read; undefined when it did not come. */
  private async sync(timeoutMs: number): Promise<number | undefined> {
    const id = `s${++this.syncs}`;
    const c = await this.ask(`sync ${id}`, (x) => x.kind === 'sync' && x.id === id, timeoutMs);
    return c?.kind === 'sync' ? c.loss.total : undefined;
  }

  /**
   * Trace namespace `netns` from now on; resolves once the kernel filters for it (the build may start).
   * Rejects when the tracer does not answer (it is gone): the build would be unobserved.
   */
  async watch(netns: number, options: CollectOptions = {}): Promise<void> {
    if (!Number.isInteger(netns) || netns <= 0) throw new RangeError(`Observer.watch: not a namespace inode: ${netns}`);
    const timeoutMs = options.syncTimeoutMs ?? 5000;
    // Records of a namespace that had this inode before are not the build's: start empty.
    this.watched.set(netns, { records: [], lostAt: this.lostTotal });
    const ack = await this.ask(`watch ${netns}`, (c) => c.kind === 'ack' && c.command === 'watch' && c.netns === netns, timeoutMs);
    const lost = ack ? await this.sync(timeoutMs) : undefined;
    if (!ack || lost === undefined) {
      this.watched.delete(netns);
      throw new SetupError('the syscall tracer', `the syscall tracer did not answer \`watch ${netns}\`${this.stderrLine()}`);
    }
    // The window starts here: losses before this sync belong to the builds watched before.
    const w = this.watched.get(netns);
    if (w) w.lostAt = lost;
  }

  /**
   * The events of namespace `netns` since watch(netns), once the loader has read everything the kernel
   * committed (the sync line), and the losses of that window; then the namespace is no longer traced. End the
   * build's processes first: what they do after collect() is not kept.
   */
  async collect(netns: number, options: CollectOptions = {}): Promise<ObservedNamespace> {
    const total = await this.sync(options.syncTimeoutMs ?? 5000);
    const w = this.watched.get(netns);
    this.watched.delete(netns);
    if (this.alive()) this.helper.stdin?.write(`unwatch ${netns}\n`);
    const records = w?.records ?? [];
    return {
      events: assembleTracerEvents(records),
      lost: Math.max(0, (total ?? this.lostTotal) - (w?.lostAt ?? 0)),
      complete: total !== undefined,
      malformed: this.malformed,
    };
  }

  /**
   * End the tracer: EOF on its stdin, and resolve on its stop line (it comes within milliseconds; at most
   * `timeoutMs`, then SIGKILL) without waiting for the kernel to detach its programs: closed() resolves once
   * the process is reaped. Safe to call twice.
   */
  stop(timeoutMs = 2000): Promise<ObserverEnd> {
    this.ending ??= (async () => {
      let stopped: TracerControl | undefined = this.stopLine;
      if (!stopped && this.helper.alive()) {
        stopped = await new Promise<TracerControl | undefined>((resolve) => {
          const timer = setTimeout(() => resolve(undefined), timeoutMs);
          this.waiters.push({ test: (c) => c.kind === 'stop', resolve: (c) => (clearTimeout(timer), resolve(c)) });
          this.helper.stdin?.end();
        });
      }
      if (!stopped) this.helper.signal('SIGKILL');
      this.helper.stdin?.end();
      return { complete: stopped !== undefined, lost: this.lostTotal, stderr: this.helper.stderrText().trim() };
    })();
    return this.ending;
  }

  /** Resolves when the loader is gone (reaped; its programs detached). */
  async closed(): Promise<void> {
    await this.helper.exited;
  }

  /** End the loader at once and wait until it is gone. */
  async kill(): Promise<void> {
    await this.helper.kill();
  }

  private stderrLine(): string {
    const line = this.helper.stderrText().split('\n').map((l) => l.trim()).filter(Boolean).pop();
    return line ? ` (it said: ${line})` : this.helper.alive() ? '' : ' (it has ended)';
  }
}
