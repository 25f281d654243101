/**
 * Short commands without a fork of netaudit: one small `sh` runs them on request.
 *
 * Node starts every child with fork() (libuv), and a fork copies the parent's page tables: the bigger node is,
 * the more each `ip`, `nft` or `rm` costs netaudit's own CPU (measured: 6.6 ms a spawn at 45 MB RSS, 32 ms at
 * 256 MB, on a busy 2-core machine; a sweep's netaudit spent a quarter of its CPU in spawn()). A shell of a
 * megabyte forks in microseconds. So the sandbox's short commands (creating, configuring and removing
 * namespaces, the end markers, the nftables counters) and the removal of a build's directories go to one
 * shell per netaudit process, started at the first such command:
 *
 *   netaudit writes ID.sh (the command, quoted) and ID.in (its stdin) into the shell's private directory and
 *   the line `ID` to the shell's stdin; the shell runs `. ID.sh <ID.in >ID.out 2>ID.err` in a subshell of its
 *   own (commands run side by side, as spawned ones did) and writes `ID STATUS`.
 *
 * The commands run with netaudit's environment as it was when the shell started and in its directory: a
 * command that needs an environment or a directory of its own is spawned (execCapture), and so is every
 * command when the shell cannot run (NETAUDIT_COMMAND_SHELL=0 turns it off). The shell lives in a session of
 * its own (a terminal's Ctrl-C reaches netaudit, which ends its commands itself), dies with netaudit
 * (`setpriv --pdeathsig KILL`, and SIGKILL at exit like every helper), does not keep netaudit running while
 * idle, and its directory (netaudit-PID.START-N-shell-*, collected by gc when netaudit was killed) is removed at
 * exit.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execCapture, type ExecOptions, type ExecResult } from '../proc/exec.js';
import { supervise, type Helper } from '../proc/supervisor.js';
import { tool } from '../proc/tools.js';
import { tempDirPrefix } from './names.js';
import { unlinkQuietly } from '../util/unlink.js';

/**
 * Remove the shell's directory, which holds only files (the requests): unlinked one by one. Node's recursive
 * rmSync would first load its own code (~7 ms), here on the way out of every netaudit command.
 */
function removeFlatDir(dir: string): void {
  try {
    for (const name of readdirSync(dir)) unlinkSync(path.join(dir, name));
    rmdirSync(dir);
  } catch {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A word for sh, quoted only when it needs it. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

const LOOP = ['d=$1', 'while read -r id; do', '  ( . "$d/$id.sh" <"$d/$id.in" >"$d/$id.out" 2>"$d/$id.err"; echo "$id $?" ) &', 'done'].join('\n');

export class CommandShell {
  private helper!: Helper;
  private readonly pending = new Map<string, (status: number) => void>();
  private sequence = 0;
  private buffer = '';

  private constructor(readonly dir: string) {}

  static async start(): Promise<CommandShell> {
    const shell = new CommandShell(mkdtempSync(path.join(os.tmpdir(), tempDirPrefix('shell'))));
    process.once('exit', () => removeFlatDir(shell.dir));
    try {
      shell.helper = await supervise({
        label: 'the command shell',
        argv: [tool('sh'), '-c', LOOP, 'netaudit-shell', shell.dir],
        tools: ['sh'],
        stdin: 'pipe',
        detached: true,
        background: true,
        onStdout: (b) => shell.onLines(b),
      });
    } catch (e) {
      rmSync(shell.dir, { recursive: true, force: true });
      throw e;
    }
    void shell.helper.exited.then(() => {
      for (const [, end] of shell.pending) end(-1);
      shell.pending.clear();
    });
    return shell;
  }

  alive(): boolean {
    return this.helper.alive();
  }

  private onLines(b: Buffer): void {
    this.buffer += b.toString('utf8');
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const [id, status] = this.buffer.slice(0, nl).split(' ');
      this.buffer = this.buffer.slice(nl + 1);
      const end = this.pending.get(id ?? '');
      if (!end) continue;
      this.pending.delete(id as string);
      if (!this.pending.size) this.helper.keepAlive(false);
      end(Number(status));
    }
  }

  /** Run argv to its end (execCapture's contract: never throws for an exit status; a signal's end is 128+N). */
  exec(argv: readonly string[], input = ''): Promise<ExecResult> {
    const id = `c${this.sequence++}`;
    const file = (ext: string): string => path.join(this.dir, `${id}.${ext}`);
    writeFileSync(file('sh'), argv.map(shellQuote).join(' ') + '\n');
    writeFileSync(file('in'), input);
    return new Promise((resolve) => {
      if (!this.pending.size) this.helper.keepAlive(true);
      this.pending.set(id, (status) => {
        const read = (f: string): string => (existsSync(f) ? readFileSync(f, 'utf8') : '');
        const result: ExecResult = {
          code: status < 0 ? null : status,
          signal: null,
          stdout: read(file('out')),
          stderr: status < 0 ? `${read(file('err'))}netaudit's command shell ended before ${argv[0]} did\n` : read(file('err')),
        };
        for (const ext of ['sh', 'in', 'out', 'err']) unlinkQuietly(file(ext));
        resolve(result);
      });
      this.helper.stdin?.write(`${id}\n`);
    });
  }

  /** End the shell and remove its directory. */
  async close(): Promise<void> {
    await this.helper.stop();
    removeFlatDir(this.dir);
  }
}

let shared: Promise<CommandShell | undefined> | undefined;

function sharedShell(): Promise<CommandShell | undefined> {
  return (shared ??= CommandShell.start().catch(() => undefined));
}

/**
 * Start the command shell now, while netaudit waits anyway (for a sandbox to get ready), so that the removal
 * at the end (the namespaces, the build's directories), on the way out of every audit, does not pay its start
 * (a fork of node, setpriv and sh: ~6-8 ms).
 */
export function prestartCommandShell(): void {
  if (process.env.NETAUDIT_COMMAND_SHELL !== '0') void sharedShell();
}

/**
 * execCapture, through the command shell when the command needs nothing of its own (no environment, no
 * directory) and the shell runs; spawned otherwise.
 */
export async function quickExec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  if (options.env || options.cwd || process.env.NETAUDIT_COMMAND_SHELL === '0') return execCapture(argv, options);
  const shell = await sharedShell();
  if (!shell?.alive()) return execCapture(argv, options);
  return shell.exec(argv, options.input ?? '');
}

/** Remove a directory tree through the command shell (`rm -rf`); by node itself when that fails. */
export async function removeTree(dir: string): Promise<void> {
  const r = await quickExec([tool('rm'), '-rf', '--one-file-system', '--', dir]);
  if (r.code !== 0 || existsSync(dir)) rmSync(dir, { recursive: true, force: true });
}
