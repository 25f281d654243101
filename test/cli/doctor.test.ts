/** `netaudit doctor`'s observer lines: optional, never MISSING; what is lost without it and each fix. */
import assert from 'node:assert/strict';
import { observerLines } from '../../src/cli/commands/doctor.js';
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
