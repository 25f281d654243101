/**
 * @privileged @portage Suites that are not pytest's, with real Portage: `netaudit ebuild --suggest DIR --verify`
 * on net-test/perl-internet (prove runs t/00-load.t and t/net.t; t/net.t looks up mirror.cpan.example) and
 * net-test/unittest-internet (python -m unittest discover -v, as eunittest; one test looks up pypi.example).
 * Perl: the lookups name the test file the harness ran (`t/net.t`, from the process tree, no plugin), hints speak
 * the Perl team's idiom, the patch removes t/net.t at the start of src_test. unittest: the lookups name
 * `tests.test_net.Lookup.test_resolve` (the unittest hook), the patch renames the method in src_prepare. Both
 * patches verified by the audit of the patched copy; no hint or patch names pytest; the fixtures are untouched.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BuildResult, Report } from '../../src/model/types.js';
import { ROOT, netaudit } from '../helpers/cli.js';
import { requirePortage } from '../helpers/portage.js';
import { requirePrivileges } from '../helpers/privileged.js';

const EBUILD = path.join(ROOT, 'fixtures/repo/net-test/perl-internet/perl-internet-1.ebuild');
const UNITTEST = path.join(ROOT, 'fixtures/repo/net-test/unittest-internet/unittest-internet-1.ebuild');
const PYTEST_WORDS = /pytest|EPYTEST/;

describe('Perl (TAP) and unittest suites under Portage: test ids, hints and patches @privileged @portage', function () {
  this.timeout(300_000);
  let tmp: string;
  let b: BuildResult;
  let u: BuildResult;
  let original: string;
  let originalUnittest: string;

  before(async function () {
    requirePrivileges(this);
    requirePortage(this);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-test-'));
    chmodSync(tmp, 0o755);
    original = readFileSync(EBUILD, 'utf8');
    originalUnittest = readFileSync(UNITTEST, 'utf8');
    const json = path.join(tmp, 'report.json');
    const run = await netaudit(
      ['ebuild', '--no-explain', '--suggest', path.join(tmp, 'patches'), '--verify', '--json', json, '--log-dir', path.join(tmp, 'logs'), '--fail-on', 'never', EBUILD, UNITTEST],
      { env: { ...process.env, NO_COLOR: '1' } },
    );
    assert.equal(run.code, 0, run.stderr);
    const builds = (JSON.parse(readFileSync(json, 'utf8')) as Report).builds;
    b = builds.find((x) => x.name === 'net-test/perl-internet-1') as BuildResult;
    u = builds.find((x) => x.name === 'net-test/unittest-internet-1') as BuildResult;
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  it('breaks, and every blocked attempt names t/net.t, made by perl', () => {
    assert.equal(b.verdict, 'breaks');
    const blocked = b.attempts.filter((a) => !a.allowed);
    assert.deepEqual([...new Set(blocked.map((a) => a.hostname))], ['mirror.cpan.example']);
    assert.deepEqual(blocked.map((a) => a.test), blocked.map(() => 't/net.t'));
    assert.ok(blocked.every((a) => a.process?.comm === 'perl'), JSON.stringify(blocked.map((a) => a.process)));
  });

  it("hints speak the Perl team's idiom and never name pytest", () => {
    const dns = b.findings.filter((f) => f.keyword === 'DnsLookup');
    assert.ok(dns.length >= 1);
    for (const f of dns) {
      assert.match(f.hint ?? '', /perl_rm_files t\/net\.t/);
      assert.doesNotMatch(f.hint ?? '', PYTEST_WORDS);
    }
  });

  it('the patch removes t/net.t at the start of src_test, and the patched copy verifies', () => {
    assert.equal(b.suggestions?.length, 1, JSON.stringify(b.suggestions));
    const s = b.suggestions?.[0];
    assert.equal(s?.cause, 'deselect-tests');
    const added = (s?.patch ?? '').split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++'));
    assert.deepEqual(added, ['+\trm t/net.t || die']);
    assert.doesNotMatch(`${s?.summary}\n${s?.patch}`, PYTEST_WORDS);
    assert.equal(s?.verified, true, s?.verification);
    assert.match(s?.verification ?? '', /verdict clean; src_test passes; no blocked attempt/);
    assert.equal(readFileSync(path.join(tmp, 'patches/net-test/perl-internet-1.patch'), 'utf8'), s?.patch);
    assert.equal(readFileSync(EBUILD, 'utf8'), original, 'the fixture is untouched');
  });

  it('unittest: the lookups name the test from the unittest hook; the rename patch verifies; never pytest', () => {
    assert.equal(u.verdict, 'breaks');
    const blocked = u.attempts.filter((a) => !a.allowed);
    assert.ok(blocked.length >= 1);
    assert.deepEqual([...new Set(blocked.map((a) => a.test))], ['tests.test_net.Lookup.test_resolve']);
    for (const f of u.findings.filter((x) => x.keyword === 'DnsLookup')) {
      assert.match(f.hint ?? '', /def _test_resolve\(/);
      assert.doesNotMatch(f.hint ?? '', PYTEST_WORDS);
    }
    assert.equal(u.suggestions?.length, 1, JSON.stringify(u.suggestions));
    const s = u.suggestions?.[0];
    const added = (s?.patch ?? '').split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++'));
    assert.ok(added.includes("+\tsed -i -e 's:def test_resolve(:def _test_resolve(:' tests/test_net.py || die"), added.join('\n'));
    assert.doesNotMatch(`${s?.summary}\n${s?.patch}`, PYTEST_WORDS);
    assert.equal(s?.verified, true, s?.verification);
    assert.equal(readFileSync(UNITTEST, 'utf8'), originalUnittest, 'the fixture is untouched');
  });
});
