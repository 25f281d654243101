/**
 * What `netaudit watch` keeps in DIR besides results.jsonl, so that a stop (SIGTERM, kill -9, power loss for
 * what was fsynced) loses nothing a restart can still do:
 *
 * - DIR/confirm.jsonl, the queue of faithful reruns (`--confirm`): one line per step, `queued`, `started`,
 *   `done` (or `failed`), appended and fsynced before the step is acted on. A restart runs every package queued
 *   and not done, in the order queued; a `started` without `done` (the stop ended that rerun) is run again, since
 *   its result was never written; a `done` is never run again. A rerun that failed for a reason that may pass
 *   (confirmRetry) is `failed` with `"final":false` and its attempt, still pending; the last attempt, or a
 *   lasting reason, is `failed` for good. A last line cut short by a kill is dropped.
 * - DIR/building/, one journal per package being built: its key and name, then every tracer record that
 *   joined it (written once the records of one read of the tracer are handled, not fsynced each: they survive a
 *   kill -9 of watch, not a power loss), and at a clean stop a `stopped` line with the time and phase. The
 *   journal is removed when the package's result is written. A restart replays the journals it finds into the follower (BuildFollower
 *   restore()), so a package that goes on building joins the records seen before the stop, and one that does
 *   not is written, after the quiet time, with what was seen and what was not.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, truncateSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { TracerRecord } from '../decode/tracer.js';
import type { JournalStop } from '../portage/follow.js';
import { unlinkQuietly } from '../util/unlink.js';

/** One line of DIR/confirm.jsonl. */
export interface ConfirmStep {
  readonly t: 'queued' | 'started' | 'done' | 'failed';
  /** CATEGORY/PF. */
  readonly name: string;
  /** The ebuild file (queued). */
  readonly ebuild?: string;
  /** Epoch ms. */
  readonly at: number;
  /** done: the rerun's verdict; failed: why. */
  readonly verdict?: string;
  readonly error?: string;
  /** failed: which attempt (1, 2, ...), and whether it was the last (`false`: it is tried again). Absent: the last. */
  readonly attempt?: number;
  readonly final?: boolean;
}

/** A faithful rerun that failed for a reason that may pass (not a bad ebuild path, not a missing tool) is tried this often in all. */
export const CONFIRM_ATTEMPTS = 3;

/**
 * Whether a rerun that failed with `error` at attempt `attempt` (1, 2, ...) is tried again, and when: errors
 * that say the same the next time (the ebuild is gone, a tool is missing, netaudit was called wrongly) are final
 * at once; others (the sandbox's set-up, Portage, no result) are tried CONFIRM_ATTEMPTS times in all, 30 s
 * then 60 s apart.
 */
export function confirmRetry(error: unknown, attempt: number): { again: false } | { again: true; delayMs: number } {
  const code = (error as { code?: unknown } | undefined)?.code;
  const lasting = ['E_USAGE', 'E_NO_SUCH_EBUILD', 'E_NO_SUCH_FILE', 'E_MISSING_TOOL', 'E_NOT_ROOT', 'E_NO_NETNS'];
  if (typeof code === 'string' && lasting.includes(code)) return { again: false };
  if (attempt >= CONFIRM_ATTEMPTS) return { again: false };
  return { again: true, delayMs: 30_000 * 2 ** (attempt - 1) };
}

/** Whole lines of a JSONL file that may end in a line cut by a kill (dropped, and the file truncated to its last whole line). */
function wholeLines(file: string): unknown[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  const end = text.lastIndexOf('\n') + 1;
  if (end < text.length) truncateSync(file, Buffer.byteLength(text.slice(0, end)));
  const out: unknown[] = [];
  for (const line of text.slice(0, end).split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // A line that is not JSON cannot be acted on: skipped (the queue's own lines always are).
    }
  }
  return out;
}

/** DIR/confirm.jsonl: the persisted queue of faithful reruns. */
export class ConfirmQueue {
  private fd: number | undefined;
  /** name -> ebuild, in the order queued, not done. */
  private readonly pendingMap = new Map<string, string>();
  private readonly doneSet = new Set<string>();
  /** Failed attempts of reruns still pending (tried again), by name. */
  private readonly failures = new Map<string, number>();
  /** Names whose rerun was started by an earlier watch and never finished (the stop ended it). */
  readonly interrupted = new Set<string>();

  constructor(readonly path: string) {
    for (const s of wholeLines(path) as ConfirmStep[]) {
      if (typeof s?.name !== 'string') continue;
      if (s.t === 'queued' && s.ebuild && !this.doneSet.has(s.name)) this.pendingMap.set(s.name, s.ebuild);
      else if (s.t === 'started') this.interrupted.add(s.name);
      else if (s.t === 'failed' && s.final === false) {
        // Tried again: still pending, its attempts counted.
        this.failures.set(s.name, Math.max(this.failures.get(s.name) ?? 0, typeof s.attempt === 'number' ? s.attempt : 1));
        this.interrupted.delete(s.name);
      } else if (s.t === 'done' || s.t === 'failed') {
        this.doneSet.add(s.name);
        this.pendingMap.delete(s.name);
        this.interrupted.delete(s.name);
      }
    }
    for (const n of this.interrupted) if (!this.pendingMap.has(n)) this.interrupted.delete(n);
  }

  private write(step: ConfirmStep): void {
    this.fd ??= openSync(this.path, 'a');
    writeSync(this.fd, JSON.stringify(step) + '\n');
    fsyncSync(this.fd);
  }

  /** Queued and not done, in the order queued. */
  pending(): { name: string; ebuild: string }[] {
    return [...this.pendingMap].map(([name, ebuild]) => ({ name, ebuild }));
  }

  /** Queued (now or by an earlier watch) or done: a package is confirmed once. */
  known(name: string): boolean {
    return this.pendingMap.has(name) || this.doneSet.has(name);
  }

  queue(name: string, ebuild: string): void {
    if (this.known(name)) return;
    this.write({ t: 'queued', name, ebuild, at: Date.now() });
    this.pendingMap.set(name, ebuild);
  }

  started(name: string): void {
    this.write({ t: 'started', name, at: Date.now() });
  }

  done(name: string, outcome: { verdict: string } | { error: string }): void {
    this.write({ t: 'verdict' in outcome ? 'done' : 'failed', name, at: Date.now(), ...outcome, ...('error' in outcome ? { attempt: this.attempts(name) + 1 } : {}) });
    this.pendingMap.delete(name);
    this.failures.delete(name);
    this.doneSet.add(name);
    this.interrupted.delete(name);
  }

  /** The rerun failed and is tried again later: it stays pending (also for the next watch), this attempt counted. */
  failedOnce(name: string, error: string): number {
    const attempt = this.attempts(name) + 1;
    this.write({ t: 'failed', name, at: Date.now(), error, attempt, final: false });
    this.failures.set(name, attempt);
    this.interrupted.delete(name);
    return attempt;
  }

  /** Failed attempts so far of a pending rerun. */
  attempts(name: string): number {
    return this.failures.get(name) ?? 0;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** A journal's first line. */
interface JournalHead {
  readonly t: 'journal';
  readonly key: string;
  readonly name: string;
  readonly startMs: number;
}

/** A journal found at the start: a build a previous watch was following when it stopped. */
export interface LoadedJournal {
  readonly file: string;
  readonly key: string;
  readonly name: string;
  /** The records, with a `stopped` mark at each clean stop (BuildFollower restore()). */
  readonly lines: (TracerRecord | JournalStop)[];
  /** The last watch was killed (no `stopped` mark after its last record). */
  readonly killed: boolean;
}

/** DIR/building/: one journal per package being built. */
export class BuildJournals {
  private readonly fds = new Map<string, number>();
  /** Lines appended since the last write, by fd: written together by flush(), once the records at hand are handled. */
  private readonly pending = new Map<number, string[]>();

  constructor(readonly dir: string) {}

  /** The journals a previous watch left (its builds in progress at its stop). */
  load(): LoadedJournal[] {
    if (!existsSync(this.dir)) return [];
    const out: LoadedJournal[] = [];
    for (const f of readdirSync(this.dir).filter((n) => n.endsWith('.jsonl')).sort()) {
      const file = path.join(this.dir, f);
      const lines = wholeLines(file) as (TracerRecord | JournalHead | JournalStop)[];
      const head = lines[0] as JournalHead | undefined;
      if (head?.t !== 'journal' || typeof head.key !== 'string') {
        rmSync(file, { force: true });
        continue;
      }
      const rest = lines.slice(1).filter((l): l is TracerRecord | JournalStop => l.t !== 'journal');
      out.push({ file, key: head.key, name: head.name, lines: rest, killed: rest[rest.length - 1]?.t !== 'stopped' });
    }
    return out;
  }

  /** The journal of a build (one file per build: the same package may end and begin again at once). */
  fileOf(key: string, startMs: number): string {
    return path.join(this.dir, `${createHash('sha256').update(key).digest('hex').slice(0, 16)}-${Math.round(startMs * 1000)}.jsonl`);
  }

  /** Continue a journal loaded at the start (its build was restored). */
  adopt(file: string): void {
    if (!this.fds.has(file)) this.fds.set(file, openSync(file, 'a'));
  }

  append(file: string, head: { key: string; name: string; startMs: number }, record: TracerRecord): void {
    let fd = this.fds.get(file);
    if (fd === undefined) {
      mkdirSync(this.dir, { recursive: true });
      fd = openSync(file, 'a');
      this.fds.set(file, fd);
      writeSync(fd, JSON.stringify({ t: 'journal', ...head }) + '\n');
    }
    // One write per journal for the records of one read of the tracer, not one per record: the owner calls
    // flush() once it has handled them (watch: the observer's onRecords).
    let lines = this.pending.get(fd);
    if (!lines) this.pending.set(fd, (lines = []));
    lines.push(JSON.stringify(record) + '\n');
  }

  /** Write what append() holds. */
  flush(): void {
    if (!this.pending.size) return;
    for (const [fd, lines] of this.pending) writeSync(fd, lines.join(''));
    this.pending.clear();
  }

  /** At a clean stop: when, and in which phase (fsynced: the next watch says what it resumes). */
  stopped(file: string, atMs: number, phase: string): void {
    const fd = this.fds.get(file);
    if (fd === undefined) return;
    this.flush();
    writeSync(fd, JSON.stringify({ t: 'stopped', ts: atMs, phase }) + '\n');
    fsyncSync(fd);
  }

  /** The build's result is written: its journal goes. */
  remove(file: string): void {
    const fd = this.fds.get(file);
    if (fd !== undefined) {
      this.pending.delete(fd);
      closeSync(fd);
    }
    this.fds.delete(file);
    unlinkQuietly(file);
  }

  close(): void {
    this.flush();
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}
