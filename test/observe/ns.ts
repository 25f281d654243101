/**
 * For the observer's privileged tests: a network namespace set up as Portage's network-sandbox sets one up
 * (lo up with 127.0.0.1, 10.0.0.1/8 and fd::1/8, no route), programs run inside it, and the rule that
 * decides whether such a test runs: skipped without root or the built tracer, except under CI=true, where it fails.
 * Test namespaces are named obs-test-PID-RANDOM: never netaudit-*, which other tests count as leftovers.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { availability } from '../../src/observe/index.js';
import { requirePrivileges } from '../helpers/privileged.js';

export async function requireObserver(ctx: Mocha.Context): Promise<void> {
  requirePrivileges(ctx);
  const a = await availability();
  if (a.available) return;
  const why = a.missing.join('; ');
  if (process.env.CI === 'true') throw new Error(`observer tests cannot run in CI: ${why}`);
  ctx.skip();
}

export interface TestNetns {
  readonly name: string;
  readonly path: string;
  readonly inode: number;
  destroy(): void;
}

function ip(args: string[], input?: string): void {
  const r = spawnSync('ip', args, { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

/** A namespace like Portage's network-sandbox: lo with 127.0.0.1, 10.0.0.1/8, fd::1/8 (nodad); no route. */
export function portageNetns(): TestNetns {
  const name = `obs-test-${process.pid}-${randomBytes(3).toString('hex')}`;
  ip(['netns', 'add', name]);
  const destroy = (): void => {
    // End whatever still runs inside (a test that failed halfway), then remove the namespace.
    const pids = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    for (const p of pids) {
      try {
        process.kill(Number(p), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    spawnSync('ip', ['netns', 'del', name]);
  };
  try {
    ip(['-n', name, '-batch', '-'], 'link set lo up\naddr add 10.0.0.1/8 dev lo\naddr add fd::1/8 dev lo nodad\n');
  } catch (e) {
    destroy();
    throw e;
  }
  const path = `/run/netns/${name}`;
  return { name, path, inode: statSync(path).ino, destroy };
}

export interface Ran {
  readonly pid: number;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run argv inside the namespace (nsenter execs it: its pid is the child's, its parent this process). */
export function runIn(nsPath: string, argv: readonly string[], timeoutMs = 20_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn('nsenter', [`--net=${nsPath}`, '--', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => (clearTimeout(timer), reject(e)));
    child.on('close', (code) => (clearTimeout(timer), resolve({ pid: child.pid ?? -1, code, stdout, stderr })));
  });
}

export const PYTHON = '/usr/bin/python3';

/** Pids of running tracers (by /proc/PID/comm: netaudit-tracer, exactly the 15 bytes comm holds). */
export function tracerPids(): number[] {
  const r = spawnSync('pgrep', ['-x', 'netaudit-tracer'], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number);
}
