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

/**
 * A network namespace: its file (/run/netns/NAME, /proc/PID/ns/net), or its inode, read while the file was
 * there (a namespace lives on after its name is removed, as long as a process is in it); or several of them.
 */
export type NetnsRef = string | number | readonly (string | number)[];

/** The inodes of `ns` (a file that is gone has none). */
function inodes(ns: NetnsRef): number[] {
  const refs = Array.isArray(ns) ? (ns as readonly (string | number)[]) : [ns as string | number];
  return refs.map((r) => (typeof r === 'number' ? r : netnsInode(r))).filter((i): i is number => i !== undefined);
}

/** Pids whose network namespace is `ns` (one of them; what `ip netns pids` prints), excluding ourselves: one pass over /proc. */
export function pidsInNetns(ns: NetnsRef, exclude: readonly number[] = []): number[] {
  const want = new Set(inodes(ns).map((i) => `net:[${i}]`));
  if (!want.size) return [];
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    const pid = Number(entry);
    if (pid === process.pid || exclude.includes(pid)) continue;
    try {
      if (want.has(readlinkSync(`/proc/${entry}/ns/net`))) pids.push(pid);
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
 * End every process in the namespace(s) (but `exclude`): SIGTERM, then SIGKILL after graceMs for what is left.
 * They are all ours: nothing else lives in a namespace netaudit created.
 */
export async function killNetns(ns: NetnsRef, graceMs = 1000, exclude: readonly number[] = []): Promise<number> {
  // By inode from here on: the names may go meanwhile (the removal runs beside this).
  const ino = inodes(ns);
  let pids = pidsInNetns(ino, exclude);
  const total = pids.length;
  if (!pids.length) return 0;
  signalAll(pids, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
    pids = pidsInNetns(ino, exclude);
    if (!pids.length) return total;
  }
  signalAll(pids, 'SIGKILL');
  for (let i = 0; i < 100 && pidsInNetns(ino, exclude).length; i++) await new Promise((r) => setTimeout(r, 10));
  return total;
}
