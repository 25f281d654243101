/**
 * The one pure stage from evidence to attempts: `analyzeBuild(evidence, context)`.
 *
 *   captured frames ─ decode ─> packets ─ analyze() ─> attempts (flows, DNS names, scope, phase)
 *   tracer events ─ attribute() ─> process on each attempt; calls that never became a packet (seenOn
 *                   `syscall`); connects to abstract UNIX addresses
 *   responder records ─ attachWanted() ─> `wanted` (intercept mode)
 *   test spans ─ attributeTests() ─> `test`, `testOutcome` or `testGap` (after the process is known: it narrows
 *                   to that process's tests; times to the µs until then, whole ms in the result)
 *   tracer events ─ attributeTapTests() ─> `test` of TAP suites: the `perl t/x.t` the process is, or descends from
 *   tracer events ─ interfaceQueries() ─> the build listing its network interfaces (no attempt: under
 *                   network-sandbox it finds only `lo`), with process, phase, test and how the process ended
 *
 * No process, no file: the collecting folders hand over a `BuildEvidence` (src/model/evidence.ts), and the
 * same record read back from a recording (test/fixtures/evidence/) gives the same attempts. The judges take it
 * from here (src/verdict/).
 */
import { decodeFrames } from '../decode/index.js';
import type { DecodedPacket } from '../decode/types.js';
import type { BuildEvidence, TracerEvidence } from '../model/evidence.js';
import type { DnsQuestionEvent, ResolveEvent } from '../model/tracer-events.js';
import type { Attempt, CaptureStats, InterfaceQuery, Phase } from '../model/types.js';
import { attribute, unixAttempts } from './attribute.js';
import { analyze, analyzeSyscalls, compareAttempts, type AnalyzeContext } from './index.js';
import { attachWanted } from './intercept.js';
import { interfaceQueries } from './interfaces.js';
import { PhaseClock } from './phase.js';
import { attributeTapTests } from './tap.js';
import { attributeTests } from './test-attribution.js';

/**
 * What the judges need to know of the evidence's completeness: whatever is missing here may hide attempts
 * (src/verdict/findings.ts makes CaptureIncomplete of it).
 */
export interface EvidenceGaps {
  /** Packets lost before they were captured (kernel drops, NFLOG deliveries short of nftables' count). */
  readonly dropped: number;
  readonly undecodable?: number;
  /** Capture points whose capture is incomplete: the end marker never arrived (the last packets may be missing). */
  readonly incomplete?: readonly string[];
  /** Records the tracer's kernel buffer lost (in the faithful sandbox, attempts of those calls are lost too). */
  readonly tracerLost?: number;
  /** True when the tracer did not hand over every event before the build's collect. */
  readonly tracerIncomplete?: boolean;
}

export interface BuildAnalysis {
  /** Every attempt, folded and sorted (allowed: false until src/verdict/policy.ts decides). */
  readonly attempts: Attempt[];
  /** The build listing its network interfaces, from the tracer ([] without one; allowed: false until src/verdict/ decides). */
  readonly interfaceQueries: InterfaceQuery[];
  /** The report's `capture` block. */
  readonly capture: CaptureStats;
  readonly gaps: EvidenceGaps;
  /** The decoded packets, in time order (for callers that look further, such as the tests of the decoders). */
  readonly packets: readonly DecodedPacket[];
}

export interface BuildContext {
  /** The build's addresses on its veth end (default: src/model/network.ts BUILD_ADDRESSES). */
  readonly buildAddresses?: readonly string[];
  /** No capture ran: every try comes from the tracer's calls (AnalyzeContext.syscallsOnly; `netaudit watch`). */
  readonly syscallsOnly?: boolean;
}

export function analyzeBuild(evidence: BuildEvidence, context: BuildContext = {}): BuildAnalysis {
  const packets: DecodedPacket[] = [];
  let total = 0;
  let dropped = 0;
  let undecodable = 0;
  const incomplete: string[] = [];
  for (const c of evidence.captures) {
    if (c.incomplete) incomplete.push(c.source);
    const decoded = decodeFrames(c.linkType, c.frames, c.source);
    packets.push(...decoded.packets);
    total += c.frames.length;
    undecodable += decoded.undecodable;
    dropped += c.droppedByKernel;
    // nftables dropped more sends than NFLOG delivered to tcpdump: the difference was lost on the way.
    if (c.logged !== undefined && c.logged > c.frames.length) dropped += c.logged - c.frames.length;
  }
  packets.sort((a, b) => a.tsMs - b.tsMs);
  // Attempts' times stay at the µs they were measured at until their tests are known, then whole ms (the report's).
  const ctx: AnalyzeContext = {
    buildStartMs: evidence.end.startMs,
    exact: true,
    ...(evidence.phases ? { phases: evidence.phases } : {}),
    tests: evidence.tests,
    ...(context.buildAddresses ? { buildAddresses: context.buildAddresses } : {}),
    ...(context.syscallsOnly ? { syscallsOnly: true } : {}),
  };
  const fromPackets = analyze(packets, ctx);
  const observed = evidence.tracer ? withSyscalls(fromPackets, packets, ctx, evidence.tracer) : fromPackets;
  const answered = evidence.responder ? attachWanted(observed, evidence.responder, evidence.end.startMs).attempts : observed;
  const spanned = attributeTests(answered, evidence.tests);
  // TAP suites (Perl) log no spans: the test file is the attempt's process, or an ancestor of it (src/analyze/tap.ts).
  const tapped = evidence.tracer ? attributeTapTests(spanned, evidence.tracer.events, evidence.end.startMs) : spanned;
  const attempts = tapped.map((a) => ({ ...a, firstAtMs: Math.round(a.firstAtMs) })).sort(compareAttempts);
  const gaps: EvidenceGaps = {
    dropped,
    undecodable,
    incomplete,
    ...(evidence.tracer ? { tracerLost: evidence.tracer.lost, tracerIncomplete: !evidence.tracer.complete } : {}),
  };
  const queries = evidence.tracer
    ? interfaceQueries(evidence.tracer.events, {
        buildStartMs: evidence.end.startMs,
        netns: evidence.tracer.netns,
        buildEndMs: evidence.tracer.buildEndMs,
        ...(evidence.phases ? { phases: evidence.phases } : {}),
        tests: evidence.tests,
      })
    : [];
  return { attempts, interfaceQueries: queries, capture: { packets: total, dropped, undecodable }, gaps, packets };
}

/**
 * The tracer's part: who made each attempt (process), the tries that never became a packet (connects and
 * sends the kernel refused: no route, seenOn `syscall`; a DNS try among them named from the question the
 * tracer read from the send, or the name its thread handed to libc's resolver), and connects to abstract
 * AF_UNIX addresses.
 */
export function withSyscalls(
  attempts: readonly Attempt[],
  packets: readonly DecodedPacket[],
  ctx: { readonly buildStartMs: number; readonly phases?: readonly Phase[]; readonly exact?: boolean },
  tracer: Pick<TracerEvidence, 'events' | 'netns' | 'buildEndMs'>,
): Attempt[] {
  const options = { buildStartMs: ctx.buildStartMs, netns: tracer.netns, buildEndMs: tracer.buildEndMs, ...(ctx.exact ? { exact: true } : {}) };
  const attributed = attribute(attempts, tracer.events, options);
  const mine = tracer.events.filter((e) => e.netns === tracer.netns && e.tsMs <= tracer.buildEndMs);
  const names = {
    questions: mine.filter((e): e is DnsQuestionEvent => e.kind === 'dns-question'),
    resolves: mine.filter((e): e is ResolveEvent => e.kind === 'resolve'),
  };
  const syscallOnly = attribute(analyzeSyscalls(attributed.unmatched, packets, ctx, names), attributed.unmatched, options).attempts;
  const clock = new PhaseClock(ctx.phases, ctx.buildStartMs);
  const unix = unixAttempts(tracer.events, options).map((a) => {
    const phase = clock.at(ctx.buildStartMs + a.firstAtMs);
    return phase ? { ...a, phase } : a;
  });
  return [...attributed.attempts, ...syscallOnly, ...unix].sort(compareAttempts);
}
