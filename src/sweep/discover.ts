/**
 * Which ebuilds a sweep audits: every ebuild of a repository (categories from profiles/categories when
 * present), narrowed by atoms or a --from list, in a deterministic order (category/PF), and sliced into
 * shards for sweeps spread over machines.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { NoSuchFileError, UsageError } from '../model/errors.js';
import { ebuildName, type Ebuild } from '../model/types.js';


function dirs(p: string): string[] {
  try {
    return readdirSync(p).filter((d) => !d.startsWith('.') && statSync(path.join(p, d)).isDirectory());
  } catch {
    return [];
  }
}

export function discoverEbuilds(repo: string): Ebuild[] {
  if (!existsSync(path.join(repo, 'profiles/repo_name')) && !existsSync(path.join(repo, 'metadata/layout.conf'))) {
    throw new UsageError(`${repo} is not an ebuild repository (no profiles/repo_name or metadata/layout.conf) — give the repository's top directory`);
  }
  const listed = path.join(repo, 'profiles/categories');
  const categories = existsSync(listed)
    ? readFileSync(listed, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
    : dirs(repo).filter((d) => d.includes('-') || d === 'virtual');
  const out: Ebuild[] = [];
  for (const category of categories) {
    for (const pn of dirs(path.join(repo, category))) {
      for (const f of readdirSync(path.join(repo, category, pn))) {
        if (!f.endsWith('.ebuild') || !f.startsWith(`${pn}-`)) continue;
        out.push({ category, package: pn, version: f.slice(pn.length + 1, -'.ebuild'.length), path: path.resolve(repo, category, pn, f) });
      }
    }
  }
  return out.map((e) => ({ e, name: ebuildName(e) })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(({ e }) => e);
}

/** Atoms: category/package, category/package-version, category/* (globs on either part with *). */
export function matchAtoms(refs: readonly Ebuild[], atoms: readonly string[]): Ebuild[] {
  if (!atoms.length) return [...refs];
  const res = atoms.map((a) => {
    if (!a.includes('/')) throw new UsageError(`${a}: not an atom — use CATEGORY/PACKAGE[-VERSION] (globs with * allowed)`);
    const glob = a.replace(/^[=~<>]+/, '').replace(/[.+^$()|[\]{}\\?]/g, '\\$&').replace(/\*/g, '[^/]*');
    return new RegExp(`^${glob}$`);
  });
  return refs.filter((r) => res.some((re) => re.test(ebuildName(r)) || re.test(`${r.category}/${r.package}`)));
}

/** One atom or ebuild name per line; '#' comments and blank lines ignored. */
export function readFromList(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new NoSuchFileError(file, `--from ${file}: cannot read it — give a file with one CATEGORY/PACKAGE[-VERSION] per line`);
  }
  return text.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
}

/** "I/N" -> [I, N] with 1 <= I <= N. */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) {
    throw new UsageError(`--shard ${text}: expected I/N with 1 <= I <= N, e.g. --shard 2/3`, { option: '--shard' });
  }
  return { index, count };
}

/**
 * Shard I of N: every N-th package of the sorted list, starting at the I-th. Deterministic (same list, same
 * slice on every machine), balanced (sizes differ by at most one), and every package is in exactly one shard.
 */
export function shardOf<T>(items: readonly T[], shard: { index: number; count: number }): T[] {
  return items.filter((_, i) => i % shard.count === shard.index - 1);
}
