/** Observing the host from tests: its namespaces, capture processes and interfaces. */
import { readdirSync, readFileSync } from 'node:fs';

export function netauditNamespaces(): string[] {
  try {
    return readdirSync('/run/netns').filter((n) => n.startsWith('netaudit-'));
  } catch {
    return [];
  }
}

/** Namespaces owned by a given netaudit pid. */
export function namespacesOf(pid: number): string[] {
  return netauditNamespaces().filter((n) => n.startsWith(`netaudit-${pid}.`));
}

/** Pids of tcpdump processes (by /proc/PID/comm). */
export function tcpdumpPids(): number[] {
  const pids: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/comm`, 'utf8').trim() === 'tcpdump') pids.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return pids;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitFor(what: string, cond: () => boolean, timeoutMs = 10_000, intervalMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Host interfaces (root namespace), from /sys/class/net. */
export function hostInterfaces(): string[] {
  return readdirSync('/sys/class/net');
}

/** Pids of the processes whose command line contains `marker` (a build's own marker argument). */
export function processesWith(marker: string): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(marker);
    } catch {
      return false;
    }
  }).map(Number);
}
