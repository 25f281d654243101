/** `netaudit run [options] -- COMMAND [ARG...]` */
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../model/errors.js';
import { parseDuration, reportOptions, sandboxOptions, type AuditArgs } from '../options.js';
import { emitReport, warnTeardown } from '../output.js';
import { interruption } from '../signals.js';
import { Session } from '../../runner/session.js';
import type { UserSpec } from '../../sandbox/user.js';
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
      .example('$0 run --json r.json --timeout 30m -- make check', 'audit a test suite, keep the JSON report'),
  handler: async (args) => {
    trace('command line parsed');
    const argv = [...(args.command ?? []), ...(args['--'] ?? [])].map(String);
    if (!argv.length) throw new UsageError('no command given — usage: netaudit run [options] -- COMMAND [ARG...]');
    const timeoutMs = parseDuration(args.timeout);
    let user: UserSpec | undefined;
    // Checks that need the prerequisites met: without root the sandbox lives in a user namespace that maps only
    // the invoking user (src/sandbox/userns.ts).
    const check = async () => {
      if ((await import('../../sandbox/sandbox.js')).sandboxMode() === 'userns') {
        if (args.user) throw new UsageError('--user needs root: without it the build runs as you, in a user namespace that maps only your uid — run as root: sudo netaudit run --user ...', { option: '--user' });
        if (args.intercept) throw new UsageError('--intercept needs root — run as root: sudo netaudit run --intercept ...', { option: '--intercept' });
      }
      if (args.user) user = (await import('../../sandbox/user.js')).resolveUser(args.user);
    };
    await using session = await Session.open({ interruption, onTeardownProblem: warnTeardown, builds: { need: 'run', check, observe: args.observe, sandboxAhead: { intercept: args.intercept } } });
    // The report modules load while the build runs.
    const reporting = Promise.all([import('../../model/report.js'), import('../../version.js')]);
    const { auditCommand } = await import('../../runner/command.js');
    trace('modules loaded');
    const { signal, observe } = session;
    // The only build: the tracer ends as soon as its events are in (its detach overlaps the analysis and the
    // report); the session's close awaits it.
    const audit = await auditCommand({
      argv,
      name: args.name,
      user,
      timeoutMs,
      pcapDir: args.pcap,
      signal,
      observe,
      intercept: args.intercept,
      sandbox: session.takeSandbox(),
      lastObserved: true,
    });
    try {
      if (session.interrupted) {
        process.exitCode = session.exitCode();
        return;
      }
      const [{ makeReport }, { VERSION }] = await reporting;
      const report = makeReport('run', [audit.result], VERSION);
      trace('report made');
      // The sandbox is removed meanwhile; its problems (there should be none) follow the report.
      process.exitCode = await emitReport(report, { json: args.json, quiet: args.quiet, color: args.color, failOn: args['fail-on'] });
    } finally {
      session.teardownProblems(await audit.teardown);
    }
  },
};
