/**
 * Reading what a cache key is made of (src/cache/key.ts) from the files an audit would use: the scratch copy
 * of the repository, the masters' eclass/ directories and the Portage config root. No Portage run.
 */
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { inheritChain } from '../portage/changed.js';
import { sha256, type KeyParts } from './key.js';

/** Environment variables that override the configuration files for a build, as Portage reads them. */
export const KEY_ENV = ['FEATURES', 'ALLOW_TEST', 'USE', 'ACCEPT_KEYWORDS', 'ACCEPT_LICENSE', 'ACCEPT_PROPERTIES', 'ACCEPT_RESTRICT', 'PORTAGE_CONFIGROOT', 'EPREFIX', 'ROOT', 'MAKEOPTS'] as const;

export interface KeyInputOptions {
  /** The scratch repository (what is audited). */
  readonly repoDir: string;
  /** The ebuild, relative to repoDir. */
  readonly ebuild: string;
  /** The masters' eclass/ directories (src/portage/repos.ts). */
  readonly masterEclassDirs: readonly string[];
  /** sha256 of the repository's profiles/ and layout.conf. */
  readonly repository: string;
  /** PORTAGE_CONFIGROOT in effect. */
  readonly configRoot: string;
  /** The environment of the audit (the install's variables over the caller's). */
  readonly env: NodeJS.ProcessEnv;
  /** --allow-test, when given. */
  readonly allowTest?: string;
  /** The `ebuild` program. */
  readonly portage: string;
  readonly version: string;
}

/** The parts of the key, or why this ebuild cannot be cached (an eclass that cannot be found without Portage). */
export function keyParts(o: KeyInputOptions): { parts: KeyParts } | { uncacheable: string } {
  const text = readFileSync(path.join(o.repoDir, o.ebuild), 'utf8');
  const eclassDirs = [path.join(o.repoDir, 'eclass'), ...[...o.masterEclassDirs].reverse()];
  const texts = new Map<string, string>();
  const readEclass = (name: string): string | undefined => {
    for (const dir of eclassDirs) {
      const f = path.join(dir, `${name}.eclass`);
      if (existsSync(f)) {
        const t = readFileSync(f, 'utf8');
        texts.set(name, t);
        return t;
      }
    }
    return undefined;
  };
  const chain = inheritChain(text, readEclass);
  if (chain.missing.length) return { uncacheable: `eclass ${chain.missing.join(', ')} not found in the repository or its masters` };
  const settings: Record<string, string> = { portage: o.portage };
  for (const k of KEY_ENV) if (o.env[k] !== undefined) settings[k] = o.env[k] as string;
  if (o.allowTest !== undefined) settings['--allow-test'] = o.allowTest;
  return {
    parts: {
      version: o.version,
      ebuildPath: o.ebuild,
      ebuild: sha256(text),
      files: hashTree(path.join(o.repoDir, path.dirname(o.ebuild), 'files')),
      eclasses: Object.fromEntries(chain.eclasses.map((n) => [n, sha256(texts.get(n) ?? '')])),
      repository: o.repository,
      config: configHashes(o.configRoot),
      settings,
    },
  };
}

/** Every regular file under `dir` (symlinks followed), path relative to `dir` -> sha256; {} when there is no `dir`. */
export function hashTree(dir: string, skip: (rel: string) => boolean = () => false): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string, depth: number): void => {
    const abs = path.join(dir, rel);
    let st;
    try {
      st = statSync(abs);
    } catch {
      out[rel] = 'dangling';
      return;
    }
    if (st.isDirectory()) {
      if (depth > 16) return;
      for (const e of readdirSync(abs).sort()) {
        const r = rel ? path.join(rel, e) : e;
        if (!skip(r)) walk(r, depth + 1);
      }
    } else if (st.isFile()) out[rel] = sha256(readFileSync(abs));
  };
  if (existsSync(dir)) walk('', 0);
  return out;
}

/** The Portage configuration's files under the config root (etc/portage), make.profile as where it points, gnupg/ left out. */
export function configHashes(configRoot: string): Record<string, string> {
  const etc = path.join(configRoot, 'etc/portage');
  // gnupg/ (getuto's keyring for binary packages) changes on its own and decides nothing about a build.
  const out = hashTree(etc, (rel) => rel === 'make.profile' || rel === 'gnupg');
  const profile = path.join(etc, 'make.profile');
  try {
    if (lstatSync(profile).isSymbolicLink()) {
      let target: string;
      try {
        target = realpathSync(profile);
      } catch {
        target = readlinkSync(profile);
      }
      out['make.profile'] = `-> ${target}`;
    } else out['make.profile'] = JSON.stringify(hashTree(profile));
  } catch {
    /* no make.profile */
  }
  return out;
}
