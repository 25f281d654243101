/**
 * @privileged @portage `netaudit sweep --suggest --verify` with real Portage, then `netaudit report patches` and real
 * `git am`: one sweep of two fixture packages (pytest-mixed: an EPYTEST_DESELECT patch, verified on a scratch copy; distcc: configuration
 * text, no patch) shared by every case. The suggestions are in results.jsonl and report.json (so --resume and
 * `report merge` keep them), the patch in OUT/patches/CATEGORY/PF.patch, the dashboard lists them, and the
 * format-patch mail applies with git am to a git copy of fixtures/repo as one commit.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BuildResult, Report } from '../../src/model/types.js';
import { applyPatch } from '../../src/suggest/index.js';
import { ROOT, netaudit } from '../helpers/cli.js';
import { requirePortage } from '../helpers/portage.js';
import { requirePrivileges } from '../helpers/privileged.js';

const REPO = path.join(ROOT, 'fixtures/repo');
const GIT_ENV = { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };

function git(cwd: string, args: string[]): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...GIT_ENV, HOME: cwd } });
  assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

describe('netaudit sweep --suggest --verify, report patches --verified-only, git am @privileged @portage', function () {
  this.timeout(600_000);
  let tmp: string;
  let out: string;
  let report: Report;
  let seconds: number;
  const byName = (r: Report, n: string) => r.builds.find((b) => b.name === n) as BuildResult;

  before(async function () {
    requirePrivileges(this);
    requirePortage(this);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-test-'));
    chmodSync(tmp, 0o755);
    out = path.join(tmp, 'sweep');
    const t0 = Date.now();
    const r = await netaudit(['sweep', REPO, 'net-test/pytest-mixed', 'net-test/distcc', '--suggest', '--verify', '--out', out, '--jobs', '2', '--fail-on', 'never', '--no-observe']);
    seconds = (Date.now() - t0) / 1000;
    assert.equal(r.code, 0, r.stderr);
    report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as Report;
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  it('suggestions in results.jsonl and report.json; the patch in OUT/patches/CATEGORY/PF.patch', () => {
    process.stderr.write(`      (sweep of 2 packages with --suggest --verify: ${seconds.toFixed(1)} s)\n`);
    const mixed = byName(report, 'net-test/pytest-mixed-1');
    const distcc = byName(report, 'net-test/distcc-1');
    assert.equal(mixed.verdict, 'breaks');
    assert.deepEqual(mixed.suggestions?.map((s) => [s.cause, Boolean(s.patch)]), [['deselect-tests', true]]);
    assert.match(mixed.suggestions?.[0]?.patch ?? '', /\n\+\ttests\/test_mirror\.py::TestMirror::test_list {2}# Internet\n\+\ttests\/test_net\.py::test_download {2}# Internet\n/);
    assert.equal(mixed.suggestions?.[0]?.verified, true, mixed.suggestions?.[0]?.verification);
    assert.match(mixed.suggestions?.[0]?.verification ?? '', /^patched copy audited \(.*\): verdict clean; src_test passes; no blocked attempt$/);
    assert.deepEqual(distcc.suggestions?.map((s) => [s.cause, Boolean(s.patch)]), [['distcc-proxy', false]]);
    assert.ok(readdirSync(path.join(out, 'logs', 'verify')).length > 0, 'the verification build logs apart from the sweep\'s own');
    const lines = readFileSync(path.join(out, 'results.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as BuildResult);
    assert.deepEqual(lines.map((b) => b.suggestions?.map((s) => s.cause)).sort(), [['deselect-tests'], ['distcc-proxy']]);
    assert.equal(readFileSync(path.join(out, 'patches/net-test/pytest-mixed-1.patch'), 'utf8'), mixed.suggestions?.[0]?.patch);
    assert.deepEqual(readdirSync(path.join(out, 'patches/net-test')), ['pytest-mixed-1.patch'], 'no patch file for distcc');
  });

  it('the dashboard lists the suggestions per package; JUnit carries them in the failure', () => {
    const html = readFileSync(path.join(out, 'report.html'), 'utf8');
    assert.match(html, /data-testid="total-suggested">2<\/span> packages with suggestions, <span data-testid="total-patches">1<\/span> with a patch, <span data-testid="total-verified-patches">1<\/span>/);
    assert.match(html, /data-testid="suggestion-package" data-name="net-test\/pytest-mixed-1"/);
    assert.match(readFileSync(path.join(out, 'junit.xml'), 'utf8'), /suggestion \(deselect-tests, verified\): 2 pytest tests failed for the network in src_test/);
  });

  it('--resume and report merge keep the suggestions', async () => {
    const again = await netaudit(['sweep', REPO, 'net-test/pytest-mixed', 'net-test/distcc', '--out', out, '--resume', '--fail-on', 'never', '--no-observe']);
    assert.equal(again.code, 0, again.stderr);
    const resumed = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as Report;
    assert.deepEqual(resumed.builds.map((b) => b.suggestions), report.builds.map((b) => b.suggestions));
    const m = await netaudit(['report', 'merge', out, '--out', path.join(tmp, 'merged')]);
    assert.equal(m.code, 0, m.stderr);
    const merged = JSON.parse(readFileSync(path.join(tmp, 'merged/report.json'), 'utf8')) as Report;
    assert.deepEqual(merged.builds.map((b) => b.suggestions), report.builds.map((b) => b.suggestions));
  });

  it('report patches OUT, then git am in a git copy of fixtures/repo: one commit, the ebuild changed as suggested', async () => {
    const r = await netaudit(['report', 'patches', out, '--out', path.join(tmp, 'P'), '--verified-only', '--author', 'Larry the Cow <larry@gentoo.example>']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^netaudit: net-test\/distcc-1: no patch: no derivable change \(distcc-proxy\)$/m);
    const files = readdirSync(path.join(tmp, 'P'));
    assert.deepEqual(files, ['0001-net-test-pytest-mixed-skip-tests-requiring-Internet-.patch']);
    const repo = path.join(tmp, 'gentoo');
    cpSync(REPO, repo, { recursive: true });
    git(repo, ['init', '-q', '-b', 'master']);
    git(repo, ['add', '-A']);
    git(repo, ['-c', 'user.name=Seed', '-c', 'user.email=seed@gentoo.example', 'commit', '-q', '-m', 'initial']);
    git(repo, ['-c', 'user.name=Seed', '-c', 'user.email=seed@gentoo.example', 'am', '-q', path.join(tmp, 'P', files[0] as string)]);
    assert.equal(git(repo, ['log', '-1', '--format=%s|%an <%ae>']).trim(), 'net-test/pytest-mixed: skip tests requiring Internet access|Larry the Cow <larry@gentoo.example>');
    assert.equal(git(repo, ['rev-list', '--count', 'HEAD']).trim(), '2');
    const rel = 'net-test/pytest-mixed/pytest-mixed-1.ebuild';
    const mixed = byName(report, 'net-test/pytest-mixed-1');
    assert.equal(readFileSync(path.join(repo, rel), 'utf8'), applyPatch(readFileSync(path.join(REPO, rel), 'utf8'), mixed.suggestions?.[0]?.patch as string));
    assert.match(git(repo, ['log', '-1', '--format=%b']), /\nVerified: patched copy audited \([^)]*\): verdict clean; src_test passes;\s+no blocked attempt\.\n/);
    assert.equal(existsSync(path.join(tmp, 'P.tmp')), false);
  });
});
