/**
 * The pytest plugin (src/portage/netaudit_pytest.py) with real pytest, loaded the way netaudit loads it
 * (src/runner/tests.ts: its directory first on PYTHONPATH, where sitecustomize.py asks pytest for it;
 * NETAUDIT_TEST_LOG): under PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 as Gentoo's epytest sets it, with the ebuild's own
 * PYTEST_PLUGINS, with -p no:cacheprovider, named twice, with pytest-xdist workers, with the log unwritable or
 * unset, with PYTHONPATH replaced by the suite and under `python -I` (the suite's result and output never
 * change), and with the sitecustomize it shadows still run. Debian's python3-pytest (scripts/setup.sh); without
 * it the tests are skipped, except in CI. A second python3 on PATH with its own pytest (e.g. pytest 9 from pip)
 * runs the same tests.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { attributeTests } from '../../src/analyze/test-attribution.js';
import { prepareTestLog, pytestEnv, readDeclaredMarkers, readTestLog, testRunnerEnv } from '../../src/runner/test-log.js';
import { chooseIdiom, testRuns } from '../../src/suggest/idiom.js';
import { applyPatch, suggest } from '../../src/suggest/index.js';
import { testEcosystem } from '../../src/verdict/ecosystem.js';
import { attempt, build, deselectedByBash, fixture } from '../helpers/builds.js';

const DEBIAN_PYTHON = '/usr/bin/python3';

function hasModule(python: string, mod: string): boolean {
  return spawnSync(python, ['-c', `import ${mod}`], { stdio: 'ignore' }).status === 0;
}

/** Debian's python3, and python3 on PATH when it is another interpreter with pytest. */
function pythons(): string[] {
  const other = spawnSync('python3', ['-c', 'import sys, pytest; print(sys.executable)'], { encoding: 'utf8' });
  const exe = other.status === 0 ? other.stdout.trim() : '';
  return exe && exe !== DEBIAN_PYTHON ? [DEBIAN_PYTHON, exe] : [DEBIAN_PYTHON];
}

/** The run's output with its timings out. */
const clean = (s: string) => s.replace(/in [0-9.]+s/g, 'in Xs');

const SUITE: Record<string, string> = {
  'tests/test_basic.py': [
    'import pytest',
    '@pytest.fixture',
    'def fx():',
    '    yield 1',
    'def test_ok(fx):',
    '    assert fx == 1',
    'def test_fail():',
    '    assert 0',
    '@pytest.mark.skip',
    'def test_skip():',
    '    pass',
    '@pytest.mark.parametrize("x", ["a b", "\\t"])',
    'def test_param(x):',
    '    pass',
    '',
  ].join('\n'),
  'tests/test_more.py': ['import time', ...[1, 2, 3, 4].map((i) => `def test_t${i}():\n    time.sleep(0.05)`), ''].join('\n'),
  // Every outcome pytest's summary counts, and marks from the test, its class and its module.
  'outcomes/test_outcomes.py': [
    'import pytest',
    'pytestmark = pytest.mark.network',
    '@pytest.fixture',
    'def broken_setup():',
    '    raise RuntimeError("no")',
    '@pytest.fixture',
    'def broken_teardown():',
    '    yield',
    '    raise RuntimeError("no")',
    '@pytest.fixture',
    'def skipping():',
    '    pytest.skip("offline")',
    'def test_pass():',
    '    pass',
    'def test_fail():',
    '    assert 0',
    'def test_setup_error(broken_setup):',
    '    pass',
    'def test_teardown_error(broken_teardown):',
    '    pass',
    'def test_fail_and_teardown_error(broken_teardown):',
    '    assert 0',
    'def test_skip_in_setup(skipping):',
    '    pass',
    'def test_skip_in_call():',
    '    pytest.skip("offline")',
    '@pytest.mark.xfail(reason="no network")',
    'def test_xfail():',
    '    assert 0',
    '@pytest.mark.xfail(reason="no network")',
    'def test_xpass():',
    '    pass',
    '@pytest.mark.online',
    'class TestOnline:',
    '    @pytest.mark.slow',
    '    @pytest.mark.parametrize("x", [1])',
    '    def test_marked(self, x):',
    '        pass',
    '',
  ].join('\n'),
  // Markers declared in pyproject.toml and by two conftest.py files (the root's and one below it, registered
  // during collection), under --strict-markers: a mark not declared would fail the run.
  'declared/pyproject.toml': ['[tool.pytest.ini_options]', 'addopts = "--strict-markers"', 'markers = ["network: needs Internet access", "slow(seconds): takes long"]', ''].join('\n'),
  'declared/conftest.py': ['def pytest_configure(config):', '    config.addinivalue_line("markers", "online: talks to a server")', ''].join('\n'),
  'declared/sub/conftest.py': ['def pytest_configure(config):', '    config.addinivalue_line("markers", "remote_data(url): downloads data")', ''].join('\n'),
  'declared/sub/test_client.py': [
    'import pytest',
    '@pytest.mark.network',
    'def test_fetch():',
    '    raise OSError(101, "Network is unreachable")',
    '@pytest.mark.network',
    '@pytest.mark.online',
    'def test_status():',
    '    raise OSError(101, "Network is unreachable")',
    '@pytest.mark.remote_data("https://data.example/x")',
    'def test_parse():',
    '    pass',
    '',
  ].join('\n'),
  // pytest 9's `strict` ini option turns strict_markers on (pytest before 9 knows no such option).
  'strict-ini/pytest.ini': '[pytest]\nstrict = true\nmarkers =\n    network: needs Internet access\n',
  'strict-ini/test_x.py': 'import pytest\n@pytest.mark.network\ndef test_x():\n    pass\n',
  // Doctests (pytest --doctest-modules): ids like src/pkg/mod.py::pkg.mod.fetch. fetch's doctest connects where
  // nothing listens on loopback (refused at once: in a real suite, a lookup the sandbox refuses), after logging
  // the moment and its pid to DOCTEST_CONNECT_LOG, as the tracer records a connect.
  'doctests/pytest.ini': '[pytest]\n',
  'doctests/src/pkg/__init__.py': '',
  'doctests/src/pkg/mod.py': [
    '"""A module whose doctest reaches for the network."""',
    'import os',
    'import socket',
    'import time',
    '',
    '',
    'def fetch():',
    '    """Fetch the index.',
    '',
    '    >>> fetch()',
    '    True',
    '    """',
    '    probe = socket.socket()',
    '    probe.bind(("127.0.0.1", 0))',
    '    port = probe.getsockname()[1]',
    '    probe.close()',
    '    with open(os.environ["DOCTEST_CONNECT_LOG"], "a") as log:',
    '        log.write("%d %d\\n" % (os.getpid(), time.time_ns() // 1000))',
    '    socket.create_connection(("127.0.0.1", port), timeout=2).close()',
    '    return True',
    '',
    '',
    'def words(text):',
    '    """',
    '    >>> words("a b")',
    '    [\'a\', \'b\']',
    '    """',
    '    return text.split()',
    '',
  ].join('\n'),
  'doctests/tests/test_basic.py': ['def test_add():', '    assert 1 + 1 == 2', ''].join('\n'),
};

for (const PYTHON of pythons()) describe(`the pytest plugin with real pytest (${PYTHON})`, function () {
  this.timeout(120_000);
  let tmp: string;
  let suite: string;

  before(function () {
    if (!hasModule(PYTHON, 'pytest')) {
      if (process.env.CI === 'true') throw new Error(`${PYTHON} has no pytest: scripts/setup.sh installs python3-pytest`);
      this.skip();
    }
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-pytest-'));
    suite = path.join(tmp, 'suite');
    for (const [file, text] of Object.entries(SUITE)) {
      mkdirSync(path.dirname(path.join(suite, file)), { recursive: true });
      writeFileSync(path.join(suite, file), text);
    }
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  /**
   * pytest on the suite (or `target`) with the plugin's variables (fresh log each time), extra env and args;
   * `python` are the interpreter's own options (-I). `extraEnv` applies after netaudit's, as a build's does.
   */
  function pytest(extraEnv: Record<string, string>, args: string[], opts: { plugin?: boolean; python?: string[]; target?: string } = {}) {
    const dir = mkdtempSync(path.join(tmp, 'run-'));
    const log = prepareTestLog(dir);
    const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmp, PYTHONDONTWRITEBYTECODE: '1' };
    const env = { ...base, ...(opts.plugin === false ? {} : pytestEnv(log, base)), ...extraEnv };
    const started = Date.now();
    const argv = [...(opts.python ?? []), '-m', 'pytest', '-p', 'no:randomly', ...args, opts.target ?? 'tests'];
    const r = spawnSync(PYTHON, argv, { cwd: suite, env, encoding: 'utf8' });
    return {
      code: r.status,
      out: r.stdout + r.stderr,
      spans: readTestLog(log.logPath, started),
      declared: readDeclaredMarkers(log.logPath),
      logText: readFileSync(log.logPath, 'utf8'),
      started,
      ended: Date.now(),
    };
  }

  it('logs every phase of every test under PYTEST_DISABLE_PLUGIN_AUTOLOAD=1, with node ids from the run', () => {
    const r = pytest({ PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1' }, ['-q']);
    assert.equal(r.code, 1, r.out); // test_fail fails: the plugin changes nothing
    const ids = [...new Set(r.spans.map((s) => s.nodeid))].sort();
    assert.deepEqual(ids, [
      'tests/test_basic.py::test_fail',
      'tests/test_basic.py::test_ok',
      'tests/test_basic.py::test_param[\\t]',
      'tests/test_basic.py::test_param[a b]',
      'tests/test_basic.py::test_skip',
      ...[1, 2, 3, 4].map((i) => `tests/test_more.py::test_t${i}`),
    ]);
    // 9 tests x 3 phases, but a skipped test has no call phase.
    assert.equal(r.spans.length, 26);
    const ok = r.spans.filter((s) => s.nodeid === 'tests/test_basic.py::test_ok').map((s) => [s.phase, s.outcome]);
    assert.deepEqual(ok, [['setup', 'passed'], ['call', 'passed'], ['teardown', 'passed']]);
    assert.equal(r.spans.find((s) => s.nodeid.endsWith('::test_fail') && s.phase === 'call')?.outcome, 'failed');
    assert.equal(r.spans.find((s) => s.nodeid.endsWith('::test_skip'))?.outcome, 'skipped');
    // Times on the build's clock: inside the run, in order, the sleeping tests' calls about 50 ms long.
    const runMs = r.ended - r.started;
    assert.ok(r.spans.every((s) => s.startMs >= -5 && s.endMs <= runMs + 5 && s.endMs >= s.startMs), JSON.stringify(r.spans));
    const sleep = r.spans.find((s) => s.nodeid.endsWith('::test_t1') && s.phase === 'call');
    assert.ok(sleep && sleep.endMs - sleep.startMs >= 45, JSON.stringify(sleep));
    assert.equal(new Set(r.spans.map((s) => s.pid)).size, 1);
  });

  it('logs each phase\'s outcome, the test\'s final one and its marker names', () => {
    const r = pytest({ PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1' }, ['-q', '-rA'], { target: 'outcomes' });
    assert.equal(r.code, 1, r.out);
    const test = (name: string) => r.spans.filter((s) => s.nodeid.split('::').slice(1).join('::') === name);
    const phases = (name: string) => test(name).map((s) => `${s.phase}:${s.outcome}`).join(' ');
    const final = (name: string) => {
      const finals = [...new Set(test(name).map((s) => s.final))];
      assert.equal(finals.length, 1, `${name}: one final outcome on all its spans: ${JSON.stringify(finals)}`);
      return finals[0];
    };
    const want: [string, string, string][] = [
      ['test_pass', 'setup:passed call:passed teardown:passed', 'passed'],
      ['test_fail', 'setup:passed call:failed teardown:passed', 'failed'],
      ['test_setup_error', 'setup:error teardown:passed', 'error'],
      ['test_teardown_error', 'setup:passed call:passed teardown:error', 'error'],
      ['test_fail_and_teardown_error', 'setup:passed call:failed teardown:error', 'failed'],
      ['test_skip_in_setup', 'setup:skipped teardown:passed', 'skipped'],
      ['test_skip_in_call', 'setup:passed call:skipped teardown:passed', 'skipped'],
      ['test_xfail', 'setup:passed call:xfailed teardown:passed', 'xfailed'],
      ['test_xpass', 'setup:passed call:xpassed teardown:passed', 'xpassed'],
      ['TestOnline::test_marked[1]', 'setup:passed call:passed teardown:passed', 'passed'],
    ];
    assert.deepEqual(
      want.map(([name]) => [name, phases(name), final(name)]),
      want,
      r.out,
    );
    // The phases' outcomes count as pytest's own summary line counts its reports (a call's outcome, a setup's
    // skip, each setup or teardown error).
    const summary = /^=*\s*(\d+ \w+(?:, \d+ \w+)*) in [0-9.]+s/m.exec(r.out)?.[1] ?? '';
    const counted = (word: string) => Number(new RegExp(`(\\d+) ${word}`).exec(summary)?.[1] ?? 0);
    for (const outcome of ['failed', 'passed', 'skipped', 'xfailed', 'xpassed', 'error']) {
      const reports = r.spans.filter((s) => s.outcome === outcome && (s.phase === 'call' || outcome === 'error' || (s.phase === 'setup' && outcome !== 'passed')));
      assert.equal(reports.length, counted(outcome === 'error' ? 'errors?' : outcome), `${outcome} in "${summary}"`);
    }
    // Marks: the test's own, its class's, its module's (sorted names, each once).
    assert.deepEqual(test('TestOnline::test_marked[1]')[0]?.markers, ['network', 'online', 'parametrize', 'slow']);
    assert.deepEqual(test('test_xfail')[0]?.markers, ['network', 'xfail']);
    assert.deepEqual(test('test_pass')[0]?.markers, ['network']);
    // Times in integer µs (time.time_ns), kept as such: some spans are not on a whole millisecond.
    const lines = r.logText.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.type !== 'session');
    assert.ok(lines.every((l) => l.v === 2 && Number.isInteger(l.start_us) && Number.isInteger(l.end_us)), r.logText);
    assert.ok(r.spans.some((s) => !Number.isInteger(s.startMs) || !Number.isInteger(s.endMs)), JSON.stringify(r.spans));
  });

  it('the suite\'s output and result are the same with and without the plugin (-p no:cacheprovider)', () => {
    const without = pytest({}, ['-p', 'no:cacheprovider'], { plugin: false });
    const withIt = pytest({}, ['-p', 'no:cacheprovider']);
    assert.equal(withIt.code, without.code);
    assert.equal(clean(withIt.out), clean(without.out));
    assert.equal(without.spans.length, 0);
    assert.equal(withIt.spans.length, 26);
  });

  it('named again (-p in PYTEST_ADDOPTS): registered once, each phase logged once', () => {
    const r = pytest({ PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1', PYTEST_ADDOPTS: '-p netaudit_pytest' }, ['-q']);
    assert.equal(r.code, 1, r.out);
    assert.doesNotMatch(r.out, /already registered|Error importing plugin/);
    assert.equal(r.spans.length, 26);
  });

  it('an unwritable log, or none given: nothing breaks, nothing is printed', () => {
    const quiet = pytest({}, ['-q', '-p', 'no:cacheprovider'], { plugin: false });
    const bad = pytest({ NETAUDIT_TEST_LOG: path.join(tmp, 'no/such/dir/tests.log') }, ['-q', '-p', 'no:cacheprovider']);
    const unset = pytest({ NETAUDIT_TEST_LOG: '' }, ['-q', '-p', 'no:cacheprovider']);
    for (const r of [bad, unset]) {
      assert.equal(r.code, quiet.code);
      assert.equal(clean(r.out), clean(quiet.out));
      assert.equal(r.spans.length, 0);
    }
  });

  it('pytest-xdist: each worker logs its own tests under its own pid; the controller logs none', function () {
    if (!hasModule(PYTHON, 'xdist')) {
      if (PYTHON !== DEBIAN_PYTHON) this.skip();
      if (process.env.CI === 'true') throw new Error(`${PYTHON} has no xdist: scripts/setup.sh installs python3-pytest-xdist`);
      this.skip();
    }
    const r = pytest({ PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1' }, ['-q', '-p', 'xdist', '-n', '2']);
    assert.equal(r.code, 1, r.out);
    assert.equal(r.spans.length, 26);
    const pids = new Set(r.spans.map((s) => s.pid));
    assert.equal(pids.size, 2, `two workers: ${[...pids].join(' ')}`);
    // Every test's phases in one worker.
    for (const id of new Set(r.spans.map((s) => s.nodeid))) assert.equal(new Set(r.spans.filter((s) => s.nodeid === id).map((s) => s.pid)).size, 1, id);
  });

  it('the ebuild\'s own PYTEST_PLUGINS (epytest style, replacing any other): still logged', () => {
    const r = pytest({ PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1', PYTEST_PLUGINS: 'pytester' }, ['-q', '-p', 'no:cacheprovider']);
    assert.equal(r.code, 1, r.out);
    assert.equal(r.spans.length, 26);
  });

  it('PYTHONPATH replaced by the suite, or `python -I`: the plugin is not loaded, result and output unchanged', () => {
    const own = path.join(tmp, 'own-pythonpath');
    mkdirSync(own, { recursive: true });
    const args = ['-p', 'no:cacheprovider'];
    for (const [name, env, python] of [
      ['PYTHONPATH replaced', { PYTHONPATH: own }, []],
      ['python -I', {}, ['-I']],
      ['python -E under epytest', { PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1' }, ['-E']],
    ] as const) {
      const without = pytest(env, args, { plugin: false, python: [...python] });
      const withIt = pytest(env, args, { python: [...python] });
      assert.equal(withIt.code, without.code, `${name}: ${withIt.out}`);
      assert.equal(withIt.code, 1, `${name}: test_fail fails, nothing else: ${withIt.out}`);
      assert.equal(clean(withIt.out), clean(without.out), name);
      assert.doesNotMatch(withIt.out, /netaudit_pytest|Error importing plugin|sitecustomize/, name);
      assert.equal(withIt.spans.length, 0, name);
    }
  });

  it('the sitecustomize it shadows still runs, as the module `sitecustomize`; its errors read as without netaudit', async () => {
    const theirs = path.join(tmp, 'their-site');
    mkdirSync(theirs, { recursive: true });
    writeFileSync(path.join(theirs, 'sitecustomize.py'), 'import os\nos.environ["THEIR_SITECUSTOMIZE"] = __file__\n');
    const probe = ['-c', 'import os, sys; print(os.environ.get("THEIR_SITECUSTOMIZE"), sys.modules["sitecustomize"].__file__)'];
    const t = testRunnerEnv({ PATH: process.env.PATH, PYTHONPATH: theirs });
    try {
      const r = spawnSync(PYTHON, probe, { env: t.env, encoding: 'utf8' });
      const mine = path.join(theirs, 'sitecustomize.py');
      assert.equal(r.stdout + r.stderr, `${mine} ${mine}\n`);
      // An error in theirs: site's own message, as without netaudit; the suite runs and is logged.
      writeFileSync(path.join(theirs, 'sitecustomize.py'), 'raise RuntimeError("theirs is broken")\n');
      const without = pytest({ PYTHONPATH: theirs }, ['-q', '-p', 'no:cacheprovider'], { plugin: false });
      const withIt = pytest({ PYTHONPATH: `${t.pluginDir}:${theirs}` }, ['-q', '-p', 'no:cacheprovider']);
      assert.match(without.out, /Error in sitecustomize; set PYTHONVERBOSE for traceback:\nRuntimeError: theirs is broken/);
      assert.equal(withIt.code, without.code);
      assert.equal(clean(withIt.out), clean(without.out));
      assert.equal(withIt.spans.length, 26);
    } finally {
      await t.remove();
    }
    // None shadowed: the interpreter's modules are the same as without netaudit (no `sitecustomize` where there was none).
    const modules = ['-c', 'import sys; print(sorted(sys.modules))'];
    const bare = { PATH: process.env.PATH };
    const u = testRunnerEnv(bare);
    try {
      assert.equal(spawnSync(PYTHON, modules, { env: u.env, encoding: 'utf8' }).stdout, spawnSync(PYTHON, modules, { env: bare, encoding: 'utf8' }).stdout);
    } finally {
      await u.remove();
    }
  });

  it('a nested pytest (pytester, in process and subprocess): both levels logged, result unchanged', () => {
    writeFileSync(
      path.join(suite, 'tests/test_nested.py'),
      [
        'pytest_plugins = ["pytester"]',
        'def test_inner(pytester):',
        '    pytester.makepyfile("def test_in():\\n    pass\\n")',
        '    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)',
        'def test_inner_sub(pytester):',
        '    pytester.makepyfile("def test_sub():\\n    pass\\n")',
        '    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)',
        '',
      ].join('\n'),
    );
    try {
      const target = 'tests/test_nested.py';
      const without = pytest({}, ['-q', '-p', 'no:cacheprovider'], { plugin: false, target });
      const withIt = pytest({}, ['-q', '-p', 'no:cacheprovider'], { target });
      assert.equal(without.code, 0, without.out);
      assert.equal(withIt.code, 0, withIt.out);
      const ids = [...new Set(withIt.spans.map((s) => s.nodeid))].sort();
      assert.deepEqual(ids, ['test_inner.py::test_in', 'test_inner_sub.py::test_sub', 'tests/test_nested.py::test_inner', 'tests/test_nested.py::test_inner_sub']);
      assert.equal(new Set(withIt.spans.map((s) => s.pid)).size, 2, 'the subprocess run logs under its own pid');
    } finally {
      rmSync(path.join(suite, 'tests/test_nested.py'));
    }
  });

  it('logs the markers the suite declares (pyproject.toml, conftest.py at the root and below) and --strict-markers; the idiom prefers them', () => {
    const r = pytest({ PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1' }, ['-q', '-p', 'no:cacheprovider'], { target: 'declared' });
    // --strict-markers is on and every mark used is declared: only the two network tests fail.
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /2 failed, 1 passed/, r.out);
    assert.doesNotMatch(r.out, /PytestUnknownMarkWarning|not found in `markers`/);
    // One session record, with pytest's own marks left out.
    assert.equal(r.logText.split('\n').filter((l) => l.includes('"type":"session"')).length, 1, r.logText);
    assert.deepEqual(r.declared, { names: ['network', 'online', 'remote_data', 'slow'], strict: true });
    // The run's tests and declarations choose the declared marker, saying so.
    const tests = testRuns(r.spans);
    const failing = tests.filter((t) => t.outcome === 'failed').map((t) => t.id).sort();
    assert.deepEqual(failing, ['sub/test_client.py::test_fetch', 'sub/test_client.py::test_status']);
    assert.deepEqual(chooseIdiom(failing, tests, 3, r.declared), { kind: 'marker', name: 'network', alsoRemoves: [], declared: true });
    // A suite that declares nothing of its own: known, none declared, not strict.
    const plain = pytest({ PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1' }, ['-q', '-p', 'no:cacheprovider'], { target: 'outcomes' });
    assert.deepEqual(plain.declared, { names: [], strict: false });
    // strict = true in the ini: strict under pytest 9, which has the option; unknown (not strict) before.
    const major = Number(spawnSync(PYTHON, ['-c', 'import pytest; print(pytest.__version__.split(".")[0])'], { encoding: 'utf8' }).stdout.trim());
    const strictIni = pytest({ PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1' }, ['-q', '-p', 'no:cacheprovider'], { target: 'strict-ini' });
    assert.equal(strictIni.code, 0, strictIni.out);
    assert.deepEqual(strictIni.declared, { names: ['network'], strict: major >= 9 }, `pytest ${major}`);
    // The same undeclared marks without --strict-markers: pytest warns, and the idiom says the marker is undeclared.
    const outcomes = testRuns(plain.spans);
    assert.match(plain.out, /PytestUnknownMarkWarning/);
    assert.deepEqual(chooseIdiom(outcomes.map((t) => t.id), outcomes, 3, plain.declared), { kind: 'marker', name: 'network', alsoRemoves: [], declared: false });
  });

  it('a doctest (--doctest-modules) that reaches for the network: its id logged, its attempt attributed, an EPYTEST_DESELECT line epytest takes', () => {
    const connects = path.join(tmp, 'doctest-connects.log');
    const r = pytest({ PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1', DOCTEST_CONNECT_LOG: connects }, ['-q', '-p', 'no:cacheprovider', '--doctest-modules'], { target: 'doctests' });
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /1 failed, 2 passed/, r.out);
    const id = 'src/pkg/mod.py::pkg.mod.fetch';
    const tests = testRuns(r.spans);
    assert.deepEqual(tests.map((t) => [t.id, t.outcome]).sort(), [
      ['src/pkg/mod.py::pkg.mod.fetch', 'failed'],
      ['src/pkg/mod.py::pkg.mod.words', 'passed'],
      ['tests/test_basic.py::test_add', 'passed'],
    ]);
    // The connect, at the moment and in the process the doctest logged, is attributed to the doctest.
    const [pid, us] = readFileSync(connects, 'utf8').trim().split(' ').map(Number) as [number, number];
    rmSync(connects);
    const seen = attempt({ kind: 'dns', address: '192.0.2.53', port: 53, hostname: 'pypi.example', qtype: 'A', phase: 'src_test', firstAtMs: us / 1000 - r.started, process: { pid, comm: 'python3', argv: ['python3', '-m', 'pytest'] } });
    const [attributed] = attributeTests([seen], r.spans);
    assert.equal(attributed?.test, id);
    assert.equal(attributed?.testOutcome, 'failed');
    assert.equal(testEcosystem(attributed!), 'pytest');
    // Its suggestion: one EPYTEST_DESELECT line, with # Internet, in an ebuild that passes each entry as
    // --deselect (epytest's way).
    const text = fixture('pytest-mixed');
    const b = { ...build('pytest-mixed', [attributed!], ['DnsLookup']), tests };
    const [s, ...rest] = suggest(b, text);
    assert.equal(rest.length, 0, JSON.stringify(rest));
    assert.equal(s?.cause, 'deselect-tests');
    assert.equal(s?.idiom, 'deselect');
    const patched = applyPatch(text, s!.patch!);
    assert.match(patched, /\nEPYTEST_DESELECT=\(\n\tsrc\/pkg\/mod\.py::pkg\.mod\.fetch {2}# Internet\n\)\n/);
    // The array as bash reads it, each entry handed to pytest as --deselect: the doctest is deselected, the rest pass.
    const read = deselectedByBash(patched, tmp);
    assert.equal(read.stdout, `${id}\n`, read.stderr);
    const deselect = read.entries.flatMap((x) => ['--deselect', x]);
    const again = pytest({ PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1', DOCTEST_CONNECT_LOG: connects }, ['-q', '-p', 'no:cacheprovider', '--doctest-modules', ...deselect], { target: 'doctests' });
    assert.equal(again.code, 0, again.out);
    assert.match(again.out, /2 passed, 1 deselected/, again.out);
    assert.deepEqual([...new Set(again.spans.map((x) => x.nodeid))].sort(), ['src/pkg/mod.py::pkg.mod.words', 'tests/test_basic.py::test_add']);
    assert.equal(spawnSync('test', ['-e', connects]).status, 1, 'the doctest did not run');
  });

  it('testRunnerEnv keeps the build\'s own PYTHONPATH, leaves PYTEST_PLUGINS alone, and removes its dir', async () => {
    const t = testRunnerEnv({ PYTHONPATH: '/opt/a:/opt/b', PYTEST_PLUGINS: 'myplugin' });
    try {
      assert.equal(t.env.PYTHONPATH, `${t.pluginDir}:/opt/a:/opt/b`);
      assert.equal(t.env.PYTEST_PLUGINS, 'myplugin');
      assert.equal(t.env.NETAUDIT_TEST_LOG, t.logPath);
      assert.deepEqual(readdirSync(t.pluginDir).sort(), ['netaudit_log.py', 'netaudit_pytest.py', 'netaudit_unittest.py', 'sitecustomize.py']);
    } finally {
      await t.remove();
    }
    const bare = testRunnerEnv({});
    await bare.remove();
    assert.equal(bare.env.PYTHONPATH, bare.pluginDir, 'no empty entry (that would be the cwd)');
    assert.equal(bare.env.PYTEST_PLUGINS, undefined);
    assert.equal(spawnSync('test', ['-e', path.dirname(bare.logPath)]).status, 1, 'removed');
  });
});
