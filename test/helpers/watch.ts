/**
 * `netaudit watch` in the privileged tests: the service process (started, ready, stopped by a signal), its
 * results, and a Portage config root of the test's own (symlinks to /opt/netaudit's, plus the hook that
 * `watch --install-hook` adds), so that the builds of other Portage runs on the machine (which watch sees
 * too: it watches the whole machine) are told apart by their build dir.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Attempt, BuildResult } from '../../src/model/types.js';
import { CLI, netaudit } from './cli.js';

export type Watched = BuildResult & {
  watch: { networkSandbox: boolean; wouldBlock: number; buildDir?: string; confirm?: string; ended: string; incomplete?: string[] };
};

/** What must agree between the watch and `netaudit ebuild`: kind, destination, phase, test. */
export const attemptKey = (a: Attempt): string => `${a.kind} ${a.hostname ?? a.address ?? ''}:${a.port ?? ''} ${a.phase ?? '-'} ${a.test ?? '-'}`;

/** Every line of a results.jsonl (or confirm.jsonl), parsed; [] when it is not there. */
export function jsonLines<T = Watched>(file: string): T[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}

/** `netaudit watch` as a service: started, ready (its tracer pid), stopped by a signal. */
export class WatchProcess {
  readonly child: ChildProcess;
  stderr = '';
  tracerPid = 0;
  private readonly exited: Promise<number | null>;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [CLI, 'watch', ...args], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    this.child.stderr?.on('data', (b: Buffer) => (this.stderr += b.toString()));
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
  }

  async ready(): Promise<void> {
    const t0 = Date.now();
    while (Date.now() - t0 < 30_000) {
      const m = /tracer ready in \d+ ms, pid (\d+)/.exec(this.stderr);
      if (m) {
        this.tracerPid = Number(m[1]);
        return;
      }
      if (this.child.exitCode !== null) break;
      await sleep(100);
    }
    throw new Error(`netaudit watch did not get ready: ${this.stderr}`);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    this.child.kill(signal);
    return this.exited;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Polls until `check` returns a value (not undefined) or `ms` pass; throws with `what` then. */
export async function waitFor<T>(what: string, check: () => T | undefined, ms = 120_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

/**
 * A config root of the test's own in `dir`: /opt/netaudit's make.conf, profile and env as symlinks, repos.conf
 * a directory with its gentoo entry plus `repos` (name -> location), and the hook `watch --install-hook` adds.
 */
export async function watchConfigRoot(dir: string, repos: Record<string, string> = {}): Promise<string> {
  const userEtc = '/opt/netaudit/portage-root/etc/portage';
  const etc = path.join(dir, 'etc/portage');
  mkdirSync(etc, { recursive: true });
  for (const e of ['make.conf', 'make.profile', 'env']) {
    const from = path.join(userEtc, e);
    if (existsSync(from)) symlinkSync(e === 'make.profile' ? realpathSync(from) : from, path.join(etc, e));
  }
  const reposConf = path.join(userEtc, 'repos.conf');
  if (Object.keys(repos).length === 0) symlinkSync(reposConf, path.join(etc, 'repos.conf'));
  else {
    mkdirSync(path.join(etc, 'repos.conf'));
    symlinkSync(path.join(reposConf, 'gentoo.conf'), path.join(etc, 'repos.conf/gentoo.conf'));
    for (const [name, location] of Object.entries(repos)) writeFileSync(path.join(etc, 'repos.conf', `${name}.conf`), `[${name}]\nlocation = ${location}\nauto-sync = no\n`);
  }
  const hook = await netaudit(['watch', '--install-hook', '--config-root', dir]);
  assert.equal(hook.code, 0, hook.stderr);
  assert.ok(existsSync(path.join(etc, 'profile/package.bashrc/netaudit-watch')));
  return dir;
}
