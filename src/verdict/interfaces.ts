/**
 * The build listing its network interfaces, judged (pure). Under network-sandbox a build's namespace has `lo`
 * only: a program that looks for another interface and gives up (Open MPI's TCP transport: "At least one pair
 * of MPI processes are unable to reach each other"; a test suite: "No network interfaces were found") fails
 * without making a single blocked attempt. So, for the listings of src/analyze/interfaces.ts:
 *   - allowed: those in a phase Portage gives the network (policy.ts, as for attempts);
 *   - implicated: not allowed, the build failed, and the listing process failed afterwards (non-zero exit or a
 *     signal), or one it started did, or the build log says no interface was found (NO_INTERFACE_PATTERNS):
 *     NoNetworkInterface (error), and the verdict is `breaks` (not `fails-without-network`);
 *   - any other: one InterfaceEnumeration (info) finding for the build; when the build failed without any
 *     blocked attempt, BuildFailedWithoutNetwork names them instead (findings.ts).
 */
import { noInterfaceHint } from './ecosystem.js';
import type { EbuildPolicy } from './policy.js';
import { allowedBy } from './policy.js';
import { cleanLine, sectionsOf } from './logmatch.js';
import { processEndText, safeText } from '../model/format.js';
import type { Finding, InterfaceQuery } from '../model/types.js';

/** Log lines that say the build found no usable network interface (Open MPI, test suites, libraries). */
export const NO_INTERFACE_PATTERNS: readonly RegExp[] = [
  /no (?:usable |suitable |valid )?(?:network )?interfaces? (?:(?:were|was) )?found/i,
  /unable to find (?:any )?network interfaces?/i,
  /\bMPI process(?:es)? (?:is|are) unreachable/i,
  /\bMPI processes are unable to reach each other/i,
  /unable to reach each other for\s+MPI communications/i,
  /no (?:non-loopback|external) (?:network )?interface/i,
];

export function isNoInterfaceLine(line: string): boolean {
  return NO_INTERFACE_PATTERNS.some((re) => re.test(line));
}

/** At most this many log lines are kept on one interface listing. */
const MAX_LINES = 5;

/** Programs of Open MPI (and MPICH's launcher) whose failure the MPI hint is for. */
const MPI_PROGRAMS = /^(?:mpirun|mpiexec|orterun|orted|prterun|prte|prted|mpiexec\.hydra|hydra_pmi_proxy)$/;

function mpiInvolved(q: InterfaceQuery): boolean {
  const names = [q.process?.comm, q.process?.argv?.[0]?.split('/').pop(), q.failure?.comm];
  return names.some((n) => n !== undefined && MPI_PROGRAMS.test(n)) || (q.logLines ?? []).some((l) => /\bMPI\b/.test(l));
}

export const NO_INTERFACE_HINTS = {
  mpi: "Open MPI's TCP transport skips lo: run the MPI tests with OMPI_MCA_btl_tcp_if_include=lo (or OMPI_MCA_btl=self,vader for one host), or skip them",
  ebuild: 'the tests want a network interface besides lo, which network-sandbox never has: skip or deselect them (EPYTEST_DESELECT), or declare PROPERTIES=test_network with RESTRICT=test',
  command: 'the program wants a network interface besides lo, which network-sandbox never has: let it work with loopback only, or skip what needs an interface',
} as const;

export interface InterfaceJudgeInput {
  readonly queries: readonly InterfaceQuery[];
  /** The ebuild's policy; undefined for plain commands (nothing allowed). */
  readonly policy: EbuildPolicy | undefined;
  /** Whether the build failed. */
  readonly failed: boolean;
  /** The build log ('' or absent: none, as for plain commands). */
  readonly log?: string;
}

export interface InterfaceJudgement {
  /** The queries with allowed/allowedBy and logLines set; findings index into this array. */
  readonly queries: InterfaceQuery[];
  /** Indexes of the queries the failure is put down to. */
  readonly implicated: number[];
  /** NoNetworkInterface, one per implicated query. */
  readonly noInterface: Finding[];
  /**
   * InterfaceEnumeration (info) about the other queries, when there are any. The caller adds it, unless
   * BuildFailedWithoutNetwork names them instead (a failed build with no blocked attempt and nothing implicated).
   */
  readonly enumeration?: Finding;
  /** The other queries (not implicated), for BuildFailedWithoutNetwork's mention. */
  readonly rest: InterfaceQuery[];
}

/** The queries judged by policy, with the log's no-interface lines on the blocked ones of the same phase. */
function withPolicyAndLog(queries: readonly InterfaceQuery[], policy: EbuildPolicy | undefined, log: string): InterfaceQuery[] {
  const out = queries.map((q) => {
    const { allowedBy: _previous, logLines: _lines, ...rest } = q;
    const why = allowedBy(q.phase, policy);
    return { ...rest, allowed: why !== undefined, ...(why !== undefined ? { allowedBy: why } : {}), logLines: [] as string[] };
  });
  // Lines go to listings network-sandbox covers only: without one, the log is not read.
  if (log && out.some((q) => !q.allowed)) {
    for (const section of sectionsOf(log)) {
      for (const line of section.lines) {
        if (!isNoInterfaceLine(line)) continue;
        const blocked = out.filter((q) => !q.allowed);
        const samePhase = blocked.filter((q) => section.phase !== undefined && q.phase === section.phase);
        for (const q of samePhase.length ? samePhase : blocked) {
          const text = cleanLine(line).trim();
          if (q.logLines.length < MAX_LINES && !q.logLines.includes(text)) q.logLines.push(text);
        }
      }
    }
  }
  return out.map((q) => {
    if (q.logLines.length) return q;
    const { logLines: _none, ...rest } = q;
    return rest;
  });
}

function who(q: InterfaceQuery): string {
  return q.process ? `${safeText(q.process.comm)}[${q.process.pid}]` : 'a process';
}

function requestText(q: InterfaceQuery): string {
  return `${q.request}${q.count > 1 ? ` ×${q.count}` : ''}`;
}

function where(q: InterfaceQuery): string {
  return `${q.phase !== undefined ? ` in ${safeText(q.phase)}` : ''}${q.test !== undefined ? ` (test ${safeText(q.test)})` : ''}`;
}

/** The NoNetworkInterface message of an implicated query. */
export function noInterfaceMessage(q: InterfaceQuery): string {
  const listed = `${who(q)} listed the network interfaces (${requestText(q)})${where(q)}`;
  const f = q.failure;
  const then = f
    ? q.process && f.pid === q.process.pid
      ? ` and then ${processEndText(f)}`
      : ` and ${safeText(f.comm)}[${f.pid}], a process it started, ${processEndText(f)}`
    : '';
  const said = q.logLines?.length ? `${f ? ';' : ','} the log says no usable interface was found` : '';
  return `${listed}${then}${said}: under network-sandbox the build's only interface is lo`;
}

/** The one InterfaceEnumeration message for the listings the failure is not put down to. */
function enumerationMessage(rest: readonly InterfaceQuery[], failed: boolean): string {
  const names = [...new Set(rest.map(who))];
  const shown = names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ');
  const allowed = rest.filter((q) => q.allowed).length;
  const count = rest.reduce((n, q) => n + q.count, 0);
  const tail = failed ? 'the processes that did so did not fail' : 'the build succeeded all the same';
  const allowedText = allowed === rest.length ? ', in phases Portage gives the network' : allowed ? ` (${allowed} of them in phases Portage gives the network)` : '';
  return `the build listed its network interfaces ${count} time${count === 1 ? '' : 's'} (${shown})${allowedText}: under network-sandbox it finds only lo; ${tail}`;
}

/** A short mention for BuildFailedWithoutNetwork: `it listed its network interfaces (python3[12]), and every process that did exited 0`. */
export function queriesMention(queries: readonly InterfaceQuery[]): string {
  if (!queries.length) return '';
  const names = [...new Set(queries.map(who))];
  const shown = names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ');
  return `; it listed its network interfaces (${shown}, only lo under network-sandbox), but no process that did failed and no log line says an interface was missing`;
}

/** The judgement of a build's interface listings (see the module comment). */
export function judgeInterfaces(input: InterfaceJudgeInput): InterfaceJudgement {
  const queries = withPolicyAndLog(input.queries, input.policy, input.log ?? '');
  const implicated = input.failed ? queries.flatMap((q, i) => (!q.allowed && (q.failure !== undefined || q.logLines?.length) ? [i] : [])) : [];
  // An MPI launcher among them: its ranks (other programs) failed for the same reason, so all get its hint.
  const mpi = implicated.some((i) => mpiInvolved(queries[i] as InterfaceQuery));
  const noInterface: Finding[] = implicated.map((i) => {
    const q = queries[i] as InterfaceQuery;
    // An ebuild's hint speaks the idiom of the suite that listed them (src/verdict/ecosystem.ts), pytest's by default.
    const hint = mpi ? NO_INTERFACE_HINTS.mpi : input.policy ? (noInterfaceHint(q) ?? NO_INTERFACE_HINTS.ebuild) : NO_INTERFACE_HINTS.command;
    return {
      keyword: 'NoNetworkInterface',
      level: 'error',
      message: noInterfaceMessage(q),
      hint,
      interfaceQuery: i,
      ...(q.phase !== undefined ? { phase: q.phase } : {}),
      ...(q.test !== undefined ? { test: q.test } : {}),
      ...(q.logLines?.length ? { logLines: [...q.logLines] } : {}),
    };
  });
  const rest = queries.filter((_, i) => !implicated.includes(i));
  const enumeration: Finding | undefined = rest.length
    ? {
        keyword: 'InterfaceEnumeration',
        level: 'info',
        message: enumerationMessage(rest, input.failed),
        hint: 'nothing to change while it passes; a program that needs an interface besides lo fails under network-sandbox',
      }
    : undefined;
  return { queries, implicated, noInterface, ...(enumeration ? { enumeration } : {}), rest };
}
