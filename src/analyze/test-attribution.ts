/**
 * Which test made an attempt (pure, no I/O). The test runner's own log says when each test phase ran and in
 * which process (src/portage/netaudit_pytest.py for pytest, read by src/runner/test-log.ts); an attempt gets the
 * test whose phase holds its moment. Times are compared at the precision they were measured at (microseconds:
 * the plugin logs µs, the tracer's and the capture's times are µs floats; nothing on the way is rounded). Never
 * a guess, and one rule at each boundary:
 * - a span holds a moment from its start to its end, both included; a moment at the very end of one phase and
 *   the very start of the next (they touch) belongs to the one that ends there (an attempt at or before a
 *   span's end belongs to it);
 * - only when no span holds the moment, the nearest span within SKEW_MS of it counts (the runner's clock and
 *   the capture's are both CLOCK_REALTIME, read at slightly different points). A neighbour within the
 *   tolerance too does not make it ambiguous: the nearer one wins; only two at exactly the same distance
 *   that name different tests leave it unset;
 * - when the attempt's process is known (the syscall observer) and it, or else its parent, ran tests, only
 *   that process's spans count (pytest-xdist: each worker is a process of its own; a worker between tests
 *   is not given another worker's test); a process that ran no tests (a program a test started, or another
 *   build step) falls back to time alone;
 * - by time alone, spans of several processes at once (xdist workers, two suites in parallel) leave the test
 *   unset, and so do spans of one process that overlap without nesting. Nested spans of one process (pytester
 *   running pytest inside a test) give the innermost.
 * An attempt left without a test although tests ran before and after it in its process (beyond the tolerance)
 * says so: `testGap` names the two tests (testGapAt()).
 */
import type { TestSpan } from '../model/evidence.js';
import type { Attempt, TestGap } from '../model/types.js';

/** How far (ms) outside every span a moment may be and still belong to the nearest ones. */
export const SKEW_MS = 2;

/** Longest test id kept (longer ones are cut, with an ellipsis). */
export const MAX_TEST_ID = 512;

const PHASES = new Set(['setup', 'call', 'teardown']);

/** The outcomes a runner may report for a test or a phase (anything else is not kept). */
export const TEST_OUTCOMES: ReadonlySet<string> = new Set(['passed', 'failed', 'error', 'skipped', 'xfailed', 'xpassed']);

/** A test's final outcome from its phases' outcomes, when its runner did not log one (pytest's own rule). */
export function finalOutcome(phases: readonly Pick<TestSpan, 'phase' | 'outcome'>[]): string | undefined {
  const of = (phase: TestSpan['phase']) => phases.find((p) => p.phase === phase)?.outcome;
  const setup = of('setup');
  const call = of('call');
  const teardown = of('teardown');
  if (setup === 'error' || setup === 'failed' || teardown === 'error' || teardown === 'failed') return call === 'failed' ? 'failed' : 'error';
  if (call !== undefined) return call;
  if (setup === 'skipped' || setup === 'xfailed') return setup;
  return undefined;
}

/**
 * A moment of a line in ms since `buildStartMs`, from its `*_us` integer when logged (plugin v2), else its
 * seconds (v1). The µs are taken from the start in µs before dividing: an epoch in ms as a double has only
 * about a quarter of a µs left for its fraction.
 */
function sinceStart(us: unknown, s: unknown, buildStartMs: number): number | undefined {
  if (typeof us === 'number' && Number.isFinite(us)) return (us - buildStartMs * 1000) / 1000;
  if (typeof s === 'number' && Number.isFinite(s)) return s * 1000 - buildStartMs;
  return undefined;
}

/**
 * The objects of the test runners' log, one JSON object a line (netaudit_log.py), in order; lines that do not
 * parse (a worker killed in the middle of a write) or hold no object are skipped, and so are those `keep` turns
 * down before they are parsed (a reader that wants a few records of a long log).
 */
export function logRecords(text: string, keep: (line: string) => boolean = (line) => line.trim() !== ''): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (!keep(line)) continue;
    let r: unknown;
    try {
      r = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof r === 'object' && r !== null && !Array.isArray(r)) out.push(r as Record<string, unknown>);
  }
  return out;
}

/**
 * The runner's log (one JSON object per line: start_us, end_us in epoch µs (or start, end in epoch seconds),
 * pid, phase, outcome, final, markers, nodeid) -> spans in ms since `buildStartMs` (epoch ms, a float: kept at
 * the µs the log has), in start order. Every span of a test carries the test's final outcome (the line's
 * `final`, or derived from its phases). Lines that do not parse (a worker killed in the middle of a write) are
 * skipped.
 */
export function parseTestLog(text: string, buildStartMs: number): TestSpan[] {
  const spans: (TestSpan & { final?: string })[] = [];
  const finals = new Map<string, string>();
  for (const r of logRecords(text)) {
    const { start_us, end_us, start, end, pid, phase, outcome, final, markers, nodeid } = r;
    const startAt = sinceStart(start_us, start, buildStartMs);
    const endAt = sinceStart(end_us, end, buildStartMs);
    if (startAt === undefined || endAt === undefined || !(endAt >= startAt)) continue;
    if (typeof pid !== 'number' || !Number.isInteger(pid) || typeof nodeid !== 'string' || !nodeid) continue;
    if (typeof phase !== 'string' || !PHASES.has(phase)) continue;
    const id = nodeid.length > MAX_TEST_ID ? `${nodeid.slice(0, MAX_TEST_ID - 1)}…` : nodeid;
    const names = Array.isArray(markers) ? [...new Set(markers.filter((m): m is string => typeof m === 'string' && m.length > 0 && m.length <= 128))].sort() : undefined;
    if (typeof final === 'string' && TEST_OUTCOMES.has(final)) finals.set(`${pid}\u0000${id}`, final);
    spans.push({
      nodeid: id,
      phase: phase as TestSpan['phase'],
      ...(typeof outcome === 'string' && TEST_OUTCOMES.has(outcome) ? { outcome } : {}),
      ...(names ? { markers: names } : {}),
      pid,
      startMs: startAt,
      endMs: endAt,
    });
  }
  // Each test's final outcome on all its spans: as logged, or from its phases (a log of plugin v1).
  const byTest = new Map<string, TestSpan[]>();
  for (const s of spans) {
    const key = `${s.pid}\u0000${s.nodeid}`;
    byTest.set(key, [...(byTest.get(key) ?? []), s]);
  }
  const out = spans.map((s) => {
    const key = `${s.pid}\u0000${s.nodeid}`;
    const f = finals.get(key) ?? finalOutcome(byTest.get(key) ?? []);
    return f !== undefined ? { ...s, final: f } : s;
  });
  return out.sort((a, b) => a.startMs - b.startMs);
}

/** The innermost of spans of one process, when they nest (or are all of one test); undefined otherwise. */
function innermost(spans: readonly TestSpan[]): TestSpan | undefined {
  const inner = spans.reduce((a, b) => (b.startMs > a.startMs || (b.startMs === a.startMs && b.endMs < a.endMs) ? b : a));
  const nested = spans.every((s) => s.startMs <= inner.startMs && inner.endMs <= s.endMs);
  // Phases of one test near each other (between its setup and call, within the skew) name it all the same.
  return nested || spans.every((s) => s.nodeid === inner.nodeid) ? inner : undefined;
}

/** undefined: no candidate; null: candidates, but none can be told. `runner`: the test process the attempt's is, if any. */
function pick(candidates: readonly TestSpan[], runner: number | undefined): TestSpan | undefined | null {
  if (runner !== undefined) {
    const own = candidates.filter((s) => s.pid === runner);
    return own.length ? (innermost(own) ?? null) : undefined;
  }
  if (!candidates.length) return undefined;
  const first = (candidates[0] as TestSpan).pid;
  if (candidates.some((s) => s.pid !== first)) return null;
  return innermost(candidates) ?? null;
}

/** How far (ms) a moment is from a span: 0 inside it. */
function distance(s: TestSpan, atMs: number): number {
  return atMs < s.startMs ? s.startMs - atMs : atMs > s.endMs ? atMs - s.endMs : 0;
}

/** The spans that count for a moment of these processes: the runner's own when one of them ran tests. */
function pool(spans: readonly TestSpan[], pids: readonly number[]): { spans: readonly TestSpan[]; runner: number | undefined } {
  const runner = pids.find((pid) => spans.some((s) => s.pid === pid));
  return { spans: runner === undefined ? spans : spans.filter((s) => s.pid === runner), runner };
}

/**
 * The test span a moment (ms since build start) belongs to, for a process when it is known (`pids`: its pid,
 * then its parent's). Undefined when none, or when it cannot be told (see the module comment).
 */
export function testSpanAt(spans: readonly TestSpan[], atMs: number, pids: readonly number[] = []): TestSpan | undefined {
  const { spans: mine, runner } = pool(spans, pids);
  let holding = mine.filter((s) => s.startMs <= atMs && atMs <= s.endMs);
  // Touching phases: a moment at one's end and the next one's start belongs to the one that ends there.
  const ending = holding.filter((s) => s.endMs === atMs);
  holding = holding.filter((s) => !(s.startMs === atMs && s.endMs > atMs && ending.some((e) => e.pid === s.pid)));
  const strict = pick(holding, runner);
  if (strict !== undefined) return strict ?? undefined;
  // No span holds it: the nearest within the tolerance (all at that distance, when several are).
  const near = mine.filter((s) => distance(s, atMs) <= SKEW_MS);
  if (!near.length) return undefined;
  const closest = Math.min(...near.map((s) => distance(s, atMs)));
  return pick(near.filter((s) => distance(s, atMs) === closest), runner) ?? undefined;
}

/**
 * The two tests a moment falls between, when it has no test although its process (or, by time alone, the
 * one process that ran tests) ran one before it and one after it: the last span that ended before it and the
 * first that starts after it. Undefined otherwise (before the first test, after the last, or several processes).
 */
export function testGapAt(spans: readonly TestSpan[], atMs: number, pids: readonly number[] = []): TestGap | undefined {
  const { spans: mine } = pool(spans, pids);
  if (!mine.length || mine.some((s) => s.pid !== (mine[0] as TestSpan).pid)) return undefined;
  if (testSpanAt(spans, atMs, pids)) return undefined;
  let before: TestSpan | undefined;
  let after: TestSpan | undefined;
  for (const s of mine) {
    if (s.endMs < atMs && (!before || s.endMs > before.endMs)) before = s;
    if (s.startMs > atMs && (!after || s.startMs < after.startMs)) after = s;
  }
  return before && after ? { before: before.nodeid, after: after.nodeid } : undefined;
}

/**
 * Each attempt with `test` set from the spans, where its first try falls inside one (`process`, when
 * filled, narrows it to that process's spans), with `testOutcome` (the test's final outcome, when logged),
 * or else `testGap` when it falls between two tests. Attempts that already carry a test keep it unless their
 * process points at a different one. Order and every other field are kept.
 */
export function attributeTests<A extends Attempt>(attempts: readonly A[], spans: readonly TestSpan[]): A[] {
  if (!spans.length) return [...attempts];
  return attempts.map((attempt) => {
    const { testOutcome: _outcome, testGap: _gap, ...rest } = attempt;
    const a = rest as A;
    const pids = a.process ? [a.process.pid, ...(a.process.ppid !== undefined ? [a.process.ppid] : [])] : [];
    if (a.test !== undefined && !pids.length) {
      const final = spans.find((s) => s.nodeid === a.test && s.final !== undefined)?.final;
      return final !== undefined ? { ...a, testOutcome: final } : a;
    }
    const span = testSpanAt(spans, a.firstAtMs, pids);
    if (!span) {
      const { test: _dropped, ...untested } = a;
      const gap = testGapAt(spans, a.firstAtMs, pids);
      return (gap ? { ...untested, testGap: gap } : untested) as A;
    }
    return { ...a, test: span.nodeid, ...(span.final !== undefined ? { testOutcome: span.final } : {}) };
  });
}
