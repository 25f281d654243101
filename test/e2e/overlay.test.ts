/**
 * @privileged @portage netaudit's own ebuild (gentoo/app-portage/netaudit) passes netaudit: the two distfiles
 * made by scripts/make-distfiles.sh (the npm tarball and the vendored node_modules) go into a temp DISTDIR, a
 * scratch copy of gentoo/ gets its Manifest from `ebuild FILE manifest`, and the real CLI sweeps the overlay
 * with `--no-observe`: the verdict must be `clean` (no phase touches the network). A plain Portage install
 * of the same ebuild (own PORTAGE_TMPDIR in the temp dir) shows what the image holds: the /usr/bin wrapper,
 * the man page, the bash completion, the docs and the program, which runs from the image.
 */
import assert from 'node:assert/strict';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Report } from '../../src/model/types.js';
import type { PortageInstall } from '../../src/portage/locate.js';
import { ROOT, netaudit, run } from '../helpers/cli.js';
import { portageEnv, requirePortage } from '../helpers/portage.js';
import { requirePrivileges } from '../helpers/privileged.js';

const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const NPM_TARBALL = `netaudit-${VERSION}.tgz`;
const DEPS_TARBALL = `netaudit-${VERSION}-node_modules.tar.gz`;

/** chmod -R a+rX: Portage reads the overlay and the distfiles as the portage user, whatever the checkout's umask. */
function readableByAll(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) readableByAll(p);
    else chmodSync(p, statSync(p).mode | 0o444);
  }
  chmodSync(dir, statSync(dir).mode | 0o555);
}

describe('gentoo/ overlay: app-portage/netaudit, swept by netaudit itself @privileged @portage', function () {
  this.timeout(600_000);
  let tmp: string;
  let distdir: string;
  let ebuild: string;
  let install: PortageInstall;
  let report: Report;
  let image: string;
  let installLog: string;

  before(async function () {
    requirePrivileges(this);
    install = requirePortage(this);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-overlay-'));
    // Portage reads the ebuild and unpacks the distfiles as the portage user.
    chmodSync(tmp, 0o755);
    distdir = path.join(tmp, 'distfiles');
    // Portage's metadata cache of the scratch overlay stays in the temp dir, not the shared PORTAGE_DEPCACHEDIR.
    const depcache = path.join(tmp, 'depcache');
    const portageVars = { DISTDIR: distdir, PORTAGE_DEPCACHEDIR: depcache };
    const made = await run(['bash', path.join(ROOT, 'scripts/make-distfiles.sh'), distdir, '--no-build']);
    assert.equal(made.code, 0, made.stderr);
    const overlay = path.join(tmp, 'gentoo');
    cpSync(path.join(ROOT, 'gentoo'), overlay, { recursive: true });
    assert.equal(existsSync(path.join(overlay, 'app-portage/netaudit/Manifest')), false, 'gentoo/ must not carry a Manifest: the test writes it');
    readableByAll(tmp);
    ebuild = path.join(overlay, `app-portage/netaudit/netaudit-${VERSION}.ebuild`);
    const manifest = await run([install.ebuild, ebuild, 'manifest'], { env: portageEnv(install, portageVars) });
    assert.equal(manifest.code, 0, manifest.stdout + manifest.stderr);

    // The real CLI, outside the checkout's cwd; DISTDIR (and the cache dir) reach Portage through the environment.
    const out = path.join(tmp, 'sweep');
    const sweep = await netaudit(['sweep', overlay, '--out', out, '--no-observe', '--jobs', '1', '--fail-on', 'tolerates'], {
      cwd: tmp,
      env: { ...process.env, NO_COLOR: '1', ...portageVars },
    });
    report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as Report;
    assert.equal(sweep.code, 0, `${sweep.stderr}\n${JSON.stringify(report.builds[0]?.findings, null, 1)}`);

    // The image, from a plain Portage install (the sweep ends with `clean`); src_test ran in the sweep.
    const portageTmp = path.join(tmp, 'portage-tmp');
    mkdirSync(portageTmp, { mode: 0o755 });
    // Its build dir and log stay in the temp dir too (the configured PORTAGE_LOGDIR would keep one per run).
    const env = portageEnv(install, { ...portageVars, PORTAGE_TMPDIR: portageTmp, PORTAGE_LOGDIR: path.join(tmp, 'portage-log'), FEATURES: '-test' });
    const installed = await run([install.ebuild, ebuild, 'clean', 'install'], { env });
    installLog = installed.stdout + installed.stderr;
    assert.equal(installed.code, 0, installLog);
    image = path.join(portageTmp, `portage/app-portage/netaudit-${VERSION}/image`);
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  it('make-distfiles.sh: both tarballs, reproducible form (sorted, fixed mtime, owner 0:0, gzip -n)', async function () {
    assert.deepEqual(readdirSync(distdir).sort(), [DEPS_TARBALL, NPM_TARBALL].sort());
    const listing = await run(['tar', '--list', '--verbose', '--numeric-owner', '--full-time', '-zf', path.join(distdir, DEPS_TARBALL)]);
    assert.equal(listing.code, 0, listing.stderr);
    const rows = listing.stdout.trim().split('\n');
    const names = rows.map((r) => r.split(/\s+/).slice(5).join(' '));
    assert.ok(names.includes('node_modules/yargs/package.json') && names.includes('node_modules/ajv/package.json'), 'runtime deps missing');
    assert.equal(names.some((n) => /^node_modules\/(typescript|mocha|eslint|@types)\//.test(n)), false, 'dev dependencies vendored');
    // tar --sort=name walks each directory in byte order of its entries' names.
    const children = new Map<string, string[]>();
    for (const n of names) {
      const parts = n.replace(/\/$/, '').split('/');
      const parent = parts.slice(0, -1).join('/');
      children.set(parent, [...(children.get(parent) ?? []), parts[parts.length - 1] as string]);
    }
    for (const [dir, kids] of children) {
      assert.deepEqual(kids, [...kids].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))), `${dir}/ not in name order`);
    }
    for (const r of rows) assert.match(r, /^\S+ 0\/0 +\d+ 1985-10-26 08:15:00 /, r);
    const gz = readFileSync(path.join(distdir, DEPS_TARBALL));
    assert.equal(gz.readUInt32LE(4), 0, 'gzip header has a time');
    assert.equal((gz[3] ?? 0) & 0x08, 0, 'gzip header has a file name');
  });

  it('the Manifest names both distfiles', function () {
    const manifest = readFileSync(path.join(path.dirname(ebuild), 'Manifest'), 'utf8');
    for (const f of [NPM_TARBALL, DEPS_TARBALL]) assert.match(manifest, new RegExp(`^DIST ${f.replace(/\./g, '\\.')} \\d+ BLAKE2B \\w+ SHA512 \\w+$`, 'm'));
  });

  it('netaudit sweep of the overlay: clean, no attempt, every phase through install ran', function () {
    assert.equal(report.builds.length, 1);
    const b = report.builds[0];
    assert.ok(b);
    assert.equal(b.name, `app-portage/netaudit-${VERSION}`);
    assert.equal(b.verdict, 'clean', JSON.stringify(b.findings));
    assert.equal(b.exitCode, 0);
    assert.deepEqual(b.attempts, []);
    const phases = (b.phases ?? []).map((p) => p.name);
    for (const phase of ['src_unpack', 'src_compile', 'src_test', 'src_install']) assert.ok(phases.includes(phase), `${phase} did not run: ${phases.join(' ')}`);
    assert.deepEqual(report.summary, { clean: 1, tolerates: 0, breaks: 0, 'fails-without-network': 0 });
  });

  it('the image has the /usr/bin wrapper, the man page, the bash completion, the docs and the program, which audits', async function () {
    const wrapper = readFileSync(path.join(image, 'usr/bin/netaudit'), 'utf8');
    assert.match(wrapper, /^#!\/bin\/sh\nexec "\/usr\/bin\/node" "\/usr\/lib\/netaudit\/dist\/src\/cli\/main\.js" "\$@"\n$/);
    const man = readdirSync(path.join(image, 'usr/share/man/man1'));
    assert.ok(man.some((f) => /^netaudit\.1(\.\w+)?$/.test(f)), `man page missing: ${man.join(' ')}`);
    const completion = readFileSync(path.join(image, 'usr/share/bash-completion/completions/netaudit'), 'utf8');
    assert.match(completion, /^complete .* -F _netaudit_yargs_completions netaudit$/m);
    for (const rel of ['package.json', 'bpf/netaudit.bpf.c', 'reports/report.schema.json', 'src/sandbox/responder.py', 'node_modules/yargs/package.json']) {
      assert.ok(existsSync(path.join(image, 'usr/lib/netaudit', rel)), `usr/lib/netaudit/${rel} missing`);
    }
    // einstalldocs: the README and the docs/ pages it links (Portage may compress them: README.md.bz2, ...).
    const doc = path.join(image, `usr/share/doc/netaudit-${VERSION}`);
    assert.ok(readdirSync(doc).some((f) => /^README\.md(\.\w+)?$/.test(f)), `README.md missing: ${readdirSync(doc).join(' ')}`);
    const pages = readdirSync(path.join(doc, 'docs'));
    for (const page of readdirSync(path.join(ROOT, 'docs'))) {
      assert.ok(pages.some((f) => f === page || f.startsWith(`${page}.`)), `usr/share/doc/netaudit-${VERSION}/docs/${page} missing: ${pages.join(' ')}`);
    }
    const version = await run([process.execPath, path.join(image, 'usr/lib/netaudit/dist/src/cli/main.js'), '--version'], { cwd: tmp });
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), VERSION);
    // A real audit from the image: the capture filters (bpf/) resolve from /usr/lib/netaudit's layout too.
    const json = path.join(tmp, 'true.json');
    const audit = await run([process.execPath, path.join(image, 'usr/lib/netaudit/dist/src/cli/main.js'), 'run', '--no-observe', '-q', '--json', json, '--', 'true'], { cwd: tmp });
    assert.equal(audit.code, 0, audit.stderr);
    assert.equal((JSON.parse(readFileSync(json, 'utf8')) as Report).builds[0]?.verdict, 'clean');
    assert.doesNotMatch(installLog, /QA Notice/, `Portage QA notices: ${installLog.split("\n").filter((l) => /QA Notice/.test(l) || l.startsWith(" * ")).slice(0, 20).join("\n")}`);
  });
});
