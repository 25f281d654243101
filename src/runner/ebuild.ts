/**
 * `netaudit ebuild`: ebuilds through real Portage. This module is the I/O around the judgement: temp dirs,
 * the shadow config root, the environment, the fetch outside the sandbox, the phases inside the build
 * namespace, finding the build log. Every rule about what the result means is in src/verdict/ebuild.ts.
 *
 * Per ebuild: distfiles are fetched outside the sandbox, as Portage does; then `ebuild FILE clean test install
 * clean` runs inside the build namespace with Portage's own network/ipc/pid/mount sandboxes off (netaudit's
 * namespace is the sandbox) and netaudit's phase-marker bashrc added beside the user's. ALLOW_TEST is the
 * user's configuration unless --allow-test overrides it.
 */
import { testRuns } from '../suggest/idiom.js';
import { chownSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { removeTree } from '../sandbox/shell.js';
import os from 'node:os';
import path from 'node:path';
import { ebuildName, type BuildResult, type Ebuild } from '../model/types.js';
import { explainResult } from '../analyze/explain.js';
import { failedTests } from '../analyze/test-outcomes.js';
import { INTERCEPT_CHANGE } from '../sandbox/intercept.js';
import { PACKETS_CHANGE } from '../sandbox/plan.js';
import { parsePhaseLog } from '../portage/hook.js';
import { CALLER_PATH } from '../portage/host.js';
import type { PortageInstall } from '../portage/locate.js';
import type { EbuildMeta } from '../portage/metadata.js';
import { makeShadowRoot } from '../portage/shadow.js';
import { tempDirPrefix } from '../sandbox/names.js';
import { Sandbox } from '../sandbox/sandbox.js';
import { resolveUser, type UserSpec } from '../sandbox/user.js';
import { execCapture } from '../proc/exec.js';
import { judgeEbuild, type EbuildJudgement, type EbuildPolicy } from '../verdict/index.js';
import { buildInSandbox, collectEvidence, keepEvidence, keepPcaps, observerStatus } from './command.js';
import type { ObserverSession } from './observe.js';
import type { AuditSession } from './session.js';
import { analyzeBuild } from '../analyze/build.js';
import { prepareTestLog, readTestRunnerLog } from './test-log.js';
import { trace } from '../util/trace.js';

export const SANDBOX_FEATURES_OFF = '-network-sandbox -ipc-sandbox -pid-sandbox -mount-sandbox';

export interface EbuildAuditOptions {
  readonly install: PortageInstall;
  readonly meta: EbuildMeta;
  /** Where Portage's build logs are kept (one per run). */
  readonly logDir: string;
  /**
   * ALLOW_TEST for the build when the user overrides it (--allow-test); absent: the configuration's, which
   * Portage reads itself (meta.allowTest says what it is).
   */
  readonly allowTest?: string;
  readonly timeoutMs?: number;
  readonly pcapDir?: string;
  /** Keep Portage's build dir after a failed build (default: removed with `ebuild FILE clean`). */
  readonly keepWorkdir?: boolean;
  /** Stream Portage's output here (default: only kept in the log). */
  readonly onOutput?: (chunk: Buffer) => void;
  readonly signal?: AbortSignal;
  /** A sandbox made ahead (while Portage read the metadata); this audit owns and removes it. */
  readonly sandbox?: Promise<Sandbox>;
  /** The syscall observer of this netaudit command (absent: packets only). */
  readonly observe?: ObserverSession;
  /**
   * Intercept mode (`netaudit ebuild --intercept`): the phases run in an intercepting sandbox, as `netaudit run
   * --intercept` does (src/sandbox/intercept.ts; the private resolv.conf is bound in the build's mount
   * namespace, which Portage's phases share when they drop to the portage user). Observation, not a
   * network-sandbox verdict: the build says `intercepted`. A sandbox made ahead must have been made so too.
   */
  readonly intercept?: boolean;
  /**
   * `--explain`: when the (faithful) build breaks, run it once more intercepted and add what that rerun saw
   * (`wanted` on the attempts it explains, the `explanation` block); never its verdict. Default: off here
   * (the `ebuild` command turns it on). Ignored in intercept mode.
   */
  readonly explain?: boolean;
  /**
   * Run Portage's phases through src_test only (`ebuild FILE clean test clean`, no src_install): --verify's runs
   * of a patch for a phase that broke before src_install, which src_install cannot change. Default: off.
   */
  readonly throughTest?: boolean;
  /**
   * Appended to the build's name in the file NETAUDIT_KEEP_EVIDENCE writes (--verify's runs: `.verify-CAUSE-ROUND`), so
   * that a verify run of the same ebuild does not overwrite the original's evidence. Default: none.
   */
  readonly evidenceSuffix?: string;
  /**
   * Called once the faithful build has ended (its sandbox is being removed, its evidence not read yet), with the
   * ebuild and its exit code: `netaudit ebuild --verify` makes the verify run's sandbox meanwhile. Not called
   * for an intercepted run.
   */
  readonly onBuildEnded?: (meta: EbuildMeta, exitCode: number | null) => void;
}

export interface EbuildAudit {
  readonly result: BuildResult;
  readonly interrupted: boolean;
  readonly teardown: string[];
}

function portageUser(): UserSpec | undefined {
  try {
    return resolveUser('portage');
  } catch {
    return undefined;
  }
}

/** The environment of every Portage call netaudit makes. */
export function portageEnv(install: PortageInstall, extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...install.env, PATH: CALLER_PATH, NOCOLOR: 'true', ...extra };
}

/** The ebuild's policy as Portage applies it with the ALLOW_TEST in effect. */
export function policyOf(meta: EbuildMeta, allowTest: string | undefined): EbuildPolicy {
  return { properties: meta.properties, restrict: meta.restrict, allowTest: (allowTest ?? meta.allowTest).split(/\s+/).filter(Boolean) };
}

/** What netaudit changed in the build's configuration, said plainly (the report's `changes`). */
function changesOf(options: EbuildAuditOptions): string[] {
  const { meta, allowTest } = options;
  return [
    ...(options.intercept ? [INTERCEPT_CHANGE] : []),
    `FEATURES+="${SANDBOX_FEATURES_OFF}" (netaudit's namespace is the sandbox)`,
    allowTest !== undefined
      ? `ALLOW_TEST=${allowTest} (--allow-test; the configuration has ${meta.allowTest ? `ALLOW_TEST=${meta.allowTest}` : 'none'})`
      : `ALLOW_TEST as configured (${meta.allowTest ? meta.allowTest : 'empty'})`,
    "bashrc: netaudit's phase markers added; the user's own bashrc is sourced first",
    "src_test: netaudit's pytest plugin directory first on PYTHONPATH (its sitecustomize.py loads a plugin that logs which test runs when, and runs the sitecustomize it shadows)",
    `PORTAGE_LOGDIR=${options.logDir}/${meta.category}`,
    'distfiles fetched outside the sandbox first, as Portage does',
  ];
}

/** The report's ebuild block. */
function ebuildBlock(meta: EbuildMeta): Ebuild {
  return {
    category: meta.category,
    package: meta.package,
    version: meta.version,
    path: meta.path,
    eapi: meta.eapi,
    properties: meta.properties,
    restrict: meta.restrict,
  };
}

/** A build result of an ebuild from its judgement and how the run went. */
function ebuildResult(
  ebuild: Ebuild,
  judged: EbuildJudgement,
  run: Pick<BuildResult, 'command' | 'exitCode' | 'durationMs' | 'capture'> & Partial<Pick<BuildResult, 'signal' | 'timedOut' | 'log' | 'changes' | 'observer' | 'intercepted' | 'failedTests'>>,
): BuildResult {
  return {
    name: ebuildName(ebuild),
    kind: 'ebuild',
    command: run.command,
    exitCode: run.exitCode,
    ...(run.signal !== undefined ? { signal: run.signal } : {}),
    ...(run.timedOut !== undefined ? { timedOut: run.timedOut } : {}),
    durationMs: run.durationMs,
    verdict: judged.verdict,
    attempts: judged.attempts,
    findings: judged.findings,
    capture: run.capture,
    ...(judged.interfaceQueries.length ? { interfaceQueries: judged.interfaceQueries } : {}),
    ...(run.observer !== undefined ? { observer: run.observer } : {}),
    ebuild,
    ...(run.log !== undefined ? { log: run.log } : {}),
    ...(judged.phases.length ? { phases: judged.phases.map(roundPhase) } : {}),
    ...(run.changes !== undefined ? { changes: run.changes } : {}),
    ...(run.intercepted ? { intercepted: true } : {}),
    ...(run.failedTests !== undefined ? { failedTests: run.failedTests } : {}),
  };
}

/** Report phases: whole milliseconds, never before the build started. */
function roundPhase<P extends { startMs: number; endMs?: number }>(p: P): P {
  const ms = (t: number) => Math.max(0, Math.round(t));
  return { ...p, startMs: ms(p.startMs), ...(p.endMs !== undefined ? { endMs: ms(p.endMs) } : {}) };
}

/** The result for an ebuild Portage cannot read (a sweep records it instead of stopping). */
export function metadataFailureResult(ebuild: Ebuild, error: string): BuildResult {
  const judged = judgeEbuild({ attempts: [], phases: [], log: '', policy: { properties: [], restrict: [], allowTest: [] }, outcome: { stage: 'metadata', error } });
  return ebuildResult(ebuild, judged, { command: [], exitCode: null, durationMs: 0, capture: { packets: 0, dropped: 0 } });
}

/**
 * Whether the intercepted rerun of `--explain` would add what a suggestion needs and the faithful run could not
 * see (pure). Not when there is no blocked attempt, nor when every blocked attempt is in src_test and named (a
 * lookup with its name; a connect or datagram has its address): the fix there deselects the tests or declares
 * test_network, which needs no `wanted`, while the rerun would cost one more Portage run. A blocked attempt in
 * another phase (a download: its SRC_URI patch needs the URL the rerun asks for) or a lookup the faithful run
 * could not name (Go's resolver, c-ares: the rerun recovers the name) is worth the rerun.
 */
export function explainAdds(result: Pick<BuildResult, 'attempts'>): boolean {
  const blocked = result.attempts.filter((a) => !a.allowed);
  if (!blocked.length) return false;
  return blocked.some((a) => a.phase !== 'src_test' || (a.kind === 'dns' && !a.hostname));
}

/**
 * One ebuild audited; with `explain` (and not `intercept`), a breaking one is then run once more intercepted
 * and the faithful result gets what that rerun saw (explainResult). The rerun never changes the verdict, the
 * findings, the outcomes or the exit code; a build that does not break is never rerun, nor one where the rerun
 * adds nothing a suggestion needs (explainAdds).
 */
export async function auditEbuild(options: EbuildAuditOptions): Promise<EbuildAudit> {
  const faithful = await auditEbuildOnce(options);
  if (!options.explain || options.intercept || faithful.interrupted || faithful.result.verdict !== 'breaks' || options.signal?.aborted) return faithful;
  // Broken only by finding no interface but lo (NoNetworkInterface): no attempt for an intercepted rerun to explain;
  // or every blocked attempt named already, where the fix (deselecting tests) needs nothing the rerun would add.
  if (!explainAdds(faithful.result)) return faithful;
  let rerun: EbuildAudit;
  const started = performance.now();
  try {
    rerun = await auditEbuildOnce({
      ...options,
      intercept: true,
      explain: false,
      sandbox: undefined,
      ...(options.pcapDir ? { pcapDir: path.join(options.pcapDir, 'explain') } : {}),
    });
  } catch (e) {
    // The faithful result stands; the report says why there is no explanation (python3 missing, ...).
    const error = e instanceof Error ? e.message : String(e);
    return { ...faithful, result: explainResult(faithful.result, undefined, { error, durationMs: Math.round(performance.now() - started) }) };
  }
  return {
    result: explainResult(faithful.result, rerun.result),
    interrupted: rerun.interrupted,
    teardown: [...faithful.teardown, ...rerun.teardown],
  };
}

/** The sandbox an audit of `options` runs in when none was made ahead (a caller may make it ahead with this). */
export function auditSandbox(options: Pick<EbuildAuditOptions, 'observe' | 'intercept'>): Promise<Sandbox> {
  return Sandbox.create({ kind: options.observe?.kind, intercept: options.intercept });
}

async function auditEbuildOnce(options: EbuildAuditOptions): Promise<EbuildAudit> {
  const { install, meta } = options;
  const policy = policyOf(meta, options.allowTest);
  const changes = changesOf(options);
  const portage = portageUser();
  const work = mkdtempSync(path.join(os.tmpdir(), tempDirPrefix(meta.pf)));
  const logDir = path.join(options.logDir, meta.category);
  mkdirSync(logDir, { recursive: true });
  if (portage) {
    chownSync(logDir, portage.uid, portage.gid);
    chmodSync(logDir, 0o2775);
  }
  const before = new Set(readdirSync(logDir));
  const userFeatures = process.env.FEATURES ? `${process.env.FEATURES} ` : '';
  // The removal of `work` (and of a failed build's build dir), started once nothing reads them any more: it runs
  // beside the analysis and the sandbox's removal instead of after them.
  let removing: Promise<void> | undefined;
  let buildDirRemoved: Promise<void> = Promise.resolve();
  try {
    trace('audit: set-up');
    const shadow = makeShadowRoot(work, install.configRoot, portage);
    // Test attribution: the bashrc hands these to src_test's pytest (src/runner/tests.ts).
    const testLog = prepareTestLog(work, portage);
    const env = portageEnv(install, {
      PORTAGE_CONFIGROOT: shadow.configRoot,
      FEATURES: `${userFeatures}${SANDBOX_FEATURES_OFF}`,
      PORTAGE_LOGDIR: logDir,
      ...(options.allowTest !== undefined ? { ALLOW_TEST: options.allowTest } : {}),
      NETAUDIT_PHASE_LOG: shadow.phaseLog,
      NETAUDIT_USER_BASHRC: shadow.userBashrc ?? '',
      NETAUDIT_TEST_LOG: testLog.logPath,
      NETAUDIT_PYTEST_DIR: testLog.pluginDir,
    });

    trace('audit: shadow root and test log ready');
    // 1. Fetch, outside the sandbox (Portage's fetcher runs outside every phase).
    if (meta.srcUri.trim()) {
      const argv = [install.ebuild, meta.path, 'fetch'];
      const fetch = await execCapture(argv, { env });
      if (fetch.code !== 0) {
        const teardown = options.sandbox ? await (await options.sandbox).destroy() : [];
        const judged = judgeEbuild({ attempts: [], phases: [], log: '', policy, outcome: { stage: 'fetch', output: fetch.stdout + fetch.stderr } });
        const result = ebuildResult(ebuildBlock(meta), judged, {
          command: argv,
          exitCode: 1,
          durationMs: 0,
          capture: { packets: 0, dropped: 0 },
          changes,
        });
        return { result, interrupted: false, teardown };
      }
    }

    // 2. The phases, inside the build namespace.
    const argv = [install.ebuild, meta.path, 'clean', 'test', ...(options.throughTest ? [] : ['install']), 'clean'];
    const built = await buildInSandbox(options.sandbox ?? auditSandbox(options), {
      argv,
      env,
      stdio: 'pipe',
      onOutput: (b) => options.onOutput?.(b),
      timeoutMs: options.timeoutMs,
      signal: options.signal,
    }, options.observe);
    const { end, captures, teardown } = built;
    if (!options.intercept) options.onBuildEnded?.(meta, end.exitCode);
    if (options.pcapDir) keepPcaps(options.pcapDir, captures.results);
    // A failed build leaves Portage's build dir behind (the trailing `clean` never ran): remove it, as `ebuild
    // FILE clean` would, without starting Portage once more (1-1.5 s of Python per failed build); beside reading
    // the evidence (which is not in it), awaited before this audit returns (a verify run of the same package
    // uses the same build dir). `work` goes after it (its fallback, Portage's own clean, reads the shadow root).
    if (end.exitCode !== 0 && !options.keepWorkdir) buildDirRemoved = removeBuildDir(install, meta, env).then(() => trace('audit: build dir removed'));
    // Its failure is this audit's, reported where it is awaited (below); never an unhandled rejection meanwhile.
    buildDirRemoved.catch(() => undefined);
    const logFile = readdirSync(logDir).filter((f) => !before.has(f) && f.startsWith(`${meta.category}:${meta.pf}:`)).sort().pop();
    const logPath = logFile ? path.join(logDir, logFile) : undefined;
    const { spans, declaredMarkers } = readTestRunnerLog(testLog.logPath, end.startMs);
    const evidence = await collectEvidence(built, {
      phases: parsePhaseLog(readFileSync(shadow.phaseLog, 'utf8'), end.startMs),
      tests: spans,
      ...(declaredMarkers ? { declaredMarkers } : {}),
      log: logPath && existsSync(logPath) ? readFileSync(logPath, 'utf8') : '',
    });
    // Everything of `work` is read (the phase log, the test log): its removal starts, after the build dir's.
    removing = afterSettled(buildDirRemoved, () => removeTree(work));
    trace('audit: evidence collected');
    await keepEvidence(`${meta.category}_${meta.pf}${options.intercept ? '.intercepted' : ''}${options.evidenceSuffix ?? ''}`, evidence);
    const analysis = analyzeBuild(evidence);
    const judged = judgeEbuild({
      attempts: analysis.attempts,
      phases: evidence.phases ?? [],
      interfaceQueries: analysis.interfaceQueries,
      log: evidence.log ?? '',
      policy,
      outcome: { stage: 'build', exitCode: end.exitCode, signal: end.signal, timedOut: end.timedOut, capture: analysis.gaps },
    });
    const result = ebuildResult(ebuildBlock(meta), judged, {
      command: argv,
      exitCode: end.exitCode,
      signal: end.signal,
      timedOut: end.timedOut,
      durationMs: end.durationMs,
      capture: { ...analysis.capture },
      ...(logPath ? { log: logPath } : {}),
      changes: built.kind === 'packets' && !options.intercept ? [PACKETS_CHANGE, ...changes] : changes,
      observer: observerStatus(options.observe, built.tracer),
      ...(options.intercept ? { intercepted: true } : {}),
      failedTests: failedTests(evidence.tests),
    });
    // The tests src_test ran, with outcome and markers: what a test suggestion counts (src/suggest/idiom.ts).
    const tests = testRuns(evidence.tests);
    const withTests = tests.length ? { ...result, tests, ...(evidence.declaredMarkers ? { declaredMarkers: evidence.declaredMarkers } : {}) } : result;
    trace('audit: judged');
    const [problems] = await Promise.all([teardown, buildDirRemoved]);
    return { result: withTests, interrupted: end.interrupted, teardown: problems };
  } finally {
    await (removing ?? afterSettled(buildDirRemoved, () => removeTree(work)));
  }
}

/** `next()` once `first` has settled, whether it was fulfilled or rejected. */
function afterSettled(first: Promise<unknown>, next: () => Promise<void>): Promise<void> {
  return first.then(next, next);
}

/**
 * Remove the build dir a failed build left behind. The directory Portage named in the metadata query is
 * removed directly when it has exactly Portage's shape (absolute, .../portage/CATEGORY/PF), else (an older
 * metadata record, an odd PORTAGE_TMPDIR) Portage's own `ebuild FILE clean` does it.
 */
async function removeBuildDir(install: PortageInstall, meta: EbuildMeta, env: NodeJS.ProcessEnv): Promise<void> {
  const dir = meta.buildDir;
  const shaped = dir !== undefined && path.isAbsolute(dir) && dir === path.join(path.dirname(path.dirname(path.dirname(dir))), 'portage', meta.category, meta.pf);
  if (!shaped) {
    await execCapture([install.ebuild, meta.path, 'clean'], { env });
    return;
  }
  await removeTree(dir);
  // Portage's clean also drops the category dir once it is empty (other builds may still use it: only then).
  try {
    rmdirSync(path.dirname(dir));
  } catch {
    /* not empty, or gone */
  }
}

export interface EbuildsAuditOptions extends Omit<EbuildAuditOptions, 'meta' | 'sandbox' | 'pcapDir' | 'observe' | 'signal'> {
  readonly metas: readonly EbuildMeta[];
  /** Keep each ebuild's raw captures in DIR/category/PF/. */
  readonly pcapDir?: string;
  /** The command's session: its signal and tracer, the sandbox it made ahead (for the first ebuild), its teardown printer. */
  readonly session: AuditSession;
  /** Each result as soon as it is known. */
  readonly onResult?: (result: BuildResult) => void;
}

/**
 * Several ebuilds, one after the other, each in its own sandbox (the first may be made ahead). Stops at an
 * interruption (the results so far are returned, `interrupted` set); a sandbox made ahead and not used is
 * removed on every path.
 */
export async function auditEbuilds(options: EbuildsAuditOptions): Promise<{ results: BuildResult[]; interrupted: boolean }> {
  const { metas, onResult, session, pcapDir, ...common } = options;
  const { signal, observe } = session;
  let ahead = session.takeSandbox();
  const results: BuildResult[] = [];
  let interrupted = false;
  try {
    for (const meta of metas) {
      if (signal.aborted) {
        interrupted = true;
        break;
      }
      const audit = await auditEbuild({
        ...common,
        meta,
        signal,
        observe,
        ...(pcapDir ? { pcapDir: path.join(pcapDir, meta.category, meta.pf) } : {}),
        ...(ahead ? { sandbox: ahead } : {}),
      });
      ahead = undefined;
      session.teardownProblems(audit.teardown);
      if (audit.interrupted) {
        interrupted = true;
        break;
      }
      results.push(audit.result);
      onResult?.(audit.result);
    }
  } finally {
    if (ahead) await ahead.then((s) => s.destroy(), () => undefined);
  }
  return { results, interrupted: interrupted || signal.aborted };
}
