/** `netaudit report render|merge|diff`: work on saved reports, without re-running any build. */
import { existsSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';

interface RenderArgs {
  report: string;
  format: string;
  out?: string;
  color?: boolean;
}
interface MergeArgs {
  inputs: string[];
  out: string;
}
interface DiffArgs {
  old: string;
  new: string;
  json: boolean;
}

/** A sweep directory stands for its report.json. */
function reportPath(p: string): string {
  return existsSync(p) && statSync(p).isDirectory() ? path.join(p, 'report.json') : p;
}

const render: CommandModule<object, RenderArgs> = {
  command: 'render <report>',
  describe: 'render a saved report (or sweep directory) in another format',
  builder: (y: Argv) =>
    y
      .positional('report', { type: 'string', describe: 'report.json, or a sweep directory' })
      .option('format', { alias: 'f', type: 'string', default: 'terminal', describe: 'terminal, json, pkgcheck, html, junit, pkgcheck-xml, ... (see the registry)' })
      .option('out', { alias: 'o', type: 'string', describe: 'write to FILE (atomically) instead of stdout', requiresArg: true })
      .option('color', { type: 'boolean', describe: 'colours for the terminal format' }) as unknown as Argv<RenderArgs>,
  handler: async (args) => {
    const [{ readReportFile }, { getReporter }] = await Promise.all([import('../../report/json.js'), import('../../report/index.js')]);
    const reporter = getReporter(args.format);
    const report = await readReportFile(reportPath(args.report));
    const text = reporter.render(report, { color: args.color ?? (!args.out && Boolean(process.stdout.isTTY) && !process.env.NO_COLOR) });
    if (!args.out) {
      process.stdout.write(text);
      return;
    }
    const tmp = path.join(path.dirname(args.out), `.${path.basename(args.out)}.${process.pid}.tmp`);
    writeFileSync(tmp, text);
    renameSync(tmp, args.out);
  },
};

const merge: CommandModule<object, MergeArgs> = {
  command: 'merge <inputs..>',
  describe: 'join shard outputs (sweep directories or report files) into one report',
  builder: (y: Argv) =>
    y
      .positional('inputs', { type: 'string', array: true })
      .option('out', { type: 'string', demandOption: true, describe: 'directory for report.json, report.html, junit.xml', requiresArg: true }) as unknown as Argv<MergeArgs>,
  handler: async (args) => {
    const [{ readReportFile }, { mergeReports }, { writeSweepOutputs }] = await Promise.all([
      import('../../report/json.js'),
      import('../../sweep/merge.js'),
      import('../../sweep/sweep.js'),
    ]);
    const reports = await Promise.all(args.inputs.map((i) => readReportFile(reportPath(String(i)))));
    const merged = mergeReports(reports);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(args.out, { recursive: true });
    await writeSweepOutputs(args.out, merged);
    process.stderr.write(`netaudit: merged ${reports.length} reports, ${merged.builds.length} packages: ${path.join(args.out, 'report.json')}\n`);
  },
};

const diff: CommandModule<object, DiffArgs> = {
  command: 'diff <old> <new>',
  describe: 'packages that started or stopped breaking, or changed destinations, between two sweeps (exit 1 if any started breaking)',
  builder: (y: Argv) =>
    y
      .positional('old', { type: 'string' })
      .positional('new', { type: 'string' })
      .option('json', { type: 'boolean', default: false, describe: 'print the changes as JSON' }) as unknown as Argv<DiffArgs>,
  handler: async (args) => {
    const [{ readReportFile }, { diffReports, renderChanges }] = await Promise.all([import('../../report/json.js'), import('../../sweep/merge.js')]);
    const [a, b] = await Promise.all([readReportFile(reportPath(args.old)), readReportFile(reportPath(args.new))]);
    const changes = diffReports(a, b);
    process.stdout.write(args.json ? JSON.stringify(changes, null, 2) + '\n' : renderChanges(changes));
    process.exitCode = changes.some((c) => c.change === 'StartedBreaking') ? 1 : 0;
  },
};

export const reportCommand: CommandModule = {
  command: 'report <command>',
  describe: 'render, merge or compare saved reports',
  builder: (y: Argv) => y.command(render).command(merge).command(diff).demandCommand(1, 'name a subcommand: render, merge, diff'),
  handler: () => undefined,
};
