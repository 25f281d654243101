/**
 * Small, labelled wrappers around child processes that run to completion (long-running helpers go through
 * supervisor.ts; tool paths come from tools.ts). netaudit runs as root (or, for `run` without root, starts
 * its privileged commands through the user namespace's launcher, src/sandbox/userns.ts, which execStep takes
 * as its runner), so whatever starts here runs as root unless it drops privileges itself. Who starts what:
 * src/sandbox/ and src/capture/ set up and remove the namespaces, the veth, nftables rules and captures (ip,
 * nsenter, nft, sysctl, tcpdump) and run the build in them; src/portage/ (metadata.ts: Portage's Python API)
 * and src/runner/ (ebuild.ts: `ebuild … fetch` and `clean`, outside the sandbox) run Portage, which itself
 * needs root and drops to the portage user for the phases (FEATURES=userpriv); the CLI's `report patches`
 * reads `git config` for the default author. decode/, analyze/, verdict/ and report/ start no process.
 */
import { spawn, type SpawnOptions } from 'node:child_process';
import { MissingToolError, SetupError, UsageError } from '../model/errors.js';

export interface ExecResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ExecOptions {
  /** Text written to the child's stdin, then closed. */
  readonly input?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/** Run argv to completion, capturing output. Never throws for a non-zero exit; throws only when argv[0] cannot be started. */
export function execCapture(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const [file, ...args] = argv;
  if (!file) throw new UsageError('internal: empty command');
  return new Promise((resolve, reject) => {
    const spawnOptions: SpawnOptions = { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env };
    if (options.cwd) spawnOptions.cwd = options.cwd;
    const child = spawn(file, args, spawnOptions);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}

/** Like execCapture, with stdout as bytes (for binary-exact output such as `git cat-file --batch`). */
export function execBuffer(argv: readonly string[], options: ExecOptions = {}): Promise<Omit<ExecResult, 'stdout'> & { stdout: Buffer }> {
  const [file, ...args] = argv;
  if (!file) throw new UsageError('internal: empty command');
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env, ...(options.cwd ? { cwd: options.cwd } : {}) });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** The line `ip -batch` adds after a failed command's own message ("Command failed -:3"): never the reason. */
export const IP_BATCH_LINE = /^Command failed -:\d+$/;

/** The reason a failed command gives: the last line of its output that is neither blank nor IP_BATCH_LINE. */
export function failureReason(lines: readonly string[]): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] as string;
    if (line.trim() && !IP_BATCH_LINE.test(line.trim())) return line;
  }
  return undefined;
}

/**
 * Run argv and require exit 0; on failure throw E_SETUP with a message naming the step (bubblewrap style:
 * "creating the veth pair: RTNETLINK answers: File exists").
 */
export async function execStep(
  label: string,
  argv: readonly string[],
  options: ExecOptions = {},
  /** Who runs it (default execCapture; without root, the user namespace's launcher: src/sandbox/userns.ts). */
  runner: (argv: readonly string[], options: ExecOptions) => Promise<ExecResult> = execCapture,
): Promise<ExecResult> {
  let r: ExecResult;
  try {
    r = await runner(argv, options);
  } catch (cause) {
    const e = cause as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') {
      throw new MissingToolError(argv[0] ?? '', `${label}: ${argv[0]} is not installed — run 'netaudit doctor' for the install command`, { cause });
    }
    throw new SetupError(label, `${label}: cannot start ${argv[0]}: ${e.message}`, { cause });
  }
  if (r.code !== 0) {
    const why = failureReason((r.stderr.trim() || r.stdout.trim()).split('\n')) ?? `exit ${r.code ?? r.signal}`;
    throw new SetupError(label, `${label}: ${why}`);
  }
  return r;
}
