/**
 * netaudit's command line: wires the commands and turns errors into one line and an exit code. Commands load
 * what they need when they run (startup time is part of every audit's overhead).
 *
 * Importing this module runs nothing: `parser()` builds the command line parser (tests call
 * `parser().parseAsync([...])` in-process), `main()` parses, runs and maps the outcome to an exit code, and
 * `runProgram()` is the program, which main.cts (the entry) calls, from the bundle of this module when it is
 * built (scripts/build-bundle.mjs).
 */
import { readFileSync } from 'node:fs';
import yargs from './yargs.js';
import { exitCodeFor, isNetauditError, UsageError } from '../model/errors.js';
import { changedCommand } from './commands/changed.js';
import { doctorCommand } from './commands/doctor.js';
import { ebuildCommand } from './commands/ebuild.js';
import { gcCommand } from './commands/gc.js';
import { hookCommand } from './commands/hook.js';
import { reportCommand } from './commands/report.js';
import { runCommand } from './commands/run.js';
import { sweepCommand } from './commands/sweep.js';
import { watchCommand } from './commands/watch.js';
import { VERSION } from '../version.js';
import { trace } from '../util/trace.js';
import { Session } from '../runner/session.js';
import { holdInterruption, releaseInterruption } from './signals.js';

export interface ParserOptions {
  /** Terminal width for --help (default: stdout's, else 100; at most 110). */
  readonly columns?: number;
}

/**
 * A fresh parser with every command. One per parse: a yargs instance keeps state from one parse to the next
 * (commands and failures of the first leak into the second; yargs' maintainers advise a new instance per
 * parse), so this is a factory rather than one shared `parser` constant.
 *
 * It never exits the process: a bad command line fails with UsageError (yargs' own complaints carry `seeHelp`;
 * yargs throws those from parseAsync() itself, before any promise, so callers await inside try or an async
 * function), a command's failure rejects with its own error, and --help/--version only print.
 */
export function parser(options: ParserOptions = {}) {
  const y = yargs();
  // yargs renders the command's whole --help text (cliui: 15-25 ms) right after it has started the handler, to
  // have it at hand should the handler fail later. netaudit never shows help on a failure (fail() below makes
  // it one line), so that text is never used, and rendering it would hold up every audit's set-up while the
  // handler awaits its first step. --help itself renders it when asked.
  const usage = (y as unknown as { getInternalMethods(): { getUsageInstance(): { cacheHelpMessage(): void } } }).getInternalMethods().getUsageInstance();
  usage.cacheHelpMessage = () => undefined;
  return y
    .scriptName('netaudit')
    .parserConfiguration({ 'populate--': true })
    .command(runCommand)
    .command(ebuildCommand)
    .command(changedCommand)
    .command(sweepCommand)
    .command(watchCommand)
    .command(reportCommand)
    .command(doctorCommand)
    .command(gcCommand)
    .command(hookCommand)
    // `netaudit completion` prints the bash completion script; the script calls `netaudit --get-yargs-completions`.
    .completion('completion', 'print the bash completion script (source it, or install it as bash-completion/completions/netaudit)')
    .demandCommand(1, 'name a command: run, ebuild, changed, sweep, watch, report, doctor, gc, hook, completion')
    .strict()
    .version(VERSION)
    .help()
    .exitProcess(false)
    .wrap(Math.min(110, options.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      // Some of yargs' messages span lines ("Invalid values:\n  Argument: ..."); ours are one line.
      throw new UsageError(oneLine(msg), { seeHelp: true });
    });
}

/** Where main() writes and what it reads; the process's own by default. Commands still use the process's. */
export interface MainIO {
  readonly stdout?: NodeJS.WritableStream & { columns?: number };
  readonly stderr?: NodeJS.WritableStream;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Parse `args` (without node and the script), run the command, and return the exit code: the command's own
 * (commands set process.exitCode: 0/1 for the verdict, 128+N after a signal), or exitCodeFor(error) with the
 * error as one line on stderr. process.exitCode is left as it was found.
 */
export async function main(args: readonly string[], io: MainIO = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const env = io.env ?? process.env;
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    // With a callback, yargs hands over what --help/--version print instead of writing it to the console.
    await parser({ columns: stdout.columns }).parseAsync([...args], {}, (_err, _argv, output) => {
      if (output) stdout.write(`${output}\n`);
    });
    return Number(process.exitCode ?? 0);
  } catch (e) {
    stderr.write(errorLine(e));
    if (!isNetauditError(e) && env.NETAUDIT_DEBUG) stderr.write(`${(e as Error).stack}\n`);
    return exitCodeFor(e);
  } finally {
    process.exitCode = before;
  }
}

/** The one line netaudit prints for an error that ended a command. */
export function errorLine(e: unknown): string {
  if (e instanceof UsageError && e.seeHelp) return `netaudit: ${oneLine(e.message)} — see netaudit --help\n`;
  if (isNetauditError(e)) return `netaudit: ${oneLine(e.message)}\n`;
  return `netaudit: internal error: ${oneLine(String((e as Error | undefined)?.message ?? e))}\n`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

export { isMainModule } from './program.js';

/**
 * NETAUDIT_DEBUG: the CPU netaudit's own process used and the CPU of the children it waited for (Portage, the
 * builds, the helpers), as the last line of the timeline, read at exit (bench/run.ts reads it for the sweep's
 * CPU share). /proc/self/stat fields 16 and 17 (cutime, cstime) are in clock ticks (USER_HZ, 100 on Linux).
 */
export function cpuLine(): string {
  const self = process.cpuUsage();
  let children = NaN;
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // Fields after the command name (which may hold spaces and parentheses) start at field 3 (state).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    children = ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
  } catch {
    /* not Linux: children unknown */
  }
  return `cpu self ${((self.user + self.system) / 1000).toFixed(1)} ms, children ${children.toFixed(1)} ms`;
}

/** The program: parse process.argv, run, set the exit code (main.cts calls it). */
export async function runProgram(args: readonly string[], how: string): Promise<void> {
  trace(`main loaded (${how})`);
  if (process.env.NETAUDIT_DEBUG) process.once('exit', () => trace(cpuLine()));
  const early = earlyRun(args);
  if (early) {
    // Its modules load and its processes start before the parse, which then runs while they work; a signal
    // meanwhile is the command's (held until its session takes it).
    holdInterruption();
    await Session.startEarly(early);
  }
  try {
    process.exitCode = await main(args);
  } finally {
    // A set-up started early that the command did not take (a bad option): removed before the exit.
    await Session.discardEarly();
    const untaken = releaseInterruption();
    if (untaken?.signal.aborted) process.exitCode = untaken.exitCode();
    untaken?.dispose();
  }
}

/**
 * Whether `args` are plainly `netaudit run` as root, and with which tracer and intercept settings: then its
 * set-up starts before the command line is parsed (Session.startEarly). A cheap look, not a parse: `run` first,
 * the options before `--` read as yargs reads the two that shape the set-up. A wrong guess costs time, never the
 * result: the session takes the set-up only when it is the one the parsed command wants.
 */
export function earlyRun(args: readonly string[], uid = process.getuid?.()): { observe: boolean; intercept: boolean } | undefined {
  if (uid !== 0 || args[0] !== 'run') return undefined;
  const end = args.indexOf('--');
  const options = end < 0 ? args.slice(1) : args.slice(1, end);
  if (options.some((a) => a === '--help' || a === '-h' || a === '--version')) return undefined;
  const flag = (name: string, dflt: boolean): boolean => {
    let on = dflt;
    for (const a of options) {
      if (a === `--${name}` || a === `--${name}=true`) on = true;
      else if (a === `--no-${name}` || a === `--${name}=false`) on = false;
    }
    return on;
  };
  return { observe: flag('observe', true), intercept: flag('intercept', false) };
}
