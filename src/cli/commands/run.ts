/** `netaudit run [options] -- COMMAND [ARG...]` */
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../model/errors.js';
import { parseDuration, reportOptions, sandboxOptions, type AuditArgs } from '../options.js';
import { emitReport } from '../output.js';
import { interruption } from '../signals.js';
import { trace } from '../../util/trace.js';

interface RunArgs extends AuditArgs {
  command?: string[];
  '--'?: string[];
  name?: string;
  intercept: boolean;
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run [command..]',
  describe: 'run COMMAND in an emulated network-sandbox and report every network attempt it made',
  builder: (y: Argv) =>
    reportOptions(sandboxOptions(y))
      .positional('command', { type: 'string', array: true, describe: 'the command and its arguments (put them after --)' })
      .option('intercept', {
        type: 'boolean',
        default: false,
        describe:
          'observation, not a network-sandbox verdict: the monitor answers DNS with sinkhole addresses and accepts TCP, so each attempt says what it wanted (URL, TLS SNI); nothing is forwarded',
      })
      .option('name', { type: 'string', describe: 'name of the build in the report (default: the command line)', requiresArg: true })
      .example('$0 run -- curl -sS http://anything.example.org/', 'breaks: a DNS lookup of anything.example.org')
      .example('$0 run --intercept --no-observe -- curl -sS https://files.example.org/x', 'what it wanted: tls sni=files.example.org')
      .example('$0 run --json r.json --timeout 30m -- make check', 'audit a test suite, keep the JSON report') as unknown as Argv<RunArgs>,
  handler: async (args) => {
    const argv = [...(args.command ?? []), ...(args['--'] ?? [])].map(String);
    if (!argv.length) throw new UsageError('no command given — usage: netaudit run [options] -- COMMAND [ARG...]');
    const timeoutMs = parseDuration(args.timeout);
    const { assertPrerequisites } = await import('../../sandbox/prereq.js');
    assertPrerequisites('run');
    const { sandboxMode } = await import('../../sandbox/sandbox.js');
    if (sandboxMode() === 'userns') {
      // Without root the sandbox lives in a user namespace that maps only the invoking user (src/sandbox/userns.ts).
      if (args.user) throw new UsageError('--user needs root: without it the build runs as you, in a user namespace that maps only your uid — run as root: sudo netaudit run --user ...', { option: '--user' });
      if (args.intercept) throw new UsageError('--intercept needs root — run as root: sudo netaudit run --intercept ...', { option: '--intercept' });
    }
    const user = args.user ? (await import('../../sandbox/user.js')).resolveUser(args.user) : undefined;
    // The report modules load while the build runs; only what sets up the sandbox is awaited first.
    const reporting = Promise.all([import('../../model/report.js'), import('../../version.js')]);
    const stop = interruption();
    // The tracer compiles and attaches (seconds) while the rest is loaded and the sandbox made.
    const observe = args.observe ? (await import('../../runner/observe.js')).ObserverSession.start({ enabled: true, signal: stop.signal }) : undefined;
    const [{ auditCommand }, { collectGarbage }] = await Promise.all([import('../../runner/command.js'), import('../../sandbox/gc.js')]);
    trace('modules loaded');
    await collectGarbage();
    trace('gc done');
    try {
      const audit = await auditCommand({ argv, name: args.name, user, timeoutMs, pcapDir: args.pcap, signal: stop.signal, observe, intercept: args.intercept });
      for (const t of audit.teardown) process.stderr.write(`netaudit: warning: teardown: ${t}\n`);
      if (stop.signal.aborted) {
        process.exitCode = stop.exitCode();
        return;
      }
      const [{ makeReport }, { VERSION }] = await reporting;
      const report = makeReport('run', [audit.result], VERSION);
      trace('report made');
      process.exitCode = await emitReport(report, { json: args.json, quiet: args.quiet, color: args.color, failOn: args['fail-on'] });
    } finally {
      await observe?.close();
      stop.dispose();
    }
  },
};
