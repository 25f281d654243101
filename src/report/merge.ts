/**
 * Joining shard outputs (`netaudit sweep --shard i/n`) into one report identical to an unsharded run's:
 * builds in a deterministic order (sortBuilds), every build once, the summary recomputed.
 *
 * - Order: ebuild builds by category, package, then version as Portage orders versions (PMS 3.3: 1.9 < 1.10,
 *   1.0_rc1 < 1.0 < 1.0-r1), then command builds by name; the name breaks any remaining tie. A sweep that
 *   sorts its builds with sortBuilds makes `merge(shards) == unsharded` hold byte for byte, apart from times.
 * - A build name in more than one input: kept once when the copies are identical (the same shard given twice),
 *   E_BAD_REPORT naming it otherwise (shards of different sweeps).
 * - mode: the inputs' mode when they all agree (a merge of sweep shards is a 'sweep'), 'merge' otherwise.
 *   createdAt and tool: those of the latest input (by createdAt). host: kept when every input has the same.
 */
import { BadReportError, UsageError } from '../model/errors.js';
import type { BuildResult, Report } from '../model/types.js';
import { makeReport } from '../model/report.js';

export function mergeReports(reports: readonly Report[]): Report {
  const [first] = reports;
  if (!first) throw new UsageError('report merge: no reports given — name the shard directories or report files');
  const byName = new Map<string, BuildResult>();
  for (const r of reports) {
    for (const b of r.builds) {
      const seen = byName.get(b.name);
      if (seen && canonicalJson(seen) !== canonicalJson(b)) {
        throw new BadReportError(
          '',
          [`${b.name}: in more than one input with different results`],
          `report merge: ${JSON.stringify(b.name)} is in more than one input with different results — were the shards taken from different sweeps? Give each package once`,
        );
      }
      byName.set(b.name, seen ?? b);
    }
  }
  const latest = reports.reduce((a, b) => (Date.parse(b.createdAt) > Date.parse(a.createdAt) ? b : a));
  const mode = reports.every((r) => r.mode === first.mode) ? first.mode : 'merge';
  const builds = sortBuilds([...byName.values()]);
  const host = first.host && reports.every((r) => canonicalJson(r.host ?? null) === canonicalJson(first.host)) ? first.host : undefined;
  return makeReport(mode, builds, latest.tool.version, latest.createdAt, host);
}

/** The report without what differs between two runs of the same builds: createdAt, durations, phase times. */
export function normalizeForCompare(report: Report): unknown {
  const { createdAt: _createdAt, ...rest } = report;
  return {
    ...rest,
    builds: report.builds.map(({ durationMs: _durationMs, phases, ...b }) => ({
      ...b,
      ...(phases ? { phases: phases.map(({ startMs: _s, endMs: _e, ...p }) => p) } : {}),
    })),
  };
}

/** A new array of the builds in merge order (see the module comment). */
export function sortBuilds(builds: readonly BuildResult[]): BuildResult[] {
  return [...builds].sort(compareBuilds);
}

export function compareBuilds(a: BuildResult, b: BuildResult): number {
  const ea = a.kind === 'ebuild' ? a.ebuild : undefined;
  const eb = b.kind === 'ebuild' ? b.ebuild : undefined;
  if (ea && !eb) return -1;
  if (!ea && eb) return 1;
  if (ea && eb) {
    const c = compareStrings(ea.category, eb.category) || compareStrings(ea.package, eb.package) || compareVersions(ea.version, eb.version);
    if (c) return c;
  }
  return compareStrings(a.name, b.name);
}

/** Code-unit order, the same in every locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const VERSION_RE = /^(\d+)((?:\.\d+)*)([a-z]?)((?:_(?:alpha|beta|pre|rc|p)\d*)*)(?:-r(\d+))?$/;
const SUFFIX_ORDER: Record<string, number> = { alpha: 0, beta: 1, pre: 2, rc: 3, p: 5 };
/** Where "no more suffixes" sorts: after _rc, before _p (PMS 3.3, algorithm 3.5). */
const NO_SUFFIX = 4;

/**
 * Portage's version order (PMS section 3.3): numeric components, letter, suffixes (_alpha < _beta < _pre < _rc <
 * none < _p), revision. Strings that are not versions compare as text, after every valid version.
 */
export function compareVersions(a: string, b: string): number {
  const ma = VERSION_RE.exec(a);
  const mb = VERSION_RE.exec(b);
  if (!ma || !mb) return ma ? -1 : mb ? 1 : compareStrings(a, b);
  const numsA = [ma[1] as string, ...(ma[2] ?? '').split('.').filter(Boolean)];
  const numsB = [mb[1] as string, ...(mb[2] ?? '').split('.').filter(Boolean)];
  let c = compareBig(numsA[0] as string, numsB[0] as string);
  if (c) return c;
  for (let i = 1; i < Math.min(numsA.length, numsB.length); i++) {
    const x = numsA[i] as string;
    const y = numsB[i] as string;
    // A component with a leading zero compares as a decimal fraction (PMS algorithm 3.3).
    c = x.startsWith('0') || y.startsWith('0') ? compareStrings(x.replace(/0+$/, ''), y.replace(/0+$/, '')) : compareBig(x, y);
    if (c) return c;
  }
  c = numsA.length - numsB.length;
  if (c) return Math.sign(c);
  c = compareStrings(ma[3] ?? '', mb[3] ?? '');
  if (c) return c;
  const sa = suffixes(ma[4] ?? '');
  const sb = suffixes(mb[4] ?? '');
  for (let i = 0; i < Math.max(sa.length, sb.length); i++) {
    const x = sa[i];
    const y = sb[i];
    const kx = x ? x.order : NO_SUFFIX;
    const ky = y ? y.order : NO_SUFFIX;
    if (kx !== ky) return Math.sign(kx - ky);
    c = compareBig(x?.n ?? '0', y?.n ?? '0');
    if (c) return c;
  }
  return compareBig(ma[5] ?? '0', mb[5] ?? '0');
}

function suffixes(s: string): { order: number; n: string }[] {
  return [...s.matchAll(/_(alpha|beta|pre|rc|p)(\d*)/g)].map((m) => ({ order: SUFFIX_ORDER[m[1] as string] as number, n: m[2] || '0' }));
}

/** Compare decimal digit strings of any length. */
function compareBig(x: string, y: string): number {
  const a = x.replace(/^0+(?=\d)/, '');
  const b = y.replace(/^0+(?=\d)/, '');
  return a.length !== b.length ? Math.sign(a.length - b.length) : compareStrings(a, b);
}

/** JSON with object keys sorted, so that equal values give equal text whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => compareStrings(x, y)))
      : v,
  );
}
