/**
 * Finding Portage: `--portage PATH` (the `ebuild` program, or a prefix with bin/ebuild), else $NETAUDIT_PORTAGE,
 * else `ebuild` on PATH (a Gentoo system), else the copy scripts/install-portage.sh puts under /opt/netaudit.
 * An install may carry an env file (PREFIX/portage.env: PORTAGE_CONFIGROOT, EPREFIX) that every call needs.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { PortageError } from '../model/errors.js';
import { which } from '../proc/tools.js';

export const DEFAULT_PREFIX = '/opt/netaudit';

export interface PortageInstall {
  /** The `ebuild` program. */
  readonly ebuild: string;
  /** The Python that runs it (its #! line), for reading metadata through Portage's API. */
  readonly python: string;
  /** Variables from the install's env file (PORTAGE_CONFIGROOT, EPREFIX), overridden by the caller's. */
  readonly env: Readonly<Record<string, string>>;
  /** PORTAGE_CONFIGROOT in effect ('/' on a Gentoo system). */
  readonly configRoot: string;
}

/** `export K="V"` / `K=V` lines of a shell env file (no expansion: the files netaudit reads are plain). */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(?:"([^"]*)"|'([^']*)'|(\S*))\s*$/.exec(line);
    if (m) env[m[1] as string] = m[2] ?? m[3] ?? m[4] ?? '';
  }
  return env;
}

function interpreterOf(file: string): string {
  const first = readFileSync(file, 'utf8').slice(0, 256).split('\n')[0] ?? '';
  const m = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(first);
  if (!m) return 'python3';
  // "#!/usr/bin/env python3" -> python3 on PATH
  return path.basename(m[1] as string) === 'env' && m[2] ? m[2] : (m[1] as string);
}

export function locatePortage(options: { portage?: string; env?: NodeJS.ProcessEnv } = {}): PortageInstall {
  const env = options.env ?? process.env;
  const given = options.portage ?? env.NETAUDIT_PORTAGE;
  let ebuild: string | undefined;
  if (given) {
    const candidates = [given, path.join(given, 'bin/ebuild'), path.join(given, 'portage-venv/bin/ebuild')];
    ebuild = candidates.find((c) => existsSync(c) && statSync(c).isFile());
    if (!ebuild) {
      throw new PortageError(`Portage not found at ${given} — give the path of the 'ebuild' program (--portage /usr/bin/ebuild)`);
    }
  } else {
    ebuild = which('ebuild', env.PATH) ?? [path.join(DEFAULT_PREFIX, 'portage-venv/bin/ebuild')].find((p) => existsSync(p));
  }
  if (!ebuild) {
    throw new PortageError(
      "Portage not found: no 'ebuild' on PATH — on Gentoo it is sys-apps/portage; elsewhere run scripts/install-portage.sh, or point --portage at an ebuild program",
    );
  }
  // An env file beside the install (PREFIX/portage.env for PREFIX/portage-venv/bin/ebuild).
  const envFile = path.resolve(path.dirname(ebuild), '../../portage.env');
  const fileEnv = existsSync(envFile) ? parseEnvFile(readFileSync(envFile, 'utf8')) : {};
  delete fileEnv.NETAUDIT_EBUILD;
  const merged: Record<string, string> = { ...fileEnv };
  for (const k of ['PORTAGE_CONFIGROOT', 'EPREFIX']) if (env[k] !== undefined) merged[k] = env[k] as string;
  return { ebuild, python: interpreterOf(ebuild), env: merged, configRoot: merged.PORTAGE_CONFIGROOT ?? '/' };
}
