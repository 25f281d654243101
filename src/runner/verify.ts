/**
 * `--verify`: each suggestion with a patch is applied to a scratch copy of the ebuild's repository (never the
 * user's files) and the patched ebuild is audited again, through Portage, as the original was. The copy holds
 * only what Portage needs of the repository: profiles/, metadata/, eclass/, licenses/ and the package's
 * directory (its ebuilds, files/, Manifest); the scratch directory is removed on every path.
 *
 * Verified as a maintainer judges a fix (judgeVerification): the tests that failed for the network no longer run
 * or no longer fail; every phase that broke passes (or, for PROPERTIES=test_network + RESTRICT=test, src_test is
 * skipped as the suggestion intends), or fails only for its baseline (tests that fail with the network cut and
 * touch none, before the patch as after: reported, not blamed on the patch); attempts left by tests that pass are
 * listed as leaks. A verify run that names a failing test the patch missed widens the patch and runs again
 * (VERIFY_ROUNDS at most, each round reported).
 */
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { endpoint, formatDuration } from '../model/format.js';
import type { Attempt, BuildResult, Suggestion, VerificationRound } from '../model/types.js';
import type { EbuildMeta } from '../portage/metadata.js';
import { readMetadata } from '../portage/metadata.js';
import { applyPatch } from '../suggest/diff.js';
import { suggest } from '../suggest/index.js';
import type { PortageInstall } from '../portage/locate.js';
import { execCapture } from '../proc/exec.js';
import { auditEbuild, auditSandbox, portageEnv, type EbuildAuditOptions } from './ebuild.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import { trace } from '../util/trace.js';

/** What of a repository a scratch copy holds, besides the package's directory. */
export const REPO_PARTS = ['profiles', 'metadata', 'eclass', 'licenses'] as const;

export type VerifyOptions = Omit<EbuildAuditOptions, 'meta' | 'sandbox' | 'pcapDir' | 'keepWorkdir' | 'onBuildEnded'> & {
  /**
   * A sandbox made ahead for a verify run (while the audit's evidence was analysed), taken by the first verify run
   * that asks; undefined when there is none (left): the run makes its own.
   */
  readonly takeSandbox?: () => Promise<Sandbox> | undefined;
  /** Each teardown problem (should never happen). */
  readonly onTeardownProblem?: (problem: string) => void;
};

/** A scratch copy of the repository of `meta`, with the package's ebuild patched; returns the copy's ebuild path. */
export function scratchCopy(meta: Pick<EbuildMeta, 'repoPath' | 'category' | 'package' | 'path'>, scratch: string, patch: string): string {
  const repo = path.join(scratch, path.basename(meta.repoPath) || 'repo');
  for (const part of REPO_PARTS) {
    const from = path.join(meta.repoPath, part);
    if (existsSync(from)) cpSync(from, path.join(repo, part), { recursive: true });
  }
  const pkg = path.join(meta.category, meta.package);
  cpSync(path.join(meta.repoPath, pkg), path.join(repo, pkg), { recursive: true });
  const ebuild = path.join(repo, pkg, path.basename(meta.path));
  writeFileSync(ebuild, applyPatch(readFileSync(ebuild, 'utf8'), patch));
  return ebuild;
}

/**
 * Whether `s`'s patch leaves the ebuild's metadata as it was, so that the verify run can take the original's
 * instead of asking Portage again (a Python start and Portage's config: 300-400 ms of every verify run). True
 * only for the test suggestions that remove tests inside the ebuild's functions and arrays (EPYTEST_DESELECT,
 * `epytest -m/-k`, perl_rm_files, a unittest rename), when no line the patch adds or removes assigns a
 * variable other than the test runners' own, inherits, calls distutils_enable_*, or defines a phase function:
 * everything Portage's metadata (RESTRICT, PROPERTIES, IUSE, SRC_URI, DEFINED_PHASES, ...) is made of.
 */
export function keepsMetadata(s: Pick<Suggestion, 'cause' | 'idiom' | 'patch'>): boolean {
  if (s.cause !== 'deselect-tests' && s.cause !== 'leak-tests') return false;
  if (s.idiom === 'declare' || !s.patch) return false;
  const changed = s.patch
    .split('\n')
    .filter((l) => /^[+-]/.test(l) && !/^(?:\+\+\+|---) /.test(l))
    .map((l) => l.slice(1));
  return !changed.some((l) => METADATA_LINE.test(l) || (ASSIGNMENT.test(l) && !TEST_RUNNER_VARIABLE.test(l)));
}

/** A global assignment (`NAME=`, `NAME+=`, possibly exported or declared). */
const ASSIGNMENT = /^\s*(?:(?:export|declare|local|readonly)(?:\s+-\w+)*\s+)?[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?\+?=/;
/** The test runners' own variables (arrays of tests to skip or ignore), inside or outside functions. */
const TEST_RUNNER_VARIABLE = /^\s*(?:local\s+)?(?:EPYTEST_[A-Z_]+|EUNITTEST_[A-Z_]+)\+?=/;
/** What changes metadata without an assignment: inherit, the eclasses' enable functions, a phase function. */
const METADATA_LINE = /^\s*(?:inherit\b|distutils_enable_\w+|(?:src|pkg)_[a-z_]+\s*\(\s*\))/;

/** The variables a `declare` or `test-network` patch adds plain tokens to. */
const DECLARED = ['PROPERTIES', 'RESTRICT'] as const;
/** A plain token list, as Portage writes PROPERTIES/RESTRICT without a USE conditional (`test? ( ... )`, `!test? ( ... )`). */
const PLAIN_TOKENS = /^[\w\s+.-]*$/;
/** `PROPERTIES="..."`, `RESTRICT+=" ..."` on one line, a plain token list, perhaps a comment after it. */
const DECLARED_LINE = /^(PROPERTIES|RESTRICT)\+?="([\w\s+.-]*)"\s*(?:#.*)?$/;

/**
 * The patched copy's PROPERTIES and RESTRICT as Portage would read them, when `s`'s patch only adds plain tokens to
 * them (a `declare` or `test-network` suggestion: PROPERTIES="test_network" + RESTRICT="test", src/suggest/ebuild-text.ts
 * addTokens) and the values Portage read of the original hold no USE conditional: then the effective values are
 * the original's and the tokens added, whatever USE is (RESTRICT=test takes USE=test away; with no conditional
 * that changes nothing), so the verify run needs no second metadata query (a Python start and Portage's config:
 * 300-500 ms). Undefined when anything else may change (any other line, a token removed, a conditional): Portage is
 * asked then.
 */
export function declaredMetadata(
  meta: Pick<EbuildMeta, 'properties' | 'restrict' | 'rawProperties' | 'rawRestrict'>,
  s: Pick<Suggestion, 'cause' | 'idiom' | 'patch'>,
): Pick<EbuildMeta, 'properties' | 'restrict' | 'rawProperties' | 'rawRestrict'> | undefined {
  if (!s.patch || !(s.cause === 'test-network' || s.idiom === 'declare')) return undefined;
  if (!PLAIN_TOKENS.test(meta.rawProperties) || !PLAIN_TOKENS.test(meta.rawRestrict)) return undefined;
  const tokens = { PROPERTIES: { added: new Set<string>(), removed: new Set<string>() }, RESTRICT: { added: new Set<string>(), removed: new Set<string>() } };
  for (const line of s.patch.split('\n')) {
    if (!/^[+-]/.test(line) || /^(?:\+\+\+|---) /.test(line)) continue;
    const text = line.slice(1);
    if (!text.trim()) continue;
    const m = DECLARED_LINE.exec(text);
    if (!m) return undefined;
    const side = tokens[m[1] as (typeof DECLARED)[number]];
    for (const t of (m[2] as string).split(/\s+/).filter(Boolean)) (line.startsWith('+') ? side.added : side.removed).add(t);
  }
  const out = { properties: [...meta.properties], restrict: [...meta.restrict], rawProperties: meta.rawProperties, rawRestrict: meta.rawRestrict };
  for (const name of DECLARED) {
    const { added, removed } = tokens[name];
    if ([...removed].some((t) => !added.has(t))) return undefined;
    const key = name === 'PROPERTIES' ? 'properties' : 'restrict';
    const raw = name === 'PROPERTIES' ? 'rawProperties' : 'rawRestrict';
    for (const t of added) {
      if (removed.has(t) || out[key].includes(t)) continue;
      out[key].push(t);
      out[raw] = out[raw].trim() ? `${out[raw].trim()} ${t}` : t;
    }
  }
  return out;
}

/** The original's metadata for its patched copy in `scratch` (keepsMetadata): the same but for where it is. */
function copiedMeta(meta: EbuildMeta, scratch: string, ebuild: string): EbuildMeta {
  return { ...meta, arg: ebuild, path: ebuild, repoPath: path.join(scratch, path.basename(meta.repoPath) || 'repo') };
}

/** The phases that broke: those of PhaseFailed findings, else those of the blocked attempts. */
export function brokenPhases(b: BuildResult): string[] {
  const failed = b.findings.filter((f) => f.keyword === 'PhaseFailed' && f.phase).map((f) => f.phase as string);
  const blocked = b.attempts.filter((a) => !a.allowed && a.phase).map((a) => a.phase as string);
  return [...new Set(failed.length ? failed : blocked)];
}

function briefly(a: Attempt): string {
  const where = a.kind === 'dns' ? `${a.hostname ?? a.address} (${a.qtype ?? 'dns'})` : `${a.kind} ${a.kind === 'unix' ? a.address : endpoint(a.address, a.port)}`;
  return `${where} in ${a.phase ?? 'an unknown phase'}${a.test ? ` (${a.test})` : ''}`;
}

const FAILED: ReadonlySet<string> = new Set(['failed', 'error']);

/**
 * The tests of `b` that failed or errored: its `failedTests` (the pytest plugin's outcomes) and the tests of
 * attempts whose `testOutcome` says so; undefined when the run has neither (no test ran under the plugin).
 */
export function failedTestsOf(b: Pick<BuildResult, 'failedTests' | 'attempts'>): Set<string> | undefined {
  const fromAttempts = b.attempts
    .map((a) => a as Attempt & { readonly testOutcome?: string })
    .filter((a) => a.test && a.testOutcome !== undefined);
  if (!b.failedTests && !fromAttempts.length) return undefined;
  return new Set([...(b.failedTests ?? []), ...fromAttempts.filter((a) => FAILED.has(a.testOutcome as string)).map((a) => a.test as string)]);
}

/** Distinct items, at most `max`, then `and N more`. */
function some(items: readonly string[], max = 4): string {
  const all = [...new Set(items)];
  return all.slice(0, max).join(', ') + (all.length > max ? ` and ${all.length - max} more` : '');
}

/** The judgement of one verify run, with what the next round needs. */
export interface VerificationJudgement extends Pick<Suggestion, 'verified' | 'verification' | 'baseline' | 'leaks'> {
  readonly verified: boolean;
  readonly verification: string;
  /**
   * Blocked attempts of the verify run made by tests that failed there and that the patch does not address: a
   * network failure the patch missed (the next round adds their tests).
   */
  readonly missed?: readonly Attempt[];
}

/**
 * The judgement of a re-run, as a maintainer judges a fix (pure). Verified when every phase that broke now
 * passes, or is skipped as a test_network suggestion intends, or fails only for its baseline: tests that fail
 * in the patched copy's run without a blocked attempt and failed so in the original run too (a suite that also
 * fails for reasons that have nothing to do with the network). Blocked attempts left by tests that pass (or in
 * a phase that passes) are leaks: listed, not a failure. A blocked attempt of a test that fails is a network
 * failure left: one of a test the patch addressed means the patch did not take; one of another test was missed
 * (`missed`: verifySuggestions adds it and verifies again). `patched`: the tests the patch addresses (default:
 * the tests of the original's blocked attempts).
 */
export function judgeVerification(original: BuildResult, rerun: BuildResult, cause: Suggestion['cause'], patched?: readonly string[]): VerificationJudgement {
  const problems: string[] = [];
  const passed: string[] = [];
  const addressed = new Set(patched ?? original.attempts.filter((a) => !a.allowed && a.test).map((a) => a.test as string));
  const failedNow = failedTestsOf(rerun);
  const failedBefore = failedTestsOf(original);
  const ranOk = (phase: string | undefined) => Boolean(phase) && (rerun.phases ?? []).some((p) => p.name === phase) && (rerun.phases ?? []).every((p) => p.name !== phase || p.exitCode === 0);

  // The blocked attempts left: a network failure (its test fails), a leak (its test, or its phase, passes), or unknown.
  const remain: Attempt[] = [];
  const missed: Attempt[] = [];
  const leaks: Attempt[] = [];
  for (const a of rerun.attempts.filter((x) => !x.allowed)) {
    const testFailed = a.test && failedNow ? failedNow.has(a.test) : undefined;
    if (testFailed === true) (addressed.has(a.test as string) ? remain : missed).push(a);
    else if (testFailed === false || ranOk(a.phase)) leaks.push(a);
    else remain.push(a);
  }
  const networkTests = new Set([...remain, ...missed].map((a) => a.test).filter((t): t is string => Boolean(t)));
  // Failing tests that touched no network: the baseline when they failed so before the patch too.
  const quiet = [...(failedNow ?? [])].filter((t) => !networkTests.has(t) && !leaks.some((a) => a.test === t)).sort();
  const blockedBefore = new Set(original.attempts.filter((a) => !a.allowed && a.test).map((a) => a.test as string));
  const baseline = quiet.filter((t) => failedBefore?.has(t) && !blockedBefore.has(t));
  const fresh = quiet.filter((t) => !baseline.includes(t));

  for (const name of brokenPhases(original)) {
    const ran = (rerun.phases ?? []).filter((p) => p.name === name);
    const skipped = name === 'src_test' && cause === 'test-network' && rerun.findings.some((f) => f.keyword === 'TestsSkipped');
    const exit = ran.find((p) => p.exitCode !== 0)?.exitCode;
    if (skipped) passed.push(`${name} skipped (RESTRICT=test)`);
    else if (!ran.length) problems.push(`${name} did not run`);
    else if (!ran.some((p) => p.exitCode !== 0)) passed.push(`${name} passes`);
    else if (name === 'src_test' && baseline.length && !fresh.length && !remain.length && !missed.length) {
      passed.push(`${name} fails (exit ${exit ?? 'unknown'}) only for its baseline: ${baseline.length} test(s) that fail without touching the network, as before the patch`);
    } else problems.push(`${name} still fails (exit ${exit ?? 'unknown'})`);
  }
  // A re-run that never reached the phases (fetch, metadata): what Portage said, not only "did not run".
  for (const f of rerun.findings.filter((x) => x.keyword === 'FetchFailed' || x.keyword === 'MetadataError')) {
    problems.push(`${f.message}${f.logLines?.length ? `: ${f.logLines.slice(0, 2).join(' / ')}` : ''}`);
  }
  if (remain.length) problems.push(`${remain.length} blocked attempt(s) remain: ${some(remain.map(briefly))}`);
  if (missed.length) problems.push(`the patch missed ${new Set(missed.map((a) => a.test)).size} failing test(s) that tried the network: ${some(missed.map(briefly))}`);
  if (fresh.length) problems.push(`${fresh.length} test(s) fail now that did not fail without the network before: ${some(fresh)}`);
  const notes: string[] = [];
  if (baseline.length) notes.push(`baseline (fails with the network cut, touches none, not the patch's doing): ${some(baseline)}`);
  if (leaks.length) notes.push(`${leaks.length} attempt(s) left by tests that pass (leaks): ${some(leaks.map(briefly))}`);
  const head = `patched copy audited (${formatDuration(rerun.durationMs)}): verdict ${rerun.verdict}`;
  const extra = {
    ...(baseline.length ? { baseline } : {}),
    ...(leaks.length ? { leaks: [...new Set(leaks.map(briefly))] } : {}),
    ...(missed.length ? { missed } : {}),
  };
  if (problems.length) return { verified: false, verification: [head, ...passed, ...problems, ...notes].join('; '), ...extra };
  const clean = remain.length + leaks.length ? [] : ['no blocked attempt'];
  return { verified: true, verification: [head, ...passed, ...clean, ...notes].join('; '), ...extra };
}

/** `ebuild FILE manifest` for a scratch copy: undefined when it worked, else the last lines Portage printed. */
async function writeManifest(install: PortageInstall, ebuild: string): Promise<string | undefined> {
  const r = await execCapture([install.ebuild, ebuild, 'manifest'], { env: portageEnv(install, {}) });
  if (r.code === 0) return undefined;
  const lines = `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.slice(-3).join(' / ') || `exit ${r.code}`;
}

/** The sandboxed phases `ebuild FILE test` runs, in order: a patch for one of them is verified without src_install. */
const BEFORE_INSTALL: readonly string[] = ['src_unpack', 'src_prepare', 'src_configure', 'src_compile', 'src_test'];

/** At most this many verify runs per suggestion: the first, then one per widening of the patch. */
export const VERIFY_ROUNDS = 3;

/** The tests a suggestion's patch addresses: those of its attempts (of `build`). */
function testsOf(build: BuildResult, s: Suggestion): string[] {
  return [...new Set((s.attempts ?? []).map((i) => build.attempts[i]?.test).filter((t): t is string => Boolean(t)))];
}

/**
 * The suggestion `s` widened by the network failures a verify run named and the patch missed (pure): the
 * suggestion engine run again on the original build with those attempts added, the suggestion of the same cause
 * kept. Its `attempts` index only the build's own attempts (the added ones are the verify run's). Undefined when
 * the engine gives no different patch.
 */
export function widenSuggestion(build: BuildResult, ebuildText: string, s: Suggestion, missed: readonly Attempt[]): Suggestion | undefined {
  const widened: BuildResult = { ...build, attempts: [...build.attempts, ...missed] };
  const again = suggest(widened, ebuildText).find((x) => x.cause === s.cause && x.patch);
  if (!again?.patch || again.patch === s.patch) return undefined;
  return { ...again, attempts: (again.attempts ?? []).filter((i) => i < build.attempts.length) };
}

/**
 * Verify every suggestion of `build` that has a patch; the others are returned as they are. When a verify run
 * names failing tests that tried the network and the patch missed, the patch is widened by them and verified
 * again, at most VERIFY_ROUNDS runs in all, each round reported (`rounds`) when there was more than one.
 */
export async function verifySuggestions(build: BuildResult, meta: EbuildMeta, suggestions: readonly Suggestion[], options: VerifyOptions): Promise<Suggestion[]> {
  const out: Suggestion[] = [];
  let ebuildText: string | undefined;
  for (const first of suggestions) {
    if (!first.patch || options.signal?.aborted) {
      out.push(first);
      continue;
    }
    let s = first;
    const rounds: VerificationRound[] = [];
    let added: string[] = [];
    let patched = testsOf(build, s);
    let last: VerifiedRound | 'interrupted' | undefined;
    for (let round = 1; round <= VERIFY_ROUNDS; round++) {
      last = await verifyOnce(build, meta, s, patched, { ...options, evidenceSuffix: `.verify-${first.cause}-${round}` });
      if (last === 'interrupted') break;
      rounds.push({ round, added, verified: last.verified, verification: last.verification });
      if (last.verified || !last.missed?.length || round === VERIFY_ROUNDS || options.signal?.aborted) break;
      ebuildText ??= readFileSync(meta.path, 'utf8');
      const missed = last.missed ?? [];
      const wider = widenSuggestion(build, ebuildText, s, missed);
      if (!wider) break;
      const before = new Set(testsOf(build, s));
      added = [...new Set(missed.map((a) => a.test).filter((t): t is string => Boolean(t) && !before.has(t as string)))].sort();
      patched = [...new Set([...testsOf(build, wider), ...patched, ...added])];
      s = wider;
    }
    if (last === undefined || last === 'interrupted') {
      // Interrupted: the suggestion as it was, unverified (a round already judged stays reported).
      out.push(rounds.length > 1 ? { ...first, rounds } : first);
      continue;
    }
    const { missed: _missed, ...judged } = last;
    out.push({ ...s, ...judged, ...(rounds.length > 1 ? { rounds } : {}) });
  }
  return out;
}

type VerifiedRound = Pick<VerificationJudgement, 'verified' | 'verification' | 'baseline' | 'leaks' | 'missed'>;

/** One verify run of `s`'s patch on a scratch copy; the scratch directory is removed on every path. */
async function verifyOnce(build: BuildResult, meta: EbuildMeta, s: Suggestion, patched: readonly string[], options: VerifyOptions): Promise<VerifiedRound | 'interrupted'> {
  trace('verify: start');
  // The verify run's sandbox is made while the scratch copy is written (and its Manifest, or metadata, read), as
  // the session makes the audit's ahead; removed here when the run does not take it (the audit removes it otherwise).
  let ahead: Promise<Sandbox> | undefined = options.takeSandbox?.() ?? auditSandbox(options);
  ahead.catch(() => undefined);
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'netaudit-verify-'));
  const failed = (verification: string): VerifiedRound => ({ verified: false, verification });
  try {
    // Portage's phases run as the portage user (userpriv): it must read the copy.
    chmodSync(scratch, 0o755);
    let ebuild: string;
    try {
      ebuild = scratchCopy(meta, scratch, s.patch as string);
    } catch (e) {
      return failed(`the patch does not apply to a copy of the ebuild: ${(e as Error).message}`);
    }
    if (s.cause === 'build-time-download') {
      // The patch adds distfiles: the copy's Manifest must name them, as the developer's `pkgdev manifest` would
      // (Portage fetches them here, outside any sandbox, as it does for every distfile).
      const problem = await writeManifest(options.install, ebuild);
      if (problem) return failed(`the Manifest of the patched copy could not be written (the new distfile must be fetchable): ${problem}`);
    }
    trace('verify: scratch copy made');
    const declared = keepsMetadata(s) ? {} : declaredMetadata(meta, s);
    const patchedMeta = declared ? { ...copiedMeta(meta, scratch, ebuild), ...declared } : (await readMetadata(options.install, [ebuild], { allowTest: options.allowTest }))[0];
    if (!patchedMeta) throw new Error(`Portage did not read ${ebuild}`);
    trace('verify: metadata read');
    const { onTeardownProblem, takeSandbox: _taken, ...audit } = options;
    // The phases up to the one that broke are what the patch must change: src_install runs only when it broke.
    const throughTest = brokenPhases(build).every((p) => BEFORE_INSTALL.includes(p));
    const sandbox = ahead;
    ahead = undefined;
    const rerun = await auditEbuild({ ...audit, meta: patchedMeta, throughTest, sandbox });
    for (const t of rerun.teardown) onTeardownProblem?.(t);
    if (rerun.interrupted) return 'interrupted';
    return judgeVerification(build, rerun.result, s.cause, patched.length ? patched : undefined);
  } catch (e) {
    return failed(`verification failed: ${(e as Error).message}`);
  } finally {
    const unused = ahead?.then(
      (s) => s.destroy().then((problems) => problems.forEach((p) => options.onTeardownProblem?.(p))),
      () => undefined,
    );
    await rm(scratch, { recursive: true, force: true });
    await unused;
    trace('verify: scratch removed');
  }
}
