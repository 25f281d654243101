/**
 * Names of what one audit creates. Every name carries the owning process's pid and start time (clock ticks
 * since boot, /proc/PID/stat field 22), so `netaudit gc` can tell a live run from a dead one even when the pid
 * was reused, and never touches a live run's namespaces. (Interface names and addresses inside the
 * namespaces are the same for every run: src/model/network.ts.)
 */
import { readFileSync } from 'node:fs';

export const NETNS_PREFIX = 'netaudit-';
export const TMPDIR_PREFIX = 'netaudit-';

export interface Owner {
  readonly pid: number;
  readonly startTicks: string;
}

/** /proc/PID/stat's state letter (R, S, T, Z …, field 3) and start time (field 22); undefined when there is no such process. */
export function processStat(pid: number): { state: string; startTicks: string | undefined } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces and parentheses: fields after the last ')' are space separated, from field 3.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0] ?? '', startTicks: rest[19] };
  } catch {
    return undefined;
  }
}

export function processStartTicks(pid: number): string | undefined {
  return processStat(pid)?.startTicks;
}

let selfOwner: Owner | undefined;
export function self(): Owner {
  selfOwner ??= { pid: process.pid, startTicks: processStartTicks(process.pid) ?? '0' };
  return selfOwner;
}

let sequence = 0;

export interface RunNames {
  readonly id: string;
  readonly buildNs: string;
  readonly monitorNs: string;
}

/** Fresh names for one audit: netaudit-<pid>.<start>-<seq>-b / -m. */
export function newRunNames(owner: Owner = self()): RunNames {
  const id = `${owner.pid}.${owner.startTicks}-${sequence++}`;
  return { id, buildNs: `${NETNS_PREFIX}${id}-b`, monitorNs: `${NETNS_PREFIX}${id}-m` };
}

const OWNED = /^netaudit-(\d+)\.(\d+)-\d+(?:-[bm])?(?:-.*)?$/;

/** The owner encoded in a namespace or temp dir name, or undefined when the name is not ours. */
export function ownerOf(name: string): Owner | undefined {
  const m = OWNED.exec(name);
  if (!m) return undefined;
  return { pid: Number(m[1]), startTicks: m[2] as string };
}

export function isAlive(owner: Owner): boolean {
  return processStartTicks(owner.pid) === owner.startTicks;
}

/** A fresh temp dir prefix carrying the owner, for mkdtemp: netaudit-<pid>.<start>-<seq>-<label>- */
export function tempDirPrefix(label: string, owner: Owner = self()): string {
  const safe = label.replace(/[^A-Za-z0-9_.+-]/g, '_').slice(0, 60);
  return `${TMPDIR_PREFIX}${owner.pid}.${owner.startTicks}-${sequence++}-${safe}-`;
}
