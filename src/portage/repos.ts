/**
 * Where a repository's masters are, read from files without starting Portage (a cache hit of `netaudit
 * changed` must cost no Portage run): metadata/layout.conf's `masters`, located through repos.conf under the
 * config root (`[name]` sections with `location`). A master that cannot be located this way is left out; the
 * caller decides what that means (the results cache does not cache an ebuild whose eclasses it cannot find).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** `[name]` sections with `location = PATH` of repos.conf text (INI; DEFAULT skipped). */
export function parseReposConf(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let section: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^\s+|\s+$/g, '');
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[([^\]]+)\]$/.exec(line);
    if (s) {
      section = s[1]?.trim();
      continue;
    }
    const kv = /^([A-Za-z0-9_-]+)\s*=\s*(.*)$/.exec(line);
    if (kv && section && section !== 'DEFAULT' && kv[1] === 'location') out.set(section, (kv[2] ?? '').trim());
  }
  return out;
}

/** The `masters` of a layout.conf text (names, in order). */
export function parseMasters(layoutConf: string): string[] {
  const m = /^\s*masters\s*=(.*)$/m.exec(layoutConf);
  return m ? (m[1] ?? '').trim().split(/\s+/).filter(Boolean) : [];
}

/** repos.conf under `configRoot`: a file, or a directory of files (read in name order). */
export function readReposConf(configRoot: string): Map<string, string> {
  const conf = path.join(configRoot, 'etc/portage/repos.conf');
  const texts: string[] = [];
  if (existsSync(conf)) {
    if (statSync(conf).isDirectory()) {
      for (const f of readdirSync(conf).sort()) {
        const p = path.join(conf, f);
        if (!f.startsWith('.') && statSync(p).isFile()) texts.push(readFileSync(p, 'utf8'));
      }
    } else texts.push(readFileSync(conf, 'utf8'));
  }
  return parseReposConf(texts.join('\n'));
}

/** The eclass/ directories of `repoDir`'s masters that exist (nearest master last, as Portage orders them). */
export function masterEclassDirs(repoDir: string, configRoot: string): string[] {
  const layout = path.join(repoDir, 'metadata/layout.conf');
  const masters = existsSync(layout) ? parseMasters(readFileSync(layout, 'utf8')) : [];
  if (!masters.length) return [];
  const locations = readReposConf(configRoot);
  return masters.map((m) => locations.get(m)).filter((l): l is string => Boolean(l)).map((l) => path.join(l, 'eclass')).filter((d) => existsSync(d));
}
