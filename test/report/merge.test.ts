/**
 * mergeReports: shards of a report merge back into the report (normalizeForCompare), whatever the shard order;
 * duplicates are kept once when identical and rejected by name otherwise; the order is Portage's.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { BadReportError, UsageError } from '../../src/model/errors.js';
import type { BuildResult, Report } from '../../src/model/types.js';
import { summarize } from '../../src/model/report.js';
import { canonicalJson, compareVersions, mergeReports, normalizeForCompare, sortBuilds } from '../../src/report/merge.js';
import { validateReport } from '../../src/report/validate.js';
import { EXAMPLES, jsonFiles, readJson } from './helpers.js';

const examples = jsonFiles(EXAMPLES).map((f) => ({ f, r: readJson(path.join(EXAMPLES, f)) as Report }));
const sweep = examples.find((e) => e.f === 'sweep-multi.json')?.r as Report;

function ebuild(name: string, verdict: BuildResult['verdict'] = 'clean'): BuildResult {
  const [category, pf] = name.split('/') as [string, string];
  const m = /^(.*?)-(\d.*)$/.exec(pf) as RegExpExecArray;
  const base = sweep.builds[0] as BuildResult;
  return { ...structuredClone(base), name, verdict, ebuild: { ...(base.ebuild as NonNullable<BuildResult['ebuild']>), category, package: m[1] as string, version: m[2] as string, path: `/r/${name}.ebuild` } };
}

/** A sweep report of the example builds and many more, in merge order. */
function bigSweep(): Report {
  const commands = examples.filter((e) => e.r.mode === 'run').flatMap((e) => e.r.builds);
  const more = ['net-test/foo-1.10', 'net-test/foo-1.9', 'net-test/foo-1.0_rc1', 'net-test/foo-1.0', 'net-test/foo-1.0-r1', 'net-test/foo-bar-1', 'net-test/foo+-1', 'net-misc/x-2', 'net-x/a-1']
    .map((n, i) => ebuild(n, i % 3 === 0 ? 'breaks' : 'clean'));
  const builds = sortBuilds([...sweep.builds, ...commands, ...more]);
  return { ...sweep, builds, summary: summarize(builds) };
}

/** Split into `n` shards the way --shard does not: round robin over a shuffled copy, each shard its own time. */
function shards(r: Report, n: number): Report[] {
  const shuffled = [...r.builds].reverse();
  return Array.from({ length: n }, (_, i) => {
    const builds = shuffled.filter((_b, k) => k % n === i);
    return { ...r, createdAt: new Date(Date.parse(r.createdAt) + i * 1000).toISOString(), builds, summary: summarize(builds) };
  });
}

describe('mergeReports', () => {
  it('3 shards of a multi-build report merge into the report (normalizeForCompare), in any order', async () => {
    for (const r of [sweep, bigSweep()]) {
      const parts = shards(r, 3);
      for (const order of [parts, [...parts].reverse(), [parts[1], parts[2], parts[0]] as Report[]]) {
        const merged = mergeReports(order);
        assert.deepEqual(normalizeForCompare(merged), normalizeForCompare(r));
        assert.deepEqual(merged.builds, r.builds, 'even the durations: nothing is lost');
        assert.equal(merged.createdAt, parts[2]?.createdAt, 'createdAt of the latest shard');
        assert.equal(merged.mode, 'sweep');
        assert.deepEqual(await validateReport(merged), { ok: true });
      }
    }
  });

  it('a single report merges into itself, sorted', () => {
    const r = bigSweep();
    const shuffled = { ...r, builds: [...r.builds].reverse() };
    assert.deepEqual(mergeReports([shuffled]), r);
  });

  it('orders ebuilds by category, package, then Portage version order; commands after them by name', () => {
    const names = bigSweep().builds.map((b) => b.name);
    const ebuilds = names.filter((n) => /^[a-z0-9-]+\/[^ ]+-\d/.test(n) && !n.includes(' '));
    assert.deepEqual(ebuilds, [
      'app-misc/quietd-1.0',
      'dev-go/modfetch-0.3',
      'dev-python/autoskip-4.2',
      'net-misc/x-2',
      'net-test/foo-1.0_rc1',
      'net-test/foo-1.0',
      'net-test/foo-1.0-r1',
      'net-test/foo-1.9',
      'net-test/foo-1.10',
      'net-test/foo+-1',
      'net-test/foo-bar-1',
      'net-x/a-1',
      'sys-devel/slowcc-2.0',
    ]);
    const commands = names.slice(ebuilds.length);
    assert.deepEqual(commands, [...commands].sort());
    assert.ok(commands.includes('true'));
  });

  it('compareVersions follows PMS 3.3', () => {
    const ordered = ['0.9', '1', '1.0', '1.0.0', '1.01', '1.1', '1.1a', '1.1b', '1.2_alpha', '1.2_alpha1', '1.2_beta', '1.2_pre3', '1.2_rc1', '1.2', '1.2-r1', '1.2-r10', '1.2_p1', '1.10', '2_pre1_p2', '2', '20250101', '99999999999999999999'];
    for (let i = 0; i + 1 < ordered.length; i++) {
      const a = ordered[i] as string;
      const b = ordered[i + 1] as string;
      assert.equal(compareVersions(a, b), -1, `${a} < ${b}`);
      assert.equal(compareVersions(b, a), 1, `${b} > ${a}`);
    }
    assert.equal(compareVersions('1.2-r0', '1.2'), 0);
    assert.equal(compareVersions('1.2', 'not-a-version'), -1);
  });

  it('a build in two inputs: identical copies are kept once', () => {
    const [a, b] = shards(sweep, 2) as [Report, Report];
    const again = { ...b, builds: [...b.builds, a.builds[0] as BuildResult], summary: summarize([...b.builds, a.builds[0] as BuildResult]) };
    assert.deepEqual(normalizeForCompare(mergeReports([a, again])), normalizeForCompare(sweep));
    // Key order does not make copies different.
    const reordered = JSON.parse(canonicalJson(a)) as Report;
    assert.deepEqual(mergeReports([a, reordered, b]).builds.map((x) => x.name), sweep.builds.map((x) => x.name));
  });

  it('a build in two inputs with different results is E_BAD_REPORT naming it', () => {
    const [a, b] = shards(sweep, 2) as [Report, Report];
    const first = a.builds[0] as BuildResult;
    const changed = { ...first, verdict: 'breaks' as const };
    const other = { ...b, builds: [...b.builds, changed], summary: summarize([...b.builds, changed]) };
    assert.throws(
      () => mergeReports([a, other]),
      (e: unknown) => {
        assert.ok(e instanceof BadReportError);
        assert.equal(e.code, 'E_BAD_REPORT');
        assert.ok(e.message.includes(JSON.stringify(first.name)), e.message);
        assert.match(e.message, /more than one input with different results/);
        return true;
      },
    );
  });

  it('mode is kept when the inputs agree, "merge" when they do not; the summary is recomputed', () => {
    const run = examples.filter((e) => e.r.mode === 'run').map((e) => e.r);
    assert.equal(mergeReports(run).mode, 'run');
    const mixed = mergeReports([sweep, ...run]);
    assert.equal(mixed.mode, 'merge');
    assert.equal(mixed.builds.length, sweep.builds.length + run.reduce((n, r) => n + r.builds.length, 0));
    assert.deepEqual(mixed.summary, summarize(mixed.builds));
    assert.equal(mixed.createdAt, [sweep, ...run].map((r) => r.createdAt).sort().at(-1));
  });

  it('host is kept only when every input has the same', () => {
    const [a, b] = shards(sweep, 2) as [Report, Report];
    assert.deepEqual(mergeReports([a, b]).host, sweep.host);
    assert.equal(mergeReports([a, { ...b, host: { kernel: 'other' } }]).host, undefined);
  });

  it('no input is a UsageError', () => {
    assert.throws(() => mergeReports([]), (e: unknown) => e instanceof UsageError && e.code === 'E_USAGE');
  });

  it('normalizeForCompare drops createdAt, durations and phase times, nothing else', () => {
    const r = sweep;
    const later: Report = {
      ...r,
      createdAt: '2030-01-01T00:00:00.000Z',
      builds: r.builds.map((b) => ({ ...b, durationMs: b.durationMs + 1, phases: b.phases?.map((p) => ({ ...p, startMs: p.startMs + 5 })) })),
    };
    assert.deepEqual(normalizeForCompare(later), normalizeForCompare(r));
    const other: Report = { ...r, builds: r.builds.map((b, i) => (i === 0 ? { ...b, exitCode: 7 } : b)) };
    assert.notDeepEqual(normalizeForCompare(other), normalizeForCompare(r));
  });
});
