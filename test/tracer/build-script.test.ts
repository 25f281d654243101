/**
 * scripts/build-tracer.sh: a missing tool is one line naming the Debian and the Gentoo package, exit 2
 * (a PATH that holds only what the script needs before its checks).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
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
});
