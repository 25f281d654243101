/**
 * `netaudit watch`: the compiled tracer in follow mode beside the machine's own Portage builds (emerge, ebuild,
 * a tinderbox's chroot or bubblewrap), one result per finished package appended to DIR/results.jsonl in the
 * report model, as a sweep writes it (src/sweep/results.ts: resumable, a line cut by a kill -9 is dropped on
 * the next start, mergeable, `netaudit report render DIR`).
 *
 * The tracer follows Portage's phase processes from their exec (src/portage/follow.ts) and everything they
 * start, in the kernel; every other process of the machine costs one hash lookup per traced syscall and is
 * never printed. Here: each phase's records go to its package; when a phase ends its files are read through
 * the phase's own root (/proc/PID/root opened at the phase's start: right in a chroot, a bubblewrap or
 * another mount namespace): the pytest plugin's log (${T}/netaudit-tests.log, written when the hook is
 * installed) and Portage's build log. When the package is over, its evidence goes through the same analysis
 * and judge as `netaudit ebuild`'s (analyzeBuild, judgeEbuild), with the package's own policy and outcome.
 *
 * network-sandbox off (FEATURES without it, RESTRICT=network-sandbox, or Portage unable to unshare): the
 * phases had the network of the namespace they ran in, so an attempt may have succeeded and the build with
 * it. The result says so (`watch.networkSandbox: false`, the NetworkSandboxOff finding naming what reached
 * out); whether the build would fail under network-sandbox is for a faithful rerun: `--confirm` queues one
 * (`netaudit ebuild`'s audit) for each flagged package only, one at a time, into DIR/confirm/.
 *
 * A stop loses nothing a restart can do (src/sweep/watch-state.ts): the queue of reruns is DIR/confirm.jsonl,
 * each package being built has a journal in DIR/building/; at a SIGTERM a package still being built is written
 * as a provisional, incomplete result; the restart runs the queue and continues the journals.
 */
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { analyzeBuild } from '../analyze/build.js';
import { parseTestLog } from '../analyze/test-attribution.js';
import { assembleTracerEvents, type TracerRecord } from '../decode/tracer.js';
import type { BuildEvidence } from '../model/evidence.js';
import type { SocketEvent } from '../model/events.js';
import type { TracerEvent } from '../model/tracer-events.js';
import type { Attempt, BuildResult, Finding } from '../model/types.js';
import { endpoint, safeText } from '../model/format.js';
import { Observer } from '../observe/observer.js';
import { BuildFollower, FOLLOW_ENV, FOLLOW_EXEC, followedPhases, networkSandboxOf, phaseCutOpen, phaseRunning, type FollowedBuild, type FollowerNews } from '../portage/follow.js';
import { BuildJournals, CONFIRM_ATTEMPTS, ConfirmQueue, confirmRetry } from './watch-state.js';
import type { PortageInstall } from '../portage/locate.js';
import { ResultsFile } from './results.js';
import { makeReport } from '../model/report.js';
import { sortBuilds } from '../report/merge.js';
import { VERSION } from '../version.js';
import { writeSweepOutputs } from './sweep.js';
import { judgeEbuild } from '../verdict/index.js';
import { WATCH_TEST_LOG } from '../portage/watch-hook.js';

export interface WatchOptions {
  /** DIR: results.jsonl (and confirm/ with --confirm). */
  readonly outDir: string;
  readonly signal: AbortSignal;
  /** --confirm: Portage and the session's audits for the faithful reruns of flagged packages. */
  readonly confirm?: ConfirmRunner;
  /** A line per package written, and per problem (default: none). */
  readonly onLine?: (line: string) => void;
  /**
   * Called once the tracer is attached (the watch is live): results already there, and what an earlier watch
   * left to resume (packages it was following at its stop, faithful reruns it had queued).
   */
  readonly onReady?: (info: {
    readonly attachMs: number;
    readonly resumed: number;
    readonly tracerPid: number;
    /** CATEGORY/PF (phase at the stop) of each package restored from DIR/building/. */
    readonly resumedBuilds: readonly string[];
    /** Reruns queued in DIR/confirm.jsonl and not done (run now with --confirm; else kept queued). */
    readonly queuedConfirms: readonly string[];
  }) => void;
  /** A package is over when nothing of it ran for this long after its last phase (default 30 s). */
  readonly quietMs?: number;
  /** report.json and its renderings are written while results come at most this often (default 60 s; less often once a rendering is slow: RenderPacer), and at the stop. */
  readonly reportEveryMs?: number;
  /** The loader (tests); default the package's. */
  readonly tracer?: string;
  /**
   * The tracer's --lazy-proc (the command's default; off when false or absent): exec/fork/exit lines only of
   * the processes that reach the network (and their ancestors; after an interface listing, its descendants)
   * and of the phases themselves, instead of every process a build starts. The results are the same
   * (test/e2e/watch-lazy.test.ts runs both side by side; test/e2e/watch-runners.test.ts runs builds under
   * emerge, bubblewrap and in a chroot with it). A seed's records wake the tracer at once (seed_wakeup in
   * bpf/netaudit.bpf.c), so the phase's root is opened while the phase runs.
   */
  readonly lazyProc?: boolean;
}

/** Runs one faithful `netaudit ebuild` audit of an ebuild file (the --confirm rerun). */
export interface ConfirmRunner {
  readonly install: PortageInstall;
  run(ebuildPath: string): Promise<BuildResult | undefined>;
}

export interface WatchOutcome {
  /** Results written by this run. */
  readonly written: number;
  /** Results already in results.jsonl at the start. */
  readonly resumed: number;
  /** Packages still building at the stop: written as incomplete (WatchIncomplete), their journal kept for the restart. */
  readonly unfinished: string[];
  /** Faithful reruns still queued at the stop (DIR/confirm.jsonl: the next watch with --confirm runs them). */
  readonly queued: string[];
  /** Faithful reruns done (--confirm), by name. */
  readonly confirmed: string[];
  readonly lost: number;
}

/** Side data of a phase: its root, opened at its start (closed at its end). */
interface PhaseFiles {
  rootFd?: number;
}

/** Side data of a build: what its phases' files said. */
interface BuildFiles {
  tests: string;
  log: string;
  /** The log file `log` was read from and how far its whole lines go: a later phase reads only what it added. */
  logAt?: LogPosition;
}

export interface LogPosition {
  readonly file: string;
  readonly dev: number;
  readonly ino: number;
  /** Its first bytes (up to LOG_HEAD): a file rewritten in place, or a new one on a reused inode, differs there. */
  readonly head: Buffer;
  /** Bytes up to the end of the last whole line read. */
  readonly bytes: number;
  /** The text of those bytes. */
  readonly text: string;
}

/** A result's flag: breaks, or (network-sandbox off) attempts network-sandbox would have blocked. */
export function flagged(result: BuildResult): boolean {
  if (result.verdict === 'breaks') return true;
  const w = (result as BuildResult & { watch?: WatchBlock }).watch;
  return w !== undefined && !w.networkSandbox && w.wouldBlock > 0;
}

/** The result's `watch` block: how the build was seen. */
export interface WatchBlock {
  /** network-sandbox was in effect for the build's sandboxed phases. */
  readonly networkSandbox: boolean;
  /** Why it is taken to be on or off. */
  readonly networkSandboxWhy: string;
  /** Attempts in phases network-sandbox covers (not allowed by the policy). */
  readonly wouldBlock: number;
  /** Why the package was taken to be over; `watch stopped`: it was still being built (a provisional result, replaced when the restarted watch sees it end). */
  readonly ended: string;
  /** What of the build was not seen: each stop of the watch while it was being built. */
  readonly incomplete?: readonly string[];
  /** Phase processes whose environment could not be read (their package guessed from their parent). */
  readonly envMisses: number;
  /** PORTAGE_BUILDDIR as the build saw it. */
  readonly buildDir?: string;
  /** --confirm: the faithful rerun was queued (its result: DIR/confirm/results.jsonl). */
  readonly confirm?: 'queued';
}

const LOG_HEAD = 256;

/** The path of a phase's file (absolute inside the phase) through its root fd; undefined when there is none. */
function pathThrough(rootFd: number | undefined, file: string | undefined): string | undefined {
  return rootFd === undefined || !file || !file.startsWith('/') ? undefined : `/proc/self/fd/${rootFd}${file}`;
}

/**
 * The build log as a phase's end finds it, read through the phase's root: a log that only grew since the last
 * phase's end (the same file: device, inode and first bytes; no shorter) is read from where its last whole line
 * ended, so a build's log is read about once rather than once per phase (each phase's end read all of it
 * again: ~10 phases a build). The text is that of the whole file; undefined when it cannot be read.
 */
export function readLogThrough(rootFd: number | undefined, file: string | undefined, at: LogPosition | undefined): { text: string; at: LogPosition } | undefined {
  const through = pathThrough(rootFd, file);
  if (!through || !file) return undefined;
  let fd: number | undefined;
  try {
    fd = openSync(through, 'r');
    const st = fstatSync(fd);
    const readAt = (length: number, position: number): Buffer => {
      const buf = Buffer.allocUnsafe(length);
      let n = 0;
      while (n < length) {
        const got = readSync(fd as number, buf, n, length - n, position + n);
        if (got === 0) break;
        n += got;
      }
      return buf.subarray(0, n);
    };
    const same = at !== undefined && at.file === file && at.dev === st.dev && at.ino === st.ino && st.size >= at.bytes;
    const from = same && readAt(at.head.length, 0).equals(at.head) ? at : undefined;
    const start = from?.bytes ?? 0;
    const added = readAt(Math.max(0, st.size - start), start);
    // Whole lines only are kept as read (a multibyte character is never cut); the rest is read again next time.
    const whole = added.lastIndexOf(0x0a) + 1;
    const text = (from?.text ?? '') + added.subarray(0, whole).toString('utf8');
    const head = from?.head.length === LOG_HEAD ? from.head : start === 0 ? Buffer.from(added.subarray(0, LOG_HEAD)) : readAt(Math.min(LOG_HEAD, st.size), 0);
    return { text: text + added.subarray(whole).toString('utf8'), at: { file, dev: st.dev, ino: st.ino, head, bytes: start + whole, text } };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Reads a file of a phase through its root fd; '' when it is not there. */
function readThrough(rootFd: number | undefined, file: string | undefined): string {
  const through = pathThrough(rootFd, file);
  if (!through) return '';
  try {
    return readFileSync(through, 'utf8');
  } catch {
    return '';
  }
}

/** `ended` of a result written at a stop while its package was still being built. */
export const WATCH_STOPPED = 'watch stopped';

/** A result written at a stop while its package was still being built (replaced by the restart's). */
export function provisional(result: BuildResult): boolean {
  return (result as BuildResult & { watch?: WatchBlock }).watch?.ended === WATCH_STOPPED;
}

/**
 * When watch renders DIR/report.json, report.html and junit.xml again while results come. Each rendering
 * validates and renders every result so far, so its cost grows with them (measured: 28 results 56 ms of CPU,
 * 1,000 results 230 ms, 5,000 results 770 ms): on a tinderbox that has written thousands, a rendering a minute
 * would cost more than everything else watch does. A rendering is started at most once per `everyMs`, and after
 * one that took D ms, not before `budget` × D ms have passed since it began: renderings take at most 1/budget
 * of watch's time however many results there are. The rendering at the stop is not paced.
 */
export class RenderPacer {
  private nextAtMs = -Infinity;

  constructor(
    private readonly everyMs: number,
    private readonly budget = 100,
  ) {}

  /** A rendering may start at `nowMs`. */
  due(nowMs: number): boolean {
    return nowMs >= this.nextAtMs;
  }

  /** A rendering began at `startMs` and ended at `endMs`. */
  rendered(startMs: number, endMs: number): void {
    this.nextAtMs = startMs + Math.max(this.everyMs, this.budget * Math.max(0, endMs - startMs));
  }
}

/** A package seen only in `clean` phases: nothing of a build ran. */
const cleanOnly = (b: FollowedBuild): boolean => b.phases.every((p) => p.name === 'clean');

/** "in src_test", or "between phases". */
const inPhase = (phase: string): string => (phase === 'between phases' ? phase : `in ${phase}`);

const clock = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** The phases running now (a stop's), by name. */
function runningPhases(b: FollowedBuild): string {
  return b.phases.filter(phaseRunning).map((p) => p.name).join(', ') || 'between phases';
}

/**
 * The result of a followed build: the same analysis and judge as `netaudit ebuild`. Pure but for nothing:
 * exported for tests. `stoppedAtMs`: the watch is stopping while the build still runs (a provisional result).
 */
export function followedResult(b: FollowedBuild, files: BuildFiles, lost: number, stoppedAtMs?: number): BuildResult {
  const startMs = b.startMs;
  const phases = followedPhases(b, startMs);
  const failed = phases.find((p) => p.exitCode !== undefined && p.exitCode !== 0 && p.name !== 'misc-functions');
  const lastEnd = Math.max(b.lastMs, ...b.phases.map((p) => p.endMs ?? p.startMs));
  // One namespace for the analysis: the records are the package's already (routed by process, not namespace).
  const assembled = assembleTracerEvents(b.records).map((e) => ({ ...e, netns: 1 }));
  // A DNS question sent on a connected UDP socket (send/write: no address in the call) is a send to its peer:
  // with no capture, that call is the only trace of the lookup (a resolver on 10/8, a LAN one without the sandbox).
  const events: TracerEvent[] = assembled.flatMap((e): TracerEvent[] =>
    e.kind === 'dns-question' && e.toPeer
      ? [
          {
            kind: 'sendto',
            syscall: 'sendto',
            tsMs: e.tsMs,
            pid: e.pid,
            tid: e.tid,
            ppid: e.ppid,
            netns: 1,
            comm: e.comm,
            ...(e.argv ? { argv: e.argv } : {}),
            fd: e.fd,
            family: e.family,
            protocol: 'udp',
            address: e.address,
            port: e.port,
            errno: 0,
          } as SocketEvent,
          e,
        ]
      : [e],
  );
  const exitCode = failed?.exitCode ?? 0;
  const evidence: BuildEvidence = {
    end: { exitCode, signal: null, timedOut: false, interrupted: false, startMs, durationMs: Math.round(lastEnd - startMs) },
    captures: [],
    tracer: { events, netns: 1, buildEndMs: lastEnd + 1, lost, complete: true },
    tests: parseTestLog(files.tests, startMs),
    phases,
    log: files.log,
  };
  const analysis = analyzeBuild(evidence, { syscallsOnly: true });
  const split = (v: string | undefined) => (v ?? '').split(/\s+/).filter(Boolean);
  const policy = { properties: split(b.env.PROPERTIES), restrict: split(b.env.RESTRICT), allowTest: split(b.env.ALLOW_TEST) };
  const judged = judgeEbuild({
    attempts: analysis.attempts,
    phases,
    interfaceQueries: analysis.interfaceQueries,
    log: files.log,
    policy,
    outcome: { stage: 'build', exitCode, signal: null, timedOut: false, capture: analysis.gaps },
  });
  const sandbox = networkSandboxOf(b);
  const blocked = judged.attempts.filter((a) => !a.allowed);
  const findings: Finding[] = [...judged.findings];
  if (!sandbox.on && blocked.length) findings.unshift(sandboxOffFinding(blocked, sandbox.why));
  const incomplete = [
    ...b.stops.map((st) => `watch stopped at ${clock(st.atMs)} while ${b.name} was ${inPhase(st.phase)}, and started again at ${clock(st.resumedMs)}: what the build did in between is not seen`),
    ...(stoppedAtMs !== undefined ? [`watch stopped at ${clock(stoppedAtMs)} while ${b.name} was ${inPhase(runningPhases(b))}`] : []),
  ];
  if (incomplete.length) findings.unshift(incompleteFinding(b, judged.attempts, stoppedAtMs));
  const category = b.env.CATEGORY ?? b.name.split('/')[0] ?? '';
  const pn = b.env.PN ?? '';
  const pvr = b.env.PVR ?? (b.env.PF && pn ? b.env.PF.slice(pn.length + 1) : '');
  const watch: WatchBlock = {
    networkSandbox: sandbox.on,
    networkSandboxWhy: sandbox.why,
    wouldBlock: blocked.length,
    ended: stoppedAtMs !== undefined ? WATCH_STOPPED : (b.ended ?? 'over'),
    ...(incomplete.length ? { incomplete } : {}),
    envMisses: b.envMisses,
    ...(b.env.PORTAGE_BUILDDIR ? { buildDir: b.env.PORTAGE_BUILDDIR } : {}),
  };
  const result: BuildResult & { watch: WatchBlock } = {
    name: b.name,
    kind: 'ebuild',
    command: ['(watched)', ...(b.env.EBUILD ? [b.env.EBUILD] : []), ...phases.map((p) => p.name)],
    exitCode,
    durationMs: evidence.end.durationMs,
    verdict: judged.verdict,
    attempts: judged.attempts,
    findings,
    capture: { ...analysis.capture },
    ...(judged.interfaceQueries.length ? { interfaceQueries: judged.interfaceQueries } : {}),
    observer: { available: true, missing: [], events: events.length, lost },
    ebuild: {
      category,
      package: pn || (b.env.PF ?? ''),
      version: pvr,
      path: b.env.EBUILD ?? '',
      ...(b.env.EAPI ? { eapi: b.env.EAPI } : {}),
      properties: policy.properties,
      restrict: policy.restrict,
    },
    ...(judged.phases.length ? { phases: judged.phases.map((p) => ({ ...p, startMs: Math.max(0, Math.round(p.startMs)), ...(p.endMs !== undefined ? { endMs: Math.max(0, Math.round(p.endMs)) } : {}) })) } : {}),
    changes: [],
    watch,
  };
  return result;
}

/** Distinct destinations of blocked attempts, for the message. */
function reachedOut(attempts: readonly Attempt[]): string {
  const names = [...new Set(attempts.map((a) => safeText(a.hostname ?? endpoint(a.address ?? '', a.port))))];
  return names.slice(0, 5).join(', ') + (names.length > 5 ? `, and ${names.length - 5} more` : '');
}

function incompleteFinding(b: FollowedBuild, attempts: readonly Attempt[], stoppedAtMs: number | undefined): Finding {
  const last = b.stops[b.stops.length - 1];
  const phase = stoppedAtMs !== undefined ? runningPhases(b) : (last?.phase ?? 'between phases');
  const seen = attempts.length ? `${attempts.length} (${reachedOut(attempts)})` : 'none';
  return {
    keyword: 'WatchIncomplete',
    level: 'warning',
    message:
      stoppedAtMs !== undefined
        ? `watch stopped while ${b.name} was ${inPhase(phase)}; attempts seen so far: ${seen}; phases seen: ${b.phases.map((p) => p.name).join(', ')}`
        : `watch was stopped while ${b.name} was ${inPhase(phase)} and restarted${b.phases.some((p) => p.cut) ? `; the end of ${b.phases.filter((p) => p.cut).map((p) => p.name).join(', ')} was not seen` : ''}; attempts seen: ${seen}`,
    hint:
      stoppedAtMs !== undefined
        ? 'a restarted netaudit watch continues this package from DIR/building/ and replaces this result when it ends; or audit it whole: netaudit ebuild on its ebuild'
        : 'what the build did while watch was not running is not in this result: netaudit ebuild on its ebuild audits it whole',
  };
}

function sandboxOffFinding(blocked: readonly Attempt[], why: string): Finding {
  const phases = [...new Set(blocked.map((a) => a.phase).filter((p): p is string => p !== undefined))];
  return {
    keyword: 'NetworkSandboxOff',
    level: 'warning',
    message: `network-sandbox was off for this build (${why}): it would block ${blocked.length} attempt(s)${phases.length ? ` in ${phases.join(', ')}` : ''} that reached out: ${reachedOut(blocked)}`,
    hint: 'whether the build then fails is what a faithful rerun says: netaudit watch --confirm (or netaudit ebuild on this ebuild)',
  };
}

/**
 * Where a phase's build dir lives: device and inode of its PORTAGE_TMPDIR seen through the phase's own root.
 * The same path in two mount namespaces (bubblewrap or chroot images, a tmpfs of one) is two build dirs; the
 * same dir seen from two (a bind of /) is one. undefined when the process is gone.
 */
function buildDirIdentity(pid: number, env: Readonly<Record<string, string>>): string | undefined {
  const dir = env.PORTAGE_BUILDDIR;
  if (!dir?.startsWith('/')) return undefined;
  // ${PORTAGE_TMPDIR}/portage/${CATEGORY}/${PF}: the build dir itself is made anew by each clean.
  const tmpdir = path.posix.dirname(path.posix.dirname(path.posix.dirname(dir)));
  try {
    const st = statSync(`/proc/${pid}/root${tmpdir}`);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/** Watch until `signal` aborts; returns what was written. */
export async function runWatch(options: WatchOptions): Promise<WatchOutcome> {
  mkdirSync(options.outDir, { recursive: true });
  const results = new ResultsFile(path.join(options.outDir, 'results.jsonl'), provisional);
  const resumed = (await results.load()).filter((b) => !provisional(b)).length;
  // What an earlier watch left: the reruns it queued, the packages it was following at its stop.
  const confirmQueue = new ConfirmQueue(path.join(options.outDir, 'confirm.jsonl'));
  const journals = new BuildJournals(path.join(options.outDir, 'building'));
  const journalOf = new WeakMap<FollowedBuild, string>();
  const confirmDir = path.join(options.outDir, 'confirm');
  const confirmResults = options.confirm ? new ResultsFile(path.join(confirmDir, 'results.jsonl')) : undefined;
  if (confirmResults) {
    mkdirSync(confirmDir, { recursive: true });
    await confirmResults.load();
  }
  const say = options.onLine ?? (() => undefined);
  const follower = new BuildFollower({
    quietMs: options.quietMs,
    identify: buildDirIdentity,
    onAdd: (b, r) => {
      let file = journalOf.get(b);
      if (!file) journalOf.set(b, (file = journals.fileOf(b.key, b.startMs)));
      journals.append(file, { key: b.key, name: b.name, startMs: b.startMs }, r);
    },
  });
  const resumedBuilds: string[] = [];
  const restoredAt = Date.now();
  for (const j of journals.load()) {
    const b = follower.restore(j.key, j.lines, restoredAt);
    if (!b || results.has(b.name)) {
      // Its result was written just before the stop (or nothing in it makes a build): nothing to resume.
      journals.remove(j.file);
      continue;
    }
    journalOf.set(b, j.file);
    journals.adopt(j.file);
    resumedBuilds.push(`${b.name} (${b.stops[b.stops.length - 1]?.phase ?? 'between phases'}${j.killed ? '; the last watch was killed' : ''})`);
  }
  const phaseFiles = new Map<number, PhaseFiles>();
  const buildFiles = new WeakMap<FollowedBuild, BuildFiles>();
  let written = 0;
  const confirmed: string[] = [];
  // The reruns queued and not done, an earlier watch's first (DIR/confirm.jsonl).
  const queue: { name: string; ebuild: string }[] = options.confirm ? confirmQueue.pending() : [];
  const queuedConfirms = confirmQueue.pending().map((q) => `${q.name}${confirmQueue.interrupted.has(q.name) ? ' (its rerun was cut by the stop)' : ''}`);
  let confirming: Promise<void> | undefined;
  // DIR/report.json, report.html, junit.xml as a sweep writes them: every builds' report validated and rendered
  // again, so paced while new results come (RenderPacer: measured, after every result it was most of watch's CPU
  // beside the fixture sweep, 26 renderings of up to 26 builds), and at the stop.
  let writing: Promise<void> = Promise.resolve();
  let dirty = false;
  const everyMs = options.reportEveryMs ?? 60_000;
  const pacer = new RenderPacer(everyMs);
  const flushOutputs = (paced = true): void => {
    if (!dirty || (paced && !pacer.due(Date.now()))) return;
    dirty = false;
    writing = writing.then(async () => {
      const startMs = Date.now();
      try {
        await writeSweepOutputs(options.outDir, makeReport('watch', sortBuilds(results.all()), VERSION));
      } catch (e) {
        say(`netaudit: watch: report.json not written: ${(e as Error).message}`);
      }
      pacer.rendered(startMs, Date.now());
    });
  };
  const writeOutputs = (): void => {
    dirty = true;
  };
  const reportTimer = setInterval(flushOutputs, everyMs);

  const filesOf = (b: FollowedBuild): BuildFiles => {
    let f = buildFiles.get(b);
    if (!f) buildFiles.set(b, (f = { tests: '', log: '' }));
    return f;
  };

  const onNews = (n: FollowerNews | undefined): void => {
    if (!n) return;
    if (n.type === 'seed') {
      // Its root, now: at its end the process is gone, and with it /proc/PID/root.
      let rootFd: number | undefined;
      try {
        rootFd = openSync(`/proc/${n.phase.pid}/root`, 'r');
      } catch {
        rootFd = undefined;
      }
      phaseFiles.set(n.phase.pid, { rootFd });
    } else if (n.type === 'phase-end') {
      const pf = phaseFiles.get(n.phase.pid);
      phaseFiles.delete(n.phase.pid);
      // Nothing of a build has run yet (a first `clean`): its log is not this build's.
      if (!cleanOnly(n.build)) readPhaseEnd(n, pf?.rootFd);
      if (pf?.rootFd !== undefined) closeSync(pf.rootFd);
    }
  };

  /** At a phase's end, through its root: the plugin's test log (src_test) and what the build log gained. */
  const readPhaseEnd = (n: Extract<FollowerNews, { type: 'phase-end' }>, rootFd: number | undefined): void => {
    const files = filesOf(n.build);
    const env = n.phase.env;
    // After a restart the src_test that wrote the plugin's log may have ended under the previous watch.
    if (n.phase.name === 'src_test' || (!files.tests && n.build.stops.length && n.build.phases.some((p) => p.name === 'src_test'))) {
      const t = env.T ?? n.build.env.T;
      const tests = readThrough(rootFd, t ? `${t}/${WATCH_TEST_LOG}` : undefined);
      if (tests) files.tests = tests;
    }
    const logFile = env.PORTAGE_LOG_FILE ?? n.build.env.PORTAGE_LOG_FILE ?? (env.T ? `${env.T}/build.log` : undefined);
    const log = readLogThrough(rootFd, logFile, files.logAt);
    if (log && log.text.length >= files.log.length) {
      files.log = log.text;
      files.logAt = log.at;
    }
  };

  // When to look for packages that are over: one timer, armed for the earliest moment one can be
  // (BuildFollower.nextDueMs) after every read of the tracer and every look; none while nothing can be due, so a
  // machine that builds nothing never wakes watch (a 250 ms tick did, 4 times a second). Armed only once the loop
  // below runs (records come during the tracer's start).
  let dueTimer: NodeJS.Timeout | undefined;
  let dueAt = Infinity;
  let scheduling = false;
  const schedule = (): void => {
    if (!scheduling) return;
    const now = Date.now();
    const next = follower.nextDueMs(now);
    if (next === undefined) {
      clearTimeout(dueTimer);
      dueTimer = undefined;
      dueAt = Infinity;
      return;
    }
    const at = Math.max(next, now);
    // An earlier timer stays: it looks, finds nothing due yet, and arms the next.
    if (dueTimer !== undefined && dueAt <= at) return;
    clearTimeout(dueTimer);
    dueAt = at;
    dueTimer = setTimeout(lookForDue, at - now);
  };

  // The tracer's handle, once it has started (its records arrive through onRecord before start() returns).
  const started: { observer?: Observer } = {};
  const onRecord = (r: TracerRecord): void => {
    try {
      const news = follower.push(r);
      // netaudit's own audits and metadata runs: dropped in the kernel from now on (what they already forked stays followed).
      if (news?.type === 'ignored-seed') started.observer?.unfollow(news.pid);
      onNews(news);
    } catch (e) {
      say(`netaudit: watch: a record could not be handled: ${(e as Error).message}`);
    }
  };

  const observer = await Observer.start({
    ...(options.tracer ? { tracer: options.tracer } : {}),
    args: [
      ...FOLLOW_EXEC.flatMap((n) => ['--follow-exec', n]),
      ...FOLLOW_ENV.flatMap((v) => ['--follow-env', v]),
      ...(options.lazyProc ? ['--lazy-proc'] : []),
    ],
    onRecord,
    // The journals' lines of one read, in one write per journal (src/sweep/watch-state.ts).
    onRecords: () => {
      journals.flush();
      schedule();
    },
    signal: options.signal,
  });
  started.observer = observer;
  options.onReady?.({ attachMs: observer.attachMs, resumed, tracerPid: observer.pid, resumedBuilds, queuedConfirms });

  /** A rerun that failed: tried again later when the reason may pass (confirmRetry), else failed for good. */
  const retries = new Set<NodeJS.Timeout>();
  const failed = (next: { name: string; ebuild: string }, e: unknown): void => {
    const why = (e as Error).message;
    const retry = confirmRetry(e, confirmQueue.attempts(next.name) + 1);
    if (!retry.again) {
      confirmQueue.done(next.name, { error: why });
      say(`netaudit: watch: the faithful rerun of ${next.name} failed: ${why}`);
      return;
    }
    const attempt = confirmQueue.failedOnce(next.name, why);
    say(`netaudit: watch: the faithful rerun of ${next.name} failed (attempt ${attempt} of ${CONFIRM_ATTEMPTS}): ${why}; again in ${retry.delayMs / 1000} s`);
    const timer = setTimeout(() => {
      retries.delete(timer);
      queue.push(next);
      drainConfirm();
    }, retry.delayMs);
    // A stop does not wait for it: the rerun stays pending in confirm.jsonl for the next watch.
    timer.unref();
    retries.add(timer);
  };

  const drainConfirm = (): void => {
    if (confirming || !options.confirm || !queue.length || options.signal.aborted) return;
    const next = queue.shift() as { name: string; ebuild: string };
    const had = confirmResults?.get(next.name);
    if (had) {
      // Its result was written just before a stop, its `done` line was not: done, never run twice.
      confirmQueue.done(next.name, { verdict: had.verdict });
      drainConfirm();
      return;
    }
    confirming = (async () => {
      try {
        confirmQueue.started(next.name);
        const r = await options.confirm?.run(next.ebuild);
        // A rerun the stop ended stays queued (no `done`): the next watch runs it again, whole.
        if (r && !options.signal.aborted) {
          confirmResults?.append(r);
          confirmQueue.done(next.name, { verdict: r.verdict });
          confirmed.push(next.name);
          say(`confirm ${next.name}: ${r.verdict} (faithful rerun)`);
        } else if (!r && !options.signal.aborted) failed(next, new Error('no result'));
      } catch (e) {
        if (!options.signal.aborted) failed(next, e);
      } finally {
        confirming = undefined;
        drainConfirm();
      }
    })();
  };

  /** A package is over (or, `stoppedAtMs`, still being built at the stop): its result, its rerun queued when flagged. */
  const finish = (b: FollowedBuild, stoppedAtMs?: number): void => {
    for (const p of b.phases) {
      if (p.cut) continue;
      const pf = phaseFiles.get(p.pid);
      if (pf?.rootFd !== undefined) closeSync(pf.rootFd);
      phaseFiles.delete(p.pid);
    }
    if (cleanOnly(b)) {
      // `ebuild FILE clean` alone (or emerge's clean of a dir left behind): no phase of a build ran, so there is
      // nothing to judge and no result to write.
      const journal = journalOf.get(b);
      if (journal) journals.remove(journal);
      return;
    }
    const files = filesOf(b);
    if (b.stops.length && !files.log) {
      // Restored and never seen again: its log through the host's root (its own root went with its processes).
      const logFile = b.env.PORTAGE_LOG_FILE ?? (b.env.T ? `${b.env.T}/build.log` : undefined);
      let fd: number | undefined;
      try {
        fd = openSync('/', 'r');
        files.log = readThrough(fd, logFile);
        if (!files.tests && b.env.T && b.phases.some((p) => p.name === 'src_test')) files.tests = readThrough(fd, `${b.env.T}/${WATCH_TEST_LOG}`);
      } catch {
        // Not there: the result says what was seen.
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
    }
    let result = followedResult(b, files, observer.lost, stoppedAtMs);
    const flag = flagged(result);
    // A provisional result queues nothing: the restarted watch decides when the package ends.
    if (flag && stoppedAtMs === undefined && options.confirm && b.env.EBUILD && !(confirmResults?.has(result.name) ?? false) && !confirmQueue.known(result.name)) {
      // Persisted before the result that says so: a stop between the two leaves a rerun queued, never a claim of one.
      confirmQueue.queue(result.name, b.env.EBUILD);
      result = { ...result, watch: { ...(result as BuildResult & { watch: WatchBlock }).watch, confirm: 'queued' } } as BuildResult;
      queue.push({ name: result.name, ebuild: b.env.EBUILD });
    }
    const journal = journalOf.get(b);
    if (results.has(result.name)) {
      say(`${result.name}: already in results.jsonl (built again; the first result is kept)`);
    } else {
      results.append(result);
      written++;
      say(
        stoppedAtMs !== undefined
          ? `${result.name}: still being built at the stop (${runningPhases(b)}): written as incomplete, ${result.attempts.length} attempt(s) so far`
          : `${result.name}: ${result.verdict}${flag ? ' (flagged)' : ''}, ${result.attempts.length} attempt(s)${b.stops.length ? ' (incomplete: watch was stopped during the build)' : ''}`,
      );
      writeOutputs();
    }
    if (journal) {
      // At a stop the journal stays, for the restart to continue the package; else its result is written.
      if (stoppedAtMs !== undefined) journals.stopped(journal, stoppedAtMs, runningPhases(b));
      else journals.remove(journal);
    }
    drainConfirm();
  };

  function lookForDue(): void {
    dueTimer = undefined;
    dueAt = Infinity;
    const now = Date.now();
    // A phase an earlier watch's stop cut may still run (its processes are no longer followed): while its
    // process lives, the package is not over.
    for (const b of follower.openBuilds()) if (b.stops.length && b.phases.some((p) => phaseCutOpen(p) && existsSync(`/proc/${p.pid}`))) b.lastMs = now;
    for (const b of follower.due(now)) finish(b);
    schedule();
  }
  scheduling = true;
  schedule();
  try {
    await new Promise<void>((resolve) => {
      if (options.signal.aborted) resolve();
      options.signal.addEventListener('abort', () => resolve(), { once: true });
      void observer.closed().then(() => resolve());
    });
  } finally {
    scheduling = false;
    clearTimeout(dueTimer);
    for (const t of retries) clearTimeout(t);
  }
  // Stop: everything the kernel committed is read, then every package that is over is written.
  await observer.flush(2000);
  const end = await observer.stop();
  for (const b of follower.due(Date.now())) finish(b);
  const { over, running } = follower.drain();
  for (const b of over) finish(b);
  // Still being built: a result that says so (provisional: the restart replaces it), the journal kept.
  const stoppedAt = Date.now();
  for (const b of running) finish(b, stoppedAt);
  for (const pf of phaseFiles.values()) if (pf.rootFd !== undefined) closeSync(pf.rootFd);
  if (confirming) await confirming;
  clearInterval(reportTimer);
  dirty = true;
  flushOutputs(false);
  await writing;
  results.close();
  confirmResults?.close();
  journals.close();
  const queued = confirmQueue.pending().map((q) => q.name);
  confirmQueue.close();
  if (!options.signal.aborted && end.stderr) say(`netaudit: watch: the tracer ended: ${end.stderr}`);
  return { written, resumed, unfinished: running.map((b) => `${b.name} (${runningPhases(b)})`), queued, confirmed, lost: end.lost };
}
