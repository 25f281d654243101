/**
 * scripts/build-tracer.sh: a missing tool is one line naming the Debian and the Gentoo package, exit 2
 * (a PATH that holds only what the script needs before its checks). Its link modes, built for real in a copy of
 * bpf/ and the script (the checkout's dist/ is left alone): --portable (what the npm tarball carries) needs
 * libc.so.6 alone, --shared links the system's libbpf; both start (--version).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../../src/util/package.js';

describe('scripts/build-tracer.sh', () => {
  it('without clang: one line naming clang (Debian) and llvm-core/clang (Gentoo), exit 2', () => {
    const bin = mkdtempSync(path.join(os.tmpdir(), 'build-tracer-path-'));
    try {
      symlinkSync('/usr/bin/dirname', path.join(bin, 'dirname'));
      const r = spawnSync('/bin/bash', [path.join(packageRoot(), 'scripts/build-tracer.sh')], { env: { PATH: bin }, encoding: 'utf8' });
      assert.equal(r.status, 2);
      assert.equal(r.stderr, 'build-tracer.sh: clang (the BPF compiler) is missing: install clang (Debian) or llvm-core/clang (Gentoo)\n');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('an unknown option: one line naming the options, exit 2', () => {
    const r = spawnSync('/bin/bash', [path.join(packageRoot(), 'scripts/build-tracer.sh'), '--static'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.equal(r.stderr, 'build-tracer.sh: unknown option --static: use --portable, --shared or nothing\n');
  });

  describe('link modes (a real build in a copy; needs clang, bpftool, libbpf-dev and a kernel with BTF)', function () {
    this.timeout(120_000);
    let tmp: string;
    const needed = (file: string): string[] => {
      const r = spawnSync('readelf', ['-d', file], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return [...r.stdout.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1] as string);
    };
    const build = (...args: string[]) => spawnSync('/bin/bash', [path.join(tmp, 'scripts/build-tracer.sh'), ...args], { encoding: 'utf8' });

    before(function () {
      if (!existsSync('/sys/kernel/btf/vmlinux') && process.env.CI !== 'true') this.skip();
      tmp = mkdtempSync(path.join(os.tmpdir(), 'build-tracer-copy-'));
      cpSync(path.join(packageRoot(), 'bpf'), path.join(tmp, 'bpf'), { recursive: true });
      mkdirSync(path.join(tmp, 'scripts'));
      cpSync(path.join(packageRoot(), 'scripts/build-tracer.sh'), path.join(tmp, 'scripts/build-tracer.sh'));
    });
    after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

    it('--portable: libbpf, libelf and zlib linked in, the loader needs libc.so.6 alone and starts', () => {
      const r = build('--portable');
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'build-tracer.sh: dist/bpf/netaudit-tracer (static libbpf)\n');
      const loader = path.join(tmp, 'dist/bpf/netaudit-tracer');
      assert.deepEqual(needed(loader), ['libc.so.6']);
      const v = spawnSync(loader, ['--version'], { encoding: 'utf8' });
      assert.equal(v.status, 0, v.stderr);
      assert.match(v.stdout, /^netaudit-tracer 1 libbpf \d+\.\d+\n$/);
    });

    it('--shared: against the system\'s libbpf and libelf (what a distribution package does); relinked, not left static', () => {
      const r = build('--shared');
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'build-tracer.sh: dist/bpf/netaudit-tracer (shared libbpf)\n');
      assert.deepEqual(needed(path.join(tmp, 'dist/bpf/netaudit-tracer')).sort(), ['libbpf.so.1', 'libc.so.6', 'libelf.so.1']);
    });
  });
});
