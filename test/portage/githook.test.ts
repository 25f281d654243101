/** The pre-commit hook script (src/portage/githook.ts): valid sh, paths quoted whatever they hold, marked as netaudit's. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hookScript, MARKER, shQuote } from '../../src/portage/githook.js';

describe('pre-commit hook script', () => {
  let tmp: string;
  before(() => (tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-hook-'))));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('quotes any text as one sh word', () => {
    for (const text of ['plain', "it's", 'a b', '$(id)', '"q"', "'", '']) {
      const r = spawnSync('sh', ['-c', `printf %s ${shQuote(text)}`], { encoding: 'utf8' });
      assert.equal(r.stdout, text);
    }
  });

  it('is valid sh, carries the marker, and runs the recorded netaudit with `changed --quiet`, its stdout on stderr', () => {
    // A stand-in for node that prints its arguments, to see what the hook runs (main.js with a quote in its path).
    const node = path.join(tmp, "fake node");
    writeFileSync(node, '#!/bin/sh\nfor a in "$@"; do printf "[%s]" "$a"; done\necho " hook=$NETAUDIT_HOOK"\nexit 3\n');
    chmodSync(node, 0o755);
    const main = path.join(tmp, "it's main.js");
    writeFileSync(main, '');
    const script = hookScript(node, main);
    assert.ok(script.startsWith('#!/bin/sh\n'));
    assert.ok(script.split('\n').includes(MARKER));
    const file = path.join(tmp, 'pre-commit');
    writeFileSync(file, script, { mode: 0o755 });
    assert.equal(spawnSync('sh', ['-n', file]).status, 0);
    const r = spawnSync(file, [], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
    assert.equal(r.status, 3, 'the exit status of netaudit is the hook\'s');
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `[${main}][changed][--quiet] hook=pre-commit\n`);
  });

  it('without the recorded netaudit and none on PATH, fails with one line (never a silent pass)', () => {
    const file = path.join(tmp, 'pre-commit-gone');
    writeFileSync(file, hookScript(path.join(tmp, 'no-node'), path.join(tmp, 'no-main.js')), { mode: 0o755 });
    const r = spawnSync(file, [], { encoding: 'utf8', env: { PATH: tmp } });
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /netaudit not found .* install it and run 'netaudit hook install', or remove /);
  });
});
