/**
 * Comparing two reports (two sweeps of a tree, before and after an update), package by package (build name),
 * the way a QA lead reads it. At most one change per package, the first that applies:
 *   NewPackage / RemovedPackage   in one report only
 *   StartedBreaking               verdict became breaks
 *   StoppedBreaking               verdict was breaks, is something else
 *   VerdictChanged                any other verdict change
 *   DestinationsChanged           same verdict, but the set of blocked destinations changed
 * Every change carries the destinations added and removed: attempts that network-sandbox blocks (not allowed),
 * written `kind host-or-address:port` (`dns testdata.example:53`, `tcp [2001:db8::1]:443`, `icmp 192.0.2.1`).
 *
 * Text: one line per change, pkgcheck-ish: `net-test/foo-1: StartedBreaking: clean -> breaks (+dns testdata.example:53)`.
 * Exit code: 1 when some package started breaking (StartedBreaking only: a new package that breaks is listed
 * as NewPackage but does not count, since a sweep of more atoms would otherwise fail), else 0.
 */
import { endpoint } from '../model/format.js';
import type { Attempt, BuildResult, Report, Verdict } from '../model/types.js';
import { compareBuilds } from './merge.js';

export type ChangeKind = 'StartedBreaking' | 'StoppedBreaking' | 'VerdictChanged' | 'DestinationsChanged' | 'NewPackage' | 'RemovedPackage';
export const CHANGE_KINDS: readonly ChangeKind[] = ['StartedBreaking', 'StoppedBreaking', 'VerdictChanged', 'DestinationsChanged', 'NewPackage', 'RemovedPackage'];

export interface Change {
  /** The build name (category/package-version for ebuilds). */
  readonly name: string;
  readonly change: ChangeKind;
  /** Verdict in the old report; absent for NewPackage. */
  readonly from?: Verdict;
  /** Verdict in the new report; absent for RemovedPackage. */
  readonly to?: Verdict;
  /** Blocked destinations only in the new report, sorted. */
  readonly added: readonly string[];
  /** Blocked destinations only in the old report, sorted. */
  readonly removed: readonly string[];
}

export interface ReportDiff {
  readonly changes: readonly Change[];
  /** Number of changes of each kind, every kind present. */
  readonly counts: Readonly<Record<ChangeKind, number>>;
  readonly old: { readonly createdAt: string; readonly builds: number; readonly summary: Report['summary'] };
  readonly new: { readonly createdAt: string; readonly builds: number; readonly summary: Report['summary'] };
}

/**
 * An attempt's destination as the diff and the dashboard show it: the kind, then the endpoint (model/format.ts) of
 * the name looked up (dns) or of the address: `dns testdata.example:53`, `tcp [2001:db8::1]:443`, `icmp 2001:db8::1`.
 */
export function destination(a: Attempt): string {
  return `${a.kind} ${endpoint(a.kind === 'dns' ? (a.hostname ?? a.address) : a.address, a.port)}`;
}

/** The blocked (not allowed) destinations of a build. */
export function blockedDestinations(b: BuildResult | undefined): Set<string> {
  const out = new Set<string>();
  for (const a of b?.attempts ?? []) if (!a.allowed) out.add(destination(a));
  return out;
}

function classify(a: BuildResult | undefined, b: BuildResult | undefined, destinationsChanged: boolean): ChangeKind | undefined {
  if (!a) return 'NewPackage';
  if (!b) return 'RemovedPackage';
  if (a.verdict !== 'breaks' && b.verdict === 'breaks') return 'StartedBreaking';
  if (a.verdict === 'breaks' && b.verdict !== 'breaks') return 'StoppedBreaking';
  if (a.verdict !== b.verdict) return 'VerdictChanged';
  return destinationsChanged ? 'DestinationsChanged' : undefined;
}

export function diffReports(before: Report, after: Report): ReportDiff {
  const old = new Map(before.builds.map((b) => [b.name, b]));
  const now = new Map(after.builds.map((b) => [b.name, b]));
  // Order: the merge order over the union (a build from the new report wins: same name, same place).
  const union = new Map([...old, ...now]);
  const builds = [...union.values()].sort(compareBuilds);
  const changes: Change[] = [];
  for (const { name } of builds) {
    const a = old.get(name);
    const b = now.get(name);
    const da = blockedDestinations(a);
    const db = blockedDestinations(b);
    const added = [...db].filter((d) => !da.has(d)).sort();
    const removed = [...da].filter((d) => !db.has(d)).sort();
    const change = classify(a, b, added.length > 0 || removed.length > 0);
    if (change) changes.push({ name, change, ...(a ? { from: a.verdict } : {}), ...(b ? { to: b.verdict } : {}), added, removed });
  }
  const counts = Object.fromEntries(CHANGE_KINDS.map((k) => [k, changes.filter((c) => c.change === k).length])) as Record<ChangeKind, number>;
  const side = (r: Report) => ({ createdAt: r.createdAt, builds: r.builds.length, summary: r.summary });
  return { changes, counts, old: side(before), new: side(after) };
}

/** One line per change, nothing when nothing changed. */
export function renderDiffText(diff: ReportDiff): string {
  return diff.changes
    .map((c) => {
      const verdicts = c.change === 'NewPackage' ? `new, ${c.to}` : c.change === 'RemovedPackage' ? `removed, was ${c.from}` : `${c.from} -> ${c.to}`;
      const dests = [...c.added.map((d) => `+${d}`), ...c.removed.map((d) => `-${d}`)];
      return `${c.name}: ${c.change}: ${verdicts}${dests.length ? ` (${dests.join(', ')})` : ''}\n`;
    })
    .join('');
}

/** The diff as JSON text (two-space indent, final newline). */
export function renderDiffJson(diff: ReportDiff): string {
  return `${JSON.stringify(diff, null, 2)}\n`;
}

/** 1 when some package started breaking, else 0. */
export function diffExitCode(diff: ReportDiff): 0 | 1 {
  return diff.counts.StartedBreaking > 0 ? 1 : 0;
}
