/**
 * @pkgcheck netaudit's overlay (gentoo/) is one a Gentoo developer would accept: `pkgcheck scan` reports nothing
 * of its own on it. pkgcheck is the one scripts/install-pkgcheck.sh puts in /opt/netaudit-pkgcheck (pinned, from
 * PyPI), else `pkgcheck` on PATH (a Gentoo host); outside CI the test is skipped without it, with CI=true it fails.
 *
 * What is scanned is the overlay as a release ships it: a scratch copy of gentoo/ plus the Manifest that
 * scripts/make-distfiles.sh writes for the two distfiles it makes from this tree (git holds no Manifest: the npm
 * tarball changes with every commit; make-distfiles.sh says why).
 *
 * The overlay's master is ::gentoo (metadata/layout.conf). Where this machine has a ::gentoo (pkgcore's own
 * config finds one with packages), the scan uses it and leaves nothing out. Where it lacks one (Debian, CI), the
 * test gives pkgcore a stand-in master named gentoo that holds none of ::gentoo's data, and leaves out exactly the
 * results that need that data, named in NEEDS_GENTOO; an unrestricted scan shows that nothing else is left out.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, run } from '../helpers/cli.js';

const VENV_PKGCHECK = '/opt/netaudit-pkgcheck/bin/pkgcheck';
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * The results pkgcheck can only judge against ::gentoo's own data, each with the check that reports it and the
 * data it needs. These alone are left out, and only where the machine has no ::gentoo.
 */
const NEEDS_GENTOO: Readonly<Record<string, string>> = {
  UnknownLicense: 'LicenseCheck: the license texts (GPL-2+, BSD, ISC, MIT) are the files of ::gentoo\'s licenses/',
  UnknownKeywords: 'KeywordsCheck: the arches of KEYWORDS (amd64, arm64) are ::gentoo\'s profiles/arch.list',
  NonexistentDeps: 'VisibilityCheck: the packages of DEPEND, RDEPEND and BDEPEND are ::gentoo\'s packages',
};

/** One pkgcheck result, as the JsonStream reporter writes it (`__class__` is the keyword). */
interface PkgcheckResult {
  __class__: string;
  [field: string]: unknown;
}

/** pkgcheck: the venv's, else one on PATH (Gentoo). Skips (or, with CI=true, fails) when there is none. */
async function requirePkgcheck(ctx: Mocha.Context): Promise<string> {
  if (existsSync(VENV_PKGCHECK)) return VENV_PKGCHECK;
  const which = await run(['sh', '-c', 'command -v pkgcheck']);
  const found = which.stdout.trim();
  if (which.code === 0 && found) return found;
  const why = `${VENV_PKGCHECK} is missing and no pkgcheck is on PATH`;
  if (process.env.CI === 'true') throw new Error(`the pkgcheck test cannot run in CI: ${why} (did scripts/install-pkgcheck.sh run?)`);
  ctx.skip();
}

/** The python that runs `pkgcheck` (its #! line), to ask pkgcore what its own config holds. */
function pythonOf(pkgcheck: string): string {
  const m = /^#!\s*(\S+)/.exec(readFileSync(pkgcheck, 'utf8').split('\n')[0] ?? '');
  assert.ok(m, `${pkgcheck} has no #! line`);
  return m[1] as string;
}

/** The location of the ::gentoo that pkgcore's own config (as pkgcheck loads it) holds, when it has packages. */
async function systemGentoo(python: string): Promise<string | undefined> {
  const r = await run([
    python, '-c',
    "from pkgcore.config import load_config\nr = load_config().objects['repo'].get('gentoo')\nprint(r.location if r else '')",
  ]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim() || undefined;
}

/**
 * A pkgcore config (a Portage config directory) whose ::gentoo is a stand-in: a repository named gentoo with a
 * profile and nothing of ::gentoo's data (no licenses, no arches, no eclasses). It holds one placeholder package
 * because pkgcore 0.12.28 takes an empty master for a missing one (`if repo := ...` on a repository object whose
 * truth is "has packages": "repo 'netaudit' ... has missing masters: 'gentoo'").
 */
function standInConfig(dir: string): string {
  const repo = path.join(dir, 'gentoo');
  const profile = path.join(repo, 'profiles/default/linux/amd64');
  mkdirSync(profile, { recursive: true });
  mkdirSync(path.join(repo, 'metadata'));
  mkdirSync(path.join(repo, 'virtual/placeholder'), { recursive: true });
  writeFileSync(path.join(repo, 'profiles/repo_name'), 'gentoo\n');
  writeFileSync(path.join(repo, 'profiles/categories'), 'virtual\n');
  writeFileSync(path.join(repo, 'metadata/layout.conf'), 'masters =\nthin-manifests = true\nsign-manifests = false\nprofile-formats = portage-2\ncache-formats =\n');
  writeFileSync(path.join(repo, 'virtual/placeholder/placeholder-0.ebuild'), 'EAPI=8\nSLOT="0"\n');
  writeFileSync(path.join(profile, 'eapi'), '8\n');
  writeFileSync(path.join(profile, 'make.defaults'), 'ARCH="amd64"\n');
  const etc = path.join(dir, 'etc/portage');
  mkdirSync(path.join(etc, 'repos.conf'), { recursive: true });
  writeFileSync(path.join(etc, 'repos.conf/gentoo.conf'), `[DEFAULT]\nmain-repo = gentoo\n\n[gentoo]\nlocation = ${repo}\n`);
  symlinkSync(profile, path.join(etc, 'make.profile'));
  return etc;
}

describe('gentoo/ overlay: pkgcheck scan reports nothing of its own @pkgcheck', function () {
  this.timeout(180_000);
  let tmp: string;
  let pkgcheck: string;
  let overlay: string;
  /** The pkgcore config of the scans: undefined for the system's (it has ::gentoo), else the stand-in's. */
  let config: string | undefined;
  let leftOut: string[];

  /** `pkgcheck scan` of `repo` with the JsonStream reporter: its results (any level: error to info). */
  async function scan(repo: string, args: string[] = []): Promise<PkgcheckResult[]> {
    const argv = [pkgcheck, ...(config ? ['--config', config] : []), 'scan', '--reporter', 'JsonStream', ...args, repo];
    // Its cache (~/.cache/pkgcheck) in the temp dir, so that no scan reads another's.
    const r = await run(argv, { cwd: tmp, env: { ...process.env, NO_COLOR: '1', XDG_CACHE_HOME: path.join(tmp, 'cache') } });
    assert.equal(r.code, 0, `${argv.join(' ')}\n${r.stdout}${r.stderr}`);
    assert.equal(r.stderr, '', r.stderr);
    return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as PkgcheckResult);
  }
  const show = (rs: readonly PkgcheckResult[]): string => rs.map((x) => JSON.stringify(x)).join('\n');

  before(async function () {
    pkgcheck = await requirePkgcheck(this);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-pkgcheck-'));
    overlay = path.join(tmp, 'gentoo');
    cpSync(path.join(ROOT, 'gentoo'), overlay, { recursive: true });
    const manifest = path.join(overlay, 'app-portage/netaudit/Manifest');
    assert.equal(existsSync(manifest), false, 'gentoo/ must not carry a Manifest: make-distfiles.sh writes it');
    const made = await run(['bash', path.join(ROOT, 'scripts/make-distfiles.sh'), path.join(tmp, 'distfiles'), '--no-build', '--manifest', manifest]);
    assert.equal(made.code, 0, made.stderr);
    const gentoo = await systemGentoo(pythonOf(pkgcheck));
    config = gentoo ? undefined : standInConfig(path.join(tmp, 'pkgcore'));
    leftOut = gentoo ? [] : Object.keys(NEEDS_GENTOO);
    if (leftOut.length) {
      console.log(`      (no ::gentoo here: left out ${leftOut.map((k) => `${k} (${NEEDS_GENTOO[k]})`).join('; ')})`);
    }
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  it('the overlay names ::gentoo as its master, as a real overlay does', function () {
    const layout = readFileSync(path.join(ROOT, 'gentoo/metadata/layout.conf'), 'utf8');
    assert.match(layout, /^masters = gentoo$/m);
  });

  it('the Manifest holds both distfiles with their real size, BLAKE2B and SHA512', async function () {
    const manifest = readFileSync(path.join(overlay, 'app-portage/netaudit/Manifest'), 'utf8');
    const files = [`netaudit-${VERSION}-node_modules.tar.gz`, `netaudit-${VERSION}.tgz`];
    const lines = manifest.trim().split('\n');
    assert.deepEqual(lines.map((l) => l.split(' ')[1]), files);
    for (const [i, f] of files.entries()) {
      const file = path.join(tmp, 'distfiles', f);
      const [b2, sha] = await Promise.all([run(['b2sum', file]), run(['sha512sum', file])]);
      const size = readFileSync(file).length;
      assert.equal(lines[i], `DIST ${f} ${size} BLAKE2B ${b2.stdout.split(' ')[0]} SHA512 ${sha.stdout.split(' ')[0]}`);
    }
  });

  it('pkgcheck scan: no result, with only the named results that need ::gentoo left out where it is missing', async function () {
    const results = await scan(overlay, leftOut.length ? [`--keywords=${leftOut.map((k) => `-${k}`).join(',')}`] : []);
    assert.deepEqual(results, [], show(results));
  });

  it('what is left out hides nothing else: an unrestricted scan reports only those, each about ::gentoo\'s data', async function () {
    if (!leftOut.length) return this.skip(); // ::gentoo is here: the scan above left nothing out.
    const results = await scan(overlay);
    const outside = results.filter((r) => !leftOut.includes(r.__class__));
    assert.deepEqual(outside, [], show(outside));
    // Each is about ::gentoo's own names, never about something the overlay could fix.
    for (const r of results) {
      if (r.__class__ === 'UnknownLicense') assert.deepEqual(r.licenses, ['BSD', 'GPL-2+', 'ISC', 'MIT'], show([r]));
      if (r.__class__ === 'UnknownKeywords') assert.deepEqual(r.keywords, ['~amd64', '~arm64'], show([r]));
      if (r.__class__ === 'NonexistentDeps') {
        for (const dep of r.nonexistent as string[]) assert.match(dep, /^(>=)?(dev-libs|dev-util|llvm-core|net-analyzer|net-firewall|net-libs|sys-apps|virtual)\//, show([r]));
      }
    }
  });

  it('the scan finds what it should: a copy with a long DESCRIPTION and no Manifest gets BadDescription and MissingManifest', async function () {
    const broken = path.join(tmp, 'broken');
    cpSync(overlay, broken, { recursive: true });
    rmSync(path.join(broken, 'app-portage/netaudit/Manifest'));
    const ebuild = path.join(broken, `app-portage/netaudit/netaudit-${VERSION}.ebuild`);
    writeFileSync(ebuild, readFileSync(ebuild, 'utf8').replace(/^DESCRIPTION=".*"$/m, `DESCRIPTION="${'A description that says far too much about itself, '.repeat(2)}"`));
    const results = await scan(broken, leftOut.length ? [`--keywords=${leftOut.map((k) => `-${k}`).join(',')}`] : []);
    assert.deepEqual(results.map((r) => r.__class__).sort(), ['BadDescription', 'MissingManifest'], show(results));
  });
});
