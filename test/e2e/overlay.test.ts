/**
 * @privileged @portage netaudit's own ebuild (gentoo/app-portage/netaudit) passes netaudit: the two distfiles
 * made by scripts/make-distfiles.sh (the npm tarball and the vendored node_modules) go into a temp DISTDIR, a
 * scratch copy of gentoo/ gets its Manifest from `ebuild FILE manifest` (the same bytes as the Manifest that
 * make-distfiles.sh --manifest writes without Portage), and the real CLI sweeps the overlay
 * with `--no-observe`: the verdict must be `clean` (no phase touches the network). A plain Portage install
 * of the same ebuild (own PORTAGE_TMPDIR in the temp dir) shows what the image holds: the /usr/bin wrapper,
 * the man page, the bash completion, the docs and the program, which runs from the image, and the service of
 * `netaudit watch` (systemd unit, OpenRC init script and conf.d), which systemd-analyze verifies in the image.
 *
 * The syscall tracer is built by the ebuild from bpf/ (never the npm tarball's prebuilt loader), with the
 * flags Gentoo's QA uses to catch a build that ignores them (-frecord-gcc-switches in every *FLAGS, the
 * __gentoo_check_ldflags__ symbol in LDFLAGS): the install log holds no QA notice at all, the image's loader
 * links the system's libbpf, the installed netaudit's `doctor` finds it, and an audit from the image uses it.
 */
import assert from 'node:assert/strict';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Report } from '../../src/model/types.js';
import { portageHostFacts } from '../../src/portage/host.js';
import type { PortageInstall } from '../../src/portage/locate.js';
import { ROOT, netaudit, run } from '../helpers/cli.js';
import { portageEnv, requirePortage } from '../helpers/portage.js';
import { requirePrivileges } from '../helpers/privileged.js';

const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const NPM_TARBALL = `netaudit-${VERSION}.tgz`;
const DEPS_TARBALL = `netaudit-${VERSION}-node_modules.tar.gz`;
/** Gentoo QA's flags: a file built without CFLAGS lacks .GCC.command.line, one built without LDFLAGS the symbol. */
const QA_FLAGS = {
  CFLAGS: '-O2 -pipe -frecord-gcc-switches',
  CXXFLAGS: '-O2 -pipe -frecord-gcc-switches',
  FFLAGS: '-O2 -frecord-gcc-switches',
  FCFLAGS: '-O2 -frecord-gcc-switches',
  LDFLAGS: '-Wl,-O1 -Wl,--as-needed -Wl,--defsym=__gentoo_check_ldflags__=0',
};
/**
 * Who provides each shared library the tracer may need on Gentoo: the package of the ebuild's RDEPEND, or
 * sys-libs/glibc (the system set, which no ebuild names).
 */
const SONAME_PROVIDERS: Record<string, string> = {
  'libc.so.6': 'sys-libs/glibc',
  'libbpf.so.1': 'dev-libs/libbpf',
  'libelf.so.1': 'virtual/libelf',
  'libz.so.1': 'sys-libs/zlib',
};

/** The NEEDED entries of an ELF file (readelf -d). */
async function needed(file: string): Promise<string[]> {
  const r = await run(['readelf', '-d', file]);
  assert.equal(r.code, 0, r.stderr);
  return [...r.stdout.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1] as string);
}

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
  /** The Manifest make-distfiles.sh --manifest wrote, to compare with Portage's. */
  let scriptManifest: string;
  let installLog: string;
  let buildInfo: string;
  /** The host's package database is empty (not Gentoo): Portage's soname QA check is made by the test instead. */
  let noVdb: boolean;

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
    const made = await run(['bash', path.join(ROOT, 'scripts/make-distfiles.sh'), distdir, '--no-build', '--manifest', path.join(tmp, 'Manifest')]);
    assert.equal(made.code, 0, made.stderr);
    scriptManifest = readFileSync(path.join(tmp, 'Manifest'), 'utf8');
    rmSync(path.join(tmp, 'Manifest'));
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
    // qa-unresolved-soname-deps resolves each NEEDED library against the PROVIDES of the installed packages; on a
    // host whose package database is empty (Debian) every dynamically linked file is "unresolved", even one that
    // needs only libc.so.6. There the test makes the same check on what Portage recorded (build-info/REQUIRES),
    // against the packages that provide those libraries on Gentoo; on Gentoo Portage's own check runs.
    noVdb = (await portageHostFacts(install)).installedPackages === 0;
    const features = noVdb ? '-test -qa-unresolved-soname-deps' : '-test';
    const env = portageEnv(install, { ...portageVars, ...QA_FLAGS, PORTAGE_TMPDIR: portageTmp, PORTAGE_LOGDIR: path.join(tmp, 'portage-log'), FEATURES: features });
    const installed = await run([install.ebuild, ebuild, 'clean', 'install'], { env });
    installLog = installed.stdout + installed.stderr;
    assert.equal(installed.code, 0, installLog);
    image = path.join(portageTmp, `portage/app-portage/netaudit-${VERSION}/image`);
    buildInfo = path.join(portageTmp, `portage/app-portage/netaudit-${VERSION}/build-info`);
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

  it('the Manifest names both distfiles; make-distfiles.sh --manifest writes the same bytes as Portage', function () {
    const manifest = readFileSync(path.join(path.dirname(ebuild), 'Manifest'), 'utf8');
    for (const f of [NPM_TARBALL, DEPS_TARBALL]) assert.match(manifest, new RegExp(`^DIST ${f.replace(/\./g, '\\.')} \\d+ BLAKE2B \\w+ SHA512 \\w+$`, 'm'));
    assert.equal(scriptManifest, manifest);
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
    for (const phase of ['pkg_setup', 'src_unpack', 'src_prepare', 'src_compile', 'src_test', 'src_install']) assert.ok(phases.includes(phase), `${phase} did not run: ${phases.join(' ')}`);
    assert.deepEqual(report.summary, { clean: 1, tolerates: 0, breaks: 0, 'fails-without-network': 0 });
  });

  it('the image has the /usr/bin wrapper, the man page, the bash completion, the docs and the program, which audits', async function () {
    const wrapper = readFileSync(path.join(image, 'usr/bin/netaudit'), 'utf8');
    assert.match(wrapper, /^#!\/bin\/sh\nexec "\/usr\/bin\/node" "\/usr\/lib\/netaudit\/dist\/src\/cli\/main\.cjs" "\$@"\n$/);
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
    const version = await run([process.execPath, path.join(image, 'usr/lib/netaudit/dist/src/cli/main.cjs'), '--version'], { cwd: tmp });
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), VERSION);
    // A real audit from the image: the capture filters (bpf/) resolve from /usr/lib/netaudit's layout too.
    const json = path.join(tmp, 'true.json');
    const audit = await run([process.execPath, path.join(image, 'usr/lib/netaudit/dist/src/cli/main.cjs'), 'run', '--no-observe', '-q', '--json', json, '--', 'true'], { cwd: tmp });
    assert.equal(audit.code, 0, audit.stderr);
    assert.equal((JSON.parse(readFileSync(json, 'utf8')) as Report).builds[0]?.verdict, 'clean');
  });
  it('the service of `netaudit watch`: the systemd unit, the OpenRC script and conf.d, /var/lib/netaudit root only; the unit verifies', async function () {
    const files = path.join(ROOT, 'gentoo/app-portage/netaudit/files');
    const installed: [string, string, number][] = [
      ['usr/lib/systemd/system/netaudit-watch.service', 'netaudit-watch.service', 0o644],
      ['etc/init.d/netaudit-watch', 'netaudit-watch.initd', 0o755],
      ['etc/conf.d/netaudit-watch', 'netaudit-watch.confd', 0o644],
    ];
    for (const [rel, src, mode] of installed) {
      assert.equal(readFileSync(path.join(image, rel), 'utf8'), readFileSync(path.join(files, src), 'utf8'), rel);
      assert.equal(statSync(path.join(image, rel)).mode & 0o777, mode, rel);
    }
    assert.equal(statSync(path.join(image, 'var/lib/netaudit')).mode & 0o777, 0o750);
    // systemd-analyze verify in a root of the image and the host's units (verify resolves After=, WantedBy=),
    // with the image's own /usr/bin/netaudit as ExecStart's program.
    const root = path.join(tmp, 'verify-root');
    mkdirSync(path.join(root, 'usr/lib/systemd'), { recursive: true });
    cpSync('/usr/lib/systemd/system', path.join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
    cpSync(path.join(image, 'usr/lib/systemd/system/netaudit-watch.service'), path.join(root, 'usr/lib/systemd/system/netaudit-watch.service'));
    mkdirSync(path.join(root, 'usr/bin'));
    cpSync(path.join(image, 'usr/bin/netaudit'), path.join(root, 'usr/bin/netaudit'));
    const verify = await run(['systemd-analyze', 'verify', `--root=${root}`, '--man=no', 'netaudit-watch.service']);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.equal(verify.stderr.trim(), '');
  });

  it('the tracer is built from bpf/ with the user\'s CFLAGS and LDFLAGS: not the tarball\'s loader, no QA notice', async function () {
    const loader = path.join(image, 'usr/lib/netaudit/dist/bpf/netaudit-tracer');
    assert.ok((statSync(loader).mode & 0o111) !== 0, 'the tracer is not executable');
    // The loader's compile line carries the flags Portage exported.
    const compile = installLog.split('\n').find((l) => /netaudit-tracer\.c -o /.test(l)) ?? '';
    assert.ok(compile.includes(QA_FLAGS.CFLAGS) && compile.includes(QA_FLAGS.LDFLAGS), `the loader's compile line: ${compile || installLog}`);
    // The BPF programs were compiled here too, for the BPF target, with vmlinux.h from this host's kernel BTF.
    assert.match(installLog, /bpftool btf dump file \/sys\/kernel\/btf\/vmlinux format c/);
    assert.match(installLog, /clang -target bpf /);
    // Linked against the system's libbpf and libelf (the npm tarball's loader needs libc.so.6 alone).
    assert.deepEqual((await needed(loader)).sort(), ['libbpf.so.1', 'libc.so.6', 'libelf.so.1']);
    // What only the build reads is not installed.
    assert.deepEqual(readdirSync(path.dirname(loader)).sort(), ['netaudit-tracer', 'netaudit.btf', 'netaudit.btf.notes']);
    // No QA notice at all: flags (the checks above ran: scanelf is here and the flags are set), prebuilt
    // files, sonames (on Gentoo), anything.
    assert.doesNotMatch(installLog, /QA Notice/, installLog.split('\n').filter((l) => / \* /.test(l)).join('\n'));
  });

  it('every shared library the tracer needs is provided by a package of RDEPEND on Gentoo (the soname QA check)', function () {
    // Portage's own record of the image (what qa-unresolved-soname-deps reads): "x86_64: libbpf.so.1 libc.so.6 ...".
    const requires = readFileSync(path.join(buildInfo, 'REQUIRES'), 'utf8').trim();
    const sonames = requires.replace(/^\S+:\s*/, '').split(/\s+/).sort();
    assert.deepEqual(sonames, ['libbpf.so.1', 'libc.so.6', 'libelf.so.1'], requires);
    const rdepend = readFileSync(path.join(buildInfo, 'RDEPEND'), 'utf8');
    for (const soname of sonames) {
      const provider = SONAME_PROVIDERS[soname];
      assert.ok(provider, `no known provider of ${soname}`);
      if (provider !== 'sys-libs/glibc') assert.ok(rdepend.includes(provider), `${soname}: ${provider} is not in RDEPEND (${rdepend.trim()})`);
    }
    if (!noVdb) assert.doesNotMatch(installLog, /Unresolved soname dependencies/);
  });

  it('the installed netaudit\'s doctor finds the tracer, and an audit from the image uses it', async function () {
    const main = path.join(image, 'usr/lib/netaudit/dist/src/cli/main.cjs');
    const doctor = await run([process.execPath, main, 'doctor'], { cwd: tmp });
    const tracer = path.join(image, 'usr/lib/netaudit/dist/bpf/netaudit-tracer');
    assert.ok(doctor.stdout.split('\n').includes(`ok      syscall observer (${tracer})`), doctor.stdout + doctor.stderr);
    // A real audit with the observer: python3's connect to a documentation address names its process.
    const json = path.join(tmp, 'observed.json');
    const audit = await run(
      [process.execPath, main, 'run', '-q', '--json', json, '--', 'python3', '-c', "import socket; s = socket.socket(); s.settimeout(3); print(s.connect_ex(('192.0.2.7', 443)))"],
      { cwd: tmp },
    );
    assert.ok(audit.code === 0 || audit.code === 1, audit.stderr);
    const build = (JSON.parse(readFileSync(json, 'utf8')) as Report).builds[0];
    assert.equal(build?.observer?.available, true, JSON.stringify(build?.observer));
    const attempt = build?.attempts.find((a) => a.address === '192.0.2.7');
    assert.ok(attempt, JSON.stringify(build?.attempts));
    assert.equal(attempt.process?.comm, 'python3', JSON.stringify(attempt));
  });
});
