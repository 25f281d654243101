/**
 * `netaudit run`: one command audited end to end. Sandbox up, captures ready, command run, leftovers ended,
 * captures flushed, sandbox down (always), then the pure stages: decode, analyze, judge.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BuildResult, ObserverStatus } from '../model/types.js';
import { netnsInodeOf } from '../observe/observer.js';
import { runBuild, type BuildRunOptions } from '../sandbox/build.js';
import { capturedFrames } from '../capture/frames.js';
import { evidenceToJson, type BuildEnd, type BuildEvidence, type TestSpan, type TracerEvidence } from '../model/evidence.js';
import { writeFileAtomic } from '../util/atomic.js';
import { Sandbox, type SandboxCaptures } from '../sandbox/sandbox.js';
import { PACKETS_CHANGE, type SandboxKind } from '../sandbox/plan.js';
import type { UserSpec } from '../sandbox/user.js';
import { trace } from '../util/trace.js';
import { INTERCEPT_CHANGE } from '../sandbox/intercept.js';
import type { ObserverSession } from './observe.js';
import { readTestLog, testRunnerEnv } from './test-log.js';

export interface CommandAuditOptions {
  readonly argv: readonly string[];
  readonly name?: string;
  readonly user?: UserSpec;
  readonly timeoutMs?: number;
  /** Keep the raw captures here (lo.pcap; a packets sandbox's veth.pcap and nflog.pcap too). */
  readonly pcapDir?: string;
  readonly stdio?: BuildRunOptions['stdio'];
  readonly onOutput?: BuildRunOptions['onOutput'];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly signal?: AbortSignal;
  /** The syscall observer of this netaudit command (absent: packets only, and the report says so). */
  readonly observe?: ObserverSession;
  /**
   * Intercept mode: the monitor answers DNS with sinkholes and accepts TCP, so attempts say what was wanted
   * (src/sandbox/intercept.ts). An observation, not a network-sandbox verdict: the build says `intercepted`.
   */
  readonly intercept?: boolean;
  /** The sandbox, made ahead by the session (Session.takeSandbox()); absent: made here. */
  readonly sandbox?: Promise<Sandbox>;
  /**
   * This is the observer's last build: the tracer is ended as soon as the build's events are in, so that its
   * detach (the kernel closing its uprobes, 20-50 ms) overlaps the rest of the audit instead of following it.
   */
  readonly lastObserved?: boolean;
}

export interface CommandAudit {
  readonly result: BuildResult;
  readonly interrupted: boolean;
  /**
   * The sandbox's removal, which may still run when the result is handed over (the report is made meanwhile);
   * resolves to the teardown problems (should be none). Await it before the command ends.
   */
  readonly teardown: Promise<string[]>;
}

/**
 * The pure stages (analyze, verdict) are loaded while the sandbox is being set up: module loading is CPU work,
 * setup mostly waits on child processes, so this takes them off the fixed cost of every audit.
 */
export function loadPipeline() {
  return Promise.all([import('../analyze/build.js'), import('../verdict/index.js')]).then(([a, v]) => ({ analyzeBuild: a.analyzeBuild, judgeCommand: v.judgeCommand }));
}

export async function auditCommand(options: CommandAuditOptions): Promise<CommandAudit> {
  const pipeline = loadPipeline();
  // Test attribution (src/runner/test-log.ts): the pytest plugin's variables and log, in a temp dir of this run.
  const tests = testRunnerEnv(options.env ?? process.env, options.user);
  let built: SandboxedBuild;
  let testSpans: TestSpan[];
  try {
    built = await buildInSandbox(options.sandbox ?? Sandbox.create({ kind: options.observe?.kind, intercept: options.intercept }), {
      argv: options.argv,
      user: options.user,
      timeoutMs: options.timeoutMs,
      stdio: options.stdio,
      onOutput: options.onOutput,
      env: tests.env,
      cwd: options.cwd,
      signal: options.signal,
    }, options.observe, { lastObserved: options.lastObserved });
    testSpans = readTestLog(tests.logPath, built.end.startMs);
  } catch (e) {
    await tests.remove();
    throw e;
  }
  // Removed beside the analysis; the audit's teardown waits for it.
  const removing = tests.remove();
  const { end, captures } = built;
  const teardown = Promise.all([built.teardown, removing]).then(([problems]) => problems);
  if (options.pcapDir) keepPcaps(options.pcapDir, captures.results);
  const evidence = await collectEvidence(built, { tests: testSpans });
  const name = options.name ?? options.argv.join(' ');
  await keepEvidence(name, evidence);
  const { analyzeBuild, judgeCommand } = await pipeline;
  const analysis = analyzeBuild(evidence);
  const judged = judgeCommand({
    attempts: analysis.attempts,
    end: { exitCode: end.exitCode, signal: end.signal, timedOut: end.timedOut, capture: analysis.gaps },
    interfaceQueries: analysis.interfaceQueries,
  });
  trace('analyzed');
  const result: BuildResult = {
    name,
    kind: 'command',
    command: [...options.argv],
    exitCode: end.exitCode,
    signal: end.signal,
    timedOut: end.timedOut,
    durationMs: end.durationMs,
    verdict: judged.verdict,
    attempts: judged.attempts,
    findings: judged.findings,
    capture: {
      ...analysis.capture,
      ...(options.pcapDir ? { files: captures.results.map((c) => path.join(options.pcapDir as string, `${c.source}.pcap`)) } : {}),
    },
    ...(judged.interfaceQueries.length ? { interfaceQueries: judged.interfaceQueries } : {}),
    observer: observerStatus(options.observe, built.tracer),
    ...sandboxChanges(built.kind, options.intercept),
  };
  return { result, interrupted: end.interrupted, teardown };
}

export interface SandboxedBuild {
  readonly end: BuildEnd;
  readonly captures: SandboxCaptures;
  /** The sandbox the build ran in (src/sandbox/plan.ts): `packets` shows the build an extra interface. */
  readonly kind: SandboxKind;
  /** What the syscall tracer saw, when it ran for this build. */
  readonly tracer?: TracerEvidence;
  /**
   * The sandbox's removal, still running when the build's evidence is handed over (it overlaps the analysis);
   * resolves to the teardown problems (should be empty). Await it before the command ends.
   */
  readonly teardown: Promise<string[]>;
}

/**
 * The privileged middle of every audit: the build runs in the sandbox (once the observer, when there is
 * one, is attached and watching the build's namespace), whatever it left running is ended, the observer's
 * events and the captures are flushed and collected, and the sandbox is removed — always, also when
 * anything here throws. A faithful sandbox (Portage's namespace alone) is replaced by a packets sandbox
 * when the observer is missing after all: without the tracer only packets can carry the evidence.
 */
export async function buildInSandbox(
  sandboxReady: Promise<Sandbox>,
  build: BuildRunOptions,
  observe?: ObserverSession,
  options: { readonly lastObserved?: boolean } = {},
): Promise<SandboxedBuild> {
  trace('creating the sandbox');
  let sandbox = await sandboxReady;
  trace('sandbox ready');
  let end: BuildEnd;
  let captures: SandboxCaptures;
  let tracer: TracerEvidence | undefined;
  const teardown: string[] = [];
  let collected = false;
  try {
    const netns = observe ? netnsInodeOf(sandbox.buildNsPath) : 0;
    // Watching waits for the tracer's answer, so the build's first call is seen; a tracer gone meanwhile: packets.
    const observer = observe ? await observe.watch(netns) : undefined;
    if (!observer && sandbox.kind === 'faithful') {
      const intercept = sandbox.plan.intercept;
      teardown.push(...(await sandbox.destroy()));
      sandbox = await Sandbox.create({ kind: 'packets', intercept });
      trace('packets sandbox ready');
    }
    // Records in flight at watch() may be of the namespace that had this inode before.
    const watchedAtMs = Date.now();
    end = await runBuild(sandbox, build);
    trace('build ended');
    await sandbox.killBuildProcesses(1000);
    const buildEndMs = Date.now();
    if (observer) {
      const seen = await observer.collect(netns);
      tracer = { events: seen.events.filter((e) => e.tsMs >= watchedAtMs), netns, buildEndMs, lost: seen.lost, complete: seen.complete };
      trace('observer events collected');
      if (options.lastObserved) void observe?.close();
    }
    captures = await sandbox.collect();
    trace('captures collected');
    collected = true;
  } finally {
    // On the way out of a failure the removal is waited for here; after a build, it runs beside the analysis.
    if (!collected) teardown.push(...(await sandbox.destroy()));
  }
  const removed = sandbox.destroy().then((problems) => (trace('sandbox removed'), [...teardown, ...problems]));
  return { end, captures, kind: sandbox.kind, ...(tracer ? { tracer } : {}), teardown: removed };
}

/** The evidence of a build run in the sandbox: its end, the captures' frames, the tracer's events, the responder's records, and what the caller read (test spans, phases, the log). */
export async function collectEvidence(built: SandboxedBuild, extra: Pick<BuildEvidence, 'tests' | 'phases' | 'log' | 'declaredMarkers'>): Promise<BuildEvidence> {
  return {
    end: built.end,
    captures: await capturedFrames(built.captures.results, built.captures.sentinel, built.captures.nftLogged),
    ...(built.tracer ? { tracer: built.tracer } : {}),
    ...(built.captures.intercepted ? { responder: built.captures.intercepted } : {}),
    ...extra,
  };
}

/**
 * NETAUDIT_KEEP_EVIDENCE=DIR: each build's evidence is written to DIR/NAME.evidence.json as well (NAME the
 * build's name, made a file name), the record the pure stages start from: a run can be analysed again without
 * root (test/fixtures/evidence/ holds recordings made so). Off unless set.
 */
export async function keepEvidence(name: string, evidence: BuildEvidence, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const dir = env.NETAUDIT_KEEP_EVIDENCE;
  if (!dir) return;
  const file = path.join(dir, `${name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 120)}.evidence.json`);
  await writeFileAtomic(file, JSON.stringify(evidenceToJson(evidence)) + '\n', { mkdirs: true });
}

/** The report's `observer` block for one build. */
export function observerStatus(observe: ObserverSession | undefined, observed: TracerEvidence | undefined): ObserverStatus {
  if (!observe) return { available: false, missing: ['turned off (--no-observe)'] };
  if (!observed) return observe.status();
  const mine = observed.events.filter((e) => e.netns === observed.netns && e.tsMs <= observed.buildEndMs).length;
  return observe.status({ events: mine, lost: observed.lost, complete: observed.complete });
}

export function keepPcaps(dir: string, results: SandboxCaptures['results']): void {
  mkdirSync(dir, { recursive: true });
  for (const c of results) writeFileSync(path.join(dir, `${c.source}.pcap`), c.pcap);
}

/**
 * The report's `changes` of a build, from the sandbox it ran in: intercept mode answers (an observation, not a
 * verdict); a packets sandbox showed the build an extra interface. Faithful: none.
 */
export function sandboxChanges(kind: SandboxKind, intercept: boolean | undefined): Pick<BuildResult, 'intercepted' | 'changes'> {
  if (intercept) return { intercepted: true, changes: [INTERCEPT_CHANGE] };
  return kind === 'packets' ? { changes: [PACKETS_CHANGE] } : {};
}
