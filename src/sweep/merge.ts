/**
 * Joining shard outputs into one report identical to an unsharded sweep's (builds in name order, summary
 * recomputed), and comparing two sweeps the way a QA lead does after a tree update.
 */
import { NetauditError } from '../model/errors.js';
import type { Attempt, BuildResult, Report } from '../model/types.js';
import { sweepReport } from './sweep.js';

export function mergeReports(reports: readonly Report[]): Report {
  if (!reports.length) throw new NetauditError('E_BAD_ARGUMENT', 'report merge: no reports given — name the shard directories or report files');
  const byName = new Map<string, BuildResult>();
  for (const r of reports) {
    for (const b of r.builds) {
      const seen = byName.get(b.name);
      if (seen && JSON.stringify(seen) !== JSON.stringify(b)) {
        throw new NetauditError('E_BAD_REPORT', `report merge: ${b.name} is in more than one input with different results — were the shards taken from different sweeps?`);
      }
      byName.set(b.name, b);
    }
  }
  return sweepReport([...byName.values()]);
}

/** A destination as a QA lead reads it: kind host-or-address:port, for attempts network-sandbox would block. */
export function destinations(b: BuildResult | undefined): Set<string> {
  const out = new Set<string>();
  for (const a of b?.attempts ?? []) if (!a.allowed) out.add(destination(a));
  return out;
}

function destination(a: Attempt): string {
  const where = a.kind === 'dns' ? (a.hostname ?? a.address) : a.address.includes(':') ? `[${a.address}]` : a.address;
  return `${a.kind} ${where}${a.port !== undefined ? `:${a.port}` : ''}`;
}

export type ChangeKind = 'StartedBreaking' | 'StoppedBreaking' | 'VerdictChanged' | 'DestinationsChanged' | 'NewPackage' | 'RemovedPackage';

export interface Change {
  readonly name: string;
  readonly change: ChangeKind;
  readonly from?: string;
  readonly to?: string;
  readonly added: string[];
  readonly removed: string[];
}

export function diffReports(before: Report, after: Report): Change[] {
  const old = new Map(before.builds.map((b) => [b.name, b]));
  const now = new Map(after.builds.map((b) => [b.name, b]));
  const names = [...new Set([...old.keys(), ...now.keys()])].sort();
  const changes: Change[] = [];
  for (const name of names) {
    const a = old.get(name);
    const b = now.get(name);
    const da = destinations(a);
    const db = destinations(b);
    const added = [...db].filter((d) => !da.has(d)).sort();
    const removed = [...da].filter((d) => !db.has(d)).sort();
    let change: ChangeKind | undefined;
    if (!a) change = 'NewPackage';
    else if (!b) change = 'RemovedPackage';
    else if (a.verdict !== 'breaks' && b.verdict === 'breaks') change = 'StartedBreaking';
    else if (a.verdict === 'breaks' && b.verdict !== 'breaks') change = 'StoppedBreaking';
    else if (a.verdict !== b.verdict) change = 'VerdictChanged';
    else if (added.length || removed.length) change = 'DestinationsChanged';
    if (change) changes.push({ name, change, ...(a ? { from: a.verdict } : {}), ...(b ? { to: b.verdict } : {}), added, removed });
  }
  return changes;
}

/** One line per change: `net-test/foo-1: StartedBreaking: clean -> breaks (+dns testdata.example:53)`. */
export function renderChanges(changes: readonly Change[]): string {
  return changes
    .map((c) => {
      const verdicts = `${c.from ?? '(absent)'} -> ${c.to ?? '(absent)'}`;
      const dests = [...c.added.map((d) => `+${d}`), ...c.removed.map((d) => `-${d}`)];
      return `${c.name}: ${c.change}: ${verdicts}${dests.length ? ` (${dests.join(', ')})` : ''}\n`;
    })
    .join('');
}
