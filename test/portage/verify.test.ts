/**
 * @privileged @portage `netaudit ebuild --suggest DIR --verify` (with --explain, the default) with real Portage on
 * the pytest-baseline fixture, a suite that fails for two reasons: an internet test and a test that fails
 * without any network. The patch deselects the internet test alone and verifies although src_test still fails:
 * the other test is reported as the baseline, not blamed on the patch. The ebuild costs two Portage runs: the
 * audit and the verify run; no intercepted rerun (every blocked attempt is named by its test: explainAdds).
 * No scratch directory is left behind.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { BuildResult } from '../../src/model/types.js';
import { ROOT } from '../helpers/cli.js';
import { requirePrivileges } from '../helpers/privileged.js';
import { requirePortage, scratchDirs, suggestVerifyRun } from '../helpers/portage.js';

const EBUILD = path.join(ROOT, 'fixtures/repo/net-test/pytest-baseline/pytest-baseline-1.ebuild');
const FETCH = 'tests/test_fetch.py::test_fetch_index';
const GIT = 'tests/test_version.py::test_version_from_git';

describe('netaudit ebuild --suggest --verify: a suite with unrelated failures @privileged @portage', function () {
  this.timeout(300_000);
  let tmp: string;
  let b: BuildResult;
  let stdout: string;
  let scratchBefore: string[];

  before(async function () {
    requirePrivileges(this);
    requirePortage(this);
    ({ tmp, stdout, build: b, scratchBefore } = await suggestVerifyRun(EBUILD));
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  it('the faithful run: breaks in src_test; both failing tests known, only the internet one made a blocked attempt', () => {
    assert.equal(b.verdict, 'breaks');
    assert.deepEqual(b.failedTests, [FETCH, GIT]);
    assert.deepEqual(b.attempts.filter((a) => !a.allowed).map((a) => [a.test, a.address, a.port]), [[FETCH, '203.0.113.12', 443]]);
  });

  it('the patch deselects the internet test alone and verifies; the other failure is the baseline', () => {
    assert.equal(b.suggestions?.length, 1, JSON.stringify(b.suggestions));
    const s = b.suggestions?.[0];
    assert.equal(s?.cause, 'deselect-tests');
    const added = (s?.patch ?? '').split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++'));
    assert.ok(added.some((l) => l.includes(`${FETCH}  # Internet`)), s?.patch);
    assert.ok(!added.some((l) => l.includes('test_version')), 'the baseline failure is not deselected');
    assert.equal(s?.verified, true, s?.verification);
    assert.deepEqual(s?.baseline, [GIT]);
    assert.equal(s?.rounds, undefined, 'one round');
    assert.match(
      s?.verification ?? '',
      /^patched copy audited \([\d.]+ s\): verdict fails-without-network; src_test fails \(exit 1\) only for its baseline: 1 test\(s\) that fail without touching the network, as before the patch; no blocked attempt; baseline .*: tests\/test_version\.py::test_version_from_git$/,
    );
    assert.match(stdout, /net-test\/pytest-baseline-1: suggestion \(deselect-tests, verified\): /);
    assert.equal(readFileSync(path.join(tmp, 'patches/net-test/pytest-baseline-1.patch'), 'utf8'), s?.patch);
  });

  it('two Portage runs: no intercepted rerun (every blocked attempt is named by its test); no scratch directory left', () => {
    assert.equal(b.explanation, undefined);
    assert.deepEqual(scratchDirs().filter((n) => !scratchBefore.includes(n)), []);
  });
});
