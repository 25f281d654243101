/**
 * @privileged @portage A second verification round, for real: `netaudit ebuild --suggest DIR --verify` (with
 * --explain, the default) on pytest-order-cache, whose session fixture downloads the package index once. In the
 * audit the first test that asks for it (test_index_lists_packages) makes the one blocked attempt; the second
 * (test_project_page_link) errors on pytest's cached error without an attempt of its own, so the first patch
 * deselects the first test alone. Round 1's verify run shows the second test failing on its own connect: a
 * network failure the patch missed; netaudit adds it, and round 2 verifies (src_test passes, no blocked
 * attempt). Each round is in the report (JSON `rounds`, the printed lines), and each verify run's evidence
 * (NETAUDIT_KEEP_EVIDENCE) shows what its round judged. The patch file is the widened one; no intercepted
 * rerun (every blocked attempt is named by its test); no scratch directory is left.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { analyzeBuild } from '../../src/analyze/build.js';
import { evidenceFromJson, type BuildEvidence } from '../../src/model/evidence.js';
import type { BuildResult } from '../../src/model/types.js';
import { applyPatch } from '../../src/suggest/index.js';
import { ROOT } from '../helpers/cli.js';
import { requirePortage, scratchDirs, suggestVerifyRun } from '../helpers/portage.js';
import { requirePrivileges } from '../helpers/privileged.js';

const EBUILD = path.join(ROOT, 'fixtures/repo/net-test/pytest-order-cache/pytest-order-cache-1.ebuild');
const A = 'tests/test_index.py::test_index_lists_packages';
const B = 'tests/test_index.py::test_project_page_link';
const PASSING = ['tests/test_index.py::test_normalize_name', 'tests/test_index.py::test_anchor_pattern', 'tests/test_version.py::test_version_tuple', 'tests/test_version.py::test_version_order'];

describe('netaudit ebuild --suggest --verify: a second round for the failure the first patch moved @privileged @portage', function () {
  this.timeout(300_000);
  let tmp: string;
  let b: BuildResult;
  let stdout: string;
  let scratchBefore: string[];
  const evidence = (suffix = ''): BuildEvidence => evidenceFromJson(JSON.parse(readFileSync(path.join(tmp, 'evidence', `net-test_pytest-order-cache-1${suffix}.evidence.json`), 'utf8')));
  /** The final outcome of each test that ran, from a run's test log. */
  const outcomes = (ev: BuildEvidence) => Object.fromEntries(ev.tests.map((s) => [s.nodeid, s.final]));

  before(async function () {
    requirePrivileges(this);
    requirePortage(this);
    ({ tmp, stdout, build: b, scratchBefore } = await suggestVerifyRun(EBUILD, { keepEvidence: true }));
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  it('the audit: both tests error, only the first made a blocked attempt (the second got the cached error)', () => {
    assert.equal(b.verdict, 'breaks');
    assert.deepEqual([...(b.failedTests ?? [])].sort(), [A, B]);
    assert.deepEqual(b.attempts.filter((a) => !a.allowed).map((a) => [a.kind, a.address, a.port, a.test, a.testOutcome]), [['tcp', '203.0.113.60', 80, A, 'error']]);
    assert.deepEqual(outcomes(evidence()), { [A]: 'error', [B]: 'error', ...Object.fromEntries(PASSING.map((t) => [t, 'passed'])) });
  });

  it('round 1 deselects the first test and names the second as a network failure it missed; round 2 adds it and verifies', () => {
    assert.equal(b.suggestions?.length, 1, JSON.stringify(b.suggestions));
    const s = b.suggestions![0]!;
    assert.equal(s.cause, 'deselect-tests');
    const rounds = s.rounds ?? [];
    assert.deepEqual(rounds.map((r) => [r.round, r.added, r.verified]), [
      [1, [], false],
      [2, [B], true],
    ]);
    assert.match(
      rounds[0]!.verification,
      /^patched copy audited \([\d.]+ s\): verdict breaks; src_test still fails \(exit 1\); the patch missed 1 failing test\(s\) that tried the network: tcp 203\.0\.113\.60:80 in src_test \(tests\/test_index\.py::test_project_page_link\)$/,
    );
    assert.match(rounds[1]!.verification, /^patched copy audited \([\d.]+ s\): verdict clean; src_test passes; no blocked attempt$/);
    // The suggestion is the last round's: verified, with the widened patch.
    assert.equal(s.verified, true);
    assert.equal(s.verification, rounds[1]!.verification);
    const fixed = applyPatch(readFileSync(EBUILD, 'utf8'), s.patch!);
    assert.match(fixed, /\nEPYTEST_DESELECT=\(\n\ttests\/test_index\.py::test_index_lists_packages {2}# Internet\n\ttests\/test_index\.py::test_project_page_link {2}# Internet\n\)\n/);
    assert.equal(s.patch!.split('\n').filter((l) => l.startsWith('+') && l.includes('::')).length, 2, s.patch);
    // Its attempts index the audit's own (the second test's attempt was the verify run's).
    assert.deepEqual(s.attempts, [0]);
    assert.equal(readFileSync(path.join(tmp, 'patches/net-test/pytest-order-cache-1.patch'), 'utf8'), s.patch);
  });

  it("each verify run's evidence shows what its round judged", () => {
    // Round 1: the first test deselected; the second made the download itself, failed on it, blocked.
    const one = evidence('.verify-deselect-tests-1');
    assert.deepEqual(outcomes(one), { [B]: 'error', ...Object.fromEntries(PASSING.map((t) => [t, 'passed'])) });
    assert.deepEqual(analyzeBuild(one).attempts.filter((a) => a.address === '203.0.113.60').map((a) => [a.port, a.test]), [[80, B]]);
    // Round 2: both deselected; the others pass and nothing reaches for the network.
    const two = evidence('.verify-deselect-tests-2');
    assert.deepEqual(outcomes(two), Object.fromEntries(PASSING.map((t) => [t, 'passed'])));
    assert.deepEqual(analyzeBuild(two).attempts.filter((a) => a.phase === 'src_test'), []);
    assert.ok(!existsSync(path.join(tmp, 'evidence', 'net-test_pytest-order-cache-1.verify-deselect-tests-3.evidence.json')));
  });

  it('the printed report lists both rounds', () => {
    assert.match(stdout, /net-test\/pytest-order-cache-1: suggestion \(deselect-tests, verified\): 2 pytest tests failed for the network in src_test/);
    assert.match(stdout, /\n {4}verify round 1: NOT verified: patched copy audited \([\d.]+ s\): verdict breaks; .*the patch missed 1 failing test\(s\)/);
    assert.match(stdout, /\n {4}verify round 2 \(adds tests\/test_index\.py::test_project_page_link\): verified: patched copy audited \([\d.]+ s\): verdict clean; src_test passes; no blocked attempt\n/);
  });

  it('no intercepted rerun (every blocked attempt named by its test); no scratch directory left', () => {
    assert.equal(b.explanation, undefined);
    assert.ok(!existsSync(path.join(tmp, 'evidence', 'net-test_pytest-order-cache-1.intercepted.evidence.json')));
    assert.deepEqual(scratchDirs().filter((n) => !scratchBefore.includes(n)), []);
  });
});
