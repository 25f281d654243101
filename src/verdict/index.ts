/**
 * verdict: attempts + how the build ended + the ebuild's policy -> verdict and findings (pure).
 *
 *   clean                  no attempt network-sandbox would block, and the build succeeded
 *   tolerates              such attempts, and the build succeeded anyway (a leak, not a breakage)
 *   breaks                 such attempts, and the build failed: it would break under network-sandbox
 *   fails-without-network  no such attempt, and the build failed: the failure has another cause
 * Success is exit status 0, no signal, no timeout. Attempts Portage allows never count.
 */
import type { Attempt, Finding, Verdict } from '../model/types.js';
import { findings, succeeded, type BuildEnd } from './findings.js';
import { applyPolicy, type EbuildPolicy } from './policy.js';

export { applyPolicy, allowedBy, isSandboxed, phaseFunction, type EbuildPolicy } from './policy.js';
export { FINDING_KINDS, findings, keywordFor, safeText, type FindingKind, type FindingKeyword } from './findings.js';
export { PORT_SERVICES, serviceAt, type PortService } from './ports.js';

export interface JudgeInput extends BuildEnd {
  readonly attempts: readonly Attempt[];
  /** The ebuild's policy; absent for plain commands (then nothing is allowed). */
  readonly policy?: EbuildPolicy;
}

export interface Judgement {
  readonly verdict: Verdict;
  /** The input attempts with allowed/allowedBy set; findings index into this array. */
  readonly attempts: Attempt[];
  readonly findings: Finding[];
}

export function judge(input: JudgeInput): Judgement {
  const attempts = applyPolicy(input.attempts, input.policy);
  const blocked = attempts.some((a) => !a.allowed);
  const ok = succeeded(input);
  const verdict: Verdict = ok ? (blocked ? 'tolerates' : 'clean') : blocked ? 'breaks' : 'fails-without-network';
  return { verdict, attempts, findings: findings(attempts, input) };
}

/**
 * How bad a verdict is for --fail-on: clean < fails-without-network < tolerates < breaks.
 * fails-without-network sits low because it says nothing about the network: the build fails for another
 * reason, with or without network-sandbox, so an audit of network use has nothing to hold against it;
 * tolerates is a real (if harmless) leak, breaks a real breakage.
 */
const SEVERITY: Readonly<Record<Verdict, number>> = { clean: 0, 'fails-without-network': 1, tolerates: 2, breaks: 3 };

export function verdictSeverity(v: Verdict): number {
  const s = SEVERITY[v];
  if (s === undefined) throw new RangeError(`unknown verdict ${JSON.stringify(v)}: expected one of ${Object.keys(SEVERITY).join(', ')}`);
  return s;
}

export type FailThreshold = 'breaks' | 'tolerates' | 'never';

/** Whether a build with this verdict makes the CLI exit 1 under --fail-on threshold. */
export function failsOn(verdict: Verdict, threshold: FailThreshold): boolean {
  if (threshold === 'never') return false;
  if (threshold !== 'breaks' && threshold !== 'tolerates') {
    throw new RangeError(`unknown --fail-on threshold ${JSON.stringify(threshold)}: expected breaks, tolerates or never`);
  }
  return verdictSeverity(verdict) >= verdictSeverity(threshold);
}
