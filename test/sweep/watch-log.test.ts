/**
 * watch reads a phase's build log at the phase's end through the phase's root, only for what the log gained
 * since the last phase's end (readLogThrough): the text must always be the whole file's, as a full read gives it.
 */
import assert from 'node:assert/strict';
import { appendFileSync, closeSync, mkdtempSync, openSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readLogThrough, type LogPosition } from '../../src/sweep/watch.js';

describe('watch: the build log, read by what it gained', function () {
  let dir: string;
  let root: number;
  let log: string;

  beforeEach(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'netaudit-watch-log-'));
    log = path.join(dir, 'build.log');
    // The host's root stands for the phase's (/proc/PID/root): the file is read as /proc/self/fd/N + its path.
    root = openSync('/', 'r');
  });

  afterEach(function () {
    closeSync(root);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Read as watch does, keeping the position between reads. */
  function reader(): (expect: string) => LogPosition {
    let at: LogPosition | undefined;
    return (expect: string) => {
      const r = readLogThrough(root, log, at);
      assert.ok(r, 'read');
      assert.equal(r.text, expect);
      at = r.at;
      return r.at;
    };
  }

  it('a log that grows: each read is the whole file; only what it gained is read', function () {
    const read = reader();
    writeFileSync(log, '>>> Unpacking source...\n');
    read('>>> Unpacking source...\n');
    appendFileSync(log, '>>> Test phase: net-test/x-1\nline without its end');
    const at = read('>>> Unpacking source...\n>>> Test phase: net-test/x-1\nline without its end');
    // Whole lines only count as read: the unfinished one is read again.
    assert.equal(at.bytes, Buffer.byteLength('>>> Unpacking source...\n>>> Test phase: net-test/x-1\n'));
    appendFileSync(log, ' ends here\n');
    read('>>> Unpacking source...\n>>> Test phase: net-test/x-1\nline without its end ends here\n');
  });

  it('a multibyte character cut by a read of an unfinished line comes out whole', function () {
    const read = reader();
    const euro = Buffer.from('€', 'utf8');
    writeFileSync(log, Buffer.concat([Buffer.from('prix: '), euro.subarray(0, 2)]));
    read(`prix: ${Buffer.from(euro.subarray(0, 2)).toString('utf8')}`);
    appendFileSync(log, Buffer.concat([euro.subarray(2), Buffer.from(' 5\n')]));
    read('prix: € 5\n');
  });

  it('a log replaced by a new file, rewritten in place (even longer), or cut shorter, is read whole again', function () {
    const read = reader();
    writeFileSync(log, 'first build\n');
    read('first build\n');
    unlinkSync(log);
    writeFileSync(log, 'second\n');
    read('second\n');
    // The same inode, longer than what was read: its first bytes tell it is another text.
    writeFileSync(log, 'a third text, longer than the second\n');
    read('a third text, longer than the second\n');
    truncateSync(log, 0);
    appendFileSync(log, 'x\n');
    read('x\n');
    // Past the first bytes kept, growth is still read by what it gained.
    const long = `${'y'.repeat(300)}\n`;
    appendFileSync(log, long);
    read(`x\n${long}`);
    appendFileSync(log, 'z\n');
    read(`x\n${long}z\n`);
  });

  it('no log, no root, or a relative path: nothing read', function () {
    assert.equal(readLogThrough(root, path.join(dir, 'missing.log'), undefined), undefined);
    assert.equal(readLogThrough(undefined, log, undefined), undefined);
    assert.equal(readLogThrough(root, 'build.log', undefined), undefined);
  });
});
