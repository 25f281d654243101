/** `netaudit gc`: remove namespaces, processes and temp dirs left by killed runs. */
import type { Argv, CommandModule } from 'yargs';

interface GcArgs {
  'dry-run': boolean;
}

export const gcCommand: CommandModule<object, GcArgs> = {
  command: 'gc',
  describe: 'remove namespaces, capture processes and temp dirs that killed netaudit runs left behind',
  builder: (y: Argv) =>
    y.option('dry-run', { type: 'boolean', default: false, describe: 'only list what would be removed' }),
  handler: async (args) => {
    // Without root: only the user's own temp dirs (its runs' namespaces ended with them: src/sandbox/userns.ts).
    if (process.getuid?.() === 0) (await import('../../sandbox/prereq.js')).assertPrerequisites();
    const { collectGarbage } = await import('../../sandbox/gc.js');
    const r = await collectGarbage({ dryRun: args['dry-run'] });
    const verb = args['dry-run'] ? 'would remove' : 'removed';
    const out: string[] = [];
    for (const n of r.namespaces) out.push(`${verb} namespace ${n}`);
    for (const d of r.tempDirs) out.push(`${verb} temp dir ${d}`);
    if (r.processes) out.push(`ended ${r.processes} process(es) inside them`);
    for (const k of r.kept) out.push(`kept ${k} (its netaudit run is alive)`);
    if (!out.length) out.push('nothing to remove');
    for (const f of r.failures) out.push(`failed: ${f}`);
    process.stdout.write(out.join('\n') + '\n');
    process.exitCode = r.failures.length ? 2 : 0;
  },
};
