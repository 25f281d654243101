/**
 * `netaudit changed` selection and scratch copy on a real git repository (no build, no privilege): the index
 * versus REV mode, what the copy holds (the staged content, not the working tree's), renames and deletions,
 * --eclass-users; and the one-line errors of the CLI outside a checkout or an ebuild repository.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prepareChanged, type ChangedPlan } from '../../src/runner/changed.js';
import { netaudit } from '../helpers/cli.js';
import { copyPackage, git, scratchRepository } from '../helpers/gitrepo.js';
import { requirePortage } from '../helpers/portage.js';

describe('netaudit changed: selection on a git repository', function () {
  this.timeout(60_000);
  let tmp: string;
  let repo: string;
  const plans: ChangedPlan[] = [];
  const prepare = async (o: { rev?: string; eclassUsers?: boolean } = {}) => {
    const plan = await prepareChanged({
      top: repo,
      source: o.rev ? { kind: 'rev', rev: o.rev } : { kind: 'index' },
      eclassUsers: o.eclassUsers ?? false,
      configRoot: path.join(tmp, 'no-config'),
      keyEnv: {},
      portage: '/usr/bin/ebuild',
      version: '0',
      validateBuild: async () => true,
    });
    plans.push(plan);
    return plan;
  };

  before(() => {
    tmp = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'netaudit-changed-test-')));
    repo = scratchRepository(tmp);
  });
  after(() => {
    for (const p of plans) p.dispose();
    for (const p of plans) assert.ok(!existsSync(p.scratch), 'the scratch copy is removed');
    rmSync(tmp, { recursive: true, force: true });
  });

  it('selects the staged ebuilds only, and copies their staged content, not the working tree', async () => {
    copyPackage(repo, 'clean-build', 'staged-one');
    const unstaged = copyPackage(repo, 'clean-build', 'not-staged');
    git(repo, 'add', 'net-test/staged-one');
    // Edit after staging: the working tree differs from the index.
    const file = path.join(repo, 'net-test/staged-one/staged-one-1.ebuild');
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n# a working-tree edit, not staged\n`);
    const plan = await prepare();
    assert.deepEqual(plan.ebuilds.map((e) => e.path), ['net-test/staged-one/staged-one-1.ebuild']);
    const e = plan.ebuilds[0];
    assert.ok(e);
    assert.equal(e.checkoutPath, file);
    assert.equal(readFileSync(e.scratchPath, 'utf8'), git(repo, 'show', ':net-test/staged-one/staged-one-1.ebuild'));
    assert.doesNotMatch(readFileSync(e.scratchPath, 'utf8'), /working-tree edit/);
    // What Portage needs of the repository is in the copy; other packages are not.
    for (const p of ['profiles/repo_name', 'metadata/layout.conf', 'licenses/public-domain', 'eclass/na-helper.eclass']) assert.ok(existsSync(path.join(plan.repoDir, p)), p);
    assert.ok(!existsSync(path.join(plan.repoDir, 'net-test/clean-build')));
    rmSync(path.dirname(unstaged), { recursive: true });
    git(repo, 'add', 'net-test/staged-one');
    git(repo, 'commit', '-qm', 'staged-one');
  });

  it('REV mode: what HEAD changed since REV (committed content), deleted ebuilds skipped, renames by their new name', async () => {
    git(repo, 'mv', 'net-test/staged-one/staged-one-1.ebuild', 'net-test/staged-one/staged-one-1-r1.ebuild');
    git(repo, 'rm', '-q', 'net-test/udp-sender/udp-sender-1.ebuild');
    git(repo, 'commit', '-qm', 'rename and delete');
    copyPackage(repo, 'clean-build', 'only-staged');
    git(repo, 'add', 'net-test/only-staged');
    const plan = await prepare({ rev: 'HEAD~1' });
    assert.deepEqual(plan.ebuilds.map((e) => e.path), ['net-test/staged-one/staged-one-1-r1.ebuild']);
    assert.deepEqual(plan.changes.map((c) => c.status).sort(), ['D', 'R']);
    const two = await prepare({ rev: 'HEAD~2' });
    assert.deepEqual(two.ebuilds.map((e) => e.path), ['net-test/staged-one/staged-one-1-r1.ebuild'], 'an add then a rename is one added ebuild');
    const staged = await prepare();
    assert.deepEqual(staged.ebuilds.map((e) => e.path), ['net-test/only-staged/only-staged-1.ebuild']);
    git(repo, 'rm', '-q', '-r', '--cached', 'net-test/only-staged');
    rmSync(path.join(repo, 'net-test/only-staged'), { recursive: true });
  });

  it('--eclass-users: ebuilds that inherit a changed eclass, directly or through another eclass', async () => {
    copyPackage(repo, 'clean-build', 'direct-user', (t) => t.replace('IUSE="test"', 'inherit na-helper\nIUSE="test"'));
    copyPackage(repo, 'clean-build', 'outer-user', (t) => t.replace('IUSE="test"', '[[ ${PV} == 9999 ]] || inherit na-outer\nIUSE="test"'));
    copyPackage(repo, 'clean-build', 'mentions-only', (t) => t.replace('DESCRIPTION="', 'DESCRIPTION="na-helper '));
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'eclass users');
    writeFileSync(path.join(repo, 'eclass/na-helper.eclass'), '# netaudit test eclass\nna_greet() { echo hello again; }\n');
    git(repo, 'add', 'eclass');
    assert.deepEqual((await prepare()).ebuilds, [], 'without --eclass-users an eclass change selects nothing');
    const plan = await prepare({ eclassUsers: true });
    assert.deepEqual(plan.eclasses, ['na-helper']);
    assert.deepEqual(plan.ebuilds.map((e) => [e.path, e.why]), [
      ['net-test/direct-user/direct-user-1.ebuild', 'eclass'],
      ['net-test/outer-user/outer-user-1.ebuild', 'eclass'],
    ]);
    assert.match(readFileSync(path.join(plan.repoDir, 'eclass/na-helper.eclass'), 'utf8'), /hello again/, 'the staged eclass is the one copied');
    git(repo, 'commit', '-qm', 'eclass edit');
    const rev = await prepare({ rev: 'HEAD~1', eclassUsers: true });
    assert.deepEqual(rev.ebuilds.map((e) => e.path), ['net-test/direct-user/direct-user-1.ebuild', 'net-test/outer-user/outer-user-1.ebuild']);
  });

  it('the CLI: outside a checkout, or in one that is not an ebuild repository, one line and exit 2; nothing changed: exit 0 @portage', async function () {
    requirePortage(this); // the CLI locates Portage before it selects (its config root holds the masters); no build runs
    const outside = await netaudit(['changed'], { cwd: tmp });
    assert.equal(outside.code, 2, outside.stderr);
    assert.match(outside.stderr, /^netaudit: .* is not in a git checkout — run netaudit changed in the git checkout of an ebuild repository/);
    assert.equal(outside.stderr.trim().split('\n').length, 1);
    const plain = path.join(tmp, 'plain');
    mkdirSync(plain);
    git(plain, 'init', '-q');
    const notRepo = await netaudit(['changed', '--repo', plain]);
    assert.equal(notRepo.code, 2, notRepo.stderr);
    assert.match(notRepo.stderr, /is not an ebuild repository \(no profiles\/repo_name\)/);
    const badRev = await netaudit(['changed', 'no-such-branch'], { cwd: repo });
    assert.equal(badRev.code, 2);
    assert.match(badRev.stderr, /^netaudit: no-such-branch: not a commit in .* — give a branch, tag or commit/);
    const json = path.join(tmp, 'empty.json');
    const nothing = await netaudit(['changed', '--json', json], { cwd: repo });
    assert.equal(nothing.code, 0, nothing.stderr);
    assert.deepEqual((JSON.parse(readFileSync(json, 'utf8')) as { builds: unknown[] }).builds, [], 'an empty report for CI');
    assert.equal(nothing.stdout, '');
    assert.equal(nothing.stderr, 'netaudit: no changed ebuild (staged)\n');
    const quiet = await netaudit(['changed', '--quiet'], { cwd: repo });
    assert.equal(quiet.code, 0);
    assert.equal(quiet.stderr, '', 'quiet: nothing at all');
  });
});
