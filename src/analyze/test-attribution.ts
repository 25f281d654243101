/**
 * Which test made an attempt (pure, no I/O). The test runner's own log says when each test phase ran and in
 * which process (src/portage/netaudit_pytest.py for pytest, read by src/runner/tests.ts); an attempt gets the
 * test whose phase holds its moment. Never a guess:
 * - a span holds a moment when it contains it; only when no span does, a span within SKEW_MS of it counts
 *   (the runner's clock and the capture's are both CLOCK_REALTIME, read at slightly different points);
 * - when the attempt's process is known (the syscall observer) and it, or else its parent, ran tests, only
 *   that process's spans count (pytest-xdist: each worker is a process of its own; a worker between tests
 *   is not given another worker's test); a process that ran no tests (a program a test started, or another
 *   build step) falls back to time alone;
 * - by time alone, spans of several processes at once (xdist workers, two suites in parallel) leave the test
 *   unset, and so do spans of one process that overlap without nesting. Nested spans of one process (pytester
 *   running pytest inside a test) give the innermost.
 */
import type { TestSpan } from '../model/evidence.js';
import type { Attempt } from '../model/types.js';

/** One phase of one test, as the runner logged it. Times are ms since the build started (Attempt.firstAtMs's clock). */
/** How far (ms) outside every span a moment may be and still belong to the nearest ones. */
export const SKEW_MS = 2;

/** Longest test id kept (longer ones are cut, with an ellipsis). */
export const MAX_TEST_ID = 512;

const PHASES = new Set(['setup', 'call', 'teardown']);

/**
 * The runner's log (one JSON object per line: start, end in epoch seconds, pid, phase, outcome, nodeid) ->
 * spans in ms since `buildStartMs` (epoch ms), in start order. Lines that do not parse (a worker killed in
 * the middle of a write) are skipped.
 */
export function parseTestLog(text: string, buildStartMs: number): TestSpan[] {
  const spans: TestSpan[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let r: unknown;
    try {
      r = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof r !== 'object' || r === null) continue;
    const { start, end, pid, phase, outcome, markers, nodeid } = r as Record<string, unknown>;
    if (typeof start !== 'number' || typeof end !== 'number' || !Number.isFinite(start) || !(end >= start)) continue;
    if (typeof pid !== 'number' || !Number.isInteger(pid) || typeof nodeid !== 'string' || !nodeid) continue;
    if (typeof phase !== 'string' || !PHASES.has(phase)) continue;
    spans.push({
      nodeid: nodeid.length > MAX_TEST_ID ? `${nodeid.slice(0, MAX_TEST_ID - 1)}…` : nodeid,
      phase: phase as TestSpan['phase'],
      ...(typeof outcome === 'string' ? { outcome } : {}),
      ...(Array.isArray(markers) ? { markers: markers.filter((m): m is string => typeof m === 'string') } : {}),
      pid,
      startMs: start * 1000 - buildStartMs,
      endMs: end * 1000 - buildStartMs,
    });
  }
  return spans.sort((a, b) => a.startMs - b.startMs);
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

/**
 * The test span a moment (ms since build start) belongs to, for a process when it is known (`pids`: its pid,
 * then its parent's). Undefined when none, or when it cannot be told (see the module comment).
 */
export function testSpanAt(spans: readonly TestSpan[], atMs: number, pids: readonly number[] = []): TestSpan | undefined {
  // The attempt's process (or its parent) ran tests: only its own spans can name the test.
  const runner = pids.find((pid) => spans.some((s) => s.pid === pid));
  const holding = spans.filter((s) => s.startMs <= atMs && atMs <= s.endMs);
  const strict = pick(holding, runner);
  if (strict !== undefined) return strict ?? undefined;
  const near = spans.filter((s) => s.startMs - SKEW_MS <= atMs && atMs <= s.endMs + SKEW_MS);
  return pick(near, runner) ?? undefined;
}

/**
 * Each attempt with `test` set from the spans, where its first try falls inside one (`process`, when
 * filled, narrows it to that process's spans). Attempts that already carry a test keep it unless their
 * process points at a different one. Order and every other field are kept.
 */
export function attributeTests<A extends Attempt>(attempts: readonly A[], spans: readonly TestSpan[]): A[] {
  if (!spans.length) return [...attempts];
  return attempts.map((a) => {
    const pids = a.process ? [a.process.pid, ...(a.process.ppid !== undefined ? [a.process.ppid] : [])] : [];
    if (a.test !== undefined && !pids.length) return a;
    const span = testSpanAt(spans, a.firstAtMs, pids);
    if (!span) {
      if (a.test === undefined) return a;
      const { test: _dropped, ...rest } = a;
      return rest as A;
    }
    return { ...a, test: span.nodeid };
  });
}
