/**
 * The judgement of one ebuild (pure): what Portage would have done with it under network-sandbox, from what
 * the audit recorded. Every ebuild rule lives here; src/runner/ebuild.ts only does the I/O around it.
 *
 *   metadata  Portage could not read the ebuild: MetadataError, fails-without-network (it was not built).
 *   fetch     the distfiles did not fetch (outside the sandbox, as Portage fetches): FetchFailed,
 *             fails-without-network.
 *   build     the phases ran: the attempts get `allowed` from Portage's phase policy and the build log lines
 *             that show their effect; then the verdict, with these ebuild rules on top of the command ones:
 *             - a failure in a phase Portage does not sandbox is not a network-sandbox breakage
 *               (breaks -> fails-without-network, UnsandboxedPhaseFailed);
 *             - a failure in src_test of tests declared PROPERTIES=test_network (run only because ALLOW_TEST
 *               has network or all) is reported as such, NetworkTestsFailed, never as "another cause";
 *             - tests that Portage skips with the user's ALLOW_TEST (RESTRICT=test) are said to be skipped;
 *             - interface listings in sandboxed phases that the failure is put down to (interfaces.ts) make it
 *               break (NoNetworkInterface), as a blocked attempt would;
 *             - the first failed phase gets PhaseFailed, quoting the log's error lines;
 *             - when it died on has_version/best_version (the die block shows the query),
 *               PackageQueryNotInstalled says that these answer from a package database the host may lack.
 */
import type { Attempt, Finding, InterfaceQuery, Phase, Verdict } from '../model/types.js';
import { cleanLine, isNetworkErrorLine, matchLogLines, packageQueryDeath } from './logmatch.js';
import { safeText } from '../model/format.js';
import { attemptFindings, captureFindings, failureWithoutNetwork, succeeded, type JudgedEnd } from './findings.js';
import { judgeInterfaces } from './interfaces.js';
import { allowedBy, applyPolicy, isSandboxed, testsRestricted, type EbuildPolicy } from './policy.js';
import { verdictOf } from './verdicts.js';

/** How far the audit of an ebuild got. */
export type EbuildOutcome =
  | { readonly stage: 'metadata'; readonly error: string }
  | { readonly stage: 'fetch'; readonly output: string }
  | ({ readonly stage: 'build' } & JudgedEnd);

export interface EbuildJudgeInput {
  /** Attempts from the captures, each with its phase. */
  readonly attempts: readonly Attempt[];
  /** Phases from Portage's markers (ms since the build started); `sandboxed` is set here. */
  readonly phases: readonly Phase[];
  /** The build listing its network interfaces (src/analyze/interfaces.ts); none when absent. */
  readonly interfaceQueries?: readonly InterfaceQuery[];
  /** Portage's build log ('' when there is none). */
  readonly log: string;
  readonly policy: EbuildPolicy;
  readonly outcome: EbuildOutcome;
}

export interface EbuildJudgement {
  readonly verdict: Verdict;
  /** The attempts with allowed/allowedBy and logLines set; findings index into this array. */
  readonly attempts: Attempt[];
  readonly findings: Finding[];
  /** The phases with `sandboxed` set. */
  readonly phases: Phase[];
  /** The interface listings with allowed/allowedBy and logLines set; findings index into this array. */
  readonly interfaceQueries: InterfaceQuery[];
}

/** At most this many log lines are quoted in a build-level finding. */
const MAX_QUOTED = 5;

export function judgeEbuild(input: EbuildJudgeInput): EbuildJudgement {
  const { outcome, policy } = input;
  if (outcome.stage === 'metadata') return notBuilt(metadataFailure(outcome.error));
  if (outcome.stage === 'fetch') return notBuilt(fetchFailure(outcome.output));

  const attempts = matchLogLines(applyPolicy(input.attempts, policy), input.log);
  const phases = input.phases.map((p) => ({ ...p, sandboxed: isSandboxed(p.name, policy) }));
  const failed = phases.find((p) => p.exitCode !== undefined && p.exitCode !== 0);
  const declaredTests = failed !== undefined && allowedBy(failed.name, policy) === 'PROPERTIES=test_network';
  const ifaces = judgeInterfaces({ queries: input.interfaceQueries ?? [], policy, failed: !succeeded(outcome), log: input.log });
  const noInterface = ifaces.implicated.length > 0;
  let verdict = verdictOf(outcome, attempts, noInterface);
  // Portage gives this phase the network: its failure is not a network-sandbox breakage.
  if (failed && !failed.sandboxed && verdict === 'breaks') verdict = 'fails-without-network';

  const findings = attemptFindings(attempts, outcome);
  findings.push(...ifaces.noInterface);
  const withoutNetwork = declaredTests || noInterface ? [] : failureWithoutNetwork(attempts, outcome, ifaces.rest);
  if (ifaces.enumeration && !withoutNetwork.length) findings.push(ifaces.enumeration);
  findings.push(...withoutNetwork);
  findings.push(...captureFindings(outcome.capture));
  const implicated = ifaces.implicated.map((i) => ifaces.queries[i] as InterfaceQuery);
  if (failed) findings.push(declaredTests ? networkTestsFailure(failed, policy, input.log) : phaseFailure(failed, attempts, input.log, implicated));
  const query = failed ? packageQueryDeath(input.log) : [];
  if (failed && query.length) findings.push(packageQueryFailure(failed, query));
  if (testsRestricted(policy)) findings.push(testsSkipped(policy));
  return { verdict, attempts, findings, phases, interfaceQueries: ifaces.queries };
}

function notBuilt(finding: Finding): EbuildJudgement {
  return { verdict: 'fails-without-network', attempts: [], findings: [finding], phases: [], interfaceQueries: [] };
}

/** The log's die message and network error lines, first few, cleaned. */
function dieLines(log: string): string[] {
  return log
    .split('\n')
    .map(cleanLine)
    .filter((l) => /ERROR: .* failed \(|^\s*\*\s{2,}\S/.test(l) || isNetworkErrorLine(l))
    .slice(0, MAX_QUOTED)
    .map((l) => l.trim());
}

function quoted(lines: string[]): Pick<Finding, 'logLines'> {
  return lines.length ? { logLines: lines } : {};
}

function phaseFailure(failed: Phase, attempts: readonly Attempt[], log: string, noInterface: readonly InterfaceQuery[] = []): Finding {
  const lines = quoted(dieLines(log));
  if (!failed.sandboxed) {
    return {
      keyword: 'UnsandboxedPhaseFailed',
      level: 'warning',
      message: `${failed.name} failed (exit ${failed.exitCode}); Portage does not sandbox this phase, so this is not a network-sandbox breakage`,
      hint: 'see the build log: this failure happens with or without network-sandbox',
      phase: failed.name,
      ...lines,
    };
  }
  const inPhase = attempts.filter((a) => a.phase === failed.name && !a.allowed).length;
  const listed = noInterface.some((q) => q.phase === failed.name);
  const listing = 'the build listed its network interfaces in that phase (only lo under network-sandbox)';
  return {
    keyword: 'PhaseFailed',
    level: inPhase || listed ? 'error' : 'info',
    message: inPhase
      ? `${failed.name} failed (exit ${failed.exitCode}) after ${inPhase} network attempt(s) in that phase${listed ? `, and ${listing}` : ''}`
      : listed
        ? `${failed.name} failed (exit ${failed.exitCode}) without a network attempt in that phase, but ${listing}`
        : `${failed.name} failed (exit ${failed.exitCode}) without a network attempt in that phase`,
    hint: listed
      ? 'the attempts and interface listings above are the likely cause: see the quoted log lines'
      : inPhase
        ? 'the attempts above are the likely cause: see the quoted log lines'
        : 'see the build log for the cause',
    phase: failed.name,
    ...lines,
  };
}

function allowTestText(policy: EbuildPolicy): string {
  return `ALLOW_TEST="${safeText(policy.allowTest.join(' '))}"`;
}

function networkTestsFailure(failed: Phase, policy: EbuildPolicy, log: string): Finding {
  return {
    keyword: 'NetworkTestsFailed',
    level: 'warning',
    message:
      `${failed.name} failed (exit ${failed.exitCode}) in tests declared PROPERTIES=test_network, run because ${allowTestText(policy)}: ` +
      'Portage gives them the network, this audit does not; allowed, not a network-sandbox breakage',
    hint: 'they need the internet: run them on a machine with network access, or audit without --allow-test network (Portage then skips them)',
    phase: failed.name,
    ...quoted(dieLines(log)),
  };
}

function testsSkipped(policy: EbuildPolicy): Finding {
  const declared = policy.properties.includes('test_network');
  return {
    keyword: 'TestsSkipped',
    level: 'info',
    message:
      `src_test did not run: RESTRICT=test and ${allowTestText(policy)}, so Portage skips it` +
      (declared ? '; the tests declare PROPERTIES=test_network' : ''),
    hint: declared ? 'to audit the declared network tests too: --allow-test network (Portage runs them with the network)' : 'to audit the tests anyway: --allow-test all',
    phase: 'src_test',
  };
}

function packageQueryFailure(failed: Phase, lines: string[]): Finding {
  return {
    keyword: 'PackageQueryNotInstalled',
    level: 'warning',
    message:
      `${failed.name} died on has_version/best_version: they answer from the package database (/var/db/pkg); ` +
      'a host that is not Gentoo has none, and there every package reads "not installed"; not a network-sandbox question',
    hint: 'audit it on Gentoo (or in a Gentoo stage3 container) where its dependencies are installed; `netaudit doctor` says what this host lacks',
    phase: failed.name,
    logLines: lines.slice(0, MAX_QUOTED),
  };
}

function fetchFailure(output: string): Finding {
  const lines = output
    .split('\n')
    .map(cleanLine)
    .filter((l) => /!!!|unable to resolve|Couldn't download|VERIFY FAILED|Reason:/.test(l))
    .slice(0, MAX_QUOTED);
  return {
    keyword: 'FetchFailed',
    level: 'error',
    message: 'fetching the distfiles failed (outside the sandbox, as Portage fetches): not a network-sandbox question',
    hint: 'check SRC_URI, the Manifest and the mirrors; netaudit audits the phases once the distfiles are there',
    ...quoted(lines),
  };
}

function metadataFailure(error: string): Finding {
  return {
    keyword: 'MetadataError',
    level: 'error',
    message: `Portage cannot read this ebuild: ${error}`,
    hint: "fix the ebuild's global scope (pkgcheck scan reports the details); it was not built",
  };
}
