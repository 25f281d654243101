/** Emitting a finished report: JSON file (validated, atomic), terminal summary on stderr, exit code. */
import type { FailOn, Report } from '../model/types.js';
// verdicts.js, not the verdict layer's index: the index loads every judge and its tables, ~20 ms of start-up
// for a function of one line.
import { failsOn } from '../verdict/verdicts.js';
import { trace } from '../util/trace.js';

export interface EmitOptions {
  readonly json?: string;
  readonly quiet?: boolean;
  readonly color?: boolean;
  readonly failOn: FailOn;
}

/** Write and print the report; returns the process exit code (0 or 1). */
export async function emitReport(report: Report, options: EmitOptions): Promise<number> {
  const { writeReportFile } = await import('../report/json.js');
  if (options.json) await writeReportFile(options.json, report);
  if (!options.quiet) {
    const { renderTerminal, colorEnabled } = await import('../report/terminal.js');
    const color = options.color ?? colorEnabled(process.stderr, process.env);
    process.stderr.write(renderTerminal(report, { color, width: process.stderr.columns }));
  }
  trace('report written');
  return report.builds.some((b) => failsOn(b.verdict, options.failOn)) ? 1 : 0;
}

/** A warning on stderr: `netaudit: warning: TEXT`. */
export function warn(text: string): void {
  process.stderr.write(`netaudit: warning: ${text}\n`);
}

/** A teardown problem of a build (the session's printer): `netaudit: warning: teardown: PROBLEM`. */
export function warnTeardown(problem: string): void {
  warn(`teardown: ${problem}`);
}
