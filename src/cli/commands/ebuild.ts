/** `netaudit ebuild [options] EBUILD...` */
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../model/errors.js';
import { parseDuration, portageAuditOptions, portageOptions, reportOptions, sandboxOptions, type AuditArgs, type PortageArgs } from '../options.js';
import { emitReport } from '../output.js';
import { interruption } from '../signals.js';

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
      .positional('ebuilds', { type: 'string', array: true, describe: '.ebuild files, or atoms within --repo' })
      .option('repo', { type: 'string', describe: 'repository for atoms (default: the repository containing each file, else the configured ones)', requiresArg: true })
      .option('suggest', {
        type: 'string',
        describe: 'suggest ebuild changes for breaking ebuilds (in the report and the summary) and write each patch to DIR/CATEGORY/PF.patch',
        requiresArg: true,
      })
      .option('verify', {
        type: 'boolean',
        default: false,
        describe: 'apply each suggested patch to a scratch copy of the repository and audit it again (verified: true when the broken phase passes with no blocked attempt)',
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
      .example('$0 ebuild --suggest patches --verify fixtures/repo/net-test/pytest-mixed/pytest-mixed-1.ebuild', 'the EPYTEST_DESELECT patch, proved on a scratch copy') as unknown as Argv<EbuildArgs>,
  handler: async (args) => {
    if (args.user) throw new UsageError('--user does not apply to ebuild: Portage drops to the portage user itself (FEATURES=userpriv)', { option: '--user' });
    const timeoutMs = parseDuration(args.timeout);
    const { assertPrerequisites } = await import('../../sandbox/prereq.js');
    assertPrerequisites('portage');
    const [{ locatePortage }, { readMetadata }, { auditEbuilds }, { collectGarbage }, { makeReport }, { VERSION }, { renderEbuildLines }, { Sandbox }, { colorEnabled }] = await Promise.all([
      import('../../portage/locate.js'),
      import('../../portage/metadata.js'),
      import('../../runner/ebuild.js'),
      import('../../sandbox/gc.js'),
      import('../../model/report.js'),
      import('../../version.js'),
      import('../../report/ebuild-lines.js'),
      import('../../sandbox/sandbox.js'),
      import('../../report/terminal.js'),
    ]);
    const { ObserverSession } = await import('../../runner/observe.js');
    const install = locatePortage({ portage: args.portage });
    await collectGarbage();
    const stop = interruption();
    // The tracer attaches, and the first sandbox is set up, while Portage reads the metadata.
    const observe = args.observe ? ObserverSession.start({ enabled: true, signal: stop.signal }) : undefined;
    const ahead = Sandbox.create({ routes: observe?.routes, intercept: args.intercept });
    ahead.catch(() => undefined);
    let metas;
    try {
      metas = await readMetadata(install, args.ebuilds.map(String), { repo: args.repo, allowTest: args['allow-test'] });
    } catch (e) {
      await ahead.then((s) => s.destroy(), () => undefined);
      await observe?.close();
      stop.dispose();
      throw e;
    }
    const color = args.color ?? colorEnabled(process.stdout, process.env);
    const suggesting = args.suggest !== undefined || args.verify;
    try {
      const audited = await auditEbuilds({
        install,
        metas,
        sandbox: ahead,
        observe,
        ...portageAuditOptions(args),
        intercept: args.intercept,
        timeoutMs,
        pcapDir: args.pcap,
        signal: stop.signal,
        onResult: (b) => {
          if (!args.quiet && !suggesting) process.stdout.write(renderEbuildLines(b, { color }));
        },
        onTeardownProblem: (t) => process.stderr.write(`netaudit: warning: teardown: ${t}\n`),
      });
      if (audited.interrupted) {
        process.exitCode = stop.exitCode();
        return;
      }
      let results = audited.results;
      if (suggesting) {
        const { addSuggestions } = await import('../../runner/suggest.js');
        results = await addSuggestions(results, metas, {
          dir: args.suggest,
          verify: args.verify,
          audit: { install, observe, logDir: args['log-dir'], allowTest: args['allow-test'], timeoutMs, signal: stop.signal, onTeardownProblem: (t) => process.stderr.write(`netaudit: warning: teardown: ${t}\n`) },
          onResult: (b) => {
            if (!args.quiet) process.stdout.write(renderEbuildLines(b, { color }));
          },
        });
        if (stop.signal.aborted) {
          process.exitCode = stop.exitCode();
          return;
        }
      }
      process.exitCode = await emitReport(makeReport('ebuild', results, VERSION), { json: args.json, quiet: true, failOn: args['fail-on'] });
    } finally {
      await observe?.close();
      stop.dispose();
    }
  },
};
