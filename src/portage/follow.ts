/**
 * `netaudit watch`: Portage's builds as the tracer sees them in follow mode, grouped per package. Pure: it only
 * consumes the tracer's records (src/decode/tracer.ts) and the clock it is given; reading files is the
 * runner's (src/runner/watch.ts).
 *
 * How a process is tied to CATEGORY/PF and phase (decided and measured on Portage 3.0.83, see docs/watch.md):
 * - Portage starts every phase as `bash -c '…/ebuild.sh PHASE'` (or `…/misc-functions.sh FUNCS` for its QA
 *   helpers and die hooks); bash execs the script in place and the kernel starts it through its #! line. The
 *   tracer's follow mode (`--follow-exec ebuild.sh --follow-exec misc-functions.sh`) matches the script's own
 *   path at that exec, in the kernel, and from then on follows the process and every descendant (fork),
 *   whatever its namespaces: the phase's network namespace (network-sandbox), its pid and mount namespaces
 *   (pid-sandbox, a chroot, bubblewrap) alike. Pids are the initial pid namespace's.
 * - The phase is the script's argument (argv of that exec): `ebuild.sh test` is src_test.
 * - CATEGORY, PF, PN, PVR, FEATURES, RESTRICT, PROPERTIES, T and the log file come from the environment the
 *   script was exec'd with, which the kernel side reads at the exec itself (an env line after the exec line;
 *   the loader prints the variables `--follow-env` names). That is the process's memory, so it is right in a
 *   chroot or another mount namespace where no host path would be; PORTAGE_BUILDDIR in argv or the cwd would
 *   not name the package as surely. (A first version read /proc/PID/environ when the exec's line arrived:
 *   0.1-0.4 ms later as a rule, but 5-25 ms on a busy 2-core machine, and a short phase was gone by then: 1
 *   seed in 9 of a build lost its package.)
 * - A package ends when its build is over: its `clean` phase after any other phase (`ebuild … clean`, and
 *   emerge after merging), or a failed phase followed by a quiet moment (Portage's die hooks ran), or
 *   nothing of it alive for `quietMs` after its last phase.
 */
import type { TracerRecord } from '../decode/tracer.js';
import type { Phase } from '../model/types.js';
import { PHASE_FUNCTIONS } from '../verdict/policy.js';

/** The scripts whose exec starts following a process (the tracer's --follow-exec). */
export const FOLLOW_EXEC = ['ebuild.sh', 'misc-functions.sh'] as const;

/** The variables read from a phase's environment at its exec (the tracer's --follow-env). */
export const FOLLOW_ENV = [
  'CATEGORY',
  'PF',
  'PN',
  'PVR',
  'EAPI',
  'EBUILD',
  'EBUILD_PHASE',
  'FEATURES',
  'RESTRICT',
  'PROPERTIES',
  'ALLOW_TEST',
  'T',
  'PORTAGE_BUILDDIR',
  'PORTAGE_LOG_FILE',
  'NETAUDIT_PHASE_LOG',
] as const;

/** NUL-separated VAR=VALUE (the tracer's "env", hex) -> variables. */
export function parseFollowEnv(hex: string): Record<string, string> {
  const env: Record<string, string> = {};
  if (!/^(?:[0-9a-f]{2})*$/.test(hex)) return env;
  for (const kv of Buffer.from(hex, 'hex').toString('utf8').split('\0')) {
    const eq = kv.indexOf('=');
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return env;
}

/** The argv of an exec record, decoded. */
export function execArgv(r: TracerRecord): string[] {
  const hex = typeof r.argv === 'string' ? r.argv : '';
  const parts = Buffer.from(hex, 'hex').toString('utf8').split('\0');
  if (parts.length && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** The phase a seed runs: the ebuild.sh argument as its function name; `misc-functions` for Portage's helpers. */
export function seedPhase(argv: readonly string[], env: Readonly<Record<string, string>>): string {
  const i = argv.findIndex((a) => /(?:^|\/)(?:ebuild|misc-functions)\.sh$/.test(a));
  const script = i >= 0 ? (argv[i] as string) : '';
  if (script.endsWith('misc-functions.sh')) return 'misc-functions';
  const arg = i >= 0 ? argv[i + 1] : undefined;
  const phase = arg ?? env.EBUILD_PHASE ?? 'unknown';
  return PHASE_FUNCTIONS[phase] ?? phase;
}

/** One phase process of a package, as followed. */
export interface FollowedPhase {
  readonly pid: number;
  readonly name: string;
  /** Epoch ms of the exec, and of the exit (absent while it runs). */
  readonly startMs: number;
  endMs?: number;
  exitCode?: number;
  /** Its end was not seen: the watch stopped while it ran (restored from the journal of a previous watch). */
  cut?: boolean;
  /** The network namespace it ran in. */
  readonly netns: number;
  readonly env: Readonly<Record<string, string>>;
}

/** The phase runs: its end has not been seen, and no watch's stop cut it. */
export function phaseRunning(p: FollowedPhase): boolean {
  return p.endMs === undefined && !p.cut;
}

/** A watch's stop cut the phase and its end has not been seen since: its process may still run, unfollowed. */
export function phaseCutOpen(p: FollowedPhase): boolean {
  return p.endMs === undefined && p.cut === true;
}

/** A package being built, from its first phase to its end. */
export interface FollowedBuild {
  /** CATEGORY/PF@PORTAGE_BUILDDIR. */
  readonly key: string;
  /** CATEGORY/PF. */
  readonly name: string;
  /** The first phase's environment (CATEGORY, PF, …), completed by later phases. */
  readonly env: Record<string, string>;
  readonly phases: FollowedPhase[];
  /** Every record of its processes, in the tracer's order. */
  readonly records: TracerRecord[];
  /** Its processes alive now. */
  readonly alive: Set<number>;
  /** Epoch ms of the first seed, and of the last record. */
  readonly startMs: number;
  lastMs: number;
  /** Seeds whose environment could not be read (the process was gone): their phase is known, not always their package. */
  envMisses: number;
  /** Set when it is over (why), before it is handed out. */
  ended?: string;
  /**
   * Times (epoch ms) a previous watch stopped while this build ran, and the phase it was in (restored from its
   * journal): what the build did from the stop until this watch started is not seen.
   */
  readonly stops: { readonly atMs: number; readonly phase: string; readonly resumedMs: number }[];
}

export interface FollowerOptions {
  /** Nothing of a package alive for this long after its last phase ended: it is over (default 30 s). */
  readonly quietMs?: number;
  /** After a failed phase, nothing alive for this long: over (default 2 s: Portage's die hooks come at once). */
  readonly failQuietMs?: number;
  /**
   * Where a seed's build dir lives, as an identity (e.g. device and inode of its PORTAGE_TMPDIR seen through the
   * phase's root): two mount namespaces (chroots, bubblewrap, tinderbox images) may use the same path for two
   * different builds. undefined when it cannot be told (the process is gone): the path alone then decides.
   */
  readonly identify?: (pid: number, env: Readonly<Record<string, string>>) => string | undefined;
  /** Every record that joins a build, as it joins (the watch's journal of builds in progress). */
  readonly onAdd?: (build: FollowedBuild, record: TracerRecord) => void;
}

/** A journal's mark of a watch's clean stop while the build ran (src/sweep/watch-state.ts). */
export interface JournalStop {
  readonly t: 'stopped';
  readonly ts: number;
  readonly phase?: string;
}

/** What one record did to the builds (the runner reads files at these moments). */
export type FollowerNews =
  | { readonly type: 'seed'; readonly build: FollowedBuild; readonly phase: FollowedPhase }
  | { readonly type: 'phase-end'; readonly build: FollowedBuild; readonly phase: FollowedPhase }
  | { readonly type: 'ignored-seed'; readonly pid: number; readonly why: string };

/** How often a build with a phase cut by a watch's stop is looked at (BuildFollower.nextDueMs). */
export const CUT_POLL_MS = 250;

/**
 * The builds being followed. push() every record of the tracer in order; due(now) hands out the builds that
 * are over.
 */
export class BuildFollower {
  private readonly builds = new Map<string, FollowedBuild>();
  /** Builds over that a new build of the same CATEGORY/PF replaced in `builds` before due() handed them out. */
  private readonly over: FollowedBuild[] = [];
  /** pid -> the build its process belongs to. */
  private readonly owner = new Map<number, FollowedBuild>();
  /** Processes of netaudit's own audits (NETAUDIT_PHASE_LOG set): followed by the kernel, ignored here. */
  private readonly ignored = new Set<number>();
  /** Seeds whose env line has not come yet. */
  private readonly pending = new Map<number, TracerRecord>();
  private readonly quietMs: number;
  private readonly failQuietMs: number;
  private readonly identify: FollowerOptions['identify'];
  private readonly onAdd: FollowerOptions['onAdd'];
  /** The key of the build restore() replays (its records were keyed by a previous watch). */
  private restoring: string | undefined;
  /** Records of followed processes that belong to no build (a seed without its environment). */
  orphanRecords = 0;

  constructor(options: FollowerOptions = {}) {
    this.quietMs = options.quietMs ?? 30_000;
    this.failQuietMs = options.failQuietMs ?? 2_000;
    this.identify = options.identify;
    this.onAdd = options.onAdd;
  }

  private add(build: FollowedBuild, r: TracerRecord): void {
    build.records.push(r);
    build.lastMs = Math.max(build.lastMs, r.ts);
    if (this.restoring === undefined) this.onAdd?.(build, r);
  }

  /** One record of the tracer; returns what it changed that the runner acts on. */
  push(r: TracerRecord): FollowerNews | undefined {
    // A seed's exec line is followed by its env line (the kernel reads the environment at the exec).
    if (r.t === 'exec' && r.seed === true) {
      const before = this.pending.get(r.pid);
      this.pending.set(r.pid, r);
      return before ? this.seed(before) : undefined;
    }
    const pending = this.pending.get(r.pid);
    if (pending) {
      this.pending.delete(r.pid);
      if (r.t === 'env') return this.seed({ ...pending, env: r.env });
      // Its env line was lost (the ring buffer was full): the seed without it, then this record.
      const news = this.seed(pending);
      const next = this.push(r);
      return news?.type === 'seed' ? news : next;
    }
    if (r.t === 'env') return undefined;
    if (this.ignored.has(r.pid)) {
      if (r.t === 'fork' && typeof r.child === 'number') this.ignored.add(r.child);
      if (r.t === 'exit') this.ignored.delete(r.pid);
      return undefined;
    }
    const build = this.owner.get(r.pid);
    if (!build) {
      this.orphanRecords++;
      return undefined;
    }
    this.add(build, r);
    if (r.t === 'fork' && typeof r.child === 'number') {
      this.owner.set(r.child, build);
      build.alive.add(r.child);
    } else if (r.t === 'exit') {
      this.owner.delete(r.pid);
      build.alive.delete(r.pid);
      const phase = build.phases.find((p) => p.pid === r.pid && p.endMs === undefined);
      if (phase) {
        phase.endMs = r.ts;
        const code = typeof r.code === 'number' ? r.code : 0;
        phase.exitCode = code & 0x7f ? 128 + (code & 0x7f) : (code >> 8) & 0xff;
        if (phase.name === 'clean' && build.phases.some((p) => p.name !== 'clean' && p.name !== 'misc-functions')) build.ended = 'clean after the build';
        return { type: 'phase-end', build, phase };
      }
    }
    return undefined;
  }

  private seed(r: TracerRecord): FollowerNews | undefined {
    const env = typeof r.env === 'string' ? parseFollowEnv(r.env) : {};
    const argv = execArgv(r);
    if (env.NETAUDIT_PHASE_LOG) {
      // A phase of netaudit's own audit (`netaudit ebuild`, a --confirm rerun): it has its own report.
      this.ignored.add(r.pid);
      return { type: 'ignored-seed', pid: r.pid, why: 'a netaudit audit' };
    }
    if (seedPhase(argv, env) === 'depend') {
      // Metadata generation (the cache of an ebuild's variables), not a build: no phase of any package.
      this.ignored.add(r.pid);
      return { type: 'ignored-seed', pid: r.pid, why: 'the depend phase (metadata)' };
    }
    let build: FollowedBuild | undefined;
    // One build per package and build dir: two Portage configurations (a chroot and the host, two
    // PORTAGE_TMPDIRs) may build the same CATEGORY/PF at once; Portage locks one build dir for one build. The
    // same path in two mount namespaces (two bubblewrap or chroot images) is two build dirs: told apart by
    // where the dir lives, when that can be read.
    const pathKey = env.CATEGORY && env.PF ? `${env.CATEGORY}/${env.PF}@${env.PORTAGE_BUILDDIR ?? ''}` : undefined;
    let key = pathKey;
    if (pathKey && this.restoring !== undefined) {
      key = this.restoring;
      build = this.builds.get(key);
    } else if (pathKey) {
      const id = this.identify?.(r.pid, env);
      if (id !== undefined) {
        key = `${pathKey}#${id}`;
        // A build of that path whose first phase was gone before it could be told: this one's.
        if (!this.builds.has(key) && this.builds.has(pathKey)) key = pathKey;
      } else {
        // Gone before it could be told: the one open build of that path, if there is exactly one.
        const same = [...this.builds.keys()].filter((k) => k === pathKey || k.startsWith(`${pathKey}#`));
        if (same.length === 1) key = same[0];
      }
      build = this.builds.get(key as string);
    } else {
      // The environment could not be read: the process that started it (a phase's parent) may still say.
      build = this.owner.get(r.ppid) ?? this.owner.get(r.pid);
    }
    if (!build && !key) {
      this.orphanRecords++;
      return { type: 'ignored-seed', pid: r.pid, why: 'no environment (its record was lost)' };
    }
    const phaseName = seedPhase(argv, env);
    // Portage keeps a failed build's dir (unless FEATURES=fail-clean): a `clean` after the failure is the next
    // emerge or ebuild run of the package beginning, not this build's end.
    if (build && !build.ended && phaseName === 'clean' && failedPhase(build) && !(build.env.FEATURES ?? '').split(/\s+/).includes('fail-clean')) build.ended = 'a phase failed';
    if (build?.ended) {
      this.builds.delete(build.key);
      this.over.push(build);
      build = undefined;
    }
    if (!build) {
      build = { key: key as string, name: `${env.CATEGORY}/${env.PF}`, env: { ...env }, phases: [], records: [], alive: new Set(), startMs: r.ts, lastMs: r.ts, envMisses: 0, stops: [] };
      this.builds.set(build.key, build);
    }
    if (!key) build.envMisses++;
    for (const [k, v] of Object.entries(env)) if (k !== 'EBUILD_PHASE') build.env[k] ??= v;
    // A phase cut by a watch's stop ended before this one began (Portage runs one phase at a time).
    for (const p of build.phases) if (phaseCutOpen(p)) p.endMs = r.ts;
    const phase: FollowedPhase = { pid: r.pid, name: phaseName, startMs: r.ts, netns: r.ns, env };
    build.phases.push(phase);
    this.add(build, r);
    this.owner.set(r.pid, build);
    build.alive.add(r.pid);
    return { type: 'seed', build, phase };
  }

  /** The builds that are over at `nowMs` (epoch ms), removed from the follower. */
  due(nowMs: number): FollowedBuild[] {
    const out: FollowedBuild[] = this.over.splice(0);
    for (const b of this.builds.values()) {
      const running = b.phases.some(phaseRunning);
      const failed = failedPhase(b);
      const idle = nowMs - b.lastMs;
      if (!b.ended && !running && !b.alive.size && failed && idle >= this.failQuietMs) b.ended = 'a phase failed';
      if (!b.ended && !running && !b.alive.size && idle >= this.quietMs) b.ended = 'nothing of it ran any more';
      if (b.ended && (!b.alive.size || idle >= this.failQuietMs)) out.push(b);
    }
    for (const b of out) this.forget(b);
    return out;
  }

  /**
   * The earliest epoch ms at which due() may hand out a build, from what is known at `nowMs`; undefined when none
   * can be until a record comes (every open build has a phase or a process running, or there is none). A
   * build with a phase a watch's stop cut is looked at every CUT_POLL_MS (its process is not followed: the
   * watch checks that it still lives). Watch arms its one timer for it, so an idle machine never wakes it.
   */
  nextDueMs(nowMs: number): number | undefined {
    if (this.over.length) return nowMs;
    let next: number | undefined;
    const at = (t: number): void => {
      next = next === undefined ? t : Math.min(next, t);
    };
    for (const b of this.builds.values()) {
      if (b.phases.some(phaseCutOpen)) at(nowMs + CUT_POLL_MS);
      const running = b.phases.some(phaseRunning);
      if (b.ended) at(b.alive.size ? b.lastMs + this.failQuietMs : nowMs);
      else if (!running && !b.alive.size) at(b.lastMs + (failedPhase(b) ? Math.min(this.failQuietMs, this.quietMs) : this.quietMs));
    }
    return next;
  }

  /** Every build still open (at a stop): those that ended or failed and have nothing alive are over; the rest still run. */
  drain(): { over: FollowedBuild[]; running: FollowedBuild[] } {
    const over: FollowedBuild[] = this.over.splice(0);
    const running: FollowedBuild[] = [];
    for (const b of this.builds.values()) {
      const failed = failedPhase(b);
      // Between two phases nothing of a build runs: only an end (its clean, a failed phase) says it is over.
      if (b.alive.size || b.phases.some(phaseRunning) || (!b.ended && !failed)) running.push(b);
      else {
        b.ended ??= 'a phase failed';
        over.push(b);
      }
    }
    for (const b of [...over, ...running]) this.forget(b);
    return { over, running };
  }

  /**
   * A build earlier watches were following when they stopped (SIGTERM, kill -9), from its journal: the records
   * they saw, replayed, with a `stopped` mark where each stopped cleanly (a kill -9 leaves none: the journal's
   * last record is then taken as the stop). Processes are no longer followed by the kernel once the tracer that
   * followed them is gone: a phase running at a stop is `cut` (its end is not seen), and nothing of the build is
   * taken to be alive. Its next phase, if it comes, joins it (same package and build dir); else it is over
   * `quietMs` after `nowMs`, with what was seen.
   */
  restore(key: string, journal: readonly (TracerRecord | JournalStop)[], nowMs: number): FollowedBuild | undefined {
    let build: FollowedBuild | undefined;
    let stop: JournalStop | undefined;
    const cutAt = (b: FollowedBuild): string => {
      const running = b.phases.filter(phaseRunning);
      for (const p of running) p.cut = true;
      for (const pid of b.alive) this.owner.delete(pid);
      b.alive.clear();
      return running.map((p) => p.name).join(', ') || 'between phases';
    };
    this.restoring = key;
    try {
      for (const r of journal) {
        if (r.t === 'stopped') {
          stop = r as JournalStop;
          if (build) cutAt(build);
          continue;
        }
        const rec = r as TracerRecord;
        if (stop && build) build.stops.push({ atMs: stop.ts, phase: stop.phase ?? 'between phases', resumedMs: rec.ts });
        stop = undefined;
        const news = rec.t === 'exec' && rec.seed === true && typeof rec.env === 'string' ? this.seed(rec) : this.push(rec);
        if (news?.type === 'seed' && news.build.key === key) build = news.build;
      }
    } finally {
      this.restoring = undefined;
    }
    if (!build) return undefined;
    // The last stop: the journal's mark, or (kill -9) its last record.
    const phase = cutAt(build);
    build.stops.push({ atMs: stop?.ts ?? build.lastMs, phase: stop?.phase ?? phase, resumedMs: nowMs });
    build.lastMs = Math.max(build.lastMs, nowMs);
    return build;
  }

  /** The builds still open (at a stop, before drain()): what the journal's stop line says. */
  openBuilds(): FollowedBuild[] {
    return [...this.builds.values()];
  }

  private forget(b: FollowedBuild): void {
    if (this.builds.get(b.key) === b) this.builds.delete(b.key);
    for (const [pid, owner] of this.owner) if (owner === b) this.owner.delete(pid);
  }

  get open(): number {
    return this.builds.size;
  }
}

/** A phase of the build (not Portage's QA helpers) ended with a non-zero status. */
export function failedPhase(b: FollowedBuild): boolean {
  return b.phases.some((p) => p.exitCode !== undefined && p.exitCode !== 0 && p.name !== 'misc-functions');
}

/** The build's phases for the evidence: ms since `startMs`, in order of start. */
export function followedPhases(b: FollowedBuild, startMs: number): Phase[] {
  return b.phases
    .slice()
    .sort((x, y) => x.startMs - y.startMs)
    .map((p) => ({ name: p.name, startMs: p.startMs - startMs, ...(p.endMs !== undefined ? { endMs: p.endMs - startMs } : {}), ...(p.exitCode !== undefined ? { exitCode: p.exitCode } : {}) }));
}

/** Phases Portage always runs with the network (src/verdict/policy.ts has the full rule; this is only for the netns cross-check). */
const NETWORK_PHASES: ReadonlySet<string> = new Set(['pkg_pretend', 'pkg_setup', 'pkg_config', 'pkg_info', 'pkg_preinst', 'pkg_postinst', 'pkg_prerm', 'pkg_postrm', 'misc-functions']);

/**
 * Whether network-sandbox was in effect for the build: FEATURES has it and RESTRICT does not lift it, and —
 * where the build had both kinds of phase — its sandboxed phases ran in network namespaces of their own (when
 * Portage is not root, or unshare fails, it goes on without one: then they share the network phases' one).
 */
export function networkSandboxOf(b: FollowedBuild): { on: boolean; why: string } {
  const features = (b.env.FEATURES ?? '').split(/\s+/);
  if (!b.env.FEATURES) return { on: false, why: 'FEATURES was not read' };
  if (!features.includes('network-sandbox')) return { on: false, why: 'FEATURES has no network-sandbox' };
  if ((b.env.RESTRICT ?? '').split(/\s+/).includes('network-sandbox')) return { on: false, why: 'RESTRICT=network-sandbox' };
  const open = new Set(b.phases.filter((p) => NETWORK_PHASES.has(p.name)).map((p) => p.netns));
  const shut = b.phases.filter((p) => !NETWORK_PHASES.has(p.name) && p.name !== 'clean');
  if (open.size && shut.length && shut.every((p) => open.has(p.netns))) return { on: false, why: "FEATURES has network-sandbox, but the sandboxed phases ran in the network phases' namespace (Portage could not unshare)" };
  return { on: true, why: 'FEATURES has network-sandbox' };
}
