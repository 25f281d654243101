/**
 * The boundary of a test phase, on recorded evidence (test/fixtures/spans/): a lookup refused a fraction of a
 * millisecond before its test's call ends, the next test starting right after. With times rounded to whole
 * ms this lost its test in about one run in four (the rounded moment fell past the end, and the next test
 * within the tolerance made the match ambiguous). Here the recorded spans are moved, 50 times with seeded
 * random fractions, so that each call ends 1-999 µs after its lookup and the next phase starts 10-300 µs
 * later; the lookup must name its own test, with its final outcome, in 50 runs out of 50. Pure: no timing.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { analyzeBuild, withSyscalls } from '../../src/analyze/build.js';
import { analyze } from '../../src/analyze/index.js';
import { attributeTests } from '../../src/analyze/test-attribution.js';
import { evidenceFromJson, type BuildEvidence, type TestSpan } from '../../src/model/evidence.js';
import type { Attempt, BuildResult, Report } from '../../src/model/types.js';
import { loadSchemaValidator } from '../../src/report/validate.js';
import { judgeCommand } from '../../src/verdict/index.js';
import { ROOT } from '../helpers/cli.js';
import { seededRandom } from '../helpers/random.js';

const DIR = path.join(ROOT, 'test/fixtures/spans');
const evidence: BuildEvidence = evidenceFromJson(JSON.parse(readFileSync(path.join(DIR, 'spans-boundary.evidence.json'), 'utf8')));
const report = JSON.parse(readFileSync(path.join(DIR, 'spans-boundary.report.json'), 'utf8')) as Report;
const FILE = 'tests/test_boundary.py';
const LOOKUP_TESTS = [1, 2, 3, 4, 5, 6].map((i) => `${FILE}::test_lookup_${i}`);

const random = seededRandom;

/** The attempts at the µs they were measured at, before any test is given (what attributeTests() receives). */
function exactAttempts(): Attempt[] {
  const base = analyzeBuild({ ...evidence, tests: [] });
  const ctx = { buildStartMs: evidence.end.startMs, exact: true };
  assert.ok(evidence.tracer, 'the recording has the tracer\'s events');
  return withSyscalls(analyze(base.packets, ctx), base.packets, ctx, evidence.tracer);
}

/**
 * Each lookup test's last try (ms since the build start): its latest packet or socket call inside its
 * recorded call phase (a lookup tries again: A and AAAA, then once more), so that moved spans still hold all.
 */
function lastTries(): Map<string, number> {
  const start = evidence.end.startMs;
  const moments = [
    ...analyzeBuild({ ...evidence, tests: [] }).packets.map((p) => p.tsMs - start),
    ...(evidence.tracer?.events ?? []).filter((e) => e.kind === 'connect' || e.kind === 'sendto' || e.kind === 'sendmsg').map((e) => e.tsMs - start),
  ];
  const last = new Map<string, number>();
  for (const call of evidence.tests.filter((s) => s.phase === 'call' && LOOKUP_TESTS.includes(s.nodeid))) {
    last.set(call.nodeid, Math.max(...moments.filter((t) => call.startMs <= t && t <= call.endMs)));
  }
  return last;
}

/** The test whose lookup an attempt is (files3.example -> test_lookup_3). */
const lookupTest = (a: Attempt) => `${FILE}::test_lookup_${/^files(\d)\.example$/.exec(a.hostname ?? '')?.[1]}`;

/**
 * The recorded spans moved: each lookup test's call ends `after()` ms after its last lookup, and what follows
 * until the next lookup test's call (its teardown, the passing test, the next setup) starts `gap()` ms later,
 * with the recorded lengths and gaps between those.
 */
function perturbed(spans: readonly TestSpan[], lastLookup: Map<string, number>, after: () => number, gap: () => number): TestSpan[] {
  const out = [...spans].sort((a, b) => a.startMs - b.startMs);
  let shift = 0;
  return out.map((s) => {
    const last = s.phase === 'call' ? lastLookup.get(s.nodeid) : undefined;
    if (last !== undefined) {
      const endMs = last + after();
      const next = out.find((n) => n.startMs > s.endMs);
      shift = next ? endMs + gap() - next.startMs : 0;
      return { ...s, endMs };
    }
    if (s.phase === 'call' && s.nodeid.includes('::test_lookup_')) shift = 0;
    return shift ? { ...s, startMs: s.startMs + shift, endMs: s.endMs + shift } : s;
  });
}

describe('test attribution at a phase\'s boundary (recorded spans)', () => {
  it('the recording: the analysis is the live run\'s report; each lookup names its failing test', async () => {
    const build = report.builds[0] as BuildResult;
    const analysis = analyzeBuild(evidence);
    assert.deepEqual(analysis.attempts, build.attempts);
    const end = { exitCode: evidence.end.exitCode, signal: evidence.end.signal, timedOut: evidence.end.timedOut, capture: analysis.gaps };
    assert.equal(judgeCommand({ attempts: analysis.attempts, end, interfaceQueries: analysis.interfaceQueries }).verdict, build.verdict);
    assert.equal(analysis.attempts.length, 12, JSON.stringify(analysis.attempts));
    for (const a of analysis.attempts) {
      assert.equal(a.test, lookupTest(a), JSON.stringify(a));
      assert.equal(a.testOutcome, 'failed');
    }
    // The live run's report, testOutcome included, is a valid report; so is one with a testGap.
    const validate = await loadSchemaValidator();
    assert.ok(validate(report), JSON.stringify(validate.errors));
    const gapped = structuredClone(report) as unknown as { builds: { attempts: Record<string, unknown>[] }[] };
    const first = gapped.builds[0]?.attempts[0] as Record<string, unknown>;
    delete first.test;
    delete first.testOutcome;
    first.testGap = { before: `${FILE}::test_plain_1`, after: `${FILE}::test_lookup_2` };
    assert.ok(validate(gapped), JSON.stringify(validate.errors));
    // Spans of the passing tests carry their outcome too.
    assert.ok(evidence.tests.filter((s) => s.nodeid.includes('::test_plain_')).every((s) => s.final === 'passed'));
  });

  it('a lookup refused a fraction of a ms before its call ends names its test in 50 runs out of 50', () => {
    const attempts = exactAttempts();
    assert.equal(attempts.length, 12);
    const lastLookup = lastTries();
    assert.deepEqual([...lastLookup.keys()].sort(), LOOKUP_TESTS);
    for (const a of attempts) assert.ok(a.firstAtMs <= (lastLookup.get(lookupTest(a)) as number), JSON.stringify(a));
    const rnd = random(17);
    let named = 0;
    let roundedPastEnd = 0;
    for (let run = 0; run < 50; run++) {
      const spans = perturbed(evidence.tests, lastLookup, () => 0.001 + 0.998 * rnd(), () => 0.01 + 0.29 * rnd());
      // The moved spans still hold each lookup in its own call, a fraction of a ms from the end.
      for (const [test, t] of lastLookup) {
        const call = spans.find((s) => s.nodeid === test && s.phase === 'call') as TestSpan;
        const next = spans.filter((s) => s.startMs > call.endMs).sort((a, b) => a.startMs - b.startMs)[0] as TestSpan;
        assert.ok(call.startMs < t && t < call.endMs && call.endMs - t < 1 && next.startMs - call.endMs < 0.5, JSON.stringify({ test, t, call, next }));
        if (Math.round(t) > call.endMs) roundedPastEnd++;
      }
      const byAttribution = attributeTests(attempts, spans);
      const byBuild = analyzeBuild({ ...evidence, tests: spans }).attempts;
      const right = (list: readonly Attempt[]) => list.length === 12 && list.every((a) => a.test === lookupTest(a) && a.testOutcome === 'failed' && !a.testGap);
      assert.ok(right(byAttribution), `run ${run}: ${JSON.stringify(byAttribution.map((a) => [a.hostname, a.firstAtMs, a.test, a.testGap]))}`);
      assert.ok(right(byBuild), `run ${run} (analyzeBuild): ${JSON.stringify(byBuild.map((a) => [a.hostname, a.firstAtMs, a.test, a.testGap]))}`);
      named++;
    }
    assert.equal(named, 50);
    // Not vacuous: in some of these runs the last try, rounded to whole ms, falls past its call's end (16 of the
    // 300 with this seed), where the rounded match went to the next test or to none.
    assert.ok(roundedPastEnd >= 10, `rounded past the end in ${roundedPastEnd} of 300 lookups`);
  });
});
