/**
 * `netaudit report render|merge|diff`: work on saved reports, without re-running any build.
 *   render REPORT --format F [--out FILE]   any reporter of the registry; stdout, or FILE written atomically
 *   merge INPUT... --out DIR                shard outputs (sweep directories or report files) into DIR/report.json
 *                                           (validated), plus DIR/report.html and DIR/junit.xml as a sweep writes
 *   diff OLD NEW [--json]                   what changed per package; exit 1 when something started breaking
 *   patches REPORT --out DIR                the suggested patches, one `git format-patch` mail per package, for
 *     [--verified-only] [--author A]        `git am` (src/report/patches.ts); the author from --author, else
 *                                           `git config user.name/user.email` of the current directory
 * A directory given where a report is expected stands for DIR/report.json. Handlers stay thin: the work is in
 * src/report/ (merge.ts, diff.ts, the reporters), loaded when the subcommand runs.
 */
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
interface PatchesArgs {
  report: string;
  out: string;
  'verified-only': boolean;
  author?: string;
}
interface DiffArgs {
  old: string;
  new: string;
  json: boolean;
}

/** A directory stands for its report.json. */
async function reportPath(p: string): Promise<string> {
  const [{ stat }, path] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  const s = await stat(p).catch(() => undefined);
  return s?.isDirectory() ? path.join(p, 'report.json') : p;
}

const render: CommandModule<object, RenderArgs> = {
  command: 'render <report>',
  describe: 'render a saved report (or a sweep directory) in another format',
  builder: (y: Argv) =>
    y
      .positional('report', { type: 'string', demandOption: true, describe: 'report.json, or a directory holding one' })
      .option('format', {
        alias: 'f',
        type: 'string',
        default: 'terminal',
        describe: 'terminal, json, pkgcheck, html, junit, pkgcheck-xml or pkgcheck-json',
        requiresArg: true,
      })
      .option('out', { alias: 'o', type: 'string', describe: 'write to FILE (atomically) instead of stdout', requiresArg: true })
      .option('color', { type: 'boolean', describe: 'colours for the terminal format (default: when stdout is a terminal)' })
      .example('$0 report render sweep/ --format html --out report.html', 'the dashboard of a sweep')
      .example('$0 report render r.json -f junit -o junit.xml', 'JUnit XML for CI'),
  handler: async (args) => {
    const [{ readReportFile }, { getReporter }, { colorEnabled }, { writeFileAtomic }] = await Promise.all([
      import('../../report/json.js'),
      import('../../report/index.js'),
      import('../../report/terminal.js'),
      import('../../util/atomic.js'),
    ]);
    const reporter = getReporter(args.format);
    const report = await readReportFile(await reportPath(args.report));
    const color = args.color ?? (!args.out && colorEnabled(process.stdout, process.env));
    const text = reporter.render(report, { color, width: args.out ? undefined : process.stdout.columns });
    if (args.out) await writeFileAtomic(args.out, text);
    else process.stdout.write(text);
  },
};

const merge: CommandModule<object, MergeArgs> = {
  command: 'merge <inputs..>',
  describe: 'join shard outputs (sweep directories or report files) into one report, as an unsharded sweep writes it',
  builder: (y: Argv) =>
    y
      .positional('inputs', { type: 'string', array: true, demandOption: true, describe: 'sweep directories (DIR/report.json) or report files' })
      .option('out', { alias: 'o', type: 'string', demandOption: true, describe: 'directory for report.json, report.html, junit.xml', requiresArg: true })
      .example('$0 report merge shard1 shard2 shard3 --out merged', 'one report of three shards'),
  handler: async (args) => {
    const [{ readReportFile, writeReportFile }, { mergeReports }, { getReporter, SWEEP_RENDERINGS }, path, { writeFileAtomic }] = await Promise.all([
      import('../../report/json.js'),
      import('../../report/merge.js'),
      import('../../report/index.js'),
      import('node:path'),
      import('../../util/atomic.js'),
    ]);
    const files = await Promise.all(args.inputs.map((i) => reportPath(String(i))));
    const reports = await Promise.all(files.map((f) => readReportFile(f)));
    const merged = mergeReports(reports);
    const target = path.join(args.out, 'report.json');
    await writeReportFile(target, merged);
    for (const o of SWEEP_RENDERINGS) await writeFileAtomic(path.join(args.out, o.file), getReporter(o.reporter).render(merged, {}));
    const n = merged.builds.length;
    process.stderr.write(`netaudit: merged ${reports.length} report${reports.length === 1 ? '' : 's'}, ${n} build${n === 1 ? '' : 's'}: ${target}\n`);
  },
};

const diff: CommandModule<object, DiffArgs> = {
  command: 'diff <old> <new>',
  describe: 'packages that started or stopped breaking, changed verdict or destinations, came or went (exit 1 if any started breaking)',
  builder: (y: Argv) =>
    y
      .positional('old', { type: 'string', demandOption: true, describe: 'the earlier report (or sweep directory)' })
      .positional('new', { type: 'string', demandOption: true, describe: 'the later report (or sweep directory)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the changes as JSON' })
      .example('$0 report diff last-week/ today/', 'one line per change: name: StartedBreaking: clean -> breaks (+dns host:53)'),
  handler: async (args) => {
    const [{ readReportFile }, { diffReports, renderDiffText, renderDiffJson, diffExitCode }] = await Promise.all([
      import('../../report/json.js'),
      import('../../report/diff.js'),
    ]);
    const [before, after] = await Promise.all([reportPath(args.old).then(readReportFile), reportPath(args.new).then(readReportFile)]);
    const d = diffReports(before, after);
    process.stdout.write(args.json ? renderDiffJson(d) : renderDiffText(d));
    process.exitCode = diffExitCode(d);
  },
};

/** `git config KEY` in the current directory; undefined when git is missing or the key is not set. */
async function gitConfig(key: string): Promise<string | undefined> {
  const { execCapture } = await import('../../proc/exec.js');
  const r = await execCapture(['git', 'config', key]).catch(() => undefined);
  const value = r?.code === 0 ? r.stdout.trim() : '';
  return value || undefined;
}

const patches: CommandModule<object, PatchesArgs> = {
  command: 'patches <report>',
  describe: "write the suggested patches of a report (or sweep directory) as git format-patch mails, one per package, for git am",
  builder: (y: Argv) =>
    y
      .positional('report', { type: 'string', demandOption: true, describe: 'report.json made with --suggest, or a sweep directory' })
      .option('out', { alias: 'o', type: 'string', demandOption: true, describe: 'a new (or empty) directory for the NNNN-cat-pkg-....patch files', requiresArg: true })
      .option('verified-only', { type: 'boolean', default: false, describe: 'only patches that --verify proved' })
      .option('author', { type: 'string', describe: 'the patches\' author, "Name <email>" (default: git config user.name and user.email)', requiresArg: true })
      .example('$0 report patches sweep/ --out patches', 'then, in the repository: git am patches/*.patch')
      .example('$0 report patches r.json --out p --verified-only --author "Larry the Cow <larry@gentoo.org>"', 'only verified changes, with an author'),
  handler: async (args) => {
    const [{ readReportFile }, { patchMails, parseAuthor, writePatchDir }, { UsageError }] = await Promise.all([
      import('../../report/json.js'),
      import('../../report/patches.js'),
      import('../../model/errors.js'),
    ]);
    let author;
    if (args.author !== undefined) author = parseAuthor(args.author);
    else {
      const [name, email] = await Promise.all([gitConfig('user.name'), gitConfig('user.email')]);
      if (!name || !email) throw new UsageError('no author for the patches: give --author "Name <email>", or set git config user.name and user.email', { option: '--author' });
      author = { name, email };
    }
    const report = await readReportFile(await reportPath(args.report));
    const { mails, without } = patchMails(report, { author, verifiedOnly: args['verified-only'] });
    await writePatchDir(args.out, mails);
    for (const w of without) process.stderr.write(`netaudit: ${w.build}: no patch: ${w.why}\n`);
    const n = mails.length;
    process.stderr.write(`netaudit: ${n} patch${n === 1 ? '' : 'es'} in ${args.out}${n ? ` (apply with: git am ${args.out}/*.patch)` : ''}\n`);
  },
};

export const reportCommand: CommandModule = {
  command: 'report <command>',
  describe: 'render, merge or compare saved reports, or write their patches',
  builder: (y: Argv) => y.command(render).command(merge).command(diff).command(patches).demandCommand(1, 'name a subcommand: render, merge, diff, patches'),
  handler: () => undefined,
};
