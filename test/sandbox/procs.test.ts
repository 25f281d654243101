/**
 * Processes inside the sandbox's namespaces (src/sandbox/procs.ts): found by a namespace's file or by its inode
 * (read while the file was there: the removal deletes the names while the sweep runs), several namespaces in
 * one pass over /proc, and ended: SIGTERM, then SIGKILL for what ignores it.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { tool } from '../../src/proc/tools.js';
import { killNetns, netnsInode, pidsInNetns } from '../../src/sandbox/procs.js';
import { requirePrivileges } from '../helpers/privileged.js';

describe('sandbox/procs: processes in a namespace @privileged', function () {
  this.timeout(20_000);
  const names = [`netaudit-procs-test-${process.pid}-a`, `netaudit-procs-test-${process.pid}-b`];
  const children: ChildProcess[] = [];
  before(function () {
    requirePrivileges(this);
  });
  beforeEach(() => {
    for (const n of names) assert.equal(spawnSync(tool('ip'), ['netns', 'add', n]).status, 0);
  });
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    for (const n of names) spawnSync(tool('ip'), ['netns', 'del', n], { stdio: 'ignore' });
  });

  /** A process of this test inside the namespace `name` (nsenter execs it: the same pid), running until it is ended. */
  async function inside(name: string, script: string): Promise<number> {
    const c = spawn(tool('nsenter'), [`--net=/run/netns/${name}`, '--', tool('sh'), '-c', script], { stdio: 'ignore' });
    children.push(c);
    const pid = c.pid as number;
    for (let i = 0; i < 200 && !pidsInNetns(`/run/netns/${name}`).includes(pid); i++) await new Promise((r) => setTimeout(r, 5));
    return pid;
  }

  it('finds the processes of several namespaces in one pass, by file or by inode, and nothing else', async () => {
    const a = await inside(names[0] as string, 'exec sleep 30');
    const b = await inside(names[1] as string, 'exec sleep 30');
    const inoB = netnsInode(`/run/netns/${names[1]}`) as number;
    assert.deepEqual(pidsInNetns(`/run/netns/${names[0]}`), [a]);
    assert.deepEqual(pidsInNetns([`/run/netns/${names[0]}`, inoB]).sort(), [a, b].sort());
    assert.deepEqual(pidsInNetns([`/run/netns/${names[0]}`, inoB], [b]), [a], 'an excluded pid is left out');
    assert.deepEqual(pidsInNetns('/run/netns/netaudit-no-such-namespace'), []);
  });

  it('ends them by inode after their names are gone: SIGTERM, then SIGKILL for one that ignores it', async () => {
    const polite = await inside(names[0] as string, 'exec sleep 30');
    const stubborn = await inside(names[1] as string, "trap '' TERM; while :; do sleep 0.05; done");
    const inodes = names.map((n) => netnsInode(`/run/netns/${n}`) as number);
    for (const n of names) assert.equal(spawnSync(tool('ip'), ['netns', 'del', n]).status, 0);
    const [first, second] = children as [ChildProcess, ChildProcess];
    const ended = Promise.all([first, second].map((c) => new Promise<NodeJS.Signals | null>((r) => (c.exitCode !== null || c.signalCode !== null ? r(c.signalCode) : c.once('exit', (_code, sig) => r(sig))))));
    // Both, and the loop's current sleep.
    assert.ok((await killNetns(inodes, 300)) >= 2);
    assert.deepEqual(pidsInNetns(inodes), []);
    assert.deepEqual(await ended, ['SIGTERM', 'SIGKILL'], `${polite} and ${stubborn}: ended by`);
  });
});
