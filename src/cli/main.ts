#!/usr/bin/env node
/**
 * netaudit's entry: wires the commands and turns errors into one line and an exit code. Commands load what
 * they need when they run (startup time is part of every audit's overhead).
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { exitCodeFor, isNetauditError, UsageError } from '../model/errors.js';
import { doctorCommand } from './commands/doctor.js';
import { ebuildCommand } from './commands/ebuild.js';
import { gcCommand } from './commands/gc.js';
import { reportCommand } from './commands/report.js';
import { runCommand } from './commands/run.js';
import { sweepCommand } from './commands/sweep.js';
import { VERSION } from '../version.js';
import { trace } from '../util/trace.js';

export function parser(args: string[]) {
  return yargs(args)
    .scriptName('netaudit')
    .parserConfiguration({ 'populate--': true })
    .command(runCommand)
    .command(ebuildCommand)
    .command(sweepCommand)
    .command(reportCommand)
    .command(doctorCommand)
    .command(gcCommand)
    .demandCommand(1, 'name a command: run, ebuild, sweep, report, doctor, gc (see --help)')
    .strict()
    .version(VERSION)
    .help()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      throw new UsageError(msg, { seeHelp: true });
    });
}

export async function main(args: string[]): Promise<void> {
  try {
    await parser(args).parseAsync();
  } catch (e) {
    if (e instanceof UsageError && e.seeHelp) {
      process.stderr.write(`netaudit: ${e.message} — see netaudit --help\n`);
    } else if (isNetauditError(e)) {
      process.stderr.write(`netaudit: ${e.message}\n`);
    } else {
      process.stderr.write(`netaudit: internal error: ${(e as Error).message}\n`);
      if (process.env.NETAUDIT_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    }
    process.exitCode = exitCodeFor(e);
  }
}

trace('main loaded');
await main(hideBin(process.argv));
