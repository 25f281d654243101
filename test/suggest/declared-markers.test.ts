/**
 * Markers the suite declares (src/analyze/test-suite.ts reads the pytest plugin's session records;
 * src/suggest/idiom.ts prefers a declared marker): the log's records parsed (union over sessions, pytest's own
 * marks left out, --strict-markers), the idiom ranked by them, and the suggestion saying whether its marker is
 * declared (an undeclared one still selects, with pytest's PytestUnknownMarkWarning named).
 */
import assert from 'node:assert/strict';
import { parseDeclaredMarkers } from '../../src/analyze/test-suite.js';
import type { BuildResult, DeclaredMarkers, Report, TestRun } from '../../src/model/types.js';
import { renderJson } from '../../src/report/json.js';
import { validateReport } from '../../src/report/validate.js';
import { chooseIdiom } from '../../src/suggest/idiom.js';
import { applyPatch, suggest } from '../../src/suggest/index.js';
import { attempt, build, fixture } from '../helpers/builds.js';

const run = (id: string, outcome: string, markers: string[] = []): TestRun => ({ id, outcome, markers });
const session = (declared: unknown, strict = false, pid = 7) => JSON.stringify({ v: 2, type: 'session', pid, declared_markers: declared, strict_markers: strict });
const span = (nodeid: string) => JSON.stringify({ v: 2, start_us: 1, end_us: 2, pid: 7, phase: 'call', outcome: 'passed', markers: [], nodeid });

/** Two failing tests that carry both a marker and a network word in their names, and one that passes. */
const BOTH: TestRun[] = [
  run('t/test_c.py::test_online_fetch', 'failed', ['online']),
  run('t/test_c.py::test_online_status', 'failed', ['online']),
  run('t/test_c.py::test_parse', 'passed'),
];
const REMOVE = ['t/test_c.py::test_online_fetch', 't/test_c.py::test_online_status'];
const declared = (names: string[], strict = false): DeclaredMarkers => ({ names, strict });

describe('declared markers: the session records of the test log', () => {
  it('the union of every session (xdist workers, each Python), pytest\'s own marks left out, strict when any session was', () => {
    const text = [
      span('a.py::x'),
      session(['network', 'skip', 'skipif', 'xfail', 'parametrize', 'usefixtures', 'filterwarnings', 'tryfirst', 'trylast', 'slow'], false, 7),
      session(['online', 'network'], true, 8),
      '{"v":2,"type":"session","pid":9,"declared_ma', // a worker killed in the middle of a write
      session('network', false, 10), // not a list: not a record
      session(['bad name', 'x'.repeat(200), 3, 'ok_1'], false, 11),
      '',
    ].join('\n');
    assert.deepEqual(parseDeclaredMarkers(text), { names: ['network', 'ok_1', 'online', 'slow'], strict: true });
  });

  it('no session record (a log of the plugin before them, or no pytest): not known, undefined', () => {
    assert.equal(parseDeclaredMarkers([span('a.py::x'), span('a.py::y')].join('\n')), undefined);
    assert.equal(parseDeclaredMarkers(''), undefined);
    // A session that declares nothing of its own is known: none declared.
    assert.deepEqual(parseDeclaredMarkers(session(['skip', 'xfail'])), { names: [], strict: false });
  });
});

describe('declared markers: the idiom', () => {
  it('a declared marker wins over a keyword removing as many others, and says it is declared', () => {
    assert.deepEqual(chooseIdiom(REMOVE, BOTH, 3, declared(['online'])), { kind: 'marker', name: 'online', alsoRemoves: [], declared: true });
  });

  it('a keyword wins over a marker the suite uses without declaring; an undeclared marker is still chosen when nothing else covers', () => {
    assert.deepEqual(chooseIdiom(REMOVE, BOTH, 3, declared(['slow'])), { kind: 'keyword', name: 'online', alsoRemoves: [] });
    const marked = [run('t/a.py::test_fetch', 'failed', ['needs_net']), run('t/a.py::test_status', 'failed', ['needs_net']), run('t/a.py::test_parse', 'passed')];
    assert.deepEqual(chooseIdiom(['t/a.py::test_fetch', 't/a.py::test_status'], marked, 3, declared([])), {
      kind: 'marker',
      name: 'needs_net',
      alsoRemoves: [],
      declared: false,
    });
  });

  it('between two markers that remove as many others: the declared one', () => {
    const two = [run('a.py::test_1', 'failed', ['internet', 'remote_data']), run('a.py::test_2', 'failed', ['internet', 'remote_data']), run('a.py::test_3', 'passed')];
    // Alphabetically `internet` comes first; declared, `remote_data` wins.
    assert.equal((chooseIdiom(['a.py::test_1', 'a.py::test_2'], two, 3, declared(['remote_data'])) as { name: string }).name, 'remote_data');
    assert.equal((chooseIdiom(['a.py::test_1', 'a.py::test_2'], two, 3, declared(['internet'])) as { name: string }).name, 'internet');
  });

  it('fewer other tests removed still comes first: a declared marker that removes more loses to a keyword that removes none', () => {
    const tests = [...BOTH, run('t/test_c.py::test_cache', 'passed', ['online'])];
    assert.deepEqual(chooseIdiom(REMOVE, tests, 3, declared(['online'])), { kind: 'keyword', name: 'online', alsoRemoves: [] });
  });

  it('declarations not known (no session record): as before, a marker before a keyword, no `declared`', () => {
    assert.deepEqual(chooseIdiom(REMOVE, BOTH, 3), { kind: 'marker', name: 'online', alsoRemoves: [] });
  });
});

describe('declared markers: the suggestion', () => {
  const MARKER_TESTS: TestRun[] = [
    run('tests/test_basic.py::test_add', 'passed'),
    run('tests/test_basic.py::test_split', 'passed'),
    run('tests/test_basic.py::test_upper', 'passed'),
    run('tests/test_client.py::test_fetch', 'failed', ['network']),
    run('tests/test_client.py::TestApi::test_status', 'failed', ['network']),
    run('tests/test_client.py::test_offline_fallback', 'passed', ['network']),
    run('tests/test_client.py::test_url_join', 'passed'),
  ];
  const attempts = [
    attempt({ phase: 'src_test', test: 'tests/test_client.py::test_fetch', address: '203.0.113.20', port: 443 }),
    attempt({ phase: 'src_test', test: 'tests/test_client.py::TestApi::test_status', address: '203.0.113.21', port: 80 }),
  ];
  const marker = (d: DeclaredMarkers | undefined): BuildResult => ({ ...build('pytest-marker', attempts, []), tests: MARKER_TESTS, ...(d ? { declaredMarkers: d } : {}) });

  it('pytest-marker (its pytest.ini declares `network`): -m "not network", the marker said to be declared', () => {
    const [s, ...rest] = suggest(marker(declared(['network'])), fixture('pytest-marker'));
    assert.equal(rest.length, 0);
    assert.equal(s?.idiom, 'marker');
    assert.match(s?.summary ?? '', /skip them by the suite's @pytest\.mark\.network marker \(declared in its markers\): -m "not network"/);
    assert.doesNotMatch(s?.summary ?? '', /undeclared|PytestUnknownMarkWarning/);
    assert.match(applyPatch(fixture('pytest-marker'), s!.patch!), /python3 -m pytest -m "not network" -p no:cacheprovider/);
  });

  it('the same suite without the declaration: still -m "not network", saying it is undeclared and that pytest warns', () => {
    const [s] = suggest(marker(declared([])), fixture('pytest-marker'));
    assert.equal(s?.idiom, 'marker');
    assert.match(s?.summary ?? '', /the @pytest\.mark\.network marker its tests carry \(undeclared: .*PytestUnknownMarkWarning; -m selects on it all the same\): -m "not network"/);
  });

  it('a report with declaredMarkers is valid against the schema (both validators); a bad one is not', async () => {
    const b = { ...marker(declared(['network'], true)) };
    const withSuggestions = { ...b, suggestions: suggest(b, fixture('pytest-marker')) };
    const report: Report = { schemaVersion: 1, tool: { name: 'netaudit', version: '0.1.0' }, createdAt: '2026-01-01T00:00:00Z', mode: 'ebuild', builds: [withSuggestions], summary: { clean: 0, tolerates: 0, breaks: 1, 'fails-without-network': 0 } };
    for (const source of ['standalone', 'runtime'] as const) assert.deepEqual(await validateReport(JSON.parse(renderJson(report)) as Report, source), { ok: true });
    const bad = JSON.parse(renderJson(report)) as { builds: { declaredMarkers: unknown }[] };
    bad.builds[0]!.declaredMarkers = { names: ['network'] };
    assert.equal((await validateReport(bad as unknown as Report, 'standalone')).ok, false);
  });
});
