/**
 * verdict: attempts + how the build ended + the ebuild's policy -> verdict and findings (pure).
 *
 *   clean                  no attempt network-sandbox would block, and the build succeeded
 *   tolerates              such attempts, and the build succeeded anyway (a leak, not a breakage)
 *   breaks                 such attempts, and the build failed: it would break under network-sandbox
 *   fails-without-network  no such attempt, and the build failed: the failure has another cause
 * Success is exit status 0, no signal, no timeout. Attempts Portage allows never count.
 * judgeCommand() for plain commands, judgeEbuild() (ebuild.ts) for ebuilds; both share the findings of
 * findings.ts and the registry of src/model/findings.ts.
 */
import type { Attempt, Finding, InterfaceQuery, Verdict } from '../model/types.js';
import { attemptFindings, captureFindings, failureWithoutNetwork, succeeded, type JudgedEnd } from './findings.js';
import { judgeInterfaces } from './interfaces.js';
import { applyPolicy } from './policy.js';
import { verdictOf } from './verdicts.js';

export { applyPolicy, allowedBy, isSandboxed, phaseFunction, testsRestricted, type EbuildPolicy } from './policy.js';
export { findings, keywordFor, succeeded, type JudgedEnd } from './findings.js';
export { FINDING_KINDS, type FindingKind, type FindingKeyword } from '../model/findings.js';
export { PORT_SERVICES, SOCKET_SERVICES, serviceAt, socketService, type PortService, type SocketService } from './ports.js';
export { failsOn, verdictOf, verdictSeverity } from './verdicts.js';
export { judgeEbuild, type EbuildJudgeInput, type EbuildJudgement, type EbuildOutcome } from './ebuild.js';
export { judgeInterfaces, isNoInterfaceLine, NO_INTERFACE_PATTERNS, type InterfaceJudgement } from './interfaces.js';

export interface Judgement {
  readonly verdict: Verdict;
  /** The attempts judged (allowed/allowedBy set); findings index into this array. */
  readonly attempts: Attempt[];
  readonly findings: Finding[];
  /** The interface listings judged (allowed set); findings index into this array (`interfaceQuery`). */
  readonly interfaceQueries: InterfaceQuery[];
}

/**
 * A plain command: no policy, so every attempt is blocked as network-sandbox would block it, and every
 * interface listing counts (src/verdict/interfaces.ts). Findings: per attempt, NoNetworkInterface, then
 * InterfaceEnumeration or BuildFailedWithoutNetwork, then the capture's.
 */
export function judgeCommand(input: { readonly attempts: readonly Attempt[]; readonly end: JudgedEnd; readonly interfaceQueries?: readonly InterfaceQuery[]; readonly log?: string }): Judgement {
  const attempts = applyPolicy(input.attempts, undefined);
  const failed = !succeeded(input.end);
  const ifaces = judgeInterfaces({ queries: input.interfaceQueries ?? [], policy: undefined, failed, ...(input.log !== undefined ? { log: input.log } : {}) });
  const noInterface = ifaces.implicated.length > 0;
  const withoutNetwork = noInterface ? [] : failureWithoutNetwork(attempts, input.end, ifaces.rest);
  const all = [
    ...attemptFindings(attempts, input.end),
    ...ifaces.noInterface,
    ...(ifaces.enumeration && !withoutNetwork.length ? [ifaces.enumeration] : []),
    ...withoutNetwork,
    ...captureFindings(input.end.capture),
  ];
  return { verdict: verdictOf(input.end, attempts, noInterface), attempts, findings: all, interfaceQueries: ifaces.queries };
}
