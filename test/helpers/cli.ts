/** Running the real CLI (the built dist/src/cli/main.cjs) and the reference sandbox as subprocesses. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const CLI = path.join(ROOT, 'dist/src/cli/main.cjs');
/**
 * The distfiles of fixtures/repo (checked by its Manifests). Portage finds them through PORTAGE_RO_DISTDIRS, as
 * scripts/demo.sh sets it, so no test downloads anything (scripts/setup.sh also copies them into DISTDIR).
 */
export const FIXTURE_DISTFILES = path.join(ROOT, 'fixtures/distfiles');

export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function run(argv: string[], options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string; onSpawn?: (pid: number) => void } = {}): Promise<Ran> {
  const [file, ...args] = argv;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(file as string, args, { env: options.env ?? { ...process.env, NO_COLOR: '1' }, cwd: options.cwd ?? ROOT });
    if (child.pid) options.onSpawn?.(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: performance.now() - t0 }));
    // A program that exits without reading stdin (chmod, --version) closes the pipe first: EPIPE is no failure.
    child.stdin.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') reject(e);
    });
    child.stdin.end(options.input ?? '');
  });
}

/** The CLI; without options.env: this process's environment, no colours, and the fixtures' distfiles. */
export function netaudit(args: string[], options: Parameters<typeof run>[1] = {}): Promise<Ran> {
  const env = options.env ?? { ...process.env, NO_COLOR: '1', PORTAGE_RO_DISTDIRS: FIXTURE_DISTFILES };
  return run([process.execPath, CLI, ...args], { ...options, env });
}

/**
 * A plain network-sandbox, as Portage makes it (lib/portage/process.py): new network and UTS namespaces, lo up
 * with 10.0.0.1/8 and fd::1/8, hostname localhost, no other interface, no route. fd::1 is added without `nodad`,
 * as Portage's rtnetlink call adds it (no flags): the kernel runs no duplicate address detection on a loopback
 * device, so the address is usable at once, and `ip addr` shows it as under Portage (no "nodad" flag).
 */
export function referenceSandbox(argv: string[], options: Parameters<typeof run>[1] = {}): Promise<Ran> {
  return run(
    [
      'unshare', '--net', '--uts', '--',
      'sh', '-c',
      'ip link set lo up && ip addr add 10.0.0.1/8 dev lo && ip addr add fd::1/8 dev lo && hostname localhost && exec "$@"',
      'reference-sandbox',
      ...argv,
    ],
    options,
  );
}
