/**
 * The suggestion engine (src/suggest/), pure: real ebuild texts (the fixture repository's, and small ones in the
 * style of ::gentoo's dev-python ebuilds) with judged builds made by hand; every patch is checked as the exact
 * diff, and applied back (applyPatch, and `patch -p1` in a scratch copy for one). Also the verification judgement
 * of src/runner/verify.ts and the reporters' rendering of suggestions.
 */
import { writable } from '../helpers/writable.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Attempt, BuildResult, Report } from '../../src/model/types.js';
import { renderEbuildLines } from '../../src/report/ebuild-lines.js';
import { pkgcheckResults } from '../../src/report/pkgcheck.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { validateReport } from '../../src/report/validate.js';
import { brokenPhases, judgeVerification, scratchCopy } from '../../src/runner/verify.js';
import { addDeselect, addTokens, globalScope, insertionLine } from '../../src/suggest/ebuild-text.js';
import { applyPatch, PatchError, suggest, unifiedDiff } from '../../src/suggest/index.js';
import { judgeEbuild, type EbuildJudgeInput } from '../../src/verdict/index.js';
import { ROOT } from '../helpers/cli.js';
import { attempt, build, fixture, REPO } from '../helpers/builds.js';

const MIXED = [
  attempt({ phase: 'src_test', test: 'tests/test_mirror.py::TestMirror::test_list', address: '203.0.113.11', port: 443 }),
  attempt({ phase: 'src_test', test: 'tests/test_net.py::test_download' }),
];

describe('suggest: EPYTEST_DESELECT', () => {
  it('pytest-mixed: a new array after the last global assignment, the two test ids from the run, # Internet each', () => {
    const text = fixture('pytest-mixed');
    const [s, ...rest] = suggest(build('pytest-mixed', MIXED, []), text);
    assert.equal(rest.length, 0);
    assert.ok(s);
    assert.equal(s.cause, 'deselect-tests');
    assert.deepEqual(s.attempts, [0, 1]);
    assert.equal(
      s.patch,
      [
        '--- a/net-test/pytest-mixed/pytest-mixed-1.ebuild',
        '+++ b/net-test/pytest-mixed/pytest-mixed-1.ebuild',
        '@@ -17,6 +17,11 @@',
        ' DESCRIPTION="a pytest suite with two tests that need the internet among passing ones"',
        ' IUSE="test"',
        ' ',
        '+EPYTEST_DESELECT=(',
        '+\ttests/test_mirror.py::TestMirror::test_list  # Internet',
        '+\ttests/test_net.py::test_download  # Internet',
        '+)',
        '+',
        ' src_unpack() {',
        ' \tcp -r "${FILESDIR}"/tests "${S}"/ || die',
        ' }',
        '',
      ].join('\n'),
    );
    assert.match(s.summary, /tests\/test_net\.py::test_download \(tcp 203\.0\.113\.10:80 \(HTTP\)\)/);
    assert.doesNotMatch(s.summary, /epytest/, 'the fixture reads EPYTEST_DESELECT: no caveat');
  });

  it('the recorded run of pytest-mixed (test/fixtures/judge), judged: the same patch, from the attempts the run named', () => {
    const input = JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/judge/pytest-mixed-1.json'), 'utf8')) as EbuildJudgeInput;
    const judged = judgeEbuild(input);
    const b = build('pytest-mixed', judged.attempts, [], { findings: judged.findings, phases: judged.phases });
    const fromHand = suggest(build('pytest-mixed', MIXED, []), fixture('pytest-mixed'));
    const s = suggest(b, fixture('pytest-mixed'));
    assert.deepEqual(s.map((x) => x.patch), fromHand.map((x) => x.patch));
    assert.deepEqual(s.map((x) => x.cause), ['deselect-tests']);
  });

  it('the patch applies, with applyPatch and with patch -p1 in a copy of the repository', () => {
    const text = fixture('pytest-mixed');
    const s = suggest(build('pytest-mixed', MIXED, []), text)[0];
    const patched = applyPatch(text, s?.patch as string);
    assert.match(patched, /\nEPYTEST_DESELECT=\(\n\ttests\/test_mirror\.py::TestMirror::test_list {2}# Internet\n\ttests\/test_net\.py::test_download {2}# Internet\n\)\n\nsrc_unpack\(\) \{/);
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-test-'));
    try {
      cpSync(path.join(REPO, 'net-test/pytest-mixed'), path.join(tmp, 'net-test/pytest-mixed'), { recursive: true });
      const r = spawnSync('patch', ['-p1', '--quiet'], { cwd: tmp, input: s?.patch, encoding: 'utf8' });
      if (r.error) return; // no patch(1): applyPatch above is the check
      assert.equal(r.status, 0, r.stderr + r.stdout);
      assert.equal(readFileSync(path.join(tmp, 'net-test/pytest-mixed/pytest-mixed-1.ebuild'), 'utf8'), patched);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('pytest-internet (runs pytest itself): the patch, and a caveat that EPYTEST_DESELECT needs epytest', () => {
    const [s] = suggest(build('pytest-internet', [attempt({ phase: 'src_test', test: 'tests/test_net.py::test_download' })], []), fixture('pytest-internet'));
    assert.equal(s?.cause, 'deselect-tests');
    assert.match(s?.patch ?? '', /\n\+EPYTEST_DESELECT=\(\n\+\ttests\/test_net\.py::test_download {2}# Internet\n\+\)\n/);
    assert.match(s?.summary ?? '', /does not seem to run pytest through epytest/);
  });

  const PY = [
    '# Copyright 1999-2025 Gentoo Authors',
    '# Distributed under the terms of the GNU General Public License v2',
    '',
    'EAPI=8',
    '',
    'DISTUTILS_USE_PEP517=setuptools',
    'PYTHON_COMPAT=( python3_{11..13} )',
    '',
    'inherit distutils-r1 pypi',
    '',
    'DESCRIPTION="Tools for using a Web Server Gateway Interface stack"',
    'HOMEPAGE="https://pypi.org/project/Paste/"',
    '',
    'LICENSE="MIT"',
    'SLOT="0"',
    'KEYWORDS="~amd64"',
    '',
    'RDEPEND="',
    '\tdev-python/setuptools[${PYTHON_USEDEP}]',
    '"',
    '',
    'distutils_enable_tests pytest',
    '',
    'python_test() {',
    '\tlocal -x PYTEST_DISABLE_PLUGIN_AUTOLOAD=1',
    '\tepytest',
    '}',
    '',
  ].join('\n');

  it('a distutils-r1 ebuild: after distutils_enable_tests (the last global statement, after a multi-line RDEPEND), before python_test', () => {
    const lines = PY.slice(0, -1).split('\n');
    assert.equal(globalScope(lines).firstFunction, 23);
    assert.equal(insertionLine(lines), 21);
    const edit = addDeselect(PY, ['tests/test_proxy.py::test_paste_website']);
    assert.equal(
      unifiedDiff('dev-python/paste/paste-3.10.1.ebuild', PY, edit.text),
      [
        '--- a/dev-python/paste/paste-3.10.1.ebuild',
        '+++ b/dev-python/paste/paste-3.10.1.ebuild',
        '@@ -21,6 +21,10 @@',
        ' ',
        ' distutils_enable_tests pytest',
        ' ',
        '+EPYTEST_DESELECT=(',
        '+\ttests/test_proxy.py::test_paste_website  # Internet',
        '+)',
        '+',
        ' python_test() {',
        ' \tlocal -x PYTEST_DISABLE_PLUGIN_AUTOLOAD=1',
        ' \tepytest',
        '',
      ].join('\n'),
    );
  });

  it('an existing multi-line array: entries added before its closing parenthesis, in its quoting and indentation', () => {
    const text = PY.replace(
      'distutils_enable_tests pytest\n',
      "distutils_enable_tests pytest\n\nEPYTEST_DESELECT=(\n\t# fails with newer pytest\n\t'tests/test_util.py::test_quote[x y]'\n)\n",
    );
    const edit = addDeselect(text, ['tests/test_proxy.py::test_paste_website', 'tests/test_util.py::test_quote[x y]']);
    assert.deepEqual(edit.added, ['tests/test_proxy.py::test_paste_website']);
    assert.deepEqual(edit.present, ['tests/test_util.py::test_quote[x y]']);
    assert.equal(
      unifiedDiff('f.ebuild', text, edit.text),
      [
        '--- a/f.ebuild',
        '+++ b/f.ebuild',
        '@@ -24,6 +24,7 @@',
        ' EPYTEST_DESELECT=(',
        ' \t# fails with newer pytest',
        " \t'tests/test_util.py::test_quote[x y]'",
        "+\t'tests/test_proxy.py::test_paste_website'  # Internet",
        ' )',
        ' ',
        ' python_test() {',
        '',
      ].join('\n'),
    );
  });

  it('a local array in python_test, a one-line array, a closing parenthesis after the last entry', () => {
    const local = PY.replace('\tepytest\n', '\tlocal EPYTEST_DESELECT=(\n\t\ttests/test_a.py::test_b\n\t)\n\tepytest\n');
    const a = addDeselect(local, ['tests/test_net.py::test_x']);
    assert.match(a.text, /\tlocal EPYTEST_DESELECT=\(\n\t\ttests\/test_a\.py::test_b\n\t\ttests\/test_net\.py::test_x {2}# Internet\n\t\)\n\tepytest/);
    const one = PY.replace('distutils_enable_tests pytest\n', 'distutils_enable_tests pytest\n\nEPYTEST_DESELECT=( tests/test_a.py::test_b "tests/test_c.py::test_d" )\n');
    const b = addDeselect(one, ['tests/test_net.py::test_x']);
    assert.match(b.text, /\nEPYTEST_DESELECT=\(\n\ttests\/test_a\.py::test_b\n\t"tests\/test_c\.py::test_d"\n\t"tests\/test_net\.py::test_x" {2}# Internet\n\)\n/);
    const tail = PY.replace('distutils_enable_tests pytest\n', 'distutils_enable_tests pytest\n\nEPYTEST_DESELECT=(\n\ttests/test_a.py::test_b )\n');
    const c = addDeselect(tail, ['tests/test_net.py::test_x']);
    assert.match(c.text, /\nEPYTEST_DESELECT=\(\n\ttests\/test_a\.py::test_b\n\ttests\/test_net\.py::test_x {2}# Internet\n\)\n/);
  });

  it('every id already deselected: no patch, and it says the array does not reach pytest', () => {
    const text = PY.replace('distutils_enable_tests pytest\n', 'distutils_enable_tests pytest\n\nEPYTEST_DESELECT=(\n\ttests/test_net.py::test_download\n)\n');
    const [s] = suggest(build('paste', [attempt({ phase: 'src_test', test: 'tests/test_net.py::test_download' })], []), text);
    assert.equal(s?.cause, 'deselect-tests');
    assert.equal(s?.patch, undefined);
    assert.match(s?.summary ?? '', /already names it, yet it ran: the array does not reach pytest/);
  });
});

describe('suggest: PROPERTIES=test_network + RESTRICT=test', () => {
  const RESOLVE = [attempt({ kind: 'dns', address: '10.255.255.53', port: 53, hostname: 'testdata.example', qtype: 'A', phase: 'src_test' })];

  it('test-resolve (curl in src_test, no test id): both variables added after the global scope', () => {
    const text = fixture('test-resolve');
    const [s, ...rest] = suggest(build('test-resolve', RESOLVE, ['DnsLookup']), text);
    assert.equal(rest.length, 0);
    assert.equal(s?.cause, 'test-network');
    assert.match(s?.summary ?? '', /If the suite as a whole needs the network/);
    const patched = applyPatch(text, s?.patch as string);
    assert.match(patched, /\nIUSE="test"\n\nPROPERTIES="test_network"\nRESTRICT="test"\n\nsrc_compile/);
    assert.deepEqual(
      (s?.patch as string).split('\n').filter((l) => /^[+-][^+-]/.test(l)),
      ['+PROPERTIES="test_network"', '+RESTRICT="test"'],
    );
  });

  it('existing variables: the token is appended inside the quotes, never duplicated', () => {
    const text = 'EAPI=8\nPROPERTIES="live"\nRESTRICT="!test? ( test )"\nSLOT="0"\n\nsrc_test() { :; }\n';
    const e = addTokens(text, [
      ['PROPERTIES', 'test_network'],
      ['RESTRICT', 'test'],
    ]);
    assert.equal(e.text, 'EAPI=8\nPROPERTIES="live test_network"\nRESTRICT="!test? ( test ) test"\nSLOT="0"\n\nsrc_test() { :; }\n');
    const again = addTokens(e.text, [
      ['PROPERTIES', 'test_network'],
      ['RESTRICT', 'test'],
    ]);
    assert.equal(again.text, e.text);
    assert.deepEqual(again.done, { PROPERTIES: 'present', RESTRICT: 'present' });
    const multi = 'EAPI=8\nRESTRICT="\n\tmirror\n"\n\nsrc_test() { :; }\n';
    assert.equal(addTokens(multi, [['RESTRICT', 'test']]).text, 'EAPI=8\nRESTRICT="\n\tmirror\n"\nRESTRICT+=" test"\n\nsrc_test() { :; }\n');
  });

  it('some src_test attempts named, others not: the deselection, and a note without a patch for the rest', () => {
    const s = suggest(build('pytest-mixed', [...MIXED, ...RESOLVE], []), fixture('pytest-mixed'));
    assert.deepEqual(s.map((x) => [x.cause, Boolean(x.patch)]), [
      ['deselect-tests', true],
      ['test-network', false],
    ]);
    assert.match(s[1]?.summary ?? '', /cannot tell which test made them, so no patch/);
  });
});

describe('suggest: no ebuild patch', () => {
  it('distcc: FEATURES=network-sandbox-proxy in make.conf, user configuration', () => {
    const [s, ...rest] = suggest(build('distcc', [attempt({ phase: 'src_compile', address: '203.0.113.30', port: 3632 })], ['DistributedCompiler']), fixture('distcc'));
    assert.equal(rest.length, 0);
    assert.equal(s?.cause, 'distcc-proxy');
    assert.equal(s?.patch, undefined);
    assert.match(s?.summary ?? '', /FEATURES="network-sandbox-proxy" in make\.conf/);
    assert.match(s?.summary ?? '', /user configuration, not an ebuild change: no patch/);
  });

  it('compile-fetch: a build-time download, what is known, no patch (and the wanted URL when there is one)', () => {
    const dns = (qtype: string) => attempt({ kind: 'dns', address: '10.255.255.53', port: 53, hostname: 'git.example', qtype, phase: 'src_compile' });
    const [s] = suggest(build('compile-fetch', [dns('A'), dns('AAAA')], ['DnsLookup', 'DnsLookup']), fixture('compile-fetch'));
    assert.equal(s?.cause, 'build-time-download');
    assert.equal(s?.patch, undefined);
    assert.match(s?.summary ?? '', /in src_compile: git\.example \(A\), git\.example \(AAAA\)\. It belongs in SRC_URI/);
    assert.match(s?.summary ?? '', /does not know which file the build needs/);
    const [w] = suggest(build('compile-fetch', [attempt({ phase: 'src_compile', port: 443, wanted: 'tls sni=git.example alpn=h2' })], []), fixture('compile-fetch'));
    assert.match(w?.summary ?? '', /the build wanted tls sni=git\.example alpn=h2/);
    assert.equal(w?.patch, undefined);
  });

  it('test-host-db: the host service hint, no patch', () => {
    const a = attempt({ phase: 'src_test', scope: 'host-local', address: '127.0.0.1', port: 5432 });
    const b = build('test-host-db', [a], ['HostServiceUnreachable']);
    (b.findings[0] as { hint?: string }).hint = 'a database of the host: start a private instance inside the test';
    const [s] = suggest(b, fixture('test-host-db'));
    assert.equal(s?.cause, 'host-service');
    assert.equal(s?.patch, undefined);
    assert.match(s?.summary ?? '', /127\.0\.0\.1:5432 \(PostgreSQL\)\. a database of the host: start a private instance inside the test\. netaudit cannot derive the ebuild change: no patch\./);
  });

  it('only breaking ebuilds get suggestions, and tolerating ones their leaks; allowed attempts are no cause', () => {
    const leaks = suggest(build('pytest-mixed', MIXED, [], { verdict: 'tolerates' }), fixture('pytest-mixed'));
    assert.deepEqual(leaks.map((s) => s.cause), ['leak-tests']);
    assert.match(leaks[0]?.summary ?? '', /^leak, not breakage: 2 pytest tests tried the network and still passed/);
    assert.deepEqual(suggest(build('pytest-mixed', MIXED, [], { verdict: 'clean' }), fixture('pytest-mixed')), []);
    assert.deepEqual(suggest(build('pytest-mixed', [attempt({ phase: 'src_test', test: 't.py::x', allowed: true })], ['AllowedNetworkUse']), fixture('pytest-mixed')), []);
  });
});

describe('suggest: unified diffs', () => {
  it('round trips edits anywhere, with and without a final newline; refuses a patch whose context differs', () => {
    const a = 'one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\n';
    for (const b of ['zero\n' + a, a + 'eleven\n', a.replace('five', 'FIVE').replace('ten', 'TEN'), a.slice(0, -1), 'only\n', '']) {
      const d = unifiedDiff('x', a, b);
      assert.equal(applyPatch(a, d), b, d);
    }
    assert.equal(unifiedDiff('x', a, a), '');
    const d = unifiedDiff('x', a, a.replace('five', 'FIVE'));
    assert.throws(() => applyPatch(a.replace('four', 'FOUR'), d), (e: unknown) => e instanceof PatchError && /does not apply: expected "four"/.test(e.message));
  });
});

describe('verify: the judgement and the scratch copy', () => {
  const original = build('pytest-mixed', MIXED, []);
  const rerun = (over: Partial<BuildResult>): BuildResult => ({ ...original, verdict: 'clean', attempts: [], findings: [], phases: [{ name: 'src_test', startMs: 1, endMs: 2, exitCode: 0 }], durationMs: 3610, ...over });

  it('verified only when the broken phase passes and no blocked attempt remains', () => {
    assert.deepEqual(brokenPhases(original), ['src_test']);
    assert.deepEqual(judgeVerification(original, rerun({}), 'deselect-tests'), { verified: true, verification: 'patched copy audited (3.61 s): verdict clean; src_test passes; no blocked attempt' });
    const still = judgeVerification(original, rerun({ verdict: 'breaks', attempts: [MIXED[1] as Attempt], phases: [{ name: 'src_test', startMs: 1, exitCode: 1 }] }), 'deselect-tests');
    assert.equal(still.verified, false);
    assert.equal(still.verification, 'patched copy audited (3.61 s): verdict breaks; src_test still fails (exit 1); 1 blocked attempt(s) remain: tcp 203.0.113.10:80 in src_test (tests/test_net.py::test_download)');
    const skipped = judgeVerification(original, rerun({ phases: [], findings: [{ keyword: 'TestsSkipped', level: 'info', message: 'skipped' }] }), 'test-network');
    assert.deepEqual(skipped, { verified: true, verification: 'patched copy audited (3.61 s): verdict clean; src_test skipped (RESTRICT=test); no blocked attempt' });
    assert.equal(judgeVerification(original, rerun({ phases: [] }), 'deselect-tests').verified, false);
  });

  it('the scratch copy holds profiles/, metadata/, eclass/, licenses/ and the package, patched; the original is untouched', () => {
    const text = fixture('pytest-mixed');
    const patch = suggest(original, text)[0]?.patch as string;
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-test-'));
    try {
      const meta = { repoPath: REPO, category: 'net-test', package: 'pytest-mixed', path: path.join(REPO, 'net-test/pytest-mixed/pytest-mixed-1.ebuild') };
      const ebuild = scratchCopy(meta, tmp, patch);
      assert.equal(ebuild, path.join(tmp, 'repo/net-test/pytest-mixed/pytest-mixed-1.ebuild'));
      assert.equal(readFileSync(ebuild, 'utf8'), applyPatch(text, patch));
      assert.equal(readFileSync(path.join(tmp, 'repo/profiles/repo_name'), 'utf8').trim(), 'netaudit-fixtures');
      assert.ok(readFileSync(path.join(tmp, 'repo/net-test/pytest-mixed/files/tests/test_net.py'), 'utf8'));
      assert.equal(spawnSync('ls', [path.join(tmp, 'repo')], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).join(' '), 'eclass licenses metadata net-test profiles');
      assert.equal(spawnSync('ls', [path.join(tmp, 'repo/net-test')], { encoding: 'utf8' }).stdout.trim(), 'pytest-mixed');
      assert.equal(readFileSync(meta.path, 'utf8'), text);
      assert.throws(() => scratchCopy(meta, path.join(tmp, 'again'), patch.replace('IUSE="test"', 'IUSE="doc"')), PatchError);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('suggestions in the reports', () => {
  const b = build('pytest-mixed', MIXED, []);
  writable(b).suggestions = suggest(b, fixture('pytest-mixed')).map((s) => ({ ...s, ...judgeVerification(b, { ...b, verdict: 'clean', attempts: [], findings: [], phases: [{ name: 'src_test', startMs: 1, exitCode: 0 }] }, s.cause) }));
  const report: Report = { schemaVersion: 1, tool: { name: 'netaudit', version: '0.1.0' }, createdAt: '2026-01-01T00:00:00Z', mode: 'ebuild', builds: [b], summary: { clean: 0, tolerates: 0, breaks: 1, 'fails-without-network': 0 } };

  it('the schema takes them (and rejects an unknown cause), with both validators', async () => {
    for (const source of ['standalone', 'runtime'] as const) {
      assert.deepEqual(await validateReport(report, source), { ok: true });
      const bad = JSON.parse(JSON.stringify(report)) as Report;
      (bad.builds[0]?.suggestions?.[0] as { cause: string }).cause = 'guess';
      assert.equal((await validateReport(bad, source)).ok, false);
    }
  });

  it('ebuild lines and terminal: the headline, the verification, the patch; pkgcheck: the fix text of the attempt results', () => {
    const lines = renderEbuildLines(b);
    assert.match(lines, /\nnet-test\/pytest-mixed-1: suggestion \(deselect-tests, verified\): 2 pytest tests failed for the network in src_test/);
    assert.match(lines, /\n {4}verify: patched copy audited \(3\.00 s\): verdict clean; src_test passes; no blocked attempt\n/);
    assert.match(lines, /\n {4}\| \+\ttests\/test_net\.py::test_download {2}# Internet\n/);
    const term = renderTerminal(report, { color: false });
    assert.match(term, /\n {2}suggestion \(deselect-tests, verified\): /);
    assert.match(term, /\n {4}\+EPYTEST_DESELECT=\(\n/);
    const results = pkgcheckResults(report);
    assert.match(results[0]?.desc ?? '', /^attempt 0 \(fix: 2 pytest tests failed for the network in src_test: .* \(verified\)\)$/);
    assert.equal(results[2]?.keyword, 'PhaseFailed');
    assert.equal(results[2]?.fix, undefined);
  });
});
