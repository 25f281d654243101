/**
 * Building a report from build results, pure: the one place that makes a Report's frame (schemaVersion, tool,
 * createdAt, mode, host) and its summary. Runs, ebuild audits and sweeps make theirs here, and `report merge`
 * makes the joined one here too, so a merged report and an unsharded one are built the same way. Writing and
 * reading report files is report/json.ts's.
 */
import { VERDICTS, type BuildResult, type Mode, type Report, type Verdict } from './types.js';

/** Number of builds per verdict; every verdict is present, zero included. */
export function summarize(builds: readonly Pick<BuildResult, 'verdict'>[]): Record<Verdict, number> {
  const summary = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
  for (const b of builds) summary[b.verdict] += 1;
  return summary;
}

/**
 * A report over `builds`, with the summary computed. `createdAt` defaults to now; a string is kept as given
 * (a merge keeps its latest input's). `host` is set only when given.
 */
export function makeReport(mode: Mode, builds: BuildResult[], version: string, createdAt: Date | string = new Date(), host?: Report['host']): Report {
  return {
    schemaVersion: 1,
    tool: { name: 'netaudit', version },
    createdAt: typeof createdAt === 'string' ? createdAt : createdAt.toISOString(),
    mode,
    ...(host ? { host } : {}),
    builds,
    summary: summarize(builds),
  };
}
