/**
 * @privileged The compiled tracer's follow mode (`netaudit watch`): a process that execs a script named as
 * --follow-exec says is followed with everything it starts, whatever its namespace, and its environment is read
 * in the kernel at the exec (only the variables --follow-env names are printed); the same script under another
 * name is not traced at all (filtered in the kernel).
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TracerRecord } from '../../src/decode/tracer.js';
import { Observer } from '../../src/observe/observer.js';
import { parseFollowEnv } from '../../src/portage/follow.js';
import { run } from '../helpers/cli.js';
import { requireTracer } from '../tracer/driver.js';

const SCRIPT = [
  '#!/bin/sh',
  // A grandchild makes the attempt: followed through two forks.
  `sh -c 'python3 -c "import socket
s = socket.socket()
try:
    s.connect((\\"192.0.2.1\\", 80))
except OSError:
    pass"'`,
  'exit 3',
  '',
].join('\n');

describe('tracer follow mode @privileged', function () {
  this.timeout(60_000);
  let dir: string;

  before(function () {
    requireTracer(this);
    dir = mkdtempSync(path.join(os.tmpdir(), 'netaudit-follow-test-'));
    for (const name of ['ebuild.sh', 'other.sh']) {
      writeFileSync(path.join(dir, name), SCRIPT);
      chmodSync(path.join(dir, name), 0o755);
    }
  });
  after(function () {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('follows ebuild.sh and its descendants in their own namespace, reads its environment at the exec, and ignores other.sh', async function () {
    const records: TracerRecord[] = [];
    const observer = await Observer.start({ args: ['--no-libc', '--follow-exec', 'ebuild.sh', '--follow-env', 'NETAUDIT_FOLLOW_TEST'], onRecord: (r) => records.push(r) });
    try {
      const env = { ...process.env, NETAUDIT_FOLLOW_TEST: 'token-1', OTHER_VAR: 'not printed' };
      const a = await run(['unshare', '--net', '--', path.join(dir, 'ebuild.sh')], { env });
      assert.equal(a.code, 3, a.stderr);
      const b = await run(['unshare', '--net', '--', path.join(dir, 'other.sh')], { env });
      assert.equal(b.code, 3, b.stderr);
      assert.notEqual(await observer.flush(), undefined);
    } finally {
      await observer.stop();
    }
    // The machine's other Portage builds are followed too (this is what watch is for): look at ours.
    const hexOf = (text: string) => Buffer.from(text).toString('hex');
    const mine = (r: TracerRecord) => typeof r.argv === 'string' && r.argv.includes(hexOf(dir));
    const seeds = records.filter((r) => r.t === 'exec' && r.seed === true && mine(r));
    assert.equal(seeds.length, 1, 'one seed: ebuild.sh');
    const seed = seeds[0] as TracerRecord;
    assert.ok((seed.argv as string).includes(hexOf('ebuild.sh')));
    assert.deepEqual(records.filter((r) => typeof r.argv === 'string' && r.argv.includes(hexOf(path.join(dir, 'other.sh')))), [], 'nothing of other.sh');
    const envLine = records.find((r) => r.t === 'env' && r.pid === seed.pid);
    assert.ok(envLine, 'the env line follows the seed');
    assert.deepEqual(parseFollowEnv(envLine.env as string), { NETAUDIT_FOLLOW_TEST: 'token-1' });
    assert.ok((envLine.envLen as number) > 20);
    // The tree: the seed and every child forked from a followed process.
    const tree = new Set([seed.pid]);
    for (const r of records) if (r.t === 'fork' && tree.has(r.pid)) tree.add(r.child as number);
    const connects = records.filter((r) => r.t === 'call' && r.sys === 'connect' && (r.sa as string).startsWith('02000050c0000201') && tree.has(r.pid));
    assert.equal(connects.length, 1, 'the connect to 192.0.2.1:80 of a descendant of the seed');
    assert.notEqual((connects[0] as TracerRecord).pid, seed.pid);
    const exit = records.find((r) => r.t === 'exit' && r.pid === seed.pid);
    assert.equal(exit?.code, 3 << 8);
  });
});
