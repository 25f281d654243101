/**
 * The pytest plugin (src/portage/netaudit_pytest.py) with real pytest, loaded the way netaudit loads it
 * (src/runner/tests.ts: PYTEST_PLUGINS, PYTHONPATH, NETAUDIT_TEST_LOG): under PYTEST_DISABLE_PLUGIN_AUTOLOAD=1
 * as Gentoo's epytest sets it, with -p no:cacheprovider, named twice, with pytest-xdist workers, and with the log
 * unwritable or unset (the suite's result and output never change). Debian's python3-pytest (scripts/setup.sh);
 * without it the tests are skipped, except in CI.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prepareTestLog, pytestEnv, readTestLog, testRunnerEnv } from '../../src/runner/tests.js';

const PYTHON = '/usr/bin/python3';

function hasModule(mod: string): boolean {
  return spawnSync(PYTHON, ['-c', `import ${mod}`], { stdio: 'ignore' }).status === 0;
}

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
};

describe('the pytest plugin with real pytest', function () {
  this.timeout(120_000);
  let tmp: string;
  let suite: string;

  before(function () {
    if (!hasModule('pytest')) {
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

  /** pytest on the suite with the plugin's variables (fresh log each time), extra env and args. */
  function pytest(extraEnv: Record<string, string>, args: string[], opts: { plugin?: boolean } = {}) {
    const dir = mkdtempSync(path.join(tmp, 'run-'));
    const log = prepareTestLog(dir);
    const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmp, PYTHONDONTWRITEBYTECODE: '1' };
    const env = { ...base, ...(opts.plugin === false ? {} : pytestEnv(log, base)), ...extraEnv };
    const started = Date.now();
    const r = spawnSync(PYTHON, ['-m', 'pytest', '-p', 'no:randomly', ...args, 'tests'], { cwd: suite, env, encoding: 'utf8' });
    return { code: r.status, out: r.stdout + r.stderr, spans: readTestLog(log.logPath, started), started, ended: Date.now() };
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

  it('the suite\'s output and result are the same with and without the plugin (-p no:cacheprovider)', () => {
    const clean = (s: string) => s.replace(/in [0-9.]+s/g, 'in Xs');
    const without = pytest({}, ['-p', 'no:cacheprovider'], { plugin: false });
    const withIt = pytest({}, ['-p', 'no:cacheprovider']);
    assert.equal(withIt.code, without.code);
    assert.equal(clean(withIt.out), clean(without.out));
    assert.equal(without.spans.length, 0);
    assert.equal(withIt.spans.length, 26);
  });

  it('named twice (PYTEST_PLUGINS and -p in PYTEST_ADDOPTS): registered once, each phase logged once', () => {
    const r = pytest({ PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1', PYTEST_ADDOPTS: '-p netaudit_pytest' }, ['-q']);
    assert.equal(r.code, 1, r.out);
    assert.doesNotMatch(r.out, /already registered|Error importing plugin/);
    assert.equal(r.spans.length, 26);
  });

  it('an unwritable log, or none given: nothing breaks, nothing is printed', () => {
    const quiet = pytest({}, ['-q', '-p', 'no:cacheprovider'], { plugin: false });
    const bad = pytest({ NETAUDIT_TEST_LOG: path.join(tmp, 'no/such/dir/tests.log') }, ['-q', '-p', 'no:cacheprovider']);
    const unset = pytest({ NETAUDIT_TEST_LOG: '' }, ['-q', '-p', 'no:cacheprovider']);
    const clean = (s: string) => s.replace(/in [0-9.]+s/g, 'in Xs');
    for (const r of [bad, unset]) {
      assert.equal(r.code, quiet.code);
      assert.equal(clean(r.out), clean(quiet.out));
      assert.equal(r.spans.length, 0);
    }
  });

  it('pytest-xdist: each worker logs its own tests under its own pid; the controller logs none', function () {
    if (!hasModule('xdist')) {
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

  it('testRunnerEnv keeps the build\'s own PYTHONPATH and PYTEST_PLUGINS, and removes its dir', () => {
    const t = testRunnerEnv({ PYTHONPATH: '/opt/a:/opt/b', PYTEST_PLUGINS: 'myplugin' });
    try {
      assert.equal(t.env.PYTHONPATH, `${t.pluginDir}:/opt/a:/opt/b`);
      assert.equal(t.env.PYTEST_PLUGINS, 'myplugin,netaudit_pytest');
      assert.equal(t.env.NETAUDIT_TEST_LOG, t.logPath);
    } finally {
      t.remove();
    }
    const bare = testRunnerEnv({ PYTEST_PLUGINS: 'netaudit_pytest' });
    bare.remove();
    assert.equal(bare.env.PYTHONPATH, bare.pluginDir, 'no empty entry (that would be the cwd)');
    assert.equal(bare.env.PYTEST_PLUGINS, 'netaudit_pytest');
    assert.equal(spawnSync('test', ['-e', path.dirname(bare.logPath)]).status, 1, 'removed');
  });
});
