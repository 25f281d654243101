/**
 * --verify's judgement as a maintainer judges a fix (pure, on builds made by hand after the pytest-baseline and
 * pytest-mixed fixtures): a suite's baseline failures are reported, not blamed on the patch; attempts left by
 * passing tests are leaks; a failing test the patch missed is named for the next round, whose patch the
 * suggestion engine widens; the failed tests of a run from the pytest plugin's spans; and when --explain's
 * intercepted rerun adds what a suggestion needs.
 */
import assert from 'node:assert/strict';
import { failedTests } from '../../src/analyze/test-outcomes.js';
import type { TestSpan } from '../../src/model/evidence.js';
import type { Attempt, BuildResult } from '../../src/model/types.js';
import { explainAdds } from '../../src/runner/ebuild.js';
import { declaredMetadata, judgeVerification, keepsMetadata, VERIFY_ROUNDS, widenSuggestion } from '../../src/runner/verify.js';
import { applyPatch, suggest } from '../../src/suggest/index.js';
import { attempt, build, fixture } from '../helpers/builds.js';

const FETCH = 'tests/test_fetch.py::test_fetch_index';
const GIT = 'tests/test_version.py::test_version_from_git';
const fetchAttempt = attempt({ phase: 'src_test', test: FETCH, address: '203.0.113.12', port: 443 });

/** pytest-baseline's faithful run: the internet test and the version test fail, src_test dies. */
const original = build('pytest-baseline', [fetchAttempt], [], { failedTests: [FETCH, GIT].sort() });

/** A verify run of the patched copy. */
function rerun(over: Partial<BuildResult>): BuildResult {
  return { ...original, verdict: 'clean', exitCode: 0, attempts: [], findings: [], phases: [{ name: 'src_test', startMs: 1, endMs: 2, exitCode: 0 }], durationMs: 2500, failedTests: [], ...over };
}
const failing = { exitCode: 1, phases: [{ name: 'src_test', startMs: 1, endMs: 2, exitCode: 1 }] };

describe('verify: judged as a maintainer judges a fix', () => {
  it('a suite that also fails for another reason: src_test fails only for its baseline, the patch verifies, the baseline is named', () => {
    const j = judgeVerification(original, rerun({ ...failing, verdict: 'fails-without-network', failedTests: [GIT] }), 'deselect-tests');
    assert.equal(j.verified, true, j.verification);
    assert.deepEqual(j.baseline, [GIT]);
    assert.equal(j.leaks, undefined);
    assert.equal(j.missed, undefined);
    assert.equal(
      j.verification,
      `patched copy audited (2.50 s): verdict fails-without-network; src_test fails (exit 1) only for its baseline: 1 test(s) that fail without touching the network, as before the patch; no blocked attempt; baseline (fails with the network cut, touches none, not the patch's doing): ${GIT}`,
    );
  });

  it('a test that fails now and did not before is blamed on the patch, not taken for the baseline', () => {
    const other = 'tests/test_version.py::test_version_string';
    const j = judgeVerification(original, rerun({ ...failing, verdict: 'fails-without-network', failedTests: [GIT, other] }), 'deselect-tests');
    assert.equal(j.verified, false);
    assert.deepEqual(j.baseline, [GIT]);
    assert.match(j.verification, /src_test still fails \(exit 1\); 1 test\(s\) fail now that did not fail without the network before: tests\/test_version\.py::test_version_string/);
  });

  it('a failing phase without test outcomes (no plugin log) cannot be told from a network failure: not verified', () => {
    const j = judgeVerification(original, rerun({ ...failing, failedTests: undefined }), 'deselect-tests');
    assert.equal(j.verified, false);
    assert.match(j.verification, /src_test still fails \(exit 1\)$/);
  });

  it('attempts left by tests that pass (they expect the failure) are leaks, listed; the patch verifies', () => {
    const probe = attempt({ phase: 'src_test', test: 'tests/test_offline.py::test_offline_error', kind: 'dns', hostname: 'pypi.example', address: '127.0.0.53', port: 53, qtype: 'A' } as never);
    const j = judgeVerification(original, rerun({ verdict: 'tolerates', attempts: [probe] }), 'deselect-tests');
    assert.equal(j.verified, true, j.verification);
    assert.deepEqual(j.leaks, ['pypi.example (A) in src_test (tests/test_offline.py::test_offline_error)']);
    assert.match(j.verification, /src_test passes; 1 attempt\(s\) left by tests that pass \(leaks\): pypi\.example \(A\) in src_test/);
    assert.doesNotMatch(j.verification, /no blocked attempt/);
    // The test's own outcome, where the attempt carries it, says the same in a failing phase.
    const withOutcome = { ...probe, testOutcome: 'passed' } as unknown as Attempt;
    const k = judgeVerification(original, rerun({ ...failing, attempts: [withOutcome], failedTests: [GIT] }), 'deselect-tests');
    assert.equal(k.verified, true, k.verification);
    assert.equal(k.leaks?.length, 1);
  });

  it('a failing test the patch missed is named for the next round; one the patch addressed means it did not take', () => {
    const missedAttempt = attempt({ phase: 'src_test', test: 'tests/test_fetch.py::test_fetch_mirror', address: '203.0.113.13', port: 443 });
    const j = judgeVerification(original, rerun({ ...failing, verdict: 'breaks', attempts: [missedAttempt], failedTests: ['tests/test_fetch.py::test_fetch_mirror', GIT] }), 'deselect-tests');
    assert.equal(j.verified, false);
    assert.deepEqual(j.missed, [missedAttempt]);
    assert.deepEqual(j.baseline, [GIT], 'the baseline is still told apart');
    assert.match(j.verification, /the patch missed 1 failing test\(s\) that tried the network: tcp 203\.0\.113\.13:443 in src_test \(tests\/test_fetch\.py::test_fetch_mirror\)/);
    const again = judgeVerification(original, rerun({ ...failing, verdict: 'breaks', attempts: [fetchAttempt], failedTests: [FETCH, GIT] }), 'deselect-tests');
    assert.equal(again.verified, false);
    assert.equal(again.missed, undefined);
    assert.match(again.verification, /1 blocked attempt\(s\) remain: tcp 203\.0\.113\.12:443 in src_test \(tests\/test_fetch\.py::test_fetch_index\)/);
  });

  it('the next round: the suggestion engine widens the patch by the missed tests; its attempts index only the build\'s own', () => {
    const text = fixture('pytest-baseline');
    const [first] = suggest(original, text);
    assert.equal(first?.cause, 'deselect-tests');
    const missedAttempt = attempt({ phase: 'src_test', test: 'tests/test_fetch.py::test_fetch_mirror', address: '203.0.113.13', port: 443 });
    const wider = widenSuggestion(original, text, first as never, [missedAttempt]);
    assert.ok(wider?.patch, 'a wider patch');
    const patched = applyPatch(text, wider.patch);
    assert.match(patched, /tests\/test_fetch\.py::test_fetch_index/);
    assert.match(patched, /tests\/test_fetch\.py::test_fetch_mirror/);
    assert.deepEqual(wider.attempts, [0]);
    assert.equal(widenSuggestion(original, text, first as never, []), undefined, 'nothing new: no other patch');
    assert.equal(VERIFY_ROUNDS, 3);
  });

  it('a test_network suggestion: src_test skipped verifies as before', () => {
    const unnamed = build('test-resolve', [attempt({ phase: 'src_test' })], []);
    const j = judgeVerification(unnamed, rerun({ phases: [], findings: [{ keyword: 'TestsSkipped', level: 'info', message: 'skipped' }], failedTests: undefined }), 'test-network');
    assert.equal(j.verified, true);
    assert.equal(j.verification, 'patched copy audited (2.50 s): verdict clean; src_test skipped (RESTRICT=test); no blocked attempt');
  });
});

describe('test outcomes from the pytest plugin\'s spans', () => {
  const span = (nodeid: string, phase: TestSpan['phase'], outcome: string): TestSpan => ({ nodeid, phase, outcome, pid: 1, startMs: 1, endMs: 2 });
  it('a test failed when any phase failed or errored; skipped, xfailed and passed do not count; one id once', () => {
    assert.equal(failedTests([]), undefined);
    assert.equal(failedTests(undefined), undefined);
    assert.deepEqual(failedTests([span('t.py::a', 'setup', 'passed'), span('t.py::a', 'call', 'passed'), span('t.py::a', 'teardown', 'passed')]), []);
    assert.deepEqual(
      failedTests([
        span('t.py::c', 'call', 'failed'),
        span('t.py::b', 'setup', 'error'),
        span('t.py::x', 'call', 'xfailed'),
        span('t.py::s', 'setup', 'skipped'),
        span('t.py::c', 'call', 'failed'),
        span('t.py::d', 'teardown', 'failed'),
      ]),
      ['t.py::b', 't.py::c', 't.py::d'],
    );
  });
});

describe('--explain: the intercepted rerun only where it adds what a suggestion needs', () => {
  it('not for tests that are named (deselection, or test_network); yes for a download, and for a lookup without its name', () => {
    assert.equal(explainAdds({ attempts: [] }), false);
    assert.equal(explainAdds({ attempts: [attempt({ allowed: true, phase: 'src_compile' })] }), false, 'allowed attempts only');
    assert.equal(explainAdds({ attempts: [fetchAttempt, attempt({ phase: 'src_test' })] }), false);
    assert.equal(explainAdds({ attempts: [fetchAttempt, attempt({ phase: 'src_compile' })] }), true, 'a download: SRC_URI needs the URL');
    const unnamed = attempt({ phase: 'src_test', test: FETCH, kind: 'dns', address: '192.0.2.53', port: 53 } as never);
    assert.equal(explainAdds({ attempts: [unnamed] }), true, 'the rerun recovers the name');
  });
});

describe('verify: the patched copy keeps the original metadata only when the patch cannot change it', () => {
  const diff = (...lines: string[]): string => ['--- a/x.ebuild', '+++ b/x.ebuild', '@@ -1,3 +1,4 @@', ...lines, ''].join('\n');
  const deselect = diff(' EPYTEST_DESELECT=(', '+\t# Internet', '+\ttests/test_net.py::test_fetch', ' )');
  it('test removals inside the ebuild (EPYTEST_DESELECT, -m/-k in python_test, a local array in a new python_test) keep it', () => {
    assert.equal(keepsMetadata({ cause: 'deselect-tests', idiom: 'deselect', patch: deselect }), true);
    assert.equal(keepsMetadata({ cause: 'leak-tests', idiom: 'deselect', patch: deselect }), true);
    const marker = diff('+python_test() {', '+\tepytest -m "not network"', '+}');
    assert.equal(keepsMetadata({ cause: 'deselect-tests', idiom: 'marker', patch: marker }), true);
    const local = diff('+python_test() {', '+\tlocal EPYTEST_DESELECT=(', '+\t\ttests/test_net.py::test_fetch', '+\t)', '+\tepytest', '+}');
    assert.equal(keepsMetadata({ cause: 'deselect-tests', idiom: 'deselect', patch: local }), true);
  });
  it('anything that may change it asks Portage again: declare, other causes, a phase function, an assignment, inherit', () => {
    assert.equal(keepsMetadata({ cause: 'deselect-tests', idiom: 'declare', patch: diff('+PROPERTIES="test_network"', '+RESTRICT="test"') }), false);
    assert.equal(keepsMetadata({ cause: 'build-time-download', patch: diff('+SRC_URI+=" https://files.example/x.tar.gz"') }), false);
    assert.equal(keepsMetadata({ cause: 'deselect-tests', idiom: 'deselect', patch: diff('+src_test() {', '+\tperl_rm_files t/net.t', '+\tperl-module_src_test', '+}') }), false);
    assert.equal(keepsMetadata({ cause: 'deselect-tests', idiom: 'deselect', patch: diff(' EPYTEST_DESELECT=(', '+\tt::x', ' )', '-RESTRICT="!test? ( test )"') }), false);
    assert.equal(keepsMetadata({ cause: 'deselect-tests', idiom: 'deselect', patch: diff('+inherit virtualx') }), false);
    assert.equal(keepsMetadata({ cause: 'deselect-tests', idiom: 'deselect', patch: diff('+distutils_enable_tests unittest') }), false);
    assert.equal(keepsMetadata({ cause: 'deselect-tests', idiom: 'deselect' }), false);
  });
});

describe('verify: a declare patch\'s PROPERTIES/RESTRICT derived without asking Portage again (declaredMetadata)', () => {
  const diff = (...lines: string[]): string => ['--- a/x.ebuild', '+++ b/x.ebuild', '@@ -1,3 +1,4 @@', ...lines, ''].join('\n');
  const none = { properties: [], restrict: [], rawProperties: '', rawRestrict: '' };
  it('new variables, or tokens appended to plain ones: the original\'s and the tokens (checked against Portage in test/portage/verify-metadata.test.ts)', () => {
    assert.deepEqual(declaredMetadata(none, { cause: 'test-network', patch: diff('+PROPERTIES="test_network"', '+RESTRICT="test"', '+') }), {
      properties: ['test_network'], restrict: ['test'], rawProperties: 'test_network', rawRestrict: 'test',
    });
    const plain = { properties: ['interactive'], restrict: ['strip', 'mirror'], rawProperties: 'interactive', rawRestrict: 'strip mirror' };
    const appended = diff('-PROPERTIES="interactive"', '-RESTRICT="strip mirror"  # upstream', '+PROPERTIES="interactive test_network"', '+RESTRICT="strip mirror test"  # upstream');
    assert.deepEqual(declaredMetadata(plain, { cause: 'deselect-tests', idiom: 'declare', patch: appended }), {
      properties: ['interactive', 'test_network'], restrict: ['strip', 'mirror', 'test'], rawProperties: 'interactive test_network', rawRestrict: 'strip mirror test',
    });
    assert.deepEqual(declaredMetadata(plain, { cause: 'test-network', patch: diff(' RESTRICT="strip mirror"', '+RESTRICT+=" test"', '+PROPERTIES+=" test_network"') })?.restrict, ['strip', 'mirror', 'test']);
  });
  it('anything else asks Portage: a conditional, another line, a token removed, another cause or idiom, no patch', () => {
    const p = diff('+PROPERTIES="test_network"', '+RESTRICT="test"');
    assert.equal(declaredMetadata({ ...none, rawRestrict: '!test? ( test )', restrict: [] }, { cause: 'test-network', patch: p }), undefined);
    assert.equal(declaredMetadata({ ...none, rawProperties: 'test? ( test_network )' }, { cause: 'test-network', patch: p }), undefined);
    assert.equal(declaredMetadata(none, { cause: 'test-network', patch: diff('+PROPERTIES="test_network"', '+IUSE="test"') }), undefined);
    assert.equal(declaredMetadata(none, { cause: 'test-network', patch: diff('+RESTRICT="test ${X}"') }), undefined);
    assert.equal(declaredMetadata(none, { cause: 'test-network', patch: diff('+RESTRICT="!test? ( test )"') }), undefined);
    assert.equal(declaredMetadata({ ...none, rawRestrict: 'mirror', restrict: ['mirror'] }, { cause: 'test-network', patch: diff('-RESTRICT="mirror"', '+RESTRICT="test"') }), undefined);
    assert.equal(declaredMetadata(none, { cause: 'deselect-tests', idiom: 'deselect', patch: p }), undefined);
    assert.equal(declaredMetadata(none, { cause: 'build-time-download', patch: p }), undefined);
    assert.equal(declaredMetadata(none, { cause: 'test-network' }), undefined);
  });
});
