/**
 * The cache of clean results (`netaudit changed`): one JSON file per key (src/cache/key.ts) under
 * $XDG_CACHE_HOME/netaudit/results (default ~/.cache/netaudit/results; netaudit runs as root, so root's).
 *
 * Only `clean` results with complete evidence are cached: a clean build is one whose inputs alone decide it,
 * so the same inputs give the same verdict. `tolerates` is not cached: it means the build made attempts, and
 * what a build attempts often depends on more than its inputs (retries, timeouts, what answered); the user
 * asked to see that evidence, and re-running it is what keeps it honest. Entries are written atomically
 * (src/util/atomic.ts); an entry that cannot be read, is not JSON, is not a valid clean build of this key, is
 * ignored (a miss) and overwritten by the next clean result.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BuildResult } from '../model/types.js';
import { writeFileAtomic } from '../util/atomic.js';

export interface CacheEntry {
  readonly format: 1;
  readonly key: string;
  /** When the result was cached (RFC 3339). */
  readonly createdAt: string;
  readonly version: string;
  readonly result: BuildResult;
}

/** The cache directory: $XDG_CACHE_HOME/netaudit/results, else $HOME/.cache/netaudit/results. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(env.HOME || os.homedir(), '.cache');
  return path.join(base, 'netaudit', 'results');
}

/** Whether a result may be cached: clean, finished on its own, and with nothing lost from the evidence. */
export function cacheable(b: BuildResult): boolean {
  return (
    b.verdict === 'clean' &&
    b.kind === 'ebuild' &&
    b.exitCode === 0 &&
    !b.timedOut &&
    !b.intercepted &&
    b.capture.dropped === 0 &&
    !(b.observer?.lost ?? 0)
  );
}

function entryFile(dir: string, key: string): string {
  return path.join(dir, `${key}.json`);
}

/** The cached result for `key`, or undefined (no entry, or a corrupt one). `validate` checks the build (the schema). */
export async function lookup(dir: string, key: string, validate: (b: unknown) => Promise<boolean>): Promise<CacheEntry | undefined> {
  if (!/^[0-9a-f]{64}$/.test(key)) return undefined;
  let entry: CacheEntry;
  try {
    entry = JSON.parse(await readFile(entryFile(dir, key), 'utf8')) as CacheEntry;
  } catch {
    return undefined;
  }
  if (!entry || typeof entry !== 'object' || entry.format !== 1 || entry.key !== key || typeof entry.createdAt !== 'string') return undefined;
  if (!entry.result || entry.result.verdict !== 'clean' || !(await validate(entry.result).catch(() => false))) return undefined;
  return entry;
}

/** Cache `result` under `key` when it is cacheable; returns whether it was. */
export async function store(dir: string, key: string, result: BuildResult, version: string, now: Date = new Date()): Promise<boolean> {
  if (!cacheable(result)) return false;
  const { cached: _cached, ...plain } = result;
  const entry: CacheEntry = { format: 1, key, createdAt: now.toISOString(), version, result: plain };
  await writeFileAtomic(entryFile(dir, key), `${JSON.stringify(entry)}\n`, { mkdirs: true });
  return true;
}
