/** Processes inside a network namespace, found by comparing /proc/PID/ns/net with the namespace file. */
import { readdirSync, readlinkSync, statSync } from 'node:fs';

/** The inode that identifies a namespace file (/run/netns/NAME), or undefined when it is gone. */
export function netnsInode(nsPath: string): number | undefined {
  try {
    return statSync(nsPath).ino;
  } catch {
    return undefined;
  }
}

/** Pids whose network namespace is the one at nsPath (what `ip netns pids` prints), excluding ourselves. */
export function pidsInNetns(nsPath: string, exclude: readonly number[] = []): number[] {
  const ino = netnsInode(nsPath);
  if (ino === undefined) return [];
  const want = `net:[${ino}]`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    const pid = Number(entry);
    if (pid === process.pid || exclude.includes(pid)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/net`) === want) pids.push(pid);
    } catch {
      /* exited meanwhile, or a kernel thread */
    }
  }
  return pids;
}

function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

/**
 * End every process in the namespace (but `exclude`): SIGTERM, then SIGKILL after graceMs for what is left.
 * They are all ours: nothing else lives in a namespace netaudit created.
 */
export async function killNetns(nsPath: string, graceMs = 1000, exclude: readonly number[] = []): Promise<number> {
  let pids = pidsInNetns(nsPath, exclude);
  const total = pids.length;
  if (!pids.length) return 0;
  signalAll(pids, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
    pids = pidsInNetns(nsPath, exclude);
    if (!pids.length) return total;
  }
  signalAll(pids, 'SIGKILL');
  for (let i = 0; i < 100 && pidsInNetns(nsPath, exclude).length; i++) await new Promise((r) => setTimeout(r, 10));
  return total;
}
