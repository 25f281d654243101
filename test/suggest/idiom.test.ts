/**
 * Idiom choice and the 1-5 scale (src/suggest/idiom.ts), pure; and the engine on judged builds carrying their
 * tests (outcomes, markers) as the runner records them: a marker suite gets `-m "not network"` saying what else it
 * removes, a word shared by the network tests `-k "not WORD"`, a suite most of which needs the network
 * PROPERTIES=test_network + RESTRICT=test, a test that passed anyway a separate leak suggestion.
 */
import assert from 'node:assert/strict';
import type { BuildResult, Report, TestRun } from '../../src/model/types.js';
import { renderEbuildLines } from '../../src/report/ebuild-lines.js';
import { buildViews, renderHtml } from '../../src/report/html.js';
import { renderJson } from '../../src/report/json.js';
import { renderJunit } from '../../src/report/junit.js';
import { commitSubject, patchMails } from '../../src/report/patches.js';
import { pkgcheckResults } from '../../src/report/pkgcheck.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { validateReport } from '../../src/report/validate.js';
import { addPytestOption } from '../../src/suggest/ebuild-text.js';
import { chooseIdiom, keywordMatches, networkScale, testRuns } from '../../src/suggest/idiom.js';
import { applyPatch, suggest } from '../../src/suggest/index.js';
import { attempt, build, fixture } from '../helpers/builds.js';

const run = (id: string, outcome: string, markers: string[] = []): TestRun => ({ id, outcome, markers });

/** The tests of net-test/pytest-marker-1 as its run records them. */
const MARKER_TESTS: TestRun[] = [
  run('tests/test_basic.py::test_add', 'passed'),
  run('tests/test_basic.py::test_split', 'passed'),
  run('tests/test_basic.py::test_upper', 'passed'),
  run('tests/test_client.py::test_fetch', 'failed', ['network']),
  run('tests/test_client.py::TestApi::test_status', 'failed', ['network']),
  run('tests/test_client.py::test_offline_fallback', 'passed', ['network']),
  run('tests/test_client.py::test_url_join', 'passed'),
];

const withTests = (b: BuildResult, tests: readonly TestRun[]): BuildResult => ({ ...b, tests });

describe('suggest: the 1-5 scale', () => {
  it('1 none, 2 a few (<= 20 %), 3 many but under half, 4 most, 5 all; unknown without a test count', () => {
    assert.equal(networkScale(0, 10), 1);
    assert.equal(networkScale(1, 10), 2);
    assert.equal(networkScale(2, 10), 2);
    assert.equal(networkScale(3, 10), 3);
    assert.equal(networkScale(5, 10), 3);
    assert.equal(networkScale(6, 10), 4);
    assert.equal(networkScale(9, 10), 4);
    assert.equal(networkScale(10, 10), 5);
    assert.equal(networkScale(1, 1), 5);
    assert.equal(networkScale(3, 0), undefined);
  });
});

describe('suggest: idiom choice', () => {
  it('a marker every test to remove carries: -m, with the other tests it removes', () => {
    const i = chooseIdiom(['tests/test_client.py::test_fetch', 'tests/test_client.py::TestApi::test_status'], MARKER_TESTS, 3);
    assert.deepEqual(i, { kind: 'marker', name: 'network', alsoRemoves: ['tests/test_client.py::test_offline_fallback'] });
  });

  it('no marker covering them all: a network word in every id (-k), else EPYTEST_DESELECT', () => {
    const tests = [run('t/test_a.py::test_download_index', 'failed'), run('t/test_a.py::test_download_file', 'failed'), run('t/test_a.py::test_parse', 'passed')];
    assert.deepEqual(chooseIdiom(['t/test_a.py::test_download_index', 't/test_a.py::test_download_file'], tests, 3), { kind: 'keyword', name: 'download', alsoRemoves: [] });
    assert.ok(keywordMatches('t/test_online.py::TestX::test_y[param-network]', 'online'));
    assert.ok(!keywordMatches('t/test_x.py::test_y[network]', 'network'), 'parameters are not names -k matches');
    const half = [run('a.py::test_network', 'failed', ['slow']), run('a.py::test_other', 'failed'), run('a.py::test_x', 'passed', ['slow'])];
    assert.deepEqual(chooseIdiom(['a.py::test_network', 'a.py::test_other'], half, 3), { kind: 'deselect' });
  });

  it('a marker or word that would remove more other tests than it replaces, or a single test: EPYTEST_DESELECT', () => {
    const wide = [run('a.py::test_1', 'failed', ['integration']), run('a.py::test_2', 'failed', ['integration']), ...[3, 4, 5].map((n) => run(`a.py::test_${n}`, 'passed', ['integration']))];
    assert.deepEqual(chooseIdiom(['a.py::test_1', 'a.py::test_2'], wide, 3), { kind: 'deselect' });
    assert.deepEqual(chooseIdiom(['tests/test_client.py::test_fetch'], MARKER_TESTS, 2), { kind: 'deselect' });
    assert.deepEqual(chooseIdiom(['a.py::test_1', 'a.py::test_2'], [], undefined), { kind: 'deselect' }, 'no test log: nothing to choose from');
  });

  it('pytest marks that select nothing (parametrize, skipif, ...) are no group', () => {
    const tests = [run('a.py::test_1', 'failed', ['parametrize']), run('a.py::test_2', 'failed', ['parametrize']), run('a.py::test_3', 'passed')];
    assert.deepEqual(chooseIdiom(['a.py::test_1', 'a.py::test_2'], tests, 3), { kind: 'deselect' });
  });

  it('scale 4-5: declare', () => {
    assert.deepEqual(chooseIdiom(['a'], [run('a', 'failed')], 5), { kind: 'declare' });
  });

  it("testRuns: one per test, its worst outcome and its markers, from the test log's phases", () => {
    const spans = [
      { nodeid: 'a.py::x', phase: 'setup', outcome: 'passed', markers: ['network'] },
      { nodeid: 'a.py::x', phase: 'call', outcome: 'failed', markers: ['network'] },
      { nodeid: 'a.py::x', phase: 'teardown', outcome: 'passed', markers: ['network'] },
      { nodeid: 'a.py::y', phase: 'setup', outcome: 'passed' },
      { nodeid: 'a.py::y', phase: 'call', outcome: 'xfailed' },
      { nodeid: 'a.py::y', phase: 'teardown', outcome: 'passed' },
      { nodeid: 'a.py::z', phase: 'setup', outcome: 'error' },
      { nodeid: 'a.py::z', phase: 'teardown', outcome: 'passed' },
    ];
    assert.deepEqual(testRuns(spans), [
      { id: 'a.py::x', outcome: 'failed', markers: ['network'] },
      { id: 'a.py::y', outcome: 'xfailed' },
      { id: 'a.py::z', outcome: 'error' },
    ]);
  });
});

describe('suggest: pytest options in the ebuild', () => {
  it("epytest calls get the option; else the ebuild's own pytest call; else a new python_test; a flag already passed is refused", () => {
    const py = 'EAPI=8\ninherit distutils-r1\ndistutils_enable_tests pytest\n\npython_test() {\n\tepytest tests\n}\n';
    assert.equal(addPytestOption(py, '-m', 'not network').text, py.replace('\tepytest tests', '\tepytest -m "not network" tests'));
    const bare = 'EAPI=8\ninherit distutils-r1\ndistutils_enable_tests pytest\n';
    assert.equal(addPytestOption(bare, '-k', 'not online').text, `${bare}\npython_test() {\n\tepytest -k "not online"\n}\n`);
    const own = fixture('pytest-marker');
    const e = addPytestOption(own, '-m', 'not network');
    assert.equal(e.where, 'pytest');
    assert.match(e.text ?? '', /\tpython3 -m pytest -m "not network" -p no:cacheprovider/);
    assert.match(addPytestOption(py.replace('epytest tests', 'epytest -m "not slow" tests'), '-m', 'not network').problem ?? '', /passes -m already/);
    assert.equal(addPytestOption('EAPI=8\nsrc_test() { make check; }\n', '-m', 'not network').text, undefined);
  });
});

describe('suggest: per outcome, in the idiom the evidence chooses', () => {
  const MARKER = [
    attempt({ phase: 'src_test', test: 'tests/test_client.py::test_fetch', address: '203.0.113.20', port: 443 }),
    attempt({ phase: 'src_test', test: 'tests/test_client.py::TestApi::test_status', address: '203.0.113.21', port: 80 }),
  ];

  it('pytest-marker: -m "not network" in its pytest call, saying it also removes the marked test that passes; scale 3', () => {
    const text = fixture('pytest-marker');
    const out = suggest(withTests(build('pytest-marker', MARKER, []), MARKER_TESTS), text);
    assert.deepEqual(out.map((s) => [s.cause, s.idiom, s.networkScale]), [['deselect-tests', 'marker', 3]]);
    const s = out[0]!;
    assert.deepEqual(s.attempts, [0, 1]);
    assert.match(s.summary, /skip them by the suite's @pytest\.mark\.network marker: -m "not network" to the ebuild's pytest call/);
    assert.match(s.summary, /also removes 1 other test .*\(tests\/test_client\.py::test_offline_fallback\)/);
    assert.match(s.summary, /Scale 3 of 5 \(.*2 of 7 tests failed for it\): deselect\./);
    const patched = applyPatch(text, s.patch!);
    assert.equal(patched, text.replace('python3 -m pytest -p', 'python3 -m pytest -m "not network" -p'));
  });

  it('pytest-expect-fail: the failing test is the fix (EPYTEST_DESELECT), the passing one a labelled leak on top of it', () => {
    const text = fixture('pytest-expect-fail');
    const attempts = [
      attempt({ phase: 'src_test', test: 'tests/test_http.py::test_download', address: '203.0.113.30', port: 80 }),
      { ...attempt({ phase: 'src_test', test: 'tests/test_http.py::test_unreachable_raises', address: '203.0.113.31', port: 443 }), testOutcome: 'passed' },
    ];
    const tests = [
      run('tests/test_basic.py::test_add', 'passed'),
      run('tests/test_basic.py::test_join', 'passed'),
      run('tests/test_http.py::test_download', 'failed'),
      run('tests/test_http.py::test_unreachable_raises', 'passed'),
      run('tests/test_http.py::test_header', 'passed'),
    ];
    const [fix, leak, ...rest] = suggest(withTests(build('pytest-expect-fail', attempts, []), tests), text);
    assert.equal(rest.length, 0);
    assert.equal(fix?.cause, 'deselect-tests');
    assert.equal(fix?.idiom, 'deselect');
    assert.equal(fix?.networkScale, 2);
    assert.deepEqual(fix?.attempts, [0]);
    const fixed = applyPatch(text, fix!.patch!);
    assert.match(fixed, /\nEPYTEST_DESELECT=\(\n\ttests\/test_http\.py::test_download {2}# Internet\n\)\n/);
    assert.doesNotMatch(/EPYTEST_DESELECT=\([^)]*\)/.exec(fixed)?.[0] ?? '', /test_unreachable_raises/, 'the test that passes is kept, as the maintainer keeps it');
    assert.equal(leak?.cause, 'leak-tests');
    assert.deepEqual(leak?.attempts, [1]);
    assert.match(leak?.summary ?? '', /^leak, not breakage: 1 pytest test tried the network and still passed/);
    assert.match(leak?.summary ?? '', /includes the breakage fix above/);
    assert.match(applyPatch(text, leak!.patch!), /\ttests\/test_http\.py::test_download {2}# Internet\n\ttests\/test_http\.py::test_unreachable_raises {2}# Internet\n\)/);
  });

  it('most of the suite fails for the network (scale 4): PROPERTIES="test_network" + RESTRICT="test"', () => {
    const text = fixture('pytest-mixed');
    const tests = [run('tests/test_mirror.py::TestMirror::test_list', 'failed'), run('tests/test_net.py::test_download', 'failed'), run('tests/test_basic.py::test_ok', 'passed')];
    const [s, ...rest] = suggest(withTests(build('pytest-mixed', [attempt({ phase: 'src_test', test: 'tests/test_mirror.py::TestMirror::test_list', address: '203.0.113.11', port: 443 }), attempt({ phase: 'src_test', test: 'tests/test_net.py::test_download' })], []), tests), text);
    assert.equal(rest.length, 0);
    assert.deepEqual([s?.cause, s?.idiom, s?.networkScale], ['deselect-tests', 'declare', 4]);
    const patched = applyPatch(text, s!.patch!);
    assert.match(patched, /\nPROPERTIES="test_network"\nRESTRICT="test"\n/);
    assert.match(s!.summary, /Scale 4 of 5 \(most tests need the network: 2 of 3 tests failed for it\): declare\./);
  });

  it('a tolerating build whose marked tests tried the network and passed: a leak suggestion with -m, no breakage fix', () => {
    const tests = MARKER_TESTS.map((t) => ({ ...t, outcome: t.outcome === 'failed' ? 'skipped' : t.outcome }));
    const out = suggest(withTests(build('pytest-marker', MARKER, [], { verdict: 'tolerates' }), tests), fixture('pytest-marker'));
    assert.deepEqual(out.map((s) => [s.cause, s.idiom]), [['leak-tests', 'marker']]);
    assert.match(out[0]!.patch ?? '', /\+\tpython3 -m pytest -m "not network" -p no:cacheprovider/);
  });
});

describe('suggest: every new kind in every output', () => {
  const MARKER = [
    attempt({ phase: 'src_test', test: 'tests/test_client.py::test_fetch', address: '203.0.113.20', port: 443 }),
    attempt({ phase: 'src_test', test: 'tests/test_client.py::TestApi::test_status', address: '203.0.113.21', port: 80 }),
  ];
  const breaks = withTests(build('pytest-marker', MARKER, ['ExternalConnect', 'ExternalConnect']), MARKER_TESTS);
  const leaks = withTests(
    build('pytest-leak', MARKER, ['ExternalConnect', 'ExternalConnect'], { verdict: 'tolerates', exitCode: 0 }),
    MARKER_TESTS.map((t) => ({ ...t, outcome: 'passed' })),
  );
  const b1 = { ...breaks, suggestions: suggest(breaks, fixture('pytest-marker')) };
  const b2 = { ...leaks, suggestions: suggest(leaks, fixture('pytest-marker')) };
  const report: Report = { schemaVersion: 1, tool: { name: 'netaudit', version: '0.1.0' }, createdAt: '2026-01-01T00:00:00Z', mode: 'ebuild', builds: [b1, b2], summary: { clean: 0, tolerates: 1, breaks: 1, 'fails-without-network': 0 } };

  it('the engine gave a marker fix to the breaking build and a leak to the tolerating one', () => {
    assert.deepEqual(b1.suggestions.map((s) => [s.cause, s.idiom]), [['deselect-tests', 'marker']]);
    assert.deepEqual(b2.suggestions.map((s) => [s.cause, s.idiom]), [['leak-tests', 'marker']]);
  });

  it('JSON: the schema takes tests, idiom, networkScale and leak-tests (both validators)', async () => {
    for (const source of ['standalone', 'runtime'] as const) assert.deepEqual(await validateReport(JSON.parse(renderJson(report)) as Report, source), { ok: true });
    const bad = JSON.parse(renderJson(report)) as Report;
    (bad.builds[0]!.suggestions![0] as { networkScale: number }).networkScale = 6;
    assert.equal((await validateReport(bad, 'standalone')).ok, false);
  });

  it('terminal, ebuild lines, HTML, JUnit (failure text and, for tolerates, system-out), pkgcheck', () => {
    const term = renderTerminal(report, { color: false });
    assert.match(term, /suggestion \(deselect-tests, patch\): 2 pytest tests failed for the network/);
    assert.match(term, /suggestion \(leak-tests, patch\): leak, not breakage: 2 pytest tests/);
    assert.match(renderEbuildLines(b2), /net-test\/pytest-leak-1: suggestion \(leak-tests, patch\): leak, not breakage/);
    const views = buildViews(report);
    assert.match(views[1]?.suggestions[0]?.headline ?? '', /^suggestion \(leak-tests, patch\): leak, not breakage/);
    assert.match(renderHtml(report), /data-cause="leak-tests"/);
    const junit = renderJunit(report);
    assert.match(junit, /<failure type="breaks"[^>]*>[^<]*suggestion \(deselect-tests, patch\): 2 pytest tests failed[^<]*-m (?:"|&quot;)not network/);
    assert.match(junit, /<system-out>[^<]*suggestions:\n {2}suggestion \(leak-tests, patch\): leak, not breakage/);
    const pk = pkgcheckResults(report);
    assert.ok(pk.some((r) => r.version === '1' && /\(fix: leak, not breakage: /.test(r.desc)), JSON.stringify(pk));
  });

  it('report patches: `cat/pkg: skip tests requiring Internet access` for the fix, its own subject for a leak', () => {
    assert.equal(commitSubject(b1, b1.suggestions[0]!), 'net-test/pytest-marker: skip tests requiring Internet access');
    assert.equal(commitSubject(b2, b2.suggestions[0]!), 'net-test/pytest-leak: skip tests that try to reach the Internet');
    const declare = { ...b1.suggestions[0]!, idiom: 'declare' as const };
    assert.equal(commitSubject(b1, declare), 'net-test/pytest-marker: restrict tests requiring Internet access');
    const { mails } = patchMails(report, { author: { name: 'Larry the Cow', email: 'larry@gentoo.example' } });
    assert.deepEqual(mails.map((m) => m.subject), ['net-test/pytest-marker: skip tests requiring Internet access', 'net-test/pytest-leak: skip tests that try to reach the Internet']);
  });
});
