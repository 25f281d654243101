/** `netaudit ebuild [options] EBUILD...` */
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../model/errors.js';
import { parseDuration, portageAuditOptions, portageOptions, reportOptions, sandboxOptions, type AuditArgs, type PortageArgs } from '../options.js';
import { emitReport, warnTeardown } from '../output.js';
import { interruption } from '../signals.js';
import { Session } from '../../runner/session.js';

interface EbuildArgs extends AuditArgs, PortageArgs {
  ebuilds: string[];
  repo?: string;
  suggest?: string;
  verify: boolean;
  intercept: boolean;
}

export const ebuildCommand: CommandModule<object, EbuildArgs> = {
  command: 'ebuild <ebuilds..>',
  describe: 'audit ebuilds through real Portage, phase by phase (paths to .ebuild files or CATEGORY/PACKAGE[-VERSION])',
  builder: (y: Argv) =>
    portageOptions(reportOptions(sandboxOptions(y)))
      .positional('ebuilds', { type: 'string', array: true, demandOption: true, describe: '.ebuild files, or atoms within --repo' })
      .option('repo', { type: 'string', describe: 'repository for atoms (default: the repository containing each file, else the configured ones)', requiresArg: true })
      .option('suggest', {
        type: 'string',
        describe: 'suggest ebuild changes for breaking ebuilds (in the report and the summary) and write each patch to DIR/CATEGORY/PF.patch',
        requiresArg: true,
      })
      .option('verify', {
        type: 'boolean',
        default: false,
        describe: 'apply each suggested patch to a scratch copy of the repository and audit it again (verified: true when the tests that failed for the network no longer fail and the broken phase passes, or fails only for tests that touch no network: the baseline)',
      })
      .option('intercept', {
        type: 'boolean',
        default: false,
        describe:
          'observation, not a network-sandbox verdict: every ebuild runs only intercepted (the monitor answers DNS with sinkhole addresses and accepts TCP), so each attempt says what it wanted; nothing is forwarded',
      })
      .example('$0 ebuild fixtures/repo/net-test/test-resolve/test-resolve-1.ebuild', 'which phase tried what, and would it break')
      .example('$0 ebuild --repo fixtures/repo --json r.json net-test/distcc', 'an atom within a repository')
      .example('$0 ebuild --no-explain fixtures/repo/net-test/compile-download/compile-download-1.ebuild', 'the verdict alone: no intercepted rerun of a breaking build')
      .example('$0 ebuild --suggest patches --verify fixtures/repo/net-test/pytest-mixed/pytest-mixed-1.ebuild', 'the EPYTEST_DESELECT patch, proved on a scratch copy'),
  handler: async (args) => {
    if (args.user) throw new UsageError('--user does not apply to ebuild: Portage drops to the portage user itself (FEATURES=userpriv)', { option: '--user' });
    const timeoutMs = parseDuration(args.timeout);
    const [{ auditEbuildFiles }, { makeReport }, { VERSION }, { renderEbuildLines }, { colorEnabled }] = await Promise.all([
      import('../../runner/ebuilds.js'),
      import('../../model/report.js'),
      import('../../version.js'),
      import('../../report/ebuild-lines.js'),
      import('../../report/terminal.js'),
    ]);
    await using session = await Session.open({ interruption, onTeardownProblem: warnTeardown });
    const color = args.color ?? colorEnabled(process.stdout, process.env);
    const { results, interrupted } = await auditEbuildFiles(session, {
      ebuilds: args.ebuilds.map(String),
      repo: args.repo,
      portage: args.portage,
      observe: args.observe,
      ...portageAuditOptions(args),
      intercept: args.intercept,
      timeoutMs,
      pcapDir: args.pcap,
      ...(args.suggest !== undefined || args.verify ? { suggest: { dir: args.suggest, verify: args.verify } } : {}),
      onResult: args.quiet ? undefined : (b) => process.stdout.write(renderEbuildLines(b, { color })),
    });
    if (interrupted) process.exitCode = session.exitCode();
    else process.exitCode = await emitReport(makeReport('ebuild', results, VERSION), { json: args.json, quiet: true, failOn: args['fail-on'] });
  },
};
