/**
 * `netaudit run`: one command audited end to end. Sandbox up, captures ready, command run, leftovers ended,
 * captures flushed, sandbox down (always), then the pure stages: decode, analyze, judge.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BuildResult } from '../model/types.js';
import { runBuild, type BuildOutcome, type BuildRunOptions } from '../sandbox/build.js';
import { Sandbox, type SandboxCaptures } from '../sandbox/sandbox.js';
import type { UserSpec } from '../sandbox/user.js';
import { trace } from '../util/trace.js';
import { attributeTests } from '../analyze/tests.js';
import { readTestLog, testRunnerEnv } from './tests.js';

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
  return Promise.all([import('./evidence.js'), import('../verdict/index.js')]).then(([e, v]) => ({ evidenceFrom: e.evidenceFrom, judgeCommand: v.judgeCommand }));
}

export async function auditCommand(options: CommandAuditOptions): Promise<CommandAudit> {
  const pipeline = loadPipeline();
  // Test attribution (src/runner/tests.ts): the pytest plugin's variables and log, in a temp dir of this run.
  const tests = testRunnerEnv(options.env ?? process.env, options.user);
  let built: SandboxedBuild;
  let testSpans: ReturnType<typeof readTestLog>;
  try {
    built = await buildInSandbox(Sandbox.create(), {
      argv: options.argv,
      user: options.user,
      timeoutMs: options.timeoutMs,
      stdio: options.stdio,
      onOutput: options.onOutput,
      env: tests.env,
      cwd: options.cwd,
      signal: options.signal,
    });
    testSpans = readTestLog(tests.logPath, built.outcome.startMs);
  } finally {
    tests.remove();
  }
  const { outcome, captures, teardown } = built;
  // (end of test attribution set-up)
  if (options.pcapDir) keepPcaps(options.pcapDir, captures.results);
  const { evidenceFrom, judgeCommand } = await pipeline;
  const evidence = await evidenceFrom(captures.results, {
    sentinel: captures.sentinel,
    nftLogged: captures.nftLogged,
    buildStartMs: outcome.startMs,
    tests: testSpans,
  });
  const judged = judgeCommand({
    // attributeTests after any process attribution: with attempt.process it narrows to that process's tests.
    attempts: attributeTests(evidence.attempts, testSpans),
    end: {
      exitCode: outcome.exitCode,
      signal: outcome.signal,
      timedOut: outcome.timedOut,
      capture: { dropped: evidence.stats.dropped, undecodable: evidence.stats.undecodable ?? 0, incomplete: evidence.incomplete },
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
  };
  return { result, interrupted: outcome.interrupted, teardown };
}

export interface SandboxedBuild {
  readonly outcome: BuildOutcome;
  readonly captures: SandboxCaptures;
  /** Teardown problems (should be empty). */
  readonly teardown: string[];
}

/**
 * The privileged middle of every audit: the build runs in the sandbox, whatever it left running is ended, the
 * captures are flushed and collected, and the sandbox is removed — always, also when anything here throws.
 */
export async function buildInSandbox(sandboxReady: Promise<Sandbox>, build: BuildRunOptions): Promise<SandboxedBuild> {
  trace('creating the sandbox');
  const sandbox = await sandboxReady;
  trace('sandbox ready');
  let outcome: BuildOutcome;
  let captures: SandboxCaptures;
  let teardown: string[];
  try {
    outcome = await runBuild(sandbox, build);
    trace('build ended');
    await sandbox.killBuildProcesses(1000);
    captures = await sandbox.collect();
    trace('captures collected');
  } finally {
    teardown = await sandbox.destroy();
    trace('sandbox removed');
  }
  return { outcome, captures, teardown };
}

export function keepPcaps(dir: string, results: SandboxCaptures['results']): void {
  mkdirSync(dir, { recursive: true });
  for (const c of results) writeFileSync(path.join(dir, `${c.source}.pcap`), c.pcap);
}
