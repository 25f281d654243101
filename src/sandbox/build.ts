/**
 * Running the audited command inside the build namespace, the way network-sandbox runs a phase: a new UTS
 * namespace with hostname `localhost`, optionally as another user. stdin, stdout and stderr pass through.
 * The child stays in netaudit's process group (so a terminal's Ctrl-C reaches it, and it may read the terminal);
 * the whole tree is ended by killing every process in the build namespace, which also catches daemons.
 * Without root the build joins the user namespace's build namespace through its holder (wrapArgv's holderPid)
 * and runs as the invoking user, without capabilities.
 */
import type { BuildEnd } from '../model/evidence.js';
import { spawn } from 'node:child_process';
import { MissingToolError, UsageError } from '../model/errors.js';
import { tool } from '../proc/tools.js';
import type { Sandbox } from './sandbox.js';
import type { UserSpec } from './user.js';

export interface BuildRunOptions {
  readonly argv: readonly string[];
  readonly user?: UserSpec;
  /** Kill the whole tree after this many milliseconds. */
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** 'inherit' passes the terminal through; 'pipe' collects output (ebuild and sweep modes). */
  readonly stdio?: 'inherit' | 'pipe' | 'ignore';
  /** Receives output when stdio is 'pipe'. */
  readonly onOutput?: (chunk: Buffer, stream: 'stdout' | 'stderr') => void;
  /** Aborting ends the build (SIGINT/SIGTERM handling). */
  readonly signal?: AbortSignal;
}

/**
 * argv that enters the build namespace, makes the UTS namespace, sets the hostname and drops privileges.
 * `resolvConf` (intercept mode): also a private mount namespace in which that file is bound over
 * /etc/resolv.conf (src/sandbox/intercept.ts says why); the host's mounts are untouched (unshare makes the
 * new namespace's propagation private).
 */
export function wrapArgv(buildNsPath: string, argv: readonly string[], user?: UserSpec, resolvConf?: string, holderPid?: number, utsPath?: string): string[] {
  if (holderPid !== undefined) {
    // Without root (src/sandbox/userns.ts): join the holder's user, network, UTS (hostname localhost) and pid
    // namespaces; uid and gid stay the invoking user's, and the exec drops every capability the join gave.
    // The pid namespace ends with netaudit, and the build's daemons with it.
    if (user || resolvConf) throw new UsageError('--user and --intercept need root — run as root: sudo netaudit run ...');
    return [tool('nsenter'), '-t', String(holderPid), '--user', '--net', '--uts', '--pid', '--preserve-credentials', '--', ...argv];
  }
  // Every tool by its absolute path (src/proc/tools.ts); the build's own command keeps the caller's PATH.
  const drop = user ? [tool('setpriv'), `--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--'] : [];
  if (resolvConf) {
    return [
      tool('nsenter'), `--net=${buildNsPath}`, '--',
      tool('unshare'), '--uts', '--mount', '--',
      tool('sh'), '-c', '"$1" localhost && "$2" --bind "$3" /etc/resolv.conf && shift 3 && exec "$@"', 'netaudit-build', tool('hostname'), tool('mount'), resolvConf,
      ...drop,
      ...argv,
    ];
  }
  // A UTS namespace the sandbox made beforehand, its hostname `localhost` already (Sandbox.buildUtsPath): joined
  // with the network namespace by one nsenter, instead of three more programs (unshare, sh, hostname) between
  // the spawn and the build's first instruction.
  if (utsPath) return [tool('nsenter'), `--net=${buildNsPath}`, `--uts=${utsPath}`, '--', ...drop, ...argv];
  return [
    tool('nsenter'), `--net=${buildNsPath}`, '--',
    tool('unshare'), '--uts', '--',
    tool('sh'), '-c', '"$1" localhost && shift && exec "$@"', 'netaudit-build', tool('hostname'),
    ...drop,
    ...argv,
  ];
}

export function runBuild(sandbox: Sandbox, options: BuildRunOptions): Promise<BuildEnd> {
  if (!options.argv.length) throw new UsageError('no command given — usage: netaudit run [options] -- COMMAND [ARG...]');
  const [file, ...args] = wrapArgv(sandbox.buildNsPath, options.argv, options.user, sandbox.resolvConf, sandbox.buildHolderPid, sandbox.buildUtsPath);
  const stdio = options.stdio ?? 'inherit';
  if (options.signal?.aborted) {
    return Promise.resolve({ exitCode: null, signal: null, timedOut: false, interrupted: true, startMs: Date.now(), durationMs: 0 });
  }
  return new Promise((resolve, reject) => {
    const startMs = Date.now();
    const started = performance.now();
    let timedOut = false;
    let interrupted = false;
    const child = spawn(file as string, args, {
      stdio: stdio === 'pipe' ? ['ignore', 'pipe', 'pipe'] : stdio,
      env: options.env ?? process.env,
      cwd: options.cwd,
    });
    if (stdio === 'pipe') {
      child.stdout?.on('data', (b: Buffer) => options.onOutput?.(b, 'stdout'));
      child.stderr?.on('data', (b: Buffer) => options.onOutput?.(b, 'stderr'));
    }
    const end = (): void => {
      void sandbox.killBuildProcesses(2000);
    };
    const timer = options.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          end();
        }, options.timeoutMs)
      : undefined;
    const onAbort = (): void => {
      interrupted = true;
      end();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new MissingToolError(options.argv[0] ?? '', `running the build: ${e.message} — run 'netaudit doctor'`, { cause: e }));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ exitCode: code, signal, timedOut, interrupted, startMs, durationMs: Math.round(performance.now() - started) });
    });
  });
}
