/** `netaudit doctor`'s observer lines: optional, never MISSING; what is lost without it and each fix. */
import assert from 'node:assert/strict';
import { observerLines, toolLine } from '../../src/cli/commands/doctor.js';
import { TOOLS, type Tool } from '../../src/sandbox/prereq.js';
import { availability, type AvailabilityProbe } from '../../src/observe/availability.js';

const bare: AvailabilityProbe = {
  uid: () => 0,
  exists: (p) => p === '/sys/kernel/tracing' || p === '/sys/kernel/btf/vmlinux',
  readText: (p) => (p === '/proc/filesystems' ? 'nodev\ttracefs\n' : undefined),
  which: () => undefined,
  run: () => Promise.resolve(undefined),
};

describe('doctor: the syscall observer', () => {
  it('absent: says what audits lose and names each missing piece with Gentoo and Debian packages', async () => {
    const lines = observerLines(await availability(bare));
    assert.match(lines[0] as string, /^absent {2}syscall observer — audits run on packets alone/);
    assert.ok(lines.some((l) => /emerge dev-debug\/bpftrace \| apt-get install bpftrace/.test(l)), lines.join('\n'));
    assert.ok(!lines.some((l) => l.startsWith('MISSING')), 'optional: doctor still exits 0');
  });

  it('available: ok with its version, and says that tracefs will be mounted when it is not', async () => {
    const probe: AvailabilityProbe = { ...bare, which: () => '/usr/bin/bpftrace', run: () => Promise.resolve('bpftrace v0.17.0\n') };
    const lines = observerLines(await availability(probe));
    assert.deepEqual(lines, ['ok      syscall observer (bpftrace v0.17.0) — tracefs is not mounted; netaudit mounts it (mount -t tracefs tracefs /sys/kernel/tracing)']);
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
