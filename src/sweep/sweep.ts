/**
 * A tree-wide sweep: every selected ebuild audited in its own namespace pair, --jobs at a time, each result
 * appended to DIR/results.jsonl the moment it is known, build logs and captures kept under DIR. When every
 * package is done: DIR/report.json (builds in name order, so a merge of shards equals an unsharded run),
 * report.html and junit.xml. With --suggest, each breaking package's suggestions are in its result (so --resume
 * and `report merge` keep them) and its patches in DIR/patches/CATEGORY/PF.patch.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { NoSuchEbuildError, UsageError } from '../model/errors.js';
import { ebuildName, VERDICTS, type BuildResult, type Ebuild, type Report, type Verdict } from '../model/types.js';
import { locatePortage, type PortageInstall } from '../portage/locate.js';
import { readMetadataLenient, type EbuildMeta } from '../portage/metadata.js';
import { makeReport } from '../model/report.js';
import { writeReportFile } from '../report/json.js';
import { getReporter, SWEEP_RENDERINGS } from '../report/index.js';
import { sortBuilds } from '../report/merge.js';
import { auditEbuild, metadataFailureResult } from '../runner/ebuild.js';
import { suggestBuild, type AddSuggestionsOptions } from '../runner/suggest.js';
import type { AuditSession, Session } from '../runner/session.js';
import { writeFileAtomic } from '../util/atomic.js';
import { VERSION } from '../version.js';
import { discoverEbuilds, matchAtoms, parseShard, readFromList, shardOf } from './discover.js';
import { Progress, type ProgressState } from './progress.js';
import { ResultsFile } from './results.js';

export interface SweepOptions {
  readonly repo: string;
  readonly atoms: readonly string[];
  readonly fromFile?: string;
  readonly outDir: string;
  readonly jobs: number;
  readonly timeoutMs?: number;
  readonly shard?: { index: number; count: number };
  readonly resume: boolean;
  readonly install: PortageInstall;
  /** ALLOW_TEST instead of the configuration's (--allow-test). */
  readonly allowTest?: string;
  /** The command's session: its signal, and one tracer for the whole sweep (events routed to each build by network namespace). */
  readonly session: AuditSession;
  /** Rerun each breaking package once intercepted and add what it wanted (--explain; default off in sweeps). */
  readonly explain?: boolean;
  readonly progress?: { stream: NodeJS.WriteStream; tty: boolean };
  /** --suggest: suggestions for each breaking package (in its result), patches in DIR/patches/CATEGORY/PF.patch; verify: --verify. */
  readonly suggest?: { readonly verify: boolean };
}

export interface SweepOutcome {
  /** Present when every selected package is done. */
  readonly report?: Report;
  readonly selected: number;
  readonly done: number;
  readonly interrupted: boolean;
}

export function selectEbuilds(options: Pick<SweepOptions, 'repo' | 'atoms' | 'fromFile' | 'shard'>): Ebuild[] {
  const all = discoverEbuilds(options.repo);
  const atoms = [...options.atoms, ...(options.fromFile ? readFromList(options.fromFile) : [])];
  const chosen = matchAtoms(all, atoms);
  if (!chosen.length) throw new NoSuchEbuildError(atoms.join(' ') || options.repo, `no ebuild in ${options.repo} matches ${atoms.join(' ') || '(all)'} — check the atoms`);
  return options.shard ? shardOf(chosen, options.shard) : chosen;
}

/** Builds in the order merge uses (category, package, Portage's version order), so shards merge to the same report. */
export function sweepReport(builds: readonly BuildResult[]): Report {
  return makeReport('sweep', sortBuilds(builds), VERSION);
}

/** report.json (validated) plus the other renderings, each written atomically. */
export async function writeSweepOutputs(dir: string, report: Report): Promise<void> {
  await writeReportFile(path.join(dir, 'report.json'), report);
  for (const out of SWEEP_RENDERINGS) await writeFileAtomic(path.join(dir, out.file), getReporter(out.reporter).render(report, {}));
}

/** --suggest: patches in DIR/patches; --verify audits the patched copies with the sweep's settings, logs in DIR/logs/verify. */
function suggestOptions(o: SweepOptions, verify: boolean): AddSuggestionsOptions {
  const { install, allowTest, timeoutMs } = o;
  const { signal, observe } = o.session;
  return { dir: path.join(o.outDir, 'patches'), verify, audit: { install, allowTest, timeoutMs, signal, observe, logDir: path.join(o.outDir, 'logs', 'verify') } };
}

export async function runSweep(options: SweepOptions): Promise<SweepOutcome> {
  const { signal, observe } = options.session;
  const refs = selectEbuilds(options);
  const results = new ResultsFile(path.join(options.outDir, 'results.jsonl'));
  if (existsSync(results.path) && !options.resume) {
    throw new UsageError(`${options.outDir} already holds a sweep — continue it with --resume, or choose another --out`, { option: '--out' });
  }
  mkdirSync(options.outDir, { recursive: true });
  await results.load();
  const wanted = new Set(refs.map(ebuildName));
  const pending = refs.filter((r) => !results.has(ebuildName(r)));
  // An ebuild Portage cannot read is a result of its own (MetadataError), not the end of the sweep.
  const rows = pending.length ? await readMetadataLenient(options.install, pending.map((r) => r.path), { allowTest: options.allowTest }) : [];
  const metas: EbuildMeta[] = [];
  rows.forEach((row, i) => {
    if ('error' in row) results.append(metadataFailureResult(pending[i] as Ebuild, row.error));
    else metas.push(row);
  });
  const counts = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
  const finishedBefore = results.all().filter((b) => wanted.has(b.name));
  for (const b of finishedBefore) counts[b.verdict]++;
  const state: ProgressState = { total: refs.length, done: finishedBefore.length, running: [], counts, startedMs: Date.now() };
  const progress = options.progress ? new Progress(state, options.progress.stream, { tty: options.progress.tty }) : undefined;
  progress?.start();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (!signal.aborted) {
      const meta = metas[next++];
      if (!meta) return;
      const name = `${meta.category}/${meta.pf}`;
      state.running.push(name);
      try {
        const audit = await auditEbuild({
          install: options.install,
          meta,
          logDir: path.join(options.outDir, 'logs'),
          allowTest: options.allowTest,
          timeoutMs: options.timeoutMs,
          pcapDir: path.join(options.outDir, 'pcap', meta.category, meta.pf),
          signal,
          observe,
          explain: options.explain,
        });
        if (audit.interrupted || signal.aborted) return;
        const result = options.suggest ? await suggestBuild(audit.result, meta, suggestOptions(options, options.suggest.verify)) : audit.result;
        if (signal.aborted) return;
        results.append(result);
        state.counts[result.verdict]++;
        state.done++;
        state.running.splice(state.running.indexOf(name), 1);
        progress?.finished(`${name}: ${result.verdict}`);
      } finally {
        if (state.running.includes(name)) state.running.splice(state.running.indexOf(name), 1);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.jobs, metas.length || 1)) }, () => worker()));
  } finally {
    progress?.stop();
    results.close();
  }
  const finished = results.all().filter((b) => wanted.has(b.name));
  const complete = finished.length === refs.length;
  let report: Report | undefined;
  if (complete) {
    report = sweepReport(finished);
    await writeSweepOutputs(options.outDir, report);
  }
  return { ...(report ? { report } : {}), selected: refs.length, done: finished.length, interrupted: signal.aborted };
}

export interface SweepCommandOptions extends Omit<SweepOptions, 'install' | 'shard' | 'session'> {
  /** Portage's ebuild program (--portage; default: located, src/portage/locate.ts). */
  readonly portage?: string;
  /** --shard I/N. */
  readonly shard?: string;
  /** Run the syscall tracer (false: --no-observe). */
  readonly observe: boolean;
}

/** `netaudit sweep`: the session set up for builds (root, Portage located, the shard read, one tracer), then runSweep(). */
export async function auditSweep(session: Session, options: SweepCommandOptions): Promise<SweepOutcome> {
  const { portage, shard, observe, ...rest } = options;
  const setup = await session.begin({
    need: 'portage',
    check: () => ({ shard: shard ? parseShard(shard) : undefined, install: locatePortage({ portage }) }),
    observe,
  });
  return runSweep({ ...rest, ...setup, session });
}
