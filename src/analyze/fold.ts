/**
 * Folding observations into attempts. The fold key is
 *   (kind, scope, family, address, port, hostname, qtype, phase, test)
 * so retransmits, retried queries and repeated connections to one destination become one attempt, while
 * the same destination in two phases, under two names, or by two tests (tests.ts, by time alone), stays two. Folded:
 * - count: the sum of the tries' counts (every SYN, retransmits included; every query packet; every
 *   datagram or echo request; for a flow seen only through ICMP errors, every error);
 * - firstAtMs: from the earliest try, rounded (to the µs when `exact`, else whole ms), since the build start, never negative;
 * - outcome: the most telling one seen: dropped > refused > unreachable > unanswered > none;
 * - seenOn: the capture points, in alphabetical order.
 * Attempts are sorted by firstAtMs, then by the fold key (numbers numerically, strings by code unit).
 */
import { attemptOf, sinceStartMs, type Attempt, type SeenOn } from '../model/types.js';
import type { AddressBook } from './book.js';
import type { AnswerIndex } from './dns.js';
import type { Observation, Outcome } from './observation.js';
import type { PhaseClock } from './phase.js';
import type { TestSpan } from '../model/evidence.js';
import { testSpanAt } from './test-attribution.js';

export interface FoldContext {
  readonly buildStartMs: number;
  readonly clock: PhaseClock;
  readonly answers: AnswerIndex;
  readonly book: AddressBook;
  /** Test phases from the test runner's log (ms since the build start), for attempt.test. */
  readonly tests?: readonly TestSpan[];
  /** firstAtMs to the µs (sinceStartMs), not rounded to whole ms. */
  readonly exact?: boolean;
}

const OUTCOME_RANK: Record<Outcome, number> = { dropped: 4, refused: 3, unreachable: 2, unanswered: 1 };

interface Acc {
  readonly o: Observation;
  readonly scope: Attempt['scope'];
  readonly hostname: string | undefined;
  readonly phase: string | undefined;
  readonly test: string | undefined;
  count: number;
  firstTs: number;
  outcome: Outcome | undefined;
  readonly sources: Set<SeenOn>;
}

export function fold(observations: readonly Observation[], ctx: FoldContext): Attempt[] {
  const byKey = new Map<string, Acc>();
  for (const o of observations) {
    const scope = ctx.book.classOf(o.address) === 'loopback' ? 'host-local' : 'external';
    const phase = ctx.clock.at(o.firstTs);
    const hostname = o.kind === 'dns' ? o.qname : ctx.answers.nameFor(o.address, o.firstTs);
    const test = ctx.tests?.length ? testSpanAt(ctx.tests, o.firstTs - ctx.buildStartMs)?.nodeid : undefined;
    const key = [o.kind, scope, o.family, o.address, o.port ?? '', hostname ?? '', o.qtype ?? '', phase ?? '', test ?? ''].join('\u0000');
    const acc = byKey.get(key);
    if (!acc) {
      byKey.set(key, { o, scope, hostname, phase, test, count: o.count, firstTs: o.firstTs, outcome: o.outcome, sources: new Set([o.source]) });
      continue;
    }
    acc.count += o.count;
    acc.firstTs = Math.min(acc.firstTs, o.firstTs);
    acc.sources.add(o.source);
    if (o.outcome && (!acc.outcome || OUTCOME_RANK[o.outcome] > OUTCOME_RANK[acc.outcome])) acc.outcome = o.outcome;
  }
  return [...byKey.values()].map((acc) => toAttempt(acc, ctx.buildStartMs, ctx.exact === true)).sort(compareAttempts);
}

/** The attempt, fields in the model's order (JSON reports read better so), no undefined members. */
function toAttempt(acc: Acc, buildStartMs: number, exact: boolean): Attempt {
  const { o } = acc;
  return attemptOf({
    kind: o.kind,
    scope: acc.scope,
    family: o.family,
    address: o.address,
    ...(o.port !== undefined ? { port: o.port } : {}),
    ...(acc.hostname !== undefined ? { hostname: acc.hostname } : {}),
    ...(o.qtype !== undefined ? { qtype: o.qtype } : {}),
    count: acc.count,
    firstAtMs: exact ? sinceStartMs(acc.firstTs, buildStartMs) : Math.max(0, Math.round(acc.firstTs - buildStartMs)),
    ...(acc.outcome !== undefined ? { outcome: acc.outcome } : {}),
    seenOn: [...acc.sources].sort(),
    ...(acc.phase !== undefined ? { phase: acc.phase } : {}),
    ...(acc.test !== undefined ? { test: acc.test } : {}),
    allowed: false,
  });
}

function cmp(x: string | number | undefined, y: string | number | undefined): number {
  if (x === y) return 0;
  if (x === undefined) return -1;
  if (y === undefined) return 1;
  return x < y ? -1 : 1;
}

/** firstAtMs, then the fold key. */
export function compareAttempts(a: Attempt, b: Attempt): number {
  return (
    a.firstAtMs - b.firstAtMs ||
    cmp(a.kind, b.kind) ||
    cmp(a.scope, b.scope) ||
    (a.family ?? 0) - (b.family ?? 0) ||
    cmp(a.address, b.address) ||
    cmp(a.port, b.port) ||
    cmp(a.hostname, b.hostname) ||
    cmp(a.qtype, b.qtype) ||
    cmp(a.phase, b.phase) ||
    cmp(a.test, b.test)
  );
}
