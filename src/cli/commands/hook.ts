/** `netaudit hook install [--force]`: the git pre-commit hook that runs `netaudit changed --quiet`. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Argv, CommandModule } from 'yargs';

interface HookArgs {
  action: string;
  repo?: string;
  force: boolean;
}

export const hookCommand: CommandModule<object, HookArgs> = {
  command: 'hook <action>',
  describe: "install the git pre-commit hook that audits the staged ebuilds (quiet when clean; refuses a commit that breaks)",
  builder: (y: Argv) =>
    y
      .positional('action', { choices: ['install'], demandOption: true, describe: 'install: write the pre-commit hook where git looks for it (.git/hooks, or core.hooksPath)' })
      .option('repo', { type: 'string', describe: 'the git checkout (default: the current directory)', requiresArg: true })
      .option('force', { type: 'boolean', default: false, describe: "replace a pre-commit hook that is not netaudit's (kept as pre-commit.before-netaudit)" })
      .example('$0 hook install', 'in the checkout of an ebuild repository'),
  handler: async (args) => {
    const [{ ebuildCheckout }, { installHook }] = await Promise.all([import('../../portage/git.js'), import('../../portage/githook.js')]);
    const top = await ebuildCheckout(args.repo ?? process.cwd(), existsSync);
    // The netaudit running now is the one the hook runs: this node, this main.cjs.
    const main = fileURLToPath(new URL('../main.cjs', import.meta.url));
    const r = await installHook(top, { node: process.execPath, main, force: args.force });
    process.stdout.write(`${r.action} ${r.file}${r.backup ? ` (the previous hook is kept as ${r.backup})` : ''}\n`);
    process.exitCode = 0;
  },
};
