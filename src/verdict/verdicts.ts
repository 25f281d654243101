/** The verdict rule and the verdicts' order (pure). */
import type { Attempt, FailOn, Verdict } from '../model/types.js';
import { succeeded, type JudgedEnd } from './findings.js';

/**
 * The four verdicts from whether the build succeeded and whether an attempt was blocked. `noInterface`: the
 * failure is put down to the build finding no network interface but lo (src/verdict/interfaces.ts): a failed
 * build breaks under network-sandbox even without a blocked attempt.
 */
export function verdictOf(end: Pick<JudgedEnd, 'exitCode' | 'signal' | 'timedOut'>, attempts: readonly Attempt[], noInterface = false): Verdict {
  const blocked = attempts.some((a) => !a.allowed);
  return succeeded(end) ? (blocked ? 'tolerates' : 'clean') : blocked || noInterface ? 'breaks' : 'fails-without-network';
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

/** Whether a build with this verdict makes the CLI exit 1 under --fail-on threshold. */
export function failsOn(verdict: Verdict, threshold: FailOn): boolean {
  if (threshold === 'never') return false;
  if (threshold !== 'breaks' && threshold !== 'tolerates') {
    throw new RangeError(`unknown --fail-on threshold ${JSON.stringify(threshold)}: expected breaks, tolerates or never`);
  }
  return verdictSeverity(verdict) >= verdictSeverity(threshold);
}
