/**
 * @privileged @portage `netaudit changed` and its pre-commit hook on a scratch git ebuild repository (a copy of
 * fixtures/repo), with real Portage and real git commits. Lean: five audits of tiny ebuilds in all (plus the
 * hook's --explain rerun of the breaking one), the rest are cache hits or fail before any build (--no-observe
 * --no-explain wherever netaudit is called directly).
 *
 * The steps build on each other, in order: two staged ebuilds (one clean, inheriting an eclass; one breaking)
 * -> the hook lets the clean one through (a cache hit) and refuses the breaking one -> REV mode from the cache
 * -> --no-cache -> an eclass edit invalidates the cached result, --eclass-users selects its user.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Report } from '../../src/model/types.js';
import { MARKER } from '../../src/portage/githook.js';
import { netaudit, type Ran } from '../helpers/cli.js';
import { copyPackage, git, gitEnv, scratchRepository } from '../helpers/gitrepo.js';
import { requirePortage } from '../helpers/portage.js';
import { requirePrivileges } from '../helpers/privileged.js';

const DEFAULT_LOG_DIR = '/var/tmp/netaudit/logs/net-test';

describe('netaudit changed and its pre-commit hook on a git ebuild repository @privileged @portage', function () {
  this.timeout(300_000);
  let tmp: string;
  let repo: string;
  let env: NodeJS.ProcessEnv;
  let logDir: string;
  let first: Ran;
  let firstReport: Report;
  const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Report;
  const logsOf = (dir: string, pf: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith(`net-test:${pf}:`)) : []);
  const changed = (args: string[]) => netaudit(['changed', '--no-observe', '--no-explain', '--log-dir', logDir, ...args], { cwd: repo, env });

  before(async function () {
    requirePrivileges(this);
    requirePortage(this);
    tmp = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'netaudit-changed-e2e-')));
    chmodSync(tmp, 0o755);
    repo = scratchRepository(tmp);
    logDir = path.join(tmp, 'logs');
    // The cache (and nothing else of the user's) lives in the test's directory: the hook finds it through XDG_CACHE_HOME.
    env = { ...gitEnv, NO_COLOR: '1', XDG_CACHE_HOME: path.join(tmp, 'xdg') };
    copyPackage(repo, 'clean-build', 'clean-new', (t) => t.replace('IUSE="test"', 'inherit na-helper\nIUSE="test"'));
    copyPackage(repo, 'test-resolve', 'resolve-new');
    git(repo, 'add', 'net-test/clean-new', 'net-test/resolve-new');
    first = await changed(['--json', path.join(tmp, 'r1.json')]);
    firstReport = read(path.join(tmp, 'r1.json'));
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  it('audits exactly the two staged ebuilds; exit 1 for the breaking one; pkgcheck-style lines', function () {
    assert.equal(first.code, 1, first.stderr);
    assert.deepEqual(firstReport.builds.map((b) => [b.name, b.verdict]), [
      ['net-test/clean-new-1', 'clean'],
      ['net-test/resolve-new-1', 'breaks'],
    ]);
    assert.equal(firstReport.builds[0]?.ebuild?.path, path.join(repo, 'net-test/clean-new/clean-new-1.ebuild'), 'the report names the checkout, not the scratch copy');
    assert.ok(firstReport.builds.every((b) => !b.cached));
    assert.match(first.stdout, /^net-test\/clean-new-1: CLEAN$/m);
    assert.match(first.stdout, /^net-test\/resolve-new-1: BREAKS \(src_test\)$/m);
    assert.match(first.stdout, /^net-test\/resolve-new-1: DnsLookup: looked up testdata\.example/m);
    const entries = readdirSync(path.join(tmp, 'xdg/netaudit/results'));
    assert.equal(entries.length, 1, `only the clean result is cached: ${entries.join(' ')}`);
  });

  it('hook install writes an executable pre-commit hook, and rewrites its own', async function () {
    const a = await netaudit(['hook', 'install'], { cwd: repo, env });
    assert.equal(a.code, 0, a.stderr);
    const hook = path.join(repo, '.git/hooks/pre-commit');
    assert.equal(a.stdout, `created ${hook}\n`);
    assert.ok(readFileSync(hook, 'utf8').split('\n').includes(MARKER));
    assert.ok(readFileSync(hook, 'utf8').includes(path.join(path.dirname(path.dirname(path.dirname(import.meta.filename))), 'src/cli/main.cjs')), 'records the netaudit under test');
    const b = await netaudit(['hook', 'install'], { cwd: repo, env });
    assert.equal(b.code, 0, b.stderr);
    assert.equal(b.stdout, `updated ${hook}\n`);
  });

  it('the hook lets a clean commit through, quietly, from the cache (no Portage run)', function () {
    const before = logsOf(DEFAULT_LOG_DIR, 'clean-new-1').length;
    const t0 = performance.now();
    // A partial commit: git hands the hook a temporary index (GIT_INDEX_FILE) holding clean-new only.
    const r = spawnSync('git', ['commit', '-q', '-m', 'clean-new', '--', 'net-test/clean-new'], { cwd: repo, env, encoding: 'utf8' });
    const ms = performance.now() - t0;
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '', 'quiet on a clean result');
    assert.equal(git(repo, 'log', '-1', '--format=%s').trim(), 'clean-new');
    assert.equal(logsOf(DEFAULT_LOG_DIR, 'clean-new-1').length, before, 'no build ran');
    console.log(`      (git commit with the hook, cache hit: ${Math.round(ms)} ms)`);
  });

  it('the hook refuses a commit that adds a breaking ebuild, with the pkgcheck-style lines on stderr', function () {
    const head = git(repo, 'rev-parse', 'HEAD');
    const r = spawnSync('git', ['commit', '-q', '-m', 'resolve-new'], { cwd: repo, env, encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /^net-test\/resolve-new-1: BREAKS \(src_test\)$/m);
    assert.match(r.stderr, /^net-test\/resolve-new-1: PhaseFailed: src_test failed/m);
    assert.equal(git(repo, 'rev-parse', 'HEAD'), head, 'nothing committed');
  });

  it('the hook run by a user without root fails with one line saying how to run it with sudo', function () {
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '.git/hooks/pre-commit'], {
      cwd: repo,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: tmp, GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'safe.directory', GIT_CONFIG_VALUE_0: '*' },
    });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^netaudit: auditing net-test\/resolve-new-1 needs root and this pre-commit hook runs as you — run 'sudo netaudit changed' in /);
  });

  it('REV mode: the ebuild committed since HEAD~1, from the cache: marked cached, no Portage run', async function () {
    const before = logsOf(logDir, 'clean-new-1').length;
    const r = await changed(['HEAD~1', '--json', path.join(tmp, 'r2.json')]);
    assert.equal(r.code, 0, r.stderr);
    const report = read(path.join(tmp, 'r2.json'));
    assert.deepEqual(report.builds.map((b) => b.name), ['net-test/clean-new-1'], 'the staged breaking ebuild is not part of REV mode');
    const b = report.builds[0];
    assert.ok(b?.cached, 'marked cached');
    assert.match(b.cached.key, /^[0-9a-f]{64}$/);
    assert.equal(b.log, firstReport.builds[0]?.log, "the cached result links the log of the build it came from");
    assert.equal(logsOf(logDir, 'clean-new-1').length, before, 'no build ran');
    assert.match(r.stdout, /^net-test\/clean-new-1: CLEAN \[cached \d{4}-\d\d-\d\dT[\d:.]+Z\]$/m);
    console.log(`      (netaudit changed HEAD~1, cache hit: ${Math.round(r.ms)} ms; the build it replaces took ${firstReport.builds[0]?.durationMs} ms)`);
  });

  it('--no-cache audits it again', async function () {
    const r = await changed(['HEAD~1', '--no-cache', '--json', path.join(tmp, 'r3.json')]);
    assert.equal(r.code, 0, r.stderr);
    const b = read(path.join(tmp, 'r3.json')).builds[0];
    assert.equal(b?.verdict, 'clean');
    assert.equal(b?.cached, undefined);
    assert.notEqual(b?.log, firstReport.builds[0]?.log, 'a new build log');
  });

  it('editing the inherited eclass invalidates the cached result; --eclass-users audits its user', async function () {
    git(repo, 'rm', '-q', '-r', '--cached', 'net-test/resolve-new');
    rmSync(path.join(repo, 'net-test/resolve-new'), { recursive: true });
    writeFileSync(path.join(repo, 'eclass/na-helper.eclass'), '# netaudit test eclass, edited\nna_greet() { echo hello again; }\n');
    git(repo, 'add', 'eclass/na-helper.eclass');
    const none = await changed([]);
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stderr, /no changed ebuild \(staged\)/);
    const r = await changed(['--eclass-users', '--json', path.join(tmp, 'r4.json')]);
    assert.equal(r.code, 0, r.stderr);
    const report = read(path.join(tmp, 'r4.json'));
    assert.deepEqual(report.builds.map((b) => b.name), ['net-test/clean-new-1'], 'the only user of na-helper');
    assert.equal(report.builds[0]?.cached, undefined, 'the eclass changed: a new key, a new build');
    assert.equal(readdirSync(path.join(tmp, 'xdg/netaudit/results')).length, 2, 'cached under the new key too');
  });

  it("hook install respects core.hooksPath and refuses another tool's hook (exit 2, one line), unless --force", async function () {
    git(repo, 'config', 'core.hooksPath', 'my-hooks');
    mkdirSync(path.join(repo, 'my-hooks'));
    const foreign = '#!/bin/sh\necho lint\n';
    const file = path.join(repo, 'my-hooks/pre-commit');
    writeFileSync(file, foreign, { mode: 0o755 });
    const r = await netaudit(['hook', 'install'], { cwd: repo, env });
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /my-hooks\/pre-commit is another pre-commit hook, not netaudit's — .*netaudit hook install --force/);
    assert.equal(readFileSync(file, 'utf8'), foreign, 'left as it was');
    const f = await netaudit(['hook', 'install', '--force'], { cwd: repo, env });
    assert.equal(f.code, 0, f.stderr);
    assert.match(f.stdout, /^replaced .*my-hooks\/pre-commit \(the previous hook is kept as .*pre-commit\.before-netaudit\)/);
    assert.ok(readFileSync(file, 'utf8').includes(MARKER));
    assert.equal(readFileSync(`${file}.before-netaudit`, 'utf8'), foreign);
    execFileSync('git', ['config', '--unset', 'core.hooksPath'], { cwd: repo });
  });
});
