/**
 * @privileged @portage The boundary case of test attribution, with real Portage: pytest-end-lookup's lookups are
 * refused at the very end of a phase, one as the last statement of tests/test_release.py::test_index_reachable
 * (it fails), one in the finalizer of ::test_upload_session's fixture (it errors in teardown). With
 * `netaudit ebuild --suggest DIR --verify` (and NETAUDIT_KEEP_EVIDENCE, to see the boundary): each lookup's last
 * try lies within the last milliseconds of its phase, yet every blocked attempt names its test (none is left
 * between two tests) with its outcome; the patch deselects exactly those two tests (EPYTEST_DESELECT,
 * # Internet) and is verified in one round, its verify run running neither. No scratch directory is left.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { analyzeBuild } from '../../src/analyze/build.js';
import { testSpanAt } from '../../src/analyze/test-attribution.js';
import { evidenceFromJson, type BuildEvidence } from '../../src/model/evidence.js';
import type { BuildResult } from '../../src/model/types.js';
import { applyPatch } from '../../src/suggest/index.js';
import { ROOT } from '../helpers/cli.js';
import { requirePortage, scratchDirs, suggestVerifyRun } from '../helpers/portage.js';
import { requirePrivileges } from '../helpers/privileged.js';

const EBUILD = path.join(ROOT, 'fixtures/repo/net-test/pytest-end-lookup/pytest-end-lookup-1.ebuild');
const INDEX = 'tests/test_release.py::test_index_reachable';
const UPLOAD = 'tests/test_release.py::test_upload_session';
/** How close to its phase's end a lookup's last try must be to count as "at the very end" (measured: 0.2-1.0 ms). */
const VERY_END_MS = 10;

describe('netaudit ebuild --suggest --verify: lookups refused at the very end of a phase @privileged @portage', function () {
  this.timeout(300_000);
  let tmp: string;
  let b: BuildResult;
  let stdout: string;
  let scratchBefore: string[];
  const evidence = (suffix = ''): BuildEvidence => evidenceFromJson(JSON.parse(readFileSync(path.join(tmp, 'evidence', `net-test_pytest-end-lookup-1${suffix}.evidence.json`), 'utf8')));

  before(async function () {
    requirePrivileges(this);
    requirePortage(this);
    ({ tmp, stdout, build: b, scratchBefore } = await suggestVerifyRun(EBUILD, { keepEvidence: true }));
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  it('each lookup is at the very end of its phase: its last try within a few ms of the end, the phase then ends', () => {
    const ev = evidence();
    const start = ev.end.startMs;
    const analysis = analyzeBuild(ev);
    // Every moment something of the lookups left: the packets on lo, the tracer's socket calls.
    const moments = [
      ...analysis.packets.map((p) => p.tsMs - start),
      ...(ev.tracer?.events ?? []).filter((e) => e.kind === 'connect' || e.kind === 'sendto' || e.kind === 'sendmsg').map((e) => e.tsMs - start),
    ];
    const measured: string[] = [];
    for (const [test, phase] of [[INDEX, 'call'], [UPLOAD, 'teardown']] as const) {
      const span = ev.tests.find((s) => s.nodeid === test && s.phase === phase);
      assert.ok(span, `${test} ${phase} is in the test log`);
      assert.equal(span.outcome, test === INDEX ? 'failed' : 'error');
      const inside = moments.filter((t) => span.startMs <= t && t <= span.endMs);
      assert.ok(inside.length >= 2, `the lookup's tries (A and AAAA) fall in ${test}'s ${phase}: ${inside.join(' ')}`);
      const left = span.endMs - Math.max(...inside);
      assert.ok(left >= 0 && left < VERY_END_MS, `${test}'s ${phase} ends ${left.toFixed(3)} ms after the lookup's last try`);
      // The attribution's own answer at the last try: this test, whichever other spans lie near.
      assert.equal(testSpanAt(ev.tests, Math.max(...inside))?.nodeid, test);
      measured.push(`${phase} of ${test.split('::')[1]}: ${left.toFixed(3)} ms`);
    }
    console.log(`      (phase end after the lookup's last try: ${measured.join('; ')})`);
  });

  it('every blocked attempt names its test and outcome; none is left between tests', () => {
    assert.equal(b.verdict, 'breaks');
    assert.deepEqual([...(b.failedTests ?? [])].sort(), [INDEX, UPLOAD]);
    const blocked = b.attempts.filter((a) => !a.allowed);
    assert.deepEqual(
      blocked.map((a) => [a.hostname, a.qtype, a.test, a.testOutcome]).sort(),
      [
        ['pypi.example', 'A', INDEX, 'failed'],
        ['pypi.example', 'AAAA', INDEX, 'failed'],
        ['upload.pypi.example', 'A', UPLOAD, 'error'],
        ['upload.pypi.example', 'AAAA', UPLOAD, 'error'],
      ],
    );
    assert.ok(blocked.every((a) => a.testGap === undefined && a.phase === 'src_test'), JSON.stringify(blocked));
    assert.doesNotMatch(stdout, /between tests/);
  });

  it('the patch deselects exactly those two tests, # Internet each; verified in one round, neither test ran', () => {
    assert.equal(b.suggestions?.length, 1, JSON.stringify(b.suggestions));
    const s = b.suggestions![0]!;
    assert.equal(s.cause, 'deselect-tests');
    assert.equal(s.idiom, 'deselect');
    const fixed = applyPatch(readFileSync(EBUILD, 'utf8'), s.patch!);
    assert.match(fixed, /\nEPYTEST_DESELECT=\(\n\ttests\/test_release\.py::test_index_reachable {2}# Internet\n\ttests\/test_release\.py::test_upload_session {2}# Internet\n\)\n/);
    const added = s.patch!.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++'));
    assert.equal(added.filter((l) => l.includes('::')).length, 2, s.patch);
    assert.equal(s.verified, true, s.verification);
    assert.equal(s.rounds, undefined, 'one round');
    assert.match(s.verification ?? '', /^patched copy audited \([\d.]+ s\): verdict clean; src_test passes; no blocked attempt$/);
    assert.match(stdout, /net-test\/pytest-end-lookup-1: suggestion \(deselect-tests, verified\): 2 pytest tests failed for the network in src_test/);
    assert.equal(readFileSync(path.join(tmp, 'patches/net-test/pytest-end-lookup-1.patch'), 'utf8'), s.patch);
    // The verify run's own evidence: the two tests did not run, the four others passed.
    const verify = evidence('.verify-deselect-tests-1');
    const ran = new Map(verify.tests.filter((t) => t.phase === 'call').map((t) => [t.nodeid, t.outcome]));
    assert.equal(ran.size, 4, JSON.stringify([...ran]));
    assert.ok(!ran.has(INDEX) && !ran.has(UPLOAD) && [...ran.values()].every((o) => o === 'passed'), JSON.stringify([...ran]));
    assert.ok(!existsSync(path.join(tmp, 'evidence', 'net-test_pytest-end-lookup-1.verify-deselect-tests-2.evidence.json')));
  });

  it('no scratch directory left', () => {
    assert.deepEqual(scratchDirs().filter((n) => !scratchBefore.includes(n)), []);
  });
});
