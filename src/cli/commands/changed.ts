/** `netaudit changed [REV]`: audit the ebuilds changed in a git checkout (staged, or committed since REV). */
import { existsSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { NotRootError, UsageError } from '../../model/errors.js';
import type { BuildResult } from '../../model/types.js';
import { parseDuration, portageAuditOptions, portageOptions, reportOptions, sandboxOptions, type AuditArgs, type PortageArgs } from '../options.js';
import { emitReport } from '../output.js';
import { interruption } from '../signals.js';

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
      .example('$0 changed --eclass-users origin/master', 'in CI: what the branch changed, eclass users included') as unknown as Argv<ChangedArgs>,
  handler: async (args) => {
    if (args.user) throw new UsageError('--user does not apply to changed: Portage drops to the portage user itself (FEATURES=userpriv)', { option: '--user' });
    const timeoutMs = parseDuration(args.timeout);
    const [{ ebuildCheckout }, { locatePortage }, { prepareChanged, finishResult }, { cacheDir }, { validateBuild }, { VERSION }, { renderEbuildLines }, { colorEnabled }, { failsOn }, { makeReport }] =
      await Promise.all([
        import('../../portage/git.js'),
        import('../../portage/locate.js'),
        import('../../runner/changed.js'),
        import('../../cache/results.js'),
        import('../../report/validate.js'),
        import('../../version.js'),
        import('../../report/ebuild-lines.js'),
        import('../../report/terminal.js'),
        import('../../verdict/index.js'),
        import('../../model/report.js'),
      ]);
    const top = await ebuildCheckout(args.repo ?? process.cwd(), existsSync);
    const install = locatePortage({ portage: args.portage });
    const source = args.rev !== undefined ? { kind: 'rev' as const, rev: String(args.rev) } : { kind: 'index' as const };
    // From here on a signal ends the command through the normal path (the scratch copy removed, the sandbox too).
    const stop = interruption();
    let plan;
    try {
      plan = await prepareChanged({
        top,
        source,
        eclassUsers: args['eclass-users'],
        configRoot: install.configRoot,
        ...(args.cache ? { cacheDir: args['cache-dir'] ?? cacheDir() } : {}),
        keyEnv: { ...process.env, ...install.env },
        ...(args['allow-test'] !== undefined ? { allowTest: args['allow-test'] } : {}),
        portage: install.ebuild,
        version: VERSION,
        validateBuild: async (b) => (await validateBuild(b)).ok,
      });
    } catch (e) {
      stop.dispose();
      throw e;
    }
    try {
      if (stop.signal.aborted) {
        process.exitCode = stop.exitCode();
        return;
      }
      const where = source.kind === 'index' ? 'staged' : `since ${source.rev}`;
      if (!plan.ebuilds.length) {
        if (!args.quiet) process.stderr.write(`netaudit: no changed ebuild (${where}${args['eclass-users'] ? ', eclass users included' : ''})\n`);
        // CI may expect the report whatever happened: an empty one.
        process.exitCode = await emitReport(makeReport('ebuild', [], VERSION), { json: args.json, quiet: true, failOn: args['fail-on'] });
        return;
      }
      const color = args.color ?? colorEnabled(process.stdout, process.env);
      // Quiet (as the hooks run it): only the builds at or above --fail-on are printed.
      const print = (b: BuildResult) => {
        if (!args.quiet || failsOn(b.verdict, args['fail-on'])) process.stdout.write(renderEbuildLines(b, { color }));
      };
      const results = new Map<string, BuildResult>();
      for (const e of plan.ebuilds) {
        if (e.hit) {
          results.set(e.path, e.hit);
          print(e.hit);
        }
      }
      const misses = plan.ebuilds.filter((e) => !e.hit);
      if (misses.length) {
        const { findProblems } = await import('../../sandbox/prereq.js');
        const problems = findProblems();
        const notRoot = problems.find((p) => p.error instanceof NotRootError);
        if (notRoot) {
          const n = misses.length === 1 ? `${misses[0]?.category}/${misses[0]?.path.split('/')[2]?.replace(/\.ebuild$/, '')}` : `${misses.length} changed ebuilds`;
          const rerun = `sudo netaudit changed${args.rev !== undefined ? ` ${args.rev}` : ''}`;
          throw new NotRootError(
            process.env.NETAUDIT_HOOK
              ? `auditing ${n} needs root and this ${process.env.NETAUDIT_HOOK} hook runs as you — run '${rerun}' in ${top}; once it passes, commit with --no-verify`
              : `auditing ${n} needs root (network namespaces; Portage drops to the portage user itself) — run: ${rerun}`,
          );
        }
        if (problems[0]) throw problems[0].error;
        const [{ readMetadata }, { auditEbuilds }, { collectGarbage }, { Sandbox }, { ObserverSession }] = await Promise.all([
          import('../../portage/metadata.js'),
          import('../../runner/ebuild.js'),
          import('../../sandbox/gc.js'),
          import('../../sandbox/sandbox.js'),
          import('../../runner/observe.js'),
        ]);
        await collectGarbage();
        const observe = args.observe ? ObserverSession.start({ enabled: true, signal: stop.signal }) : undefined;
        try {
          const ahead = Sandbox.create({ routes: observe?.routes });
          ahead.catch(() => undefined);
          let metas;
          try {
            metas = await readMetadata(install, misses.map((e) => e.scratchPath), { allowTest: args['allow-test'] });
          } catch (e) {
            await ahead.then((s) => s.destroy(), () => undefined);
            throw e;
          }
          const byScratch = new Map(misses.map((e) => [e.scratchPath, e]));
          const pending: Promise<void>[] = [];
          const { interrupted } = await auditEbuilds({
            install,
            metas,
            sandbox: ahead,
            observe,
            ...portageAuditOptions(args),
            timeoutMs,
            pcapDir: args.pcap,
            signal: stop.signal,
            onResult: (b) => {
              const e = b.ebuild ? byScratch.get(b.ebuild.path) : undefined;
              if (!e) return;
              pending.push(
                finishResult(e, b, { cacheDir: args.cache ? (args['cache-dir'] ?? cacheDir()) : undefined, version: VERSION }, (w) => process.stderr.write(`netaudit: warning: ${w}\n`)).then((r) => {
                  results.set(e.path, r);
                  print(r);
                }),
              );
            },
            onTeardownProblem: (t) => process.stderr.write(`netaudit: warning: teardown: ${t}\n`),
          });
          await Promise.all(pending);
          if (interrupted) {
            process.exitCode = stop.exitCode();
            return;
          }
        } finally {
          await observe?.close();
        }
      }
      const ordered = plan.ebuilds.map((e) => results.get(e.path)).filter((b): b is BuildResult => Boolean(b));
      process.exitCode = await emitReport(makeReport('ebuild', ordered, VERSION), { json: args.json, quiet: true, failOn: args['fail-on'] });
    } finally {
      plan.dispose();
      stop.dispose();
    }
  },
};
