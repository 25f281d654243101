/**
 * @privileged @portage `netaudit ebuild --suggest DIR --verify` with real Portage on the fixture suites that need
 * more than EPYTEST_DESELECT: pytest-marker (its pytest.ini declares `network`, two marked tests fail, one marked
 * test passes offline) gets `-m "not network"` in its pytest call, saying it also removes that test and that the
 * marker is declared (the plugin's session record, carried as declaredMarkers), verified;
 * pytest-expect-fail (one test fails for the network, one passes because it expects the failure) gets the failing
 * test deselected (the one that passes is kept, as the maintainer keeps it) and the passing one as a separate,
 * labelled leak suggestion whose patch (on top of the fix) leaves no attempt. Both runs record every test with its
 * outcome and markers; `netaudit report patches` makes the Gentoo-style commit
 * `net-test/pytest-marker: skip tests requiring Internet access`. No scratch directory is left behind.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BuildResult, Report } from '../../src/model/types.js';
import { applyPatch } from '../../src/suggest/index.js';
import { ROOT, netaudit } from '../helpers/cli.js';
import { requirePortage } from '../helpers/portage.js';
import { requirePrivileges } from '../helpers/privileged.js';
import { scratchDirs } from '../helpers/portage.js';

const REPO = path.join(ROOT, 'fixtures/repo');
const ebuild = (pn: string) => path.join(REPO, 'net-test', pn, `${pn}-1.ebuild`);

describe('netaudit ebuild --suggest --verify: idioms per outcome @privileged @portage', function () {
  this.timeout(300_000);
  let tmp: string;
  let report: Report;
  let run: Awaited<ReturnType<typeof netaudit>>;
  let seconds: number;
  let scratchBefore: string[];
  const byName = (n: string) => report.builds.find((b) => b.name === n) as BuildResult;

  before(async function () {
    requirePrivileges(this);
    requirePortage(this);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-test-'));
    chmodSync(tmp, 0o755);
    scratchBefore = scratchDirs();
    const t0 = Date.now();
    run = await netaudit(
      ['ebuild', '--no-explain', '--suggest', path.join(tmp, 'patches'), '--verify', '--json', path.join(tmp, 'report.json'), '--log-dir', path.join(tmp, 'logs'), '--fail-on', 'never', ebuild('pytest-marker'), ebuild('pytest-expect-fail')],
      { env: { ...process.env, NO_COLOR: '1' } },
    );
    seconds = (Date.now() - t0) / 1000;
    assert.equal(run.code, 0, run.stderr);
    report = JSON.parse(readFileSync(path.join(tmp, 'report.json'), 'utf8')) as Report;
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  it('pytest-marker: the run records every test with outcome and markers; -m "not network", verified, saying what else it removes', () => {
    const b = byName('net-test/pytest-marker-1');
    assert.equal(b.verdict, 'breaks');
    const tests = Object.fromEntries((b.tests ?? []).map((t) => [t.id, [t.outcome, (t.markers ?? []).join(',')]]));
    assert.deepEqual(tests['tests/test_client.py::test_fetch'], ['failed', 'network']);
    assert.deepEqual(tests['tests/test_client.py::TestApi::test_status'], ['failed', 'network']);
    assert.deepEqual(tests['tests/test_client.py::test_offline_fallback'], ['passed', 'network']);
    assert.deepEqual(tests['tests/test_basic.py::test_add'], ['passed', '']);
    assert.equal(b.tests?.length, 7);
    assert.deepEqual(b.suggestions?.map((s) => [s.cause, s.idiom, s.networkScale]), [['deselect-tests', 'marker', 3]]);
    const s = b.suggestions![0]!;
    const added = (s.patch ?? '').split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++'));
    assert.deepEqual(added, ['+\tpython3 -m pytest -m "not network" -p no:cacheprovider --color=no -vv -ra "${args[@]}" tests || die "pytest failed"']);
    assert.match(s.summary, /also removes 1 other test .*test_offline_fallback/);
    // The markers its pytest.ini declares, from the plugin's session record: the marker is said to be declared.
    assert.deepEqual(b.declaredMarkers, { names: ['network'], strict: false });
    assert.match(s.summary, /@pytest\.mark\.network marker \(declared in its markers\)/);
    assert.equal(s.verified, true, s.verification);
    assert.equal(readFileSync(path.join(tmp, 'patches/net-test/pytest-marker-1.patch'), 'utf8'), s.patch);
    assert.match(run.stdout, /net-test\/pytest-marker-1: suggestion \(deselect-tests, verified\): 2 pytest tests failed for the network/);
    console.log(`      (--suggest --verify on 2 ebuilds, 3 patches verified: ${seconds.toFixed(1)} s in all)`);
  });

  it('pytest-expect-fail: the failing test deselected, the one passing by expecting the failure kept and suggested as a leak', () => {
    const b = byName('net-test/pytest-expect-fail-1');
    assert.equal(b.verdict, 'breaks');
    const [fix, leak, ...rest] = b.suggestions ?? [];
    assert.equal(rest.length, 0);
    assert.equal(fix?.cause, 'deselect-tests');
    assert.equal(fix?.idiom, 'deselect');
    const fixed = applyPatch(readFileSync(ebuild('pytest-expect-fail'), 'utf8'), fix!.patch!);
    assert.match(fixed, /\nEPYTEST_DESELECT=\(\n\ttests\/test_http\.py::test_download {2}# Internet\n\)\n/);
    // The fix leaves the test that passes: src_test passes and its attempt remains (a leak, which the
    // verification names whether or not it counts it against the patch).
    assert.match(fix?.verification ?? '', /src_test passes/);
    assert.match(fix?.verification ?? '', /test_unreachable_raises|no blocked attempt|leak/);
    assert.equal(leak?.cause, 'leak-tests');
    assert.match(leak?.summary ?? '', /^leak, not breakage: 1 pytest test tried the network and still passed/);
    assert.equal(leak?.verified, true, leak?.verification);
    assert.match(leak?.verification ?? '', /verdict clean; src_test passes; no blocked attempt/);
    // The patch file holds the fix alone (the leak's patch includes it): what a maintainer commits.
    assert.equal(readFileSync(path.join(tmp, 'patches/net-test/pytest-expect-fail-1.patch'), 'utf8'), fix?.patch);
  });

  it('report patches: Gentoo-style subjects; no scratch directory left', async () => {
    const out = path.join(tmp, 'mails');
    const r = await netaudit(['report', 'patches', path.join(tmp, 'report.json'), '--out', out, '--author', 'Larry the Cow <larry@gentoo.example>']);
    assert.equal(r.code, 0, r.stderr);
    const subjects = readdirSync(out).map((f) => /\nSubject: \[PATCH\] (.*)\n/.exec(readFileSync(path.join(out, f), 'utf8'))?.[1]);
    assert.deepEqual(subjects, ['net-test/pytest-marker: skip tests requiring Internet access', 'net-test/pytest-expect-fail: skip tests requiring Internet access']);
    assert.deepEqual(scratchDirs(), scratchBefore);
  });
});
