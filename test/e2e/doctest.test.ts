/**
 * @privileged A doctest that looks a host up, end to end: `netaudit run` of `pytest --doctest-modules` (the
 * syscall observer, netaudit's pytest plugin) attributes the lookup of pypi.example to the doctest's id,
 * src/pkg/mod.py::pkg.mod.fetch, failed; the suggestion engine gives that id one EPYTEST_DESELECT line with
 * `# Internet`; and the array, read by bash and handed to pytest as --deselect the way epytest hands it, leaves
 * the doctest out: audited again, the suite passes with no attempt. Every run is inside netaudit's sandbox (lo
 * only): the lookup never leaves the machine.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BuildResult, Report } from '../../src/model/types.js';
import { applyPatch, suggest } from '../../src/suggest/index.js';
import { build, deselectedByBash, fixture } from '../helpers/builds.js';
import { netaudit } from '../helpers/cli.js';
import { requireObserver } from '../observe/ns.js';

const PYTHON = '/usr/bin/python3';
const ID = 'src/pkg/mod.py::pkg.mod.fetch';

const SUITE: Record<string, string> = {
  'pytest.ini': '[pytest]\n',
  'src/pkg/__init__.py': '',
  'src/pkg/mod.py': [
    '"""The package index client."""',
    'import socket',
    '',
    '',
    'def fetch(host="pypi.example"):',
    '    """Look the index up.',
    '',
    '    >>> fetch()',
    '    True',
    '    """',
    '    socket.getaddrinfo(host, 443, type=socket.SOCK_STREAM)',
    '    return True',
    '',
    '',
    'def words(text):',
    '    """',
    '    >>> words("a b")',
    "    ['a', 'b']",
    '    """',
    '    return text.split()',
    '',
  ].join('\n'),
  'tests/test_basic.py': 'def test_add():\n    assert 1 + 1 == 2\n',
};

describe('a doctest that looks a host up: attributed, deselected by its id @privileged', function () {
  this.timeout(180_000);
  let tmp: string;
  let suite: string;

  before(async function () {
    await requireObserver(this);
    if (spawnSync(PYTHON, ['-c', 'import pytest'], { stdio: 'ignore' }).status !== 0) throw new Error(`${PYTHON} has no pytest: scripts/setup.sh installs python3-pytest`);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-test-'));
    chmodSync(tmp, 0o755);
    suite = path.join(tmp, 'suite');
    for (const [file, text] of Object.entries(SUITE)) {
      mkdirSync(path.dirname(path.join(suite, file)), { recursive: true });
      writeFileSync(path.join(suite, file), text);
    }
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  /** `netaudit run` of the suite under pytest --doctest-modules (epytest's environment), with extra pytest arguments. */
  async function audit(name: string, extra: string[]): Promise<{ code: number | null; build: BuildResult; stderr: string }> {
    const json = path.join(tmp, `${name}.json`);
    const argv = [PYTHON, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', '--color=no', '--doctest-modules', ...extra, 'src', 'tests'];
    const r = await netaudit(['run', '--name', name, '--json', json, '--fail-on', 'never', '--', 'env', 'PYTEST_DISABLE_PLUGIN_AUTOLOAD=1', 'sh', '-c', 'cd "$1" && shift && exec "$@"', 'sh', suite, ...argv]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    return { code: r.code, build: report.builds[0] as BuildResult, stderr: r.stderr };
  }

  it('the lookup names the doctest; its EPYTEST_DESELECT line, passed as --deselect, leaves it out and no attempt remains', async () => {
    const first = await audit('doctest', []);
    const b = first.build;
    assert.equal(b.exitCode, 1, JSON.stringify(b.findings));
    assert.equal(b.verdict, 'breaks');
    const lookups = b.attempts.filter((a) => a.kind === 'dns' && a.hostname === 'pypi.example');
    assert.ok(lookups.length > 0, JSON.stringify(b.attempts));
    for (const a of lookups) {
      assert.equal(a.test, ID, JSON.stringify(a));
      assert.equal(a.testOutcome, 'failed', JSON.stringify(a));
    }
    // Every attempt of the run is the doctest's (the other tests touch no network).
    assert.deepEqual([...new Set(b.attempts.map((a) => a.test))], [ID]);

    // The run's attempts and findings, as an ebuild's src_test: one EPYTEST_DESELECT line with # Internet.
    const asEbuild = build('pytest-mixed', b.attempts.map((a) => ({ ...a, phase: 'src_test' })), b.findings.filter((f) => f.attempt !== undefined).map((f) => f.keyword));
    const text = fixture('pytest-mixed');
    const [s, ...rest] = suggest(asEbuild, text);
    assert.equal(rest.length, 0, JSON.stringify(rest));
    assert.deepEqual([s?.cause, s?.idiom], ['deselect-tests', 'deselect']);
    const patched = applyPatch(text, s!.patch!);
    assert.match(patched, /\nEPYTEST_DESELECT=\(\n\tsrc\/pkg\/mod\.py::pkg\.mod\.fetch {2}# Internet\n\)\n/);

    // The array as bash reads it, each entry handed to pytest as --deselect (epytest's way), audited again.
    const read = deselectedByBash(patched, tmp);
    assert.equal(read.stdout, `${ID}\n`, read.stderr);
    const again = await audit('doctest-deselected', read.entries.flatMap((x) => ['--deselect', x]));
    assert.equal(again.build.exitCode, 0, JSON.stringify(again.build.findings));
    assert.equal(again.build.verdict, 'clean');
    assert.deepEqual(again.build.attempts, []);
  });
});
