/**
 * The syscall observer as the runners use it: one tracer per netaudit command (a sweep's builds share it,
 * events routed by network namespace), started beside the sandbox set-up so that its attach (~25-40 ms: the
 * compiled tracer loads and attaches its programs) overlaps the rest, and never a reason for an audit to fail: when it cannot run,
 * the audit runs on packets alone and the report's `observer` block says what was missing.
 *
 * The sandbox kind: with the observer, builds run in the faithful sandbox (Portage's namespace alone,
 * src/sandbox/plan.ts): external connects and sends fail at once with ENETUNREACH as under network-sandbox,
 * and the tracer is what sees them. When the tracer fails to attach after a sandbox was made so, the runner
 * replaces it with a packets sandbox before the build starts (src/runner/command.ts): packets then carry the
 * evidence, as without the observer.
 */
import { availability } from '../observe/availability.js';
import { Observer } from '../observe/observer.js';
import type { ObserverStatus } from '../model/types.js';
import type { SandboxKind } from '../sandbox/plan.js';
import { trace } from '../util/trace.js';

/**
 * The tracer's --lazy-proc (bpf/netaudit-tracer.c): exec/fork/exit lines only of the processes that reach the
 * network, their ancestors and (after an interface listing) its descendants, instead of every process of every
 * build: the same attempts, processes, test ids and findings (test/e2e/sweep-lazy.test.ts), less of netaudit's
 * CPU; the report's `observer.events` counts what was handed over. NETAUDIT_LAZY_PROC=0 turns it off.
 */
export function lazyProc(env: NodeJS.ProcessEnv): boolean {
  return env.NETAUDIT_LAZY_PROC !== '0';
}

export interface ObserverSessionOptions {
  /** false: --no-observe. */
  readonly enabled: boolean;
  readonly signal?: AbortSignal;
}

export class ObserverSession {
  /** The tracer, once attached; undefined when it is off or could not run (see `missing`). */
  readonly ready: Promise<Observer | undefined>;
  /** Why it is not running (filled once `ready` settles). */
  readonly missing: string[] = [];
  private observer: Observer | undefined;
  private closing: Promise<void> | undefined;

  private constructor(readonly enabled: boolean, signal: AbortSignal | undefined) {
    this.ready = enabled ? this.start(signal) : Promise.resolve(undefined);
    if (!enabled) this.missing.push('turned off (--no-observe)');
  }

  static start(options: ObserverSessionOptions): ObserverSession {
    return new ObserverSession(options.enabled, options.signal);
  }

  /** The sandbox kind to make: `faithful` while the observer is (or may yet be) there. */
  get kind(): SandboxKind {
    return this.enabled && (this.observer !== undefined || this.missing.length === 0) ? 'faithful' : 'packets';
  }

  private async start(signal: AbortSignal | undefined): Promise<Observer | undefined> {
    const found = await availability();
    if (!found.available) {
      this.missing.push(...found.missing);
      trace('observer unavailable');
      return undefined;
    }
    try {
      this.observer = await Observer.start({ signal, ...(lazyProc(process.env) ? { args: ['--lazy-proc'] } : {}) });
      trace(`observer attached (${this.observer.attachMs} ms)`);
      return this.observer;
    } catch (e) {
      this.missing.push(`the tracer did not start: ${(e as Error).message}`);
      trace('observer failed');
      return undefined;
    }
  }

  /**
   * Watch a build's namespace: the tracer once it answered (the build may start), or undefined when there is
   * none or it stopped answering (then the build runs on packets alone, and `missing` says why).
   */
  async watch(netns: number): Promise<Observer | undefined> {
    const o = await this.ready;
    if (!o || this.observer !== o) return undefined;
    try {
      await o.watch(netns);
      return o;
    } catch (e) {
      if (!this.missing.length) this.missing.push(`the tracer stopped answering: ${(e as Error).message}`);
      // The next sandboxes are packets sandboxes: packets carry what the tracer no longer sees.
      this.observer = undefined;
      trace('observer watch failed');
      return undefined;
    }
  }

  /** The report's block for a build observed (or not) by this session. */
  status(seen?: { events: number; lost: number; complete: boolean }, notes: readonly string[] = []): ObserverStatus {
    if (!seen) return { available: false, missing: [...this.missing] };
    const all = [...(seen.complete ? [] : ['the tracer did not hand over every event in time: attribution may miss the last calls']), ...notes];
    return { available: true, missing: [], events: seen.events, lost: seen.lost, ...(all.length ? { notes: all } : {}) };
  }

  /**
   * End the tracer (once): EOF on its stdin and its stop line read. Its detach (the kernel closing its links)
   * is not waited for: the process is reaped when it is done, or killed with netaudit (pdeathsig).
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const o = this.observer ?? (await this.ready.catch(() => undefined));
      if (!o) return;
      await o.stop();
    })();
    return this.closing;
  }
}
