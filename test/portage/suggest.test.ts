/**
 * @privileged @portage `netaudit ebuild --suggest DIR --verify` with real Portage on fixture ebuilds:
 * pytest-mixed gets an EPYTEST_DESELECT patch naming exactly its two internet tests, written to
 * DIR/net-test/pytest-mixed-1.patch, and --verify proves it on a scratch copy (verified: true); distcc gets the
 * network-sandbox-proxy text and no patch; compile-fetch (a build-time git fetch) says what is known, no patch;
 * test-resolve (curl in src_test, no test id) gets PROPERTIES="test_network" + RESTRICT="test", verified by the
 * patched copy's src_test being skipped with no blocked attempt; build-download (make downloads a tarball with curl
 * unless it is there) gets the URL in SRC_URI and the copy in src_prepare, verified with the distfile in DISTDIR
 * (a temp dir here: nothing leaves the machine); build-download-always (curl every time) gets the same kind of
 * patch, and --verify says it is not enough: verified false, src_compile still fails, the lookups remain.
 * The user's files are untouched and no scratch directory is left behind.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

/** A digest of every file below `dir` (names and contents). */
function treeHash(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      h.update(p);
      if (statSync(p).isDirectory()) walk(p);
      else h.update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest('hex');
}


describe('netaudit ebuild --suggest --verify @privileged @portage', function () {
  this.timeout(600_000);
  let tmp: string;
  let report: Report;
  let run: Awaited<ReturnType<typeof netaudit>>;
  let seconds: number;
  let repoBefore: string;
  let scratchBefore: string[];
  let distdir: string;
  const byName = (n: string) => report.builds.find((b) => b.name === n) as BuildResult;

  before(async function () {
    requirePrivileges(this);
    requirePortage(this);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-test-'));
    repoBefore = treeHash(REPO);
    scratchBefore = scratchDirs();
    // The distfiles the download patches name, as Portage would fetch them: DISTDIR is a temp dir of this test.
    distdir = path.join(tmp, 'distfiles');
    mkdirSync(path.join(tmp, 'vendor-src/vendor'), { recursive: true });
    writeFileSync(path.join(tmp, 'vendor-src/vendor/VERSION'), '1\n');
    for (const pn of ['build-download', 'build-download-always']) {
      mkdirSync(distdir, { recursive: true });
      const tar = spawnSync('tar', ['-czf', path.join(distdir, `${pn}-1-vendor-1.tar.gz`), '-C', path.join(tmp, 'vendor-src'), 'vendor']);
      assert.equal(tar.status, 0, String(tar.stderr));
    }
    chmodSync(tmp, 0o755);
    const t0 = Date.now();
    run = await netaudit([
      'ebuild',
      // The suggestions from the faithful run alone (compile-fetch: no `wanted`); --explain's part is in
      // test/portage/explain.test.ts, and its reruns would cost one Portage run per ebuild here.
      '--no-explain',
      '--suggest',
      path.join(tmp, 'patches'),
      '--verify',
      '--json',
      path.join(tmp, 'report.json'),
      '--log-dir',
      path.join(tmp, 'logs'),
      '--fail-on',
      'never',
      ebuild('pytest-mixed'),
      ebuild('distcc'),
      ebuild('compile-fetch'),
      ebuild('test-resolve'),
      ebuild('build-download'),
      ebuild('build-download-always'),
    ], { env: { ...process.env, NO_COLOR: '1', DISTDIR: distdir } });
    seconds = (Date.now() - t0) / 1000;
    assert.equal(run.code, 0, run.stderr);
    report = JSON.parse(readFileSync(path.join(tmp, 'report.json'), 'utf8')) as Report;
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  it('pytest-mixed: an EPYTEST_DESELECT patch naming exactly its two tests, written to DIR/CATEGORY/PF.patch, verified', () => {
    const b = byName('net-test/pytest-mixed-1');
    assert.equal(b.verdict, 'breaks');
    assert.equal(b.suggestions?.length, 1, JSON.stringify(b.suggestions));
    const s = b.suggestions?.[0];
    assert.equal(s?.cause, 'deselect-tests');
    const added = (s?.patch ?? '').split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++'));
    assert.deepEqual(added, ['+EPYTEST_DESELECT=(', '+\ttests/test_mirror.py::TestMirror::test_list  # Internet', '+\ttests/test_net.py::test_download  # Internet', '+)', '+']);
    const tests = b.attempts.filter((a) => !a.allowed).map((a) => a.test).sort();
    assert.deepEqual(tests, ['tests/test_mirror.py::TestMirror::test_list', 'tests/test_net.py::test_download'], 'the ids are the run\'s');
    assert.equal(s?.verified, true, s?.verification);
    assert.match(s?.verification ?? '', /^patched copy audited \([\d.]+ s\): verdict clean; src_test passes; no blocked attempt$/);
    const file = path.join(tmp, 'patches/net-test/pytest-mixed-1.patch');
    assert.equal(readFileSync(file, 'utf8'), s?.patch);
    assert.match(applyPatch(readFileSync(ebuild('pytest-mixed'), 'utf8'), s?.patch as string), /\nEPYTEST_DESELECT=\(\n/);
    assert.match(run.stdout, /net-test\/pytest-mixed-1: suggestion \(deselect-tests, verified\): /);
    console.log(`      (--suggest --verify on 4 ebuilds: ${seconds.toFixed(1)} s in all; ${s?.verification})`);
  });

  it('distcc: the network-sandbox-proxy text, user configuration, no patch', () => {
    const b = byName('net-test/distcc-1');
    assert.deepEqual(b.suggestions?.map((s) => s.cause), ['distcc-proxy']);
    const s = b.suggestions?.[0];
    assert.equal(s?.patch, undefined);
    assert.equal(s?.verified, undefined, 'nothing to verify');
    assert.match(s?.summary ?? '', /FEATURES="network-sandbox-proxy" in make\.conf/);
    assert.match(s?.summary ?? '', /user configuration, not an ebuild change: no patch/);
    assert.equal(existsSync(path.join(tmp, 'patches/net-test/distcc-1.patch')), false);
  });

  it('compile-fetch: a build-time download, what is known, and that netaudit cannot derive the fix', () => {
    const b = byName('net-test/compile-fetch-1');
    assert.deepEqual(b.suggestions?.map((s) => s.cause), ['build-time-download']);
    const s = b.suggestions?.[0];
    assert.equal(s?.patch, undefined);
    assert.match(s?.summary ?? '', /git\.example/);
    assert.match(s?.summary ?? '', /does not know which file the build needs .*: no patch/);
    assert.equal(existsSync(path.join(tmp, 'patches/net-test/compile-fetch-1.patch')), false);
  });

  it('test-resolve: PROPERTIES="test_network" + RESTRICT="test", verified (src_test skipped, nothing blocked)', () => {
    const b = byName('net-test/test-resolve-1');
    assert.deepEqual(b.suggestions?.map((s) => s.cause), ['test-network']);
    const s = b.suggestions?.[0];
    const added = (s?.patch ?? '').split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++'));
    assert.deepEqual(added, ['+PROPERTIES="test_network"', '+RESTRICT="test"', '+']);
    assert.equal(s?.verified, true, s?.verification);
    assert.match(s?.verification ?? '', /src_test skipped \(RESTRICT=test\); no blocked attempt$/);
    assert.equal(readFileSync(path.join(tmp, 'patches/net-test/test-resolve-1.patch'), 'utf8'), s?.patch);
  });

  it('build-download: the URL into SRC_URI and the copy to where curl wrote it, verified with the distfile in DISTDIR', () => {
    const b = byName('net-test/build-download-1');
    assert.equal(b.verdict, 'breaks');
    assert.deepEqual(b.suggestions?.map((s) => s.cause), ['build-time-download']);
    const s = b.suggestions?.[0];
    const added = (s?.patch ?? '').split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++'));
    assert.ok(added.includes('+SRC_URI="https://files.example.org/dist/vendor-1.tar.gz -> ${P}-vendor-1.tar.gz"'), s?.patch);
    assert.ok(added.includes('+\tcp "${DISTDIR}/${P}-vendor-1.tar.gz" "deps/vendor.tar.gz" || die'), s?.patch);
    assert.equal(s?.verified, true, s?.verification);
    assert.match(s?.verification ?? '', /^patched copy audited \([\d.]+ s\): verdict clean; src_compile passes; no blocked attempt$/);
    assert.equal(readFileSync(path.join(tmp, 'patches/net-test/build-download-1.patch'), 'utf8'), s?.patch);
    // The Manifest was written in the scratch copy, never in the user's repository.
    assert.equal(existsSync(path.join(REPO, 'net-test/build-download/Manifest')), false);
  });

  it('build-download-always: the same kind of patch, and --verify says it is not enough (what still fails)', () => {
    const b = byName('net-test/build-download-always-1');
    const s = b.suggestions?.[0];
    assert.equal(s?.cause, 'build-time-download');
    assert.match(s?.patch ?? '', /\+\tcp "\$\{DISTDIR\}\/\$\{P\}-vendor-1\.tar\.gz" "vendor\.tar\.gz" \|\| die/);
    assert.equal(s?.verified, false, s?.verification);
    assert.match(s?.verification ?? '', /verdict breaks; src_compile still fails \(exit \d+\); 2 blocked attempt\(s\) remain: files\.example\.org \(A\) in src_compile, files\.example\.org \(AAAA\) in src_compile$/);
    assert.match(run.stdout, /net-test\/build-download-always-1: suggestion \(build-time-download, NOT verified\): /);
  });

  it("the user's repository is untouched and no scratch copy is left", () => {
    assert.equal(treeHash(REPO), repoBefore);
    assert.deepEqual(scratchDirs(), scratchBefore);
    assert.deepEqual(readdirSync(path.join(tmp, 'patches/net-test')).sort(), ['build-download-1.patch', 'build-download-always-1.patch', 'pytest-mixed-1.patch', 'test-resolve-1.patch']);
  });
});
