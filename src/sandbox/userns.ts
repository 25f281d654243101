/**
 * The sandbox without root: one user namespace owns the build and monitor network namespaces, and a small
 * shell (the launcher) inside it starts every privileged command (ip, nft, sysctl, tcpdump) on request.
 *
 * Why a launcher and not `nsenter --user`: an unprivileged user namespace maps exactly one uid. Mapped to 0,
 * commands keep their capabilities across exec, but tcpdump, seeing uid 0, drops privileges with
 * initgroups(), which a user namespace always refuses (setgroups is denied there): it exits. Mapped to the
 * invoking uid itself (`--map-current-user`), tcpdump keeps its uid, but a program exec'd after
 * `nsenter --user` loses the capabilities the join gave it (uid != 0, no ambient capabilities; util-linux
 * 2.38's nsenter cannot keep them). `unshare --keep-caps` makes them ambient, and ambient capabilities are
 * inherited by every child: so the launcher, started by that unshare, is the one process tree that can run
 * privileged commands as the invoking uid. The build itself joins with `nsenter --user` (src/sandbox/build.ts)
 * and so runs without capabilities, as the invoking uid, as it would without netaudit.
 *
 * Process tree:  node -> setpriv --pdeathsig KILL -> unshare --user --pid --fork --kill-child --keep-caps
 *                       -> sh (the launcher, pid 1 of a new pid namespace)
 *                            -> unshare --net --uts ... sleep   (holds the build namespace: hostname localhost)
 *                            -> unshare --net ... sleep         (holds the monitor namespace)
 *                            -> one sh per request, exec'ing the command
 * Whatever happens to netaudit (even SIGKILL), the unshare gets SIGKILL, pid 1 gets SIGKILL, and the kernel
 * ends every process of the pid namespace: the captures, the holders, the build and its daemons; the
 * namespaces go with their last process. Nothing is named in /run/netns; the namespaces are
 * /proc/PID/ns/net of the holders (host pids: the launcher reads them from /proc/self/stat, which is the
 * host's /proc).
 *
 * Requests: the command (shell-quoted) is written to DIR/ID.sh and its input to DIR/ID.in, then the ID goes
 * to the launcher's stdin. Output goes to DIR/ID.out and DIR/ID.err (regular files: captures are read as
 * they grow). The launcher's stdout says `ID pid HOSTPID` once the command runs and `ID exit CODE` at its end.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SetupError, UserNamespaceError } from '../model/errors.js';
import type { ExecResult } from '../proc/exec.js';
import { HelperStartError, supervise, type Helper, type HostedProcess, type ProcessHost } from '../proc/supervisor.js';
import { tool } from '../proc/tools.js';
import { tempDirPrefix } from './names.js';
import { shellQuote } from './shell.js';

export { shellQuote };


/**
 * The launcher script. $1: its directory; $2-$5: the absolute paths of unshare, sh, hostname and sleep
 * (src/proc/tools.ts: the caller's PATH may lack them). First it makes the two namespaces and prints
 * `build PID` and `monitor PID`; then it runs one request per line of stdin.
 */
export const LAUNCHER = [
  'd=$1 unshare=$2 sh=$3 hostname=$4 sleep=$5',
  'exec 3>&1',
  // Each holder prints its host pid (its own /proc/self/stat: /proc is the host's) once its namespaces exist.
  `"$unshare" --net --uts -- "$sh" -c 'read -r p _ </proc/self/stat && "$1" localhost && echo "build $p" && exec "$2" 2147483647' netaudit-holder "$hostname" "$sleep" &`,
  `"$unshare" --net -- "$sh" -c 'read -r p _ </proc/self/stat && echo "monitor $p" && exec "$1" 2147483647' netaudit-holder "$sleep" &`,
  'while read -r id; do',
  '  ( "$sh" "$d/$id.sh" "$id" <"$d/$id.in" >"$d/$id.out" 2>"$d/$id.err"; echo "$id exit $?" ) &',
  'done',
].join('\n');

/** argv that starts the launcher in a new user and pid namespace (under the supervisor's setpriv --pdeathsig). */
export function launcherArgv(dir: string): string[] {
  return [
    tool('unshare'), '--user', '--map-current-user', '--keep-caps', '--pid', '--fork', '--kill-child', '--',
    tool('sh'), '-c', LAUNCHER, 'netaudit-launcher', dir, tool('unshare'), tool('sh'), tool('hostname'), tool('sleep'),
  ];
}

/** The start of every request script: report the host pid on fd 3, close it, then exec the command. */
const REQUEST_PROLOGUE = 'read -r p _ </proc/self/stat; echo "$1 pid $p" >&3; exec 3>&-; exec ';

/**
 * Which sysctl forbids unprivileged user namespaces here, if one does (read from /proc/sys; never throws).
 * user.max_user_namespaces 0 and Debian's kernel.unprivileged_userns_clone 0 forbid them outright. Ubuntu's
 * kernel.apparmor_restrict_unprivileged_userns 1 forbids them unless an AppArmor profile allows them, so it
 * is named only with `suspects` (once making the namespace has failed).
 */
export function userNamespaceBlocker(read: (p: string) => string | undefined = readProcSys, suspects = false): string | undefined {
  const v = (p: string): string | undefined => read(p)?.trim();
  if (v('/proc/sys/user/max_user_namespaces') === '0') return 'user.max_user_namespaces is 0 (sysctl -w user.max_user_namespaces=15000)';
  if (v('/proc/sys/kernel/unprivileged_userns_clone') === '0') return 'kernel.unprivileged_userns_clone is 0 (sysctl -w kernel.unprivileged_userns_clone=1)';
  if (suspects && v('/proc/sys/kernel/apparmor_restrict_unprivileged_userns') === '1') {
    return 'kernel.apparmor_restrict_unprivileged_userns is 1 (sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile allowing user namespaces to netaudit)';
  }
  return undefined;
}

function readProcSys(p: string): string | undefined {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

export function userNamespaceError(why: string): UserNamespaceError {
  return new UserNamespaceError(`unprivileged user namespaces are forbidden here: ${why} — or run as root: sudo netaudit ${process.argv.slice(2).join(' ')}`.trimEnd());
}

interface Pending {
  onPid?: (pid: number) => void;
  onExit: (code: number) => void;
}

/** A command the launcher started: its host pid, its output files and its end. */
export class LaunchedProcess implements HostedProcess {
  exitCode: number | null = null;
  readonly exited: Promise<number>;
  private resolveExit!: (code: number) => void;

  constructor(
    readonly pid: number,
    readonly outFile: string,
    readonly errFile: string,
  ) {
    this.exited = new Promise((r) => (this.resolveExit = r));
  }

  /** @internal */
  end(code: number): void {
    this.exitCode = code;
    this.resolveExit(code);
  }

  kill(signal: NodeJS.Signals): void {
    if (this.exitCode !== null) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      /* already gone */
    }
  }
}

export class Launcher implements ProcessHost {
  buildPid = 0;
  monitorPid = 0;
  private helper!: Helper;
  private readonly pending = new Map<string, Pending>();
  private sequence = 0;
  private buffer = '';
  private dead = false;

  private constructor(readonly dir: string) {}

  /** Start the launcher and wait until both namespaces exist. */
  static async start(timeoutMs = 5000): Promise<Launcher> {
    const blocker = userNamespaceBlocker();
    if (blocker) throw userNamespaceError(blocker);
    const l = new Launcher(mkdtempSync(path.join(os.tmpdir(), tempDirPrefix('userns'))));
    try {
      l.helper = await supervise({
        label: 'the user namespace',
        argv: launcherArgv(l.dir),
        tools: ['unshare', 'sh', 'hostname', 'sleep'],
        stdin: 'pipe',
        // Its own session: a terminal's Ctrl-C reaches netaudit and the build, not the captures and holders, which
        // netaudit ends itself (the launcher's request shells must live to report their commands' ends).
        detached: true,
        ready: { test: () => l.buildPid > 0 && l.monitorPid > 0 },
        readyTimeoutMs: timeoutMs,
        notReady: 'no answer',
        onStdout: (b) => l.onLines(b),
      });
    } catch (e) {
      rmSync(l.dir, { recursive: true, force: true });
      throw Launcher.startError(e);
    }
    void l.helper.exited.then(() => {
      l.dead = true;
      for (const [, p] of l.pending) p.onExit(-1);
      l.pending.clear();
    });
    return l;
  }

  /** unshare: "unshare failed: No space left on device" (max_user_namespaces reached) or EPERM (forbidden). */
  private static startError(e: unknown): unknown {
    if (!(e instanceof HelperStartError) || e.reason !== 'exit') return e;
    const why = e.lastLine || 'exited';
    const blocker = userNamespaceBlocker(readProcSys, true);
    if (blocker) return userNamespaceError(blocker);
    if (/unshare failed|Operation not permitted|No space left/.test(why)) return userNamespaceError(`${why} (see user.max_user_namespaces, kernel.unprivileged_userns_clone, AppArmor)`);
    return e;
  }

  get pid(): number {
    return this.helper.pid;
  }

  private onLines(b: Buffer): void {
    this.buffer += b.toString('utf8');
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const [id, what, value] = this.buffer.slice(0, nl).split(' ');
      this.buffer = this.buffer.slice(nl + 1);
      if (id === 'build' || id === 'monitor') {
        if (id === 'build') this.buildPid = Number(what);
        else this.monitorPid = Number(what);
        continue;
      }
      const p = this.pending.get(id ?? '');
      if (!p) continue;
      if (what === 'pid') p.onPid?.(Number(value));
      else if (what === 'exit') {
        this.pending.delete(id as string);
        p.onExit(Number(value));
      }
    }
  }

  private request(argv: readonly string[], input: string, handlers: Pending): string {
    if (this.dead) throw new SetupError('running in the user namespace', `running ${argv[0]}: the user namespace is gone`);
    const id = `r${this.sequence++}`;
    writeFileSync(path.join(this.dir, `${id}.sh`), REQUEST_PROLOGUE + argv.map(shellQuote).join(' ') + '\n');
    writeFileSync(path.join(this.dir, `${id}.in`), input);
    this.pending.set(id, handlers);
    this.helper.stdin?.write(`${id}\n`);
    return id;
  }

  private files(id: string): { out: string; err: string } {
    return { out: path.join(this.dir, `${id}.out`), err: path.join(this.dir, `${id}.err`) };
  }

  private forget(id: string): void {
    for (const ext of ['sh', 'in', 'out', 'err']) rmSync(path.join(this.dir, `${id}.${ext}`), { force: true });
  }

  /** Run argv to completion inside the user namespace (execCapture's contract: never throws for an exit code). */
  exec(argv: readonly string[], options: { input?: string } = {}): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      let id = '';
      try {
        id = this.request(argv, options.input ?? '', {
          onExit: (code) => {
            const { out, err } = this.files(id);
            const read = (f: string): string => (existsSync(f) ? readFileSync(f, 'utf8') : '');
            const result = { code: code < 0 ? null : code, signal: null, stdout: read(out), stderr: read(err) };
            this.forget(id);
            resolve(result);
          },
        });
      } catch (e) {
        reject(e);
      }
    });
  }

  /** Start a long-running argv (a capture); resolves once it runs, with its host pid. */
  start(argv: readonly string[]): Promise<LaunchedProcess> {
    return new Promise((resolve, reject) => {
      let proc: LaunchedProcess | undefined;
      let early: number | undefined;
      const id = this.request(argv, '', {
        onPid: (pid) => {
          const { out, err } = this.files(id);
          proc = new LaunchedProcess(pid, out, err);
          if (early !== undefined) proc.end(early);
          resolve(proc);
        },
        onExit: (code) => {
          if (proc) proc.end(code);
          else {
            early = code;
            reject(new SetupError('running in the user namespace', `${argv.join(' ')}: could not start (exit ${code}): ${this.helper.stderrText().trim()}`));
          }
        },
      });
    });
  }

  /** End everything in the user namespace (SIGKILL to unshare: pid 1 and all its namespace follow) and remove the directory. */
  async close(): Promise<void> {
    await this.helper.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
