/**
 * `netaudit run`: one command audited end to end. Sandbox up, captures ready, command run, leftovers ended,
 * captures flushed, sandbox down (always), then the pure stages: decode, analyze, judge.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Attempt, BuildResult, ObserverStatus } from '../model/types.js';
import { netnsInodeOf } from '../observe/observer.js';
import { runBuild, type BuildOutcome, type BuildRunOptions } from '../sandbox/build.js';
import { Sandbox, type SandboxCaptures } from '../sandbox/sandbox.js';
import type { UserSpec } from '../sandbox/user.js';
import { trace } from '../util/trace.js';
import { finalAttempts } from './attempts.js';
import { INTERCEPT_CHANGE } from '../sandbox/intercept.js';
import type { Observed } from './evidence.js';
import type { ObserverSession } from './observe.js';
import { readTestLog, testRunnerEnv } from './test-log.js';

export interface CommandAuditOptions {
  readonly argv: readonly string[];
  readonly name?: string;
  readonly user?: UserSpec;
  readonly timeoutMs?: number;
  /** Keep the raw captures here (veth.pcap, lo.pcap, nflog.pcap). */
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
}

export interface CommandAudit {
  readonly result: BuildResult;
  readonly interrupted: boolean;
  /** Teardown problems (should be empty). */
  readonly teardown: string[];
}

/**
 * The pure stages (decode, analyze, verdict) are loaded while the sandbox is being set up: module loading is
 * CPU work, setup mostly waits on child processes, so this takes them off the fixed cost of every audit.
 */
export function loadPipeline() {
  return Promise.all([import('./evidence.js'), import('../verdict/index.js')]).then(([e, v]) => ({ evidenceFrom: e.evidenceFrom, captureEnd: e.captureEnd, judgeCommand: v.judgeCommand }));
}

export async function auditCommand(options: CommandAuditOptions): Promise<CommandAudit> {
  const pipeline = loadPipeline();
  // Test attribution (src/runner/tests.ts): the pytest plugin's variables and log, in a temp dir of this run.
  const tests = testRunnerEnv(options.env ?? process.env, options.user);
  let built: SandboxedBuild;
  let testSpans: ReturnType<typeof readTestLog>;
  try {
    built = await buildInSandbox(Sandbox.create({ routes: options.observe?.routes, intercept: options.intercept }), {
      argv: options.argv,
      user: options.user,
      timeoutMs: options.timeoutMs,
      stdio: options.stdio,
      onOutput: options.onOutput,
      env: tests.env,
      cwd: options.cwd,
      signal: options.signal,
    }, options.observe);
    testSpans = readTestLog(tests.logPath, built.outcome.startMs);
  } finally {
    tests.remove();
  }
  const { outcome, captures, observed, teardown } = built;
  if (options.pcapDir) keepPcaps(options.pcapDir, captures.results);
  const { evidenceFrom, captureEnd, judgeCommand } = await pipeline;
  const evidence = await evidenceFrom(captures.results, {
    sentinel: captures.sentinel,
    nftLogged: captures.nftLogged,
    buildStartMs: outcome.startMs,
    tests: testSpans,
    observed,
  });
  const judged = judgeCommand({
    attempts: finalAttempts(evidence.attempts, { buildStartMs: outcome.startMs, tests: testSpans, intercepted: captures.intercepted }),
    end: {
      exitCode: outcome.exitCode,
      signal: outcome.signal,
      timedOut: outcome.timedOut,
      capture: captureEnd(evidence, observed),
    },
  });
  trace('analyzed');
  const result: BuildResult = {
    name: options.name ?? options.argv.join(' '),
    kind: 'command',
    command: [...options.argv],
    exitCode: outcome.exitCode,
    signal: outcome.signal,
    timedOut: outcome.timedOut,
    durationMs: outcome.durationMs,
    verdict: judged.verdict,
    attempts: judged.attempts,
    findings: judged.findings,
    capture: {
      ...evidence.stats,
      ...(options.pcapDir ? { files: captures.results.map((c) => path.join(options.pcapDir as string, `${c.source}.pcap`)) } : {}),
    },
    observer: observerStatus(options.observe, observed, judged.attempts),
    ...(options.intercept ? { intercepted: true, changes: [INTERCEPT_CHANGE] } : {}),
  };
  return { result, interrupted: outcome.interrupted, teardown };
}

export interface SandboxedBuild {
  readonly outcome: BuildOutcome;
  readonly captures: SandboxCaptures;
  /** What the syscall observer saw, when it ran for this build. */
  readonly observed?: Observed & { readonly lost: number; readonly complete: boolean };
  /** Teardown problems (should be empty). */
  readonly teardown: string[];
}

/**
 * The privileged middle of every audit: the build runs in the sandbox (once the observer, when there is
 * one, is attached and watching the build's namespace), whatever it left running is ended, the observer's
 * events and the captures are flushed and collected, and the sandbox is removed — always, also when
 * anything here throws. A sandbox made in route mode `dns` gets its routes back when the observer is
 * missing after all (src/runner/observe.ts).
 */
export async function buildInSandbox(sandboxReady: Promise<Sandbox>, build: BuildRunOptions, observe?: ObserverSession): Promise<SandboxedBuild> {
  trace('creating the sandbox');
  const sandbox = await sandboxReady;
  trace('sandbox ready');
  let outcome: BuildOutcome;
  let captures: SandboxCaptures;
  let observed: SandboxedBuild['observed'];
  let teardown: string[];
  try {
    const observer = observe ? await observe.ready : undefined;
    if (!observer && sandbox.routes !== 'all') await sandbox.routeEverything();
    const netns = observer ? netnsInodeOf(sandbox.buildNsPath) : 0;
    observer?.watch(netns);
    // Records in flight at watch() may be of the namespace that had this inode before.
    const watchedAtMs = Date.now();
    outcome = await runBuild(sandbox, build);
    trace('build ended');
    await sandbox.killBuildProcesses(1000);
    const buildEndMs = Date.now();
    if (observer) {
      const seen = await observer.collect(netns);
      observed = { events: seen.events.filter((e) => e.tsMs >= watchedAtMs), netns, buildEndMs, lost: seen.lost, complete: seen.complete };
      trace('observer events collected');
    }
    captures = await sandbox.collect();
    trace('captures collected');
  } finally {
    teardown = await sandbox.destroy();
    trace('sandbox removed');
  }
  return { outcome, captures, ...(observed ? { observed } : {}), teardown };
}

/** The report's `observer` block for one build. */
export function observerStatus(observe: ObserverSession | undefined, observed: SandboxedBuild['observed'], attempts: readonly Attempt[]): ObserverStatus {
  if (!observe) return { available: false, missing: ['turned off (--no-observe)'] };
  if (!observed) return observe.status();
  const mine = observed.events.filter((e) => e.netns === observed.netns && e.tsMs <= observed.buildEndMs).length;
  const notes: string[] = [];
  const dns = attempts.filter((a) => a.kind === 'dns' && a.outcome === 'dropped').length;
  if (dns) {
    notes.push(
      `${dns} DNS ${dns === 1 ? 'question' : 'questions'} got EPERM where network-sandbox gives ENETUNREACH: they are routed to be recorded, with their names, and dropped by nftables`,
    );
  }
  return observe.status({ events: mine, lost: observed.lost, complete: observed.complete }, notes);
}

export function keepPcaps(dir: string, results: SandboxCaptures['results']): void {
  mkdirSync(dir, { recursive: true });
  for (const c of results) writeFileSync(path.join(dir, `${c.source}.pcap`), c.pcap);
}
