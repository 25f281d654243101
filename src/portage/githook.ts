/**
 * The plain git pre-commit hook `netaudit hook install` writes: a short sh script that runs
 * `netaudit changed --quiet` (silent when every staged ebuild is clean; the pkgcheck-style lines and a non-zero
 * exit, which refuses the commit, when one breaks). It finds netaudit by the absolute paths recorded at install
 * time (node and netaudit's main.cjs), else `netaudit` on PATH. It runs as the committing user: netaudit needs
 * root to audit, so without root it fails with one line saying how to run it with sudo (never a silent pass).
 *
 * The hook is placed where git looks for hooks (`git rev-parse --git-path hooks`: .git/hooks, or core.hooksPath).
 * A hook that is not netaudit's (no MARKER line) is never overwritten without --force; netaudit's own is
 * rewritten in place (install is idempotent).
 */
import { chmodSync, existsSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../model/errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { execCapture } from '../proc/exec.js';

/** The line that marks a hook as netaudit's. */
export const MARKER = '# netaudit-hook: pre-commit';

/** `text` as one single-quoted sh word. */
export function shQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The hook script (pure). */
export function hookScript(node: string, main: string): string {
  return `#!/bin/sh
${MARKER}
# Written by \`netaudit hook install\` (rewrite it with the same command; remove this file to stop it).
# Audits the staged ebuilds with \`netaudit changed --quiet\`: silent when they are clean; when one would break
# under FEATURES=network-sandbox, the pkgcheck-style lines and a non-zero exit, which refuses the commit.
# netaudit needs root to audit: run as another user it fails with one line saying how (never a silent pass).
NETAUDIT_NODE=${shQuote(node)}
NETAUDIT_MAIN=${shQuote(main)}
if [ -x "$NETAUDIT_NODE" ] && [ -f "$NETAUDIT_MAIN" ]; then
	set -- "$NETAUDIT_NODE" "$NETAUDIT_MAIN"
elif command -v netaudit >/dev/null 2>&1; then
	set -- netaudit
else
	echo "netaudit pre-commit hook: netaudit not found ($NETAUDIT_MAIN is gone, none on PATH) — install it and run 'netaudit hook install', or remove $0" >&2
	exit 1
fi
NETAUDIT_HOOK=pre-commit
export NETAUDIT_HOOK
exec "$@" changed --quiet 1>&2
`;
}

export interface InstallResult {
  readonly file: string;
  /** 'created', 'updated' (netaudit's own, rewritten), or 'replaced' (another hook, with --force: kept as `backup`). */
  readonly action: 'created' | 'updated' | 'replaced';
  readonly backup?: string;
}

/** Write the hook of the checkout at `top`. */
export async function installHook(top: string, options: { node: string; main: string; force: boolean }): Promise<InstallResult> {
  const r = await execCapture(['git', 'rev-parse', '--git-path', 'hooks'], { cwd: top });
  if (r.code !== 0) throw new UsageError(`git rev-parse --git-path hooks: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`}`);
  const dir = path.resolve(top, r.stdout.trim());
  const file = path.join(dir, 'pre-commit');
  let action: InstallResult['action'] = 'created';
  let backup: string | undefined;
  if (existsSync(file)) {
    const current = readFileSync(file, 'utf8');
    if (current.split('\n').includes(MARKER)) action = 'updated';
    else if (!options.force) {
      throw new UsageError(
        `${file} is another pre-commit hook, not netaudit's — call 'netaudit changed --quiet' from it yourself, or replace it with 'netaudit hook install --force' (it is kept as pre-commit.before-netaudit)`,
      );
    } else {
      backup = `${file}.before-netaudit`;
      renameSync(file, backup);
      action = 'replaced';
    }
  }
  await writeFileAtomic(file, hookScript(options.node, options.main), { mkdirs: true, mode: 0o755 });
  chmodSync(file, 0o755);
  return { file, action, ...(backup ? { backup } : {}) };
}
