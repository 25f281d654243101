/**
 * The unittest hook (src/portage/netaudit_unittest.py), loaded the way netaudit loads it (sitecustomize.py first on
 * PYTHONPATH, NETAUDIT_TEST_LOG), with the interpreter's own unittest as eunittest runs it (`-m unittest discover
 * -v`): one span per test with its id (`module.Class.test`) and outcome, read back by readTestLog; the suite's
 * output and result are unchanged; under pytest only pytest's ids are logged.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readTestLog, testRunnerEnv } from '../../src/runner/test-log.js';

const PYTHON = 'python3';
const SUITE = `import unittest


class Net(unittest.TestCase):
    def test_ok(self):
        pass

    def test_fail(self):
        self.fail("no network")

    def test_error(self):
        raise OSError("Temporary failure in name resolution")

    @unittest.skip("offline")
    def test_skip(self):
        pass

    @unittest.expectedFailure
    def test_expected(self):
        self.fail("expected")
`;

describe('the unittest hook with the interpreter\'s unittest', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'netaudit-test-'));
    mkdirSync(path.join(dir, 'tests'));
    writeFileSync(path.join(dir, 'tests/__init__.py'), '');
    writeFileSync(path.join(dir, 'tests/test_net.py'), SUITE);
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  const run = (env: NodeJS.ProcessEnv, args: string[]) => spawnSync(PYTHON, args, { cwd: dir, env, encoding: 'utf8' });
  const clean = (s: string) => s.replace(/in \d+\.\d+s/g, 'in Xs');

  it('logs each test once, its id and outcome, as eunittest runs the suite; output and result unchanged', async () => {
    const t = testRunnerEnv({ PATH: process.env.PATH });
    try {
      const args = ['-m', 'unittest', 'discover', '-v'];
      const withIt = run(t.env, args);
      const without = run({ PATH: process.env.PATH }, args);
      assert.equal(withIt.status, 1, withIt.stderr);
      assert.equal(withIt.status, without.status);
      assert.equal(clean(withIt.stderr), clean(without.stderr));
      const spans = readTestLog(t.logPath, 0);
      assert.deepEqual(
        spans.map((s) => [s.nodeid, s.phase, s.outcome]).sort(),
        [
          ['tests.test_net.Net.test_error', 'call', 'failed'],
          ['tests.test_net.Net.test_expected', 'call', 'xfailed'],
          ['tests.test_net.Net.test_fail', 'call', 'failed'],
          ['tests.test_net.Net.test_ok', 'call', 'passed'],
          ['tests.test_net.Net.test_skip', 'call', 'skipped'],
        ],
      );
      for (const s of spans) {
        assert.equal(s.pid, spans[0]?.pid);
        assert.ok(s.endMs >= s.startMs);
      }
    } finally {
      await t.remove();
    }
  });

  it('under pytest, only pytest\'s ids: the unittest hook stays silent', async function () {
    if (spawnSync(PYTHON, ['-c', 'import pytest'], { stdio: 'ignore' }).status !== 0) {
      if (process.env.CI) assert.fail('pytest is missing (scripts/setup.sh installs python3-pytest)');
      this.skip();
    }
    const t = testRunnerEnv({ PATH: process.env.PATH });
    try {
      const r = run({ ...t.env, PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1' }, ['-m', 'pytest', '-p', 'no:cacheprovider', '-q', 'tests']);
      assert.equal(r.status, 1, r.stdout + r.stderr);
      const ids = new Set(readTestLog(t.logPath, 0).map((s) => s.nodeid));
      assert.ok(ids.size === 5, [...ids].join(', '));
      assert.ok([...ids].every((id) => id.startsWith('tests/test_net.py::Net::')), [...ids].join(', '));
    } finally {
      await t.remove();
    }
  });
});
