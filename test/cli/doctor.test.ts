/**
 * `netaudit doctor`'s observer lines: optional, never MISSING; what is lost without it and each missing piece (the
 * tracer, root, BTF, each tool that builds the tracer) with its Gentoo and Debian way to get it. Its Portage
 * lines: what real ::gentoo ebuilds need that a host which is not Gentoo lacks, on made-up facts and (@portage)
 * on this machine after scripts/install-portage.sh.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { observerLines, portageLines, toolLine } from '../../src/cli/commands/doctor.js';
import { TOOLS, type Tool } from '../../src/proc/tools.js';
import { availability, diagnose, systemProbe, type AvailabilityProbe } from '../../src/observe/availability.js';
import { portageHostFacts, type PortageHostFacts } from '../../src/portage/host.js';
import { netaudit } from '../helpers/cli.js';
import { requirePortage } from '../helpers/portage.js';

/** Root and BTF, every build tool, but the tracer not built. */
const bare: AvailabilityProbe = {
  uid: () => 0,
  exists: () => true,
  executable: () => false,
  tracerPath: () => '/opt/netaudit/dist/bpf/netaudit-tracer',
  arch: () => 'x64',
  which: (c) => `/usr/bin/${c}`,
  runs: () => undefined,
  root: () => '/opt/netaudit',
};
/** The same with the tracer built, and it starts. */
const built: AvailabilityProbe = { ...bare, executable: () => true };

describe('doctor: the syscall observer', () => {
  it('absent: says what audits lose and how to get the tracer on Gentoo and Debian', async () => {
    const lines = observerLines(await diagnose(bare));
    assert.match(lines[0] as string, /^absent {2}syscall observer — audits run on packets alone/);
    const fix = lines.filter((l) => l.startsWith('          - '));
    assert.deepEqual(fix, [
      "          - the compiled tracer (/opt/netaudit/dist/bpf/netaudit-tracer is not built): Gentoo: emerge app-portage/netaudit from netaudit's overlay (gentoo/), which builds it | Debian: bash /opt/netaudit/scripts/build-tracer.sh (with clang, bpftool, libbpf, libelf, zlib)",
    ]);
    assert.ok(!lines.some((l) => l.startsWith('MISSING')), 'optional: doctor still exits 0');
  });

  it('each tool missing to build the tracer: one line with its Gentoo and Debian package', async () => {
    const gone = new Set(['clang', 'bpftool', 'pkg-config']);
    const found = await diagnose({
      ...bare,
      which: (c) => (gone.has(c) ? undefined : `/usr/bin/${c}`),
      exists: (p) => p !== '/usr/include/bpf/libbpf.h' && p !== '/usr/include/zlib.h',
    });
    assert.deepEqual(found.missing.slice(1), [
      'clang (compiles the BPF programs), to build the tracer: Gentoo: emerge llvm-core/clang | Debian: apt-get install clang',
      'bpftool (vmlinux.h and the skeleton), to build the tracer: Gentoo: emerge dev-util/bpftool | Debian: apt-get install bpftool',
      'libbpf headers and library, to build the tracer: Gentoo: emerge dev-libs/libbpf | Debian: apt-get install libbpf-dev',
      'zlib headers, to build the tracer: Gentoo: emerge sys-libs/zlib | Debian: apt-get install zlib1g-dev',
      'pkg-config, to build the tracer: Gentoo: emerge dev-util/pkgconf | Debian: apt-get install pkg-config',
    ]);
    // libelf's headers are in either place (Gentoo's elfutils: /usr/include/gelf.h; others: libelf/gelf.h).
    const elf = await diagnose({ ...bare, exists: (p) => p !== '/usr/include/gelf.h' });
    assert.ok(!elf.missing.some((m) => m.startsWith('libelf')), elf.missing.join('\n'));
    const noElf = await diagnose({ ...bare, exists: (p) => !p.endsWith('gelf.h') });
    assert.ok(noElf.missing.includes('libelf headers, to build the tracer: Gentoo: emerge virtual/libelf | Debian: apt-get install libelf-dev'), noElf.missing.join('\n'));
  });

  it('names root and BTF when they are missing, each with Gentoo and Debian; never bpftrace or tracefs', async () => {
    const found = await diagnose({ ...built, uid: () => 1000, exists: () => false });
    assert.equal(found.available, false);
    assert.deepEqual(found.missing, [
      'root (loading BPF programs needs CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN): run netaudit as root, e.g. with sudo (Gentoo: emerge app-admin/sudo | Debian: apt-get install sudo)',
      'kernel BTF (/sys/kernel/btf/vmlinux): a kernel built with CONFIG_DEBUG_INFO_BTF=y (Gentoo: emerge sys-kernel/gentoo-kernel-bin, whose config has it, or set it in your own kernel | Debian: apt-get install linux-image-amd64, whose kernels have it) and boot it',
    ]);
    assert.match((await diagnose({ ...built, exists: () => false, arch: () => 'arm64' })).missing[0] ?? '', /apt-get install linux-image-arm64,/);
    assert.ok(!found.missing.some((m) => /bpftrace|tracefs/.test(m)), found.missing.join('\n'));
  });

  it('a tracer that does not start here: the reason, how to build it again, and what the build lacks', async () => {
    const found = await diagnose({
      ...built,
      runs: () => 'exit 127: netaudit-tracer: error while loading shared libraries: libbpf.so.1: cannot open shared object file',
      which: (c) => (c === 'clang' ? undefined : `/usr/bin/${c}`),
    });
    assert.equal(found.available, false);
    assert.equal(found.tracer, undefined);
    assert.deepEqual(found.missing, [
      "the compiled tracer (/opt/netaudit/dist/bpf/netaudit-tracer does not start here: exit 127: netaudit-tracer: error while loading shared libraries: libbpf.so.1: cannot open shared object file): build it again: Gentoo: emerge app-portage/netaudit from netaudit's overlay (gentoo/), which builds it | Debian: bash /opt/netaudit/scripts/build-tracer.sh (with clang, bpftool, libbpf, libelf, zlib)",
      'clang (compiles the BPF programs), to build the tracer: Gentoo: emerge llvm-core/clang | Debian: apt-get install clang',
    ]);
  });

  it('on another architecture than the tarball\'s: says the tarball carries x86_64 only, build it from source', async () => {
    const found = await diagnose({ ...bare, arch: () => 'arm64' });
    assert.match(found.missing[0] ?? '', /is not built\) \(the npm tarball carries one for x86_64 only; on arm64 build it from source\): Gentoo: emerge app-portage\/netaudit/);
  });

  it('availability() (asked by every audit) checks files only: it never starts the loader nor looks for build tools', async () => {
    const strict: AvailabilityProbe = {
      ...bare,
      runs: () => assert.fail('availability() started the loader'),
      which: () => assert.fail('availability() looked for a build tool'),
    };
    assert.deepEqual((await availability(strict)).missing.length, 1);
    assert.deepEqual(await availability({ ...strict, executable: () => true }), { available: true, missing: [], tracer: '/opt/netaudit/dist/bpf/netaudit-tracer' });
  });

  it('available: ok with the tracer it found', async () => {
    const lines = observerLines(await diagnose(built));
    assert.deepEqual(lines, ['ok      syscall observer (/opt/netaudit/dist/bpf/netaudit-tracer)']);
  });

  it('the real check that the loader starts: its --version answers; another program, or none, is said plainly', () => {
    assert.match(systemProbe.runs('/bin/false') ?? '', /^exit 1: false \(GNU coreutils\)/);
    assert.match(systemProbe.runs('/nonexistent/netaudit-tracer') ?? '', /ENOENT/);
  });

  it('on this machine: the package\'s own built tracer is found and starts (setup.sh builds it)', async function () {
    if (process.getuid?.() !== 0) this.skip();
    const found = await diagnose();
    assert.deepEqual(found.missing, []);
    assert.match(found.tracer ?? '', /\/dist\/bpf\/netaudit-tracer$/);
    assert.equal(systemProbe.runs(found.tracer as string), undefined);
  });
});

describe('doctor: python3, for the intercept responder', () => {
  const python = TOOLS.find((t) => t.command === 'python3');

  it('is listed, optional, with its Gentoo and Debian packages', () => {
    assert.ok(python, 'python3 is in TOOLS');
    assert.equal(python.optional, true);
    assert.equal(python.gentoo, 'dev-lang/python');
    assert.equal(python.debian, 'python3');
  });

  it('missing: `absent` (doctor still exits 0), saying that only --intercept and --explain need it', () => {
    const line = toolLine(python as Tool, undefined);
    assert.match(line, /^absent {2}python3 +Gentoo: dev-lang\/python {2}Debian: python3 {2}\(/);
    assert.match(line, /only --intercept and --explain need it/);
    assert.ok(!line.startsWith('MISSING'));
  });

  it('found: ok with its path; a required tool missing is MISSING', () => {
    assert.match(toolLine(python as Tool, '/usr/bin/python3'), /^ok {6}python3 +\/usr\/bin\/python3 {2}\(/);
    assert.match(toolLine(TOOLS.find((t) => t.command === 'tcpdump') as Tool, undefined), /^MISSING tcpdump/);
  });
});

const debianVenv: PortageHostFacts = {
  ebuild: '/opt/netaudit/portage-venv/bin/ebuild',
  configRoot: '/opt/netaudit/portage-root',
  broot: '/opt/netaudit/portage-venv',
  vdb: '/var/db/pkg',
  installedPackages: 0,
  gentoo: { location: '/opt/netaudit/portage-root/var/db/repos/gentoo', eclasses: 0 },
  phasesPath: '/opt/netaudit/shims:/usr/bin:/bin',
  pathFrom: 'profile.env',
  gtar: { path: '/opt/netaudit/shims/gtar', target: '/usr/bin/tar' },
  python: { epython: 'python3.11', brootPath: '/opt/netaudit/portage-venv/usr/bin/python3.11', target: '/usr/bin/python3.11' },
};

describe('doctor: what real ::gentoo ebuilds need from this host', () => {
  const find = (lines: string[], what: RegExp) => lines.find((l) => what.test(l)) ?? '';

  it('the bundled Portage on Debian: gtar and python ok, no package database and a stub ::gentoo said plainly', () => {
    const lines = portageLines(debianVenv);
    assert.equal(lines[0], 'ok      Portage   /opt/netaudit/portage-venv/bin/ebuild (config root /opt/netaudit/portage-root, BROOT /opt/netaudit/portage-venv)');
    assert.match(find(lines, /gtar/), /^ok {6}gtar {6}\/opt\/netaudit\/shims\/gtar -> \/usr\/bin\/tar \(the phases' PATH, from \/opt\/netaudit\/portage-venv\/etc\/profile\.env;/);
    assert.match(find(lines, /python/), /^ok {6}python {4}\$\{BROOT\}\/usr\/bin\/python3\.11 = \/opt\/netaudit\/portage-venv\/usr\/bin\/python3\.11 -> \/usr\/bin\/python3\.11/);
    const db = lines.findIndex((l) => l.includes('package database'));
    assert.match(lines[db] as string, /^absent {2}package database — \/var\/db\/pkg records no installed package \(not Gentoo\): has_version\/best_version$/);
    assert.match(lines.slice(db, db + 3).join(' '), /answer "not installed" for every package.*PackageQueryNotInstalled/);
    assert.match(find(lines, /^\w+ +::gentoo/), /^absent {2}::gentoo {2}— \/opt\/netaudit\/portage-root\/var\/db\/repos\/gentoo has no eclasses/);
    assert.ok(lines.some((l) => l.includes('/opt/netaudit/portage-root/etc/portage/repos.conf at a gentoo checkout')), lines.join('\n'));
    assert.ok(!lines.some((l) => l.startsWith('MISSING')), 'Portage is optional: doctor still exits 0');
  });

  it('before the fix: no gtar on the phases\' PATH, ${BROOT}/usr/bin/python3.X dangling; each with the way out', () => {
    const { gtar: _g, python: _p, ...rest } = debianVenv;
    const lines = portageLines({ ...rest, pathFrom: 'caller', python: { epython: 'python3.11', brootPath: '/opt/netaudit/portage-venv/usr/bin/python3.11' } });
    assert.match(find(lines, /gtar/), /^absent {2}gtar {6}— not on the phases' PATH \(the caller's\): unpack of \.tar\.\* distfiles dies \("gtar: command not found"\); run scripts\/install-portage\.sh/);
    assert.match(find(lines, /python/), /^absent {2}python {4}— \$\{BROOT\}\/usr\/bin\/python3\.11 = \/opt\/netaudit\/portage-venv\/usr\/bin\/python3\.11 does not exist: .*run scripts\/install-portage\.sh/);
  });

  it('Gentoo: packages installed, a real ::gentoo; and no Portage at all', () => {
    const lines = portageLines({ ...debianVenv, broot: '', installedPackages: 812, gentoo: { location: '/var/db/repos/gentoo', eclasses: 280 }, pathFrom: 'caller', gtar: { path: '/bin/gtar', target: '/bin/tar' } });
    assert.ok(lines.includes('ok      package database /var/db/pkg (812 packages installed)'), lines.join('\n'));
    assert.ok(lines.includes('ok      ::gentoo  /var/db/repos/gentoo (280 eclasses)'), lines.join('\n'));
    assert.ok(lines.every((l) => !l.startsWith('absent')), lines.join('\n'));
    assert.deepEqual(portageLines(undefined, "Portage not found: no 'ebuild' on PATH"), ["absent  Portage — needed by netaudit ebuild/sweep only: Portage not found: no 'ebuild' on PATH"]);
  });
});

describe('doctor on this machine after scripts/install-portage.sh @portage', function () {
  this.timeout(60_000);

  it('reads the facts: gtar and ${BROOT}/usr/bin/python3.X resolve to the host, the package database is counted', async function () {
    const install = requirePortage(this);
    const facts = await portageHostFacts(install);
    assert.equal(facts.pathFrom, 'profile.env', JSON.stringify(facts));
    assert.ok(facts.gtar, 'gtar on the phases PATH');
    assert.equal(facts.gtar.target, realpathSync('/usr/bin/tar'));
    assert.ok(facts.python?.target, JSON.stringify(facts.python));
    assert.equal(facts.python.target, realpathSync(`/usr/bin/${facts.python.epython}`));
    assert.equal(facts.python.brootPath, path.join(facts.broot || '/', 'usr/bin', facts.python.epython));
    // This Debian host: no vdb; an empty directory of one counts 0 too (the count is of category/package dirs).
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-vdb-'));
    try {
      mkdirSync(path.join(tmp, 'var/db/pkg/dev-lang/python-3.11.7'), { recursive: true });
      writeFileSync(path.join(tmp, 'var/db/pkg/dev-lang/python-3.11.7/SLOT'), '3.11\n');
      const other = await portageHostFacts({ ...install, env: { ...install.env, ROOT: tmp } });
      assert.equal(other.vdb, path.join(tmp, 'var/db/pkg'));
      assert.equal(other.installedPackages, 1);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('netaudit doctor prints the Portage lines', async function () {
    requirePortage(this);
    const r = await netaudit(['doctor']);
    assert.match(r.stdout, /^ok {6}Portage {3}\S+\/ebuild \(config root /m);
    assert.match(r.stdout, /^ok {6}gtar {6}/m);
    assert.match(r.stdout, /^ok {6}python {4}\$\{BROOT\}\/usr\/bin\/python3\.\d+ = /m);
    assert.match(r.stdout, /^(ok {6}package database|absent {2}package database — )/m);
  });
});
