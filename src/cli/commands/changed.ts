/** `netaudit changed [REV]`: audit the ebuilds changed in a git checkout (staged, or committed since REV). */
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../model/errors.js';
import { parseDuration, portageAuditOptions, portageOptions, reportOptions, sandboxOptions, type AuditArgs, type PortageArgs } from '../options.js';
import { emitReport, warn, warnTeardown } from '../output.js';
import { interruption } from '../signals.js';
import { Session } from '../../runner/session.js';

interface ChangedArgs extends AuditArgs, PortageArgs {
  rev?: string;
  repo?: string;
  'eclass-users': boolean;
  cache: boolean;
  'cache-dir'?: string;
}

export const changedCommand: CommandModule<object, ChangedArgs> = {
  command: 'changed [rev]',
  describe: 'audit the ebuilds changed in a git checkout of an ebuild repository: staged for commit (default), or committed since REV',
  builder: (y: Argv) =>
    portageOptions(reportOptions(sandboxOptions(y)))
      .positional('rev', { type: 'string', describe: 'audit what HEAD changed since REV (git diff REV...HEAD; the committed content) instead of the index' })
      .option('repo', { type: 'string', describe: 'the git checkout (default: the current directory)', requiresArg: true })
      .option('eclass-users', { type: 'boolean', default: false, describe: 'also audit the ebuilds whose inherit chain reaches a changed eclass' })
      .option('cache', { type: 'boolean', default: true, describe: 'reuse cached clean results of unchanged ebuilds (--no-cache: audit every one)' })
      .option('cache-dir', { type: 'string', describe: 'the cache of clean results (default: $XDG_CACHE_HOME/netaudit/results, else ~/.cache/netaudit/results)', requiresArg: true })
      .example('$0 changed', 'before a commit: the staged ebuilds (quiet on clean with -q, as the hooks run it)')
      .example('$0 changed --eclass-users origin/master', 'in CI: what the branch changed, eclass users included'),
  handler: async (args) => {
    if (args.user) throw new UsageError('--user does not apply to changed: Portage drops to the portage user itself (FEATURES=userpriv)', { option: '--user' });
    const timeoutMs = parseDuration(args.timeout);
    const [{ auditChanged }, { makeReport }, { VERSION }, { renderEbuildLines }, { colorEnabled }, { failsOn }] = await Promise.all([
      import('../../runner/changed.js'),
      import('../../model/report.js'),
      import('../../version.js'),
      import('../../report/ebuild-lines.js'),
      import('../../report/terminal.js'),
      import('../../verdict/index.js'),
    ]);
    const source = args.rev !== undefined ? { kind: 'rev' as const, rev: String(args.rev) } : { kind: 'index' as const };
    const color = args.color ?? colorEnabled(process.stdout, process.env);
    // From here on a signal ends the command through the normal path (the scratch copy removed, the sandbox too).
    await using session = await Session.open({ interruption, onTeardownProblem: warnTeardown });
    const { builds, selected, interrupted } = await auditChanged(session, {
      repo: args.repo ?? process.cwd(),
      source,
      eclassUsers: args['eclass-users'],
      cache: args.cache,
      cacheDir: args['cache-dir'],
      portage: args.portage,
      observe: args.observe,
      ...portageAuditOptions(args),
      timeoutMs,
      pcapDir: args.pcap,
      // Quiet (as the hooks run it): only the builds at or above --fail-on are printed.
      onResult: (b) => {
        if (!args.quiet || failsOn(b.verdict, args['fail-on'])) process.stdout.write(renderEbuildLines(b, { color }));
      },
      onWarning: warn,
    });
    if (interrupted) {
      process.exitCode = session.exitCode();
      return;
    }
    const where = source.kind === 'index' ? 'staged' : `since ${source.rev}`;
    if (!selected && !args.quiet) process.stderr.write(`netaudit: no changed ebuild (${where}${args['eclass-users'] ? ', eclass users included' : ''})\n`);
    // CI may expect the report whatever happened: an empty one when nothing changed.
    process.exitCode = await emitReport(makeReport('ebuild', builds, VERSION), { json: args.json, quiet: true, failOn: args['fail-on'] });
  },
};
