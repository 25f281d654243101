/**
 * The command shell (src/sandbox/shell.ts): short commands run by one small sh instead of a fork of netaudit
 * each, with execCapture's results, side by side, without keeping netaudit running, gone with it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execCapture } from '../../src/proc/exec.js';
import { CommandShell, quickExec, removeTree, shellQuote } from '../../src/sandbox/shell.js';

const SHELL_MODULE = pathToFileURL(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/sandbox/shell.js')).href;

describe('sandbox: the command shell', function () {
  this.timeout(20_000);
  let shell: CommandShell;
  let tmp: string;
  before(async () => {
    shell = await CommandShell.start();
  });
  after(async () => {
    await shell.close();
    assert.equal(existsSync(shell.dir), false, 'its directory is left');
  });
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-shell-test-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('gives what a spawned command gives: stdout, stderr, exit status, stdin, any word', async () => {
    const words = ["it's", 'two words', 'a\nnewline', '$HOME', '`true`', '*', '-n', ''];
    const cases: [string[], string][] = [
      [['cat'], 'input\nlines\n'],
      [['sh', '-c', 'echo out; echo err >&2; exit 3'], ''],
      [['printf', '%s|', ...words], ''],
      [['sh', '-c', 'kill -TERM $$'], ''],
    ];
    for (const [argv, input] of cases) {
      const viaShell = await shell.exec(argv, input);
      const spawned = await execCapture(argv, { input });
      assert.equal(viaShell.stdout, spawned.stdout, argv.join(' '));
      // A signal's end is the shell's 128+N (execCapture reports the signal itself), and sh says so on stderr.
      assert.equal(viaShell.stderr, spawned.signal ? 'Terminated\n' : spawned.stderr, argv.join(' '));
      assert.equal(viaShell.code, spawned.code ?? 128 + 15, argv.join(' '));
    }
    assert.equal((await shell.exec(['printf', '%s|', ...words])).stdout, words.map((w) => `${w}|`).join(''));
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
  });

  it('runs its commands side by side (the second ends the first)', async () => {
    const fifo = path.join(tmp, 'fifo');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    const reader = shell.exec(['sh', '-c', 'read x < "$1"; echo "got $x"', 'sh', fifo]);
    const writer = shell.exec(['sh', '-c', 'echo hello > "$1"', 'sh', fifo]);
    assert.equal((await writer).code, 0);
    assert.equal((await reader).stdout, 'got hello\n');
    assert.deepEqual(readdirSync(shell.dir), [], 'request files are left');
  });

  it('quickExec spawns what needs an environment of its own; removeTree removes a tree', async () => {
    const r = await quickExec(['sh', '-c', 'echo "$NETAUDIT_SHELL_TEST"'], { env: { ...process.env, NETAUDIT_SHELL_TEST: 'own env' } });
    assert.equal(r.stdout, 'own env\n');
    const tree = path.join(tmp, 'work');
    mkdirSync(path.join(tree, 'a/b/c'), { recursive: true });
    writeFileSync(path.join(tree, 'a/b/c/file'), 'x');
    await removeTree(tree);
    assert.equal(existsSync(tree), false);
  });

  it('does not keep netaudit running, and is gone with it (process and directory)', () => {
    // A node that runs one command through the shared shell and then has nothing left to do: it must end
    // by itself (the shell idle), and take the shell and its directory along.
    const script = `
      import { quickExec } from ${JSON.stringify(SHELL_MODULE)};
      import { readdirSync } from 'node:fs';
      const r = await quickExec(['echo', 'via the shell']);
      const dirs = readdirSync(${JSON.stringify(os.tmpdir())}).filter((n) => n.startsWith('netaudit-' + process.pid + '.') && n.includes('-shell-'));
      console.log(JSON.stringify({ out: r.stdout, dirs, pid: process.pid }));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 15_000 });
    assert.equal(r.status, 0, `the node with an idle shell did not end by itself: ${r.error?.message ?? ''} ${r.stderr}`);
    const seen = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { out: string; dirs: string[]; pid: number };
    assert.equal(seen.out, 'via the shell\n');
    assert.equal(seen.dirs.length, 1, 'the shell had its directory');
    assert.equal(existsSync(path.join(os.tmpdir(), seen.dirs[0] ?? '')), false, 'its directory outlived netaudit');
    const shells = spawnSync('pgrep', ['-f', `netaudit-shell ${path.join(os.tmpdir(), seen.dirs[0] ?? '')}`], { encoding: 'utf8' });
    assert.equal(shells.stdout.trim(), '', 'the shell outlived netaudit');
  });

  it('NETAUDIT_COMMAND_SHELL=0: every command is spawned (no shell, no directory)', () => {
    const script = `
      import { quickExec } from ${JSON.stringify(SHELL_MODULE)};
      import { readdirSync } from 'node:fs';
      const r = await quickExec(['echo', 'spawned']);
      console.log(JSON.stringify({ out: r.stdout, dirs: readdirSync(${JSON.stringify(os.tmpdir())}).filter((n) => n.startsWith('netaudit-' + process.pid + '.')) }));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 15_000, env: { ...process.env, NETAUDIT_COMMAND_SHELL: '0' } });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { out: 'spawned\n', dirs: [] });
  });
});
