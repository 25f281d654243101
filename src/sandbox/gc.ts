/**
 * Removing what killed runs left behind: namespaces (with the processes inside them: captures, builds, their
 * daemons) and temp dirs whose owner, encoded in the name, is no longer alive. A live run is never touched.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execCapture } from '../proc/exec.js';
import { tool } from '../proc/tools.js';
import { NETNS_PREFIX, TMPDIR_PREFIX, isAlive, ownerOf } from './names.js';
import { killNetns } from './procs.js';

export interface GcResult {
  readonly namespaces: string[];
  processes: number;
  readonly tempDirs: string[];
  readonly kept: string[];
  readonly failures: string[];
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Root collects every run's leftovers; a user only its own. */
function mine(file: string): boolean {
  const uid = process.getuid?.();
  if (uid === 0 || uid === undefined) return true;
  try {
    return statSync(file).uid === uid;
  } catch {
    return false;
  }
}

export async function collectGarbage(options: { tmpdir?: string; dryRun?: boolean } = {}): Promise<GcResult> {
  const result: GcResult = { namespaces: [], processes: 0, tempDirs: [], kept: [], failures: [] };
  // Without root there are no named namespaces of ours (src/sandbox/userns.ts: they end with their run), and
  // root's are not ours to remove: only temp dirs are collected.
  const stale = process.getuid?.() === 0 ? listDir('/run/netns').filter((n) => n.startsWith(NETNS_PREFIX)) : [];
  const dead: string[] = [];
  for (const name of stale) {
    const owner = ownerOf(name);
    if (!owner) continue;
    if (isAlive(owner)) result.kept.push(name);
    else dead.push(name);
  }
  if (!options.dryRun && dead.length) {
    const killed = await Promise.all(dead.map((n) => killNetns(`/run/netns/${n}`, 500)));
    result.processes = killed.reduce((a, b) => a + b, 0);
    const r = await execCapture([tool('ip'), '-force', '-batch', '-'], { input: dead.map((n) => `netns del ${n}`).join('\n') + '\n' });
    if (r.code !== 0) result.failures.push(`ip netns del: ${r.stderr.trim()}`);
  }
  result.namespaces.push(...dead);
  const tmp = options.tmpdir ?? os.tmpdir();
  for (const name of listDir(tmp).filter((n) => n.startsWith(TMPDIR_PREFIX))) {
    const owner = ownerOf(name);
    if (!owner || isAlive(owner)) continue;
    if (!mine(path.join(tmp, name))) continue;
    if (!options.dryRun) {
      try {
        rmSync(path.join(tmp, name), { recursive: true, force: true });
      } catch (e) {
        result.failures.push(`${name}: ${(e as Error).message}`);
        continue;
      }
    }
    result.tempDirs.push(name);
  }
  return result;
}
