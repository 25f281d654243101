/**
 * The one atomic writer (src/util/atomic.ts): a file or a directory of files appears whole or not at all, a
 * failure leaves the target as it was and no temporary behind, and the error is a WriteError naming the target.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WriteError } from '../../src/model/errors.js';
import { writeDirAtomic, writeFileAtomic } from '../../src/util/atomic.js';

describe('util/atomic', function () {
  let tmp: string;
  beforeEach(() => (tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-atomic-'))));
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  const temporaries = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.tmp'));

  describe('writeFileAtomic', function () {
    it('writes a new file and replaces an old one whole, mode 0644 by default, no temporary left', async function () {
      const file = path.join(tmp, 'report.json');
      await writeFileAtomic(file, 'first\n');
      assert.equal(readFileSync(file, 'utf8'), 'first\n');
      assert.equal(statSync(file).mode & 0o777, 0o644 & ~process.umask());
      await writeFileAtomic(file, Buffer.from('second\n'));
      assert.equal(readFileSync(file, 'utf8'), 'second\n');
      assert.deepEqual(readdirSync(tmp), ['report.json']);
    });

    it('mode and mkdirs: a hook script in a directory that did not exist', async function () {
      const file = path.join(tmp, 'a/b/pre-commit');
      await writeFileAtomic(file, '#!/bin/sh\n', { mkdirs: true, mode: 0o755 });
      assert.equal(statSync(file).mode & 0o777, 0o755 & ~process.umask());
    });

    it('a missing directory without mkdirs: WriteError naming the file (ENOENT), nothing written', async function () {
      const file = path.join(tmp, 'no/such/dir/j.xml');
      await assert.rejects(writeFileAtomic(file, 'x'), (e: unknown) => e instanceof WriteError && e.message.startsWith(`cannot write ${file}: ENOENT`));
      assert.deepEqual(readdirSync(tmp), []);
    });

    it('a failed rename (the target is a non-empty directory) leaves it as it was and no temporary', async function () {
      const target = path.join(tmp, 'out');
      mkdirSync(target);
      writeFileSync(path.join(target, 'keep'), 'kept');
      await assert.rejects(writeFileAtomic(target, 'x'), WriteError);
      assert.deepEqual(readdirSync(target), ['keep']);
      assert.deepEqual(temporaries(tmp), []);
    });
  });

  describe('writeDirAtomic', function () {
    const files = [
      { name: '0001-first.patch', data: 'one\n' },
      { name: '0002-second.patch', data: Buffer.from('two\n') },
    ];

    it('writes a new directory with exactly the files, 0755 and 0644, no temporary left', async function () {
      const dir = path.join(tmp, 'patches');
      await writeDirAtomic(dir, files);
      assert.deepEqual(readdirSync(dir), ['0001-first.patch', '0002-second.patch']);
      assert.equal(readFileSync(path.join(dir, '0002-second.patch'), 'utf8'), 'two\n');
      assert.equal(statSync(dir).mode & 0o777, 0o755);
      assert.equal(statSync(path.join(dir, '0001-first.patch')).mode & 0o777, 0o644 & ~process.umask());
      assert.deepEqual(temporaries(tmp), []);
    });

    it('replaces an empty directory; an empty list makes an empty directory', async function () {
      const dir = path.join(tmp, 'patches');
      mkdirSync(dir);
      await writeDirAtomic(dir, files);
      assert.equal(readdirSync(dir).length, 2);
      const none = path.join(tmp, 'none');
      await writeDirAtomic(none, []);
      assert.deepEqual(readdirSync(none), []);
    });

    it('a non-empty directory there: WriteError, it keeps its files, no temporary left', async function () {
      const dir = path.join(tmp, 'patches');
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'old.patch'), 'old');
      await assert.rejects(writeDirAtomic(dir, files), (e: unknown) => e instanceof WriteError && e.message.includes(`cannot write ${dir}: ENOTEMPTY`));
      assert.deepEqual(readdirSync(dir), ['old.patch']);
      assert.deepEqual(temporaries(tmp), []);
    });

    it('a failure half-way (a name twice, a name with a slash) writes nothing and leaves no temporary', async function () {
      const dir = path.join(tmp, 'patches');
      await assert.rejects(writeDirAtomic(dir, [...files, { name: '0001-first.patch', data: 'again' }]), (e: unknown) => e instanceof WriteError && /EEXIST/.test(e.message));
      await assert.rejects(writeDirAtomic(dir, [...files, { name: '../escape', data: 'x' }]), WriteError);
      assert.deepEqual(readdirSync(tmp), []);
    });
  });
});
