/**
 * For the tracer's privileged tests and the bench: runs dist/bpf/netaudit-tracer as netaudit will (stdin
 * commands, stdout lines into the decoder) and waits for its control lines. Not netaudit's own supervisor:
 * the lead wires the tracer into the observer.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { TracerDecoder } from '../../src/decode/tracer.js';
import type { TracerControl, TracerReady, TracerStop, TracerSync } from '../../src/model/tracer-events.js';
import { packageRoot } from '../../src/util/package.js';
import { requirePrivileges } from '../helpers/privileged.js';

export const TRACER = path.join(packageRoot(), 'dist/bpf/netaudit-tracer');

/** Skip (or fail under CI=true) without root or without the built tracer. */
export function requireTracer(ctx: Mocha.Context): void {
  requirePrivileges(ctx);
  if (existsSync(TRACER) && existsSync('/sys/kernel/btf/vmlinux')) return;
  if (process.env.CI === 'true') throw new Error(`tracer tests cannot run in CI: ${TRACER} not built (bash scripts/build-tracer.sh)`);
  ctx.skip();
}

export class TracerRun {
  readonly decoder = new TracerDecoder();
  readonly controls: TracerControl[] = [];
  stderr = '';
  private waiters: { test: (c: TracerControl) => boolean; resolve: (c: TracerControl) => void }[] = [];
  private syncs = 0;
  private exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcessWithoutNullStreams,
    readonly startedAt: number,
  ) {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      for (const c of this.decoder.pushChunk(chunk)) {
        this.controls.push(c);
        this.waiters = this.waiters.filter((w) => (w.test(c) ? (w.resolve(c), false) : true));
      }
    });
    child.stderr.on('data', (b: Buffer) => (this.stderr += b.toString()));
    this.exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  }

  /** Start the loader and wait for its ready line; spawnToReadyMs is what netaudit would wait. */
  static async start(args: readonly string[], timeoutMs = 15_000, binary = TRACER): Promise<{ run: TracerRun; ready: TracerReady; spawnToReadyMs: number }> {
    const t0 = performance.now();
    const run = new TracerRun(spawn(binary, [...args], { stdio: ['pipe', 'pipe', 'pipe'] }), t0);
    const ready = await Promise.race([
      run.waitFor((c) => c.kind === 'ready', timeoutMs),
      run.exited.then((code) => {
        throw new Error(`netaudit-tracer exited ${code} before ready: ${run.stderr}`);
      }),
    ]);
    return { run, ready: ready as TracerReady, spawnToReadyMs: performance.now() - t0 };
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  waitFor(test: (c: TracerControl) => boolean, timeoutMs = 15_000): Promise<TracerControl> {
    const seen = this.controls.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`tracer: no answer in ${timeoutMs} ms; stderr: ${this.stderr}`)), timeoutMs);
      this.waiters.push({ test, resolve: (c) => (clearTimeout(timer), resolve(c)) });
    });
  }

  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  async watch(netns: number, verb: 'watch' | 'unwatch' = 'watch'): Promise<void> {
    const before = this.controls.length;
    this.send(`${verb} ${netns}`);
    await this.waitFor((c) => this.controls.indexOf(c) >= before && c.kind === 'ack' && c.command === verb && c.netns === netns);
  }

  /** The collect barrier: everything emitted before it has been read. */
  async sync(): Promise<TracerSync> {
    const id = `s${++this.syncs}`;
    this.send(`sync ${id}`);
    return (await this.waitFor((c) => c.kind === 'sync' && c.id === id)) as TracerSync;
  }

  /** EOF on stdin: the stop line (what netaudit waits for), then the process gone (every link closed). */
  async stop(): Promise<{ stop: TracerStop; stopMs: number; exitMs: number; code: number | null }> {
    const t0 = performance.now();
    this.child.stdin.end();
    const stop = (await this.waitFor((c) => c.kind === 'stop')) as TracerStop;
    const stopMs = performance.now() - t0;
    const code = await this.exited;
    return { stop, stopMs, exitMs: performance.now() - t0, code };
  }

  /** Cleanup on every path: SIGKILL if still running. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}
