/**
 * What real ::gentoo ebuilds take for granted and a host that is not Gentoo may lack (for `netaudit doctor`):
 * a package database for has_version/best_version, the ::gentoo repository and its eclasses, `gtar` on the
 * phases' PATH (Portage's unpack calls it), and ${BROOT}/usr/bin/python3.X (python-utils-r1's interpreter).
 * The facts are read here (files, and one call of Portage's own Python for BROOT, EROOT and the repository);
 * doctor only words them.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { onPath } from '../proc/tools.js';
import { execCapture } from '../proc/exec.js';
import type { PortageInstall } from './locate.js';

/**
 * The PATH netaudit gives every Portage call (src/runner/ebuild.ts: never the caller's, which may lead to pyenv
 * shims the portage user cannot run). The phases keep it unless ${BROOT}/etc/profile.env sets one.
 */
export const CALLER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface PortageHostFacts {
  /** The `ebuild` program and the config root in effect. */
  readonly ebuild: string;
  readonly configRoot: string;
  /** Build-host root as Portage sets it for the phases (the venv for a PyPI install, '' on Gentoo). */
  readonly broot: string;
  /** ${EROOT}/var/db/pkg and how many packages it records. */
  readonly vdb: string;
  readonly installedPackages: number;
  /** The ::gentoo repository of the configuration, and how many eclasses it holds (0: a stub, as install-portage.sh makes). */
  readonly gentoo?: { readonly location: string; readonly eclasses: number };
  /** The phases' PATH, and where it comes from ('profile.env': ${BROOT}/etc/profile.env, as on Gentoo). */
  readonly phasesPath: string;
  readonly pathFrom: 'profile.env' | 'caller';
  /** `gtar` on the phases' PATH, and what it leads to. */
  readonly gtar?: { readonly path: string; readonly target: string };
  /** The host's python3 (python3.X) and whether ${BROOT}/usr/bin/python3.X runs it. */
  readonly python?: { readonly epython: string; readonly brootPath: string; readonly target?: string };
}

/** One call of Portage's Python: BROOT (portage.const.EPREFIX), EROOT, ::gentoo's location. */
const SCRIPT = `
import json, portage
from portage import const
r = portage.settings.repositories
g = r["gentoo"].location if "gentoo" in r else None
print(json.dumps({"broot": const.EPREFIX, "eroot": portage.settings["EROOT"], "gentoo": g}))
`;

function profilePath(broot: string): string | undefined {
  const file = path.join(broot || '/', 'etc/profile.env');
  if (!existsSync(file)) return undefined;
  // Portage reads it as a shell-like config: the last PATH assignment counts.
  let found: string | undefined;
  for (const m of readFileSync(file, 'utf8').matchAll(/^\s*(?:export\s+)?PATH=(?:'([^']*)'|"([^"]*)"|(\S*))\s*$/gm)) found = m[1] ?? m[2] ?? m[3];
  return found;
}

function countDir(dir: string, filter: (name: string) => boolean = () => true): number {
  try {
    return readdirSync(dir).filter(filter).length;
  } catch {
    return 0;
  }
}

/** Installed packages recorded under a vdb (category/package-version directories). */
function countPackages(vdb: string): number {
  let n = 0;
  for (const cat of existsSync(vdb) ? readdirSync(vdb) : []) {
    const dir = path.join(vdb, cat);
    try {
      if (statSync(dir).isDirectory()) n += countDir(dir, (name) => !name.startsWith('-MERGING-'));
    } catch {
      // unreadable: not counted
    }
  }
  return n;
}

/** The host's python3 as python-utils-r1 would name it (EPYTHON python3.X), from /usr/bin/python3. */
function hostPython(): string | undefined {
  for (const p of ['/usr/bin/python3', '/bin/python3']) {
    try {
      const base = path.basename(realpathSync(p));
      if (/^python3\.\d+$/.test(base)) return base;
    } catch {
      // next
    }
  }
  return undefined;
}

function resolved(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

export async function portageHostFacts(install: PortageInstall): Promise<PortageHostFacts> {
  const env = { ...process.env, ...install.env, PATH: CALLER_PATH };
  const r = await execCapture([install.python, '-c', SCRIPT], { env });
  let asked: { broot?: string; eroot?: string; gentoo?: string | null } = {};
  try {
    asked = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as typeof asked;
  } catch {
    // Portage could not load its configuration: the facts below fall back to the defaults.
  }
  const broot = (asked.broot ?? '').replace(/\/+$/, '');
  const vdb = path.join(asked.eroot || '/', 'var/db/pkg');
  const fromProfile = profilePath(broot);
  const phasesPath = fromProfile ?? CALLER_PATH;
  const gtarPath = onPath('gtar', phasesPath);
  let gtar: PortageHostFacts['gtar'];
  if (gtarPath) {
    let target = resolved(gtarPath) ?? gtarPath;
    try {
      target = path.resolve(path.dirname(gtarPath), readlinkSync(gtarPath));
    } catch {
      // not a symlink
    }
    gtar = { path: gtarPath, target };
  }
  const epython = hostPython();
  const brootPath = epython ? path.join(broot || '/', 'usr/bin', epython) : undefined;
  const target = brootPath ? resolved(brootPath) : undefined;
  return {
    ebuild: install.ebuild,
    configRoot: install.configRoot,
    broot,
    vdb,
    installedPackages: countPackages(vdb),
    ...(asked.gentoo ? { gentoo: { location: asked.gentoo, eclasses: countDir(path.join(asked.gentoo, 'eclass'), (n) => n.endsWith('.eclass')) } } : {}),
    phasesPath,
    pathFrom: fromProfile !== undefined ? 'profile.env' : 'caller',
    ...(gtar ? { gtar } : {}),
    ...(epython && brootPath ? { python: { epython, brootPath, ...(target ? { target } : {}) } } : {}),
  };
}
