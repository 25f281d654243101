/**
 * `netaudit doctor`'s observer lines: optional, never MISSING; what is lost without it and each fix. Its Portage
 * lines: what real ::gentoo ebuilds need that a host which is not Gentoo lacks, on made-up facts and (@portage)
 * on this machine after scripts/install-portage.sh.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { observerLines, portageLines, toolLine } from '../../src/cli/commands/doctor.js';
import { TOOLS, type Tool } from '../../src/proc/tools.js';
import { availability, type AvailabilityProbe } from '../../src/observe/availability.js';
import { portageHostFacts, type PortageHostFacts } from '../../src/portage/host.js';
import { netaudit } from '../helpers/cli.js';
import { requirePortage } from '../helpers/portage.js';

/** Root and BTF, but the tracer not built. */
const bare: AvailabilityProbe = {
  uid: () => 0,
  exists: (p) => p === '/sys/kernel/btf/vmlinux',
  executable: () => false,
  tracerPath: () => '/opt/netaudit/dist/bpf/netaudit-tracer',
};

describe('doctor: the syscall observer', () => {
  it('absent: says what audits lose and how to build the tracer on Gentoo and Debian', async () => {
    const lines = observerLines(await availability(bare));
    assert.match(lines[0] as string, /^absent {2}syscall observer — audits run on packets alone/);
    const fix = lines.find((l) => l.includes('/opt/netaudit/dist/bpf/netaudit-tracer is not built')) ?? '';
    assert.match(fix, /emerge llvm-core\/clang dev-libs\/libbpf dev-util\/bpftool \| apt-get install clang libbpf-dev bpftool/, lines.join('\n'));
    assert.match(fix, /bash scripts\/build-tracer\.sh/);
    assert.ok(!lines.some((l) => l.startsWith('MISSING')), 'optional: doctor still exits 0');
  });

  it('names root and BTF when they are missing; never bpftrace or tracefs', async () => {
    const found = await availability({ ...bare, uid: () => 1000, exists: () => false });
    assert.equal(found.available, false);
    assert.ok(found.missing.some((m) => /^root \(loading BPF programs/.test(m)), found.missing.join('\n'));
    assert.ok(found.missing.some((m) => /kernel BTF \(\/sys\/kernel\/btf\/vmlinux\): a kernel built with CONFIG_DEBUG_INFO_BTF=y/.test(m)));
    assert.ok(!found.missing.some((m) => /bpftrace|tracefs/.test(m)), found.missing.join('\n'));
  });

  it('available: ok with the tracer it found', async () => {
    const lines = observerLines(await availability({ ...bare, executable: () => true }));
    assert.deepEqual(lines, ['ok      syscall observer (/opt/netaudit/dist/bpf/netaudit-tracer)']);
  });

  it('on this machine: the package\'s own built tracer is found (setup.sh builds it)', async function () {
    if (process.getuid?.() !== 0) this.skip();
    const found = await availability();
    assert.deepEqual(found.missing, []);
    assert.match(found.tracer ?? '', /\/dist\/bpf\/netaudit-tracer$/);
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
