/** `netaudit sweep REPO [ATOM...] --out DIR` */
import os from 'node:os';
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../model/errors.js';
import { FAIL_ON, type FailOn } from '../../model/types.js';
import { OBSERVE_OPTION, parseDuration } from '../options.js';
import { interruption } from '../signals.js';
import { Session } from '../../runner/session.js';

interface SweepArgs {
  repo: string;
  atoms?: string[];
  out: string;
  jobs?: number;
  from?: string;
  shard?: string;
  resume: boolean;
  timeout?: string;
  portage?: string;
  'allow-test'?: string;
  'fail-on': FailOn;
  observe: boolean;
  explain: boolean;
  suggest: boolean;
  verify: boolean;
}

export const sweepCommand: CommandModule<object, SweepArgs> = {
  command: 'sweep <repo> [atoms..]',
  describe: 'audit every ebuild of a repository (or those matching ATOMs): parallel, resumable, shardable',
  builder: (y: Argv) =>
    y
      .positional('repo', { type: 'string', demandOption: true, describe: 'the ebuild repository' })
      .positional('atoms', { type: 'string', array: true, describe: 'CATEGORY/PACKAGE[-VERSION] (globs with *)' })
      .option('out', { type: 'string', demandOption: true, describe: 'output directory: results.jsonl, report.json, report.html, junit.xml, logs/, pcap/', requiresArg: true })
      .option('jobs', { alias: 'j', type: 'number', describe: 'audits at once (default: the number of cores)', requiresArg: true })
      .option('from', { type: 'string', describe: 'read atoms from FILE, one per line', requiresArg: true })
      .option('shard', { type: 'string', describe: 'take slice I of N of the package list (e.g. 2/3), for sweeps over many machines', requiresArg: true })
      .option('resume', { type: 'boolean', default: false, describe: 'continue an interrupted sweep in --out, skipping finished packages' })
      .option('timeout', { type: 'string', describe: 'per-package limit (e.g. 30m)', requiresArg: true })
      .option('portage', { type: 'string', describe: "Portage's ebuild program", requiresArg: true })
      .option('allow-test', { type: 'string', describe: "ALLOW_TEST for the builds instead of your Portage configuration's", requiresArg: true })
      .option('fail-on', { choices: FAIL_ON, default: 'breaks' as FailOn, describe: 'exit 1 when a package is at or above this verdict' })
      .option(...OBSERVE_OPTION)
      .option('explain', {
        type: 'boolean',
        default: false,
        describe: 'rerun each breaking package once intercepted and add what it wanted to its result (observation; the verdict stays the faithful run\'s): one extra build run per breaking package',
      })
      .option('suggest', { type: 'boolean', default: false, describe: 'suggest ebuild changes for each breaking package (in the report) and write each patch to OUT/patches/CATEGORY/PF.patch' })
      .option('verify', { type: 'boolean', default: false, describe: 'with --suggest: audit each patched ebuild again on a scratch copy (verified: true when the broken phase passes with no blocked attempt)' })
      .example('$0 sweep fixtures/repo --out sweep --jobs 2', 'the whole fixture repository, two at a time')
      .example('$0 sweep /var/db/repos/gentoo --shard 3/8 --out shard-3', 'this machine\'s eighth of ::gentoo')
      .example('$0 sweep fixtures/repo --suggest --verify --out sweep', 'a verified patch per breaking package; then: netaudit report patches sweep --out patches'),
  handler: async (args) => {
    const jobs = args.jobs ?? os.availableParallelism();
    if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`--jobs ${args.jobs}: must be a whole number of at least 1`, { option: '--jobs' });
    const timeoutMs = parseDuration(args.timeout);
    const [{ auditSweep }, { failsOn }] = await Promise.all([import('../../sweep/sweep.js'), import('../../verdict/index.js')]);
    await using session = await Session.open({ interruption });
    const outcome = await auditSweep(session, {
      repo: args.repo,
      atoms: (args.atoms ?? []).map(String),
      fromFile: args.from,
      outDir: args.out,
      jobs,
      timeoutMs,
      shard: args.shard,
      resume: args.resume,
      portage: args.portage,
      allowTest: args['allow-test'],
      observe: args.observe,
      explain: args.explain,
      progress: { stream: process.stderr, tty: Boolean(process.stderr.isTTY) },
      ...(args.suggest || args.verify ? { suggest: { verify: args.verify } } : {}),
    });
    if (outcome.interrupted) {
      process.stderr.write(`netaudit: sweep interrupted: ${outcome.done}/${outcome.selected} done; continue with --resume --out ${args.out}\n`);
      process.exitCode = session.exitCode();
      return;
    }
    const r = outcome.report;
    if (r) process.stderr.write(`netaudit: ${r.builds.length} packages: ${Object.entries(r.summary).map(([v, n]) => `${v} ${n}`).join(', ')}; ${args.out}/report.json, report.html, junit.xml\n`);
    process.exitCode = r?.builds.some((b) => failsOn(b.verdict, args['fail-on'])) ? 1 : 0;
  },
};
