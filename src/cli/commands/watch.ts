/** `netaudit watch [--out DIR] [--confirm] [--install-hook | --remove-hook]`: audit the machine's own Portage builds as they run. */
import type { Argv, CommandModule } from 'yargs';
import { NotRootError, UsageError } from '../../model/errors.js';
import { interruption } from '../signals.js';
import { Session } from '../../runner/session.js';

interface WatchArgs {
  out: string;
  confirm: boolean;
  'install-hook'?: boolean;
  'remove-hook'?: boolean;
  'config-root'?: string;
  portage?: string;
  'quiet-time'?: string;
  'lazy-proc': boolean;
}

export const DEFAULT_WATCH_DIR = '/var/lib/netaudit/watch';

export const watchCommand: CommandModule<object, WatchArgs> = {
  command: 'watch',
  describe: "audit every Portage build this machine runs, in place (emerge, ebuild, chroots, bubblewrap): one result per finished package in OUT/results.jsonl (root; until SIGTERM/SIGINT)",
  builder: (y: Argv) =>
    y
      .option('out', { type: 'string', default: DEFAULT_WATCH_DIR, describe: 'output directory: results.jsonl (resumed on restart; render with netaudit report render OUT), confirm.jsonl and confirm/, building/ (packages being built, for a restart)', requiresArg: true })
      .option('confirm', { type: 'boolean', default: false, describe: 'rerun each flagged package (breaks, or attempts network-sandbox would block) once faithfully, as netaudit ebuild does: OUT/confirm/results.jsonl' })
      .option('install-hook', { type: 'boolean', describe: "add the pytest plugin's bashrc to Portage's user profile (files of netaudit's own, under etc/portage/profile) and exit" })
      .option('remove-hook', { type: 'boolean', describe: 'remove what --install-hook added and exit' })
      .option('config-root', { type: 'string', describe: "Portage's config root for --install-hook/--remove-hook (default: PORTAGE_CONFIGROOT, else /)", requiresArg: true })
      .option('portage', { type: 'string', describe: "Portage's ebuild program, for --confirm's reruns", requiresArg: true })
      .option('quiet-time', { type: 'string', describe: 'a package whose last phase ended this long ago with nothing of it running is over (default 30s)', requiresArg: true })
      .option('lazy-proc', {
        type: 'boolean',
        default: true,
        describe: "the tracer hands over only the processes that reach the network (and their ancestors) and the phases themselves (less of netaudit's CPU); --no-lazy-proc: every process a build starts",
      })
      .conflicts('install-hook', 'remove-hook')
      .example('$0 watch --install-hook', 'once: test ids for pytest suites in src_test')
      .example('$0 watch --out /var/lib/netaudit/watch', 'as a service; then: netaudit report render /var/lib/netaudit/watch'),
  handler: async (args) => {
    if (args['install-hook'] || args['remove-hook']) {
      if (process.getuid?.() !== 0) throw new NotRootError('not running as root — /etc/portage belongs to root: run netaudit watch --install-hook as root');
      const { installWatchHook, removeWatchHook } = await import('../../portage/watch-hook.js');
      const root = args['config-root'] ?? process.env.PORTAGE_CONFIGROOT ?? '/';
      const r = args['install-hook'] ? installWatchHook(root) : removeWatchHook(root);
      process.stdout.write(r.action === 'absent' ? 'no netaudit hook to remove\n' : `${r.action}: ${r.files.join(', ')}\n`);
      process.exitCode = 0;
      return;
    }
    if (process.getuid?.() !== 0) throw new NotRootError('not running as root — netaudit watch traces every Portage build of the machine with eBPF: run it as root (sudo netaudit watch)');
    const { parseDuration } = await import('../options.js');
    const quietMs = parseDuration(args['quiet-time'], '--quiet-time');
    if (quietMs !== undefined && quietMs < 1000) throw new UsageError(`--quiet-time ${args['quiet-time']}: at least 1s`, { option: '--quiet-time' });
    const [{ runWatch }, { availability }] = await Promise.all([import('../../sweep/watch.js'), import('../../observe/availability.js')]);
    const found = await availability();
    if (!found.available) throw new UsageError(`netaudit watch needs the syscall tracer: ${found.missing.join('; ')} (netaudit doctor says more)`);
    await using session = await Session.open({ interruption });
    // What a killed watch's --confirm rerun left (its sandbox); watch itself makes no namespace.
    if (!args.confirm) await (await import('../../sandbox/gc.js')).collectGarbage();
    let confirm: import('../../sweep/watch.js').ConfirmRunner | undefined;
    if (args.confirm) {
      const { locatePortage } = await import('../../portage/locate.js');
      const install = await session.begin({ need: 'portage', check: () => locatePortage({ portage: args.portage }), observe: true });
      const [{ readMetadata }, { auditEbuilds }, path] = await Promise.all([import('../../portage/metadata.js'), import('../../runner/ebuild.js'), import('node:path')]);
      confirm = {
        install,
        run: async (ebuild) => {
          const metas = await readMetadata(install, [ebuild]);
          const { results } = await auditEbuilds({ install, metas, session, logDir: path.join(args.out, 'confirm', 'logs') });
          return results[0];
        },
      };
    }
    const outcome = await runWatch({
      outDir: args.out,
      signal: session.signal,
      ...(confirm ? { confirm } : {}),
      ...(quietMs !== undefined ? { quietMs } : {}),
      lazyProc: args['lazy-proc'],
      onLine: (l) => process.stderr.write(`${l}\n`),
      onReady: (i) => {
        process.stderr.write(`netaudit: watching Portage builds (tracer ready in ${i.attachMs} ms, pid ${i.tracerPid}); ${i.resumed} result(s) already in ${args.out}/results.jsonl\n`);
        if (i.resumedBuilds.length) process.stderr.write(`netaudit: resuming ${i.resumedBuilds.length} package(s) the last watch was following at its stop: ${i.resumedBuilds.join(', ')}\n`);
        if (i.queuedConfirms.length)
          process.stderr.write(
            args.confirm
              ? `netaudit: resuming ${i.queuedConfirms.length} queued faithful rerun(s): ${i.queuedConfirms.join(', ')}\n`
              : `netaudit: ${i.queuedConfirms.length} faithful rerun(s) queued in ${args.out}/confirm.jsonl, kept for a watch with --confirm: ${i.queuedConfirms.join(', ')}\n`,
          );
      },
    });
    process.stderr.write(
      `netaudit: watch stopped: ${outcome.written} result(s) written${outcome.unfinished.length ? `; still being built, written as incomplete (a restart continues them): ${outcome.unfinished.join(', ')}` : ''}${outcome.confirmed.length ? `; ${outcome.confirmed.length} confirmed` : ''}${outcome.queued.length ? `; ${outcome.queued.length} rerun(s) still queued: ${outcome.queued.join(', ')}` : ''}\n`,
    );
    process.exitCode = 0;
  },
};
