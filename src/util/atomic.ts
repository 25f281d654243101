/**
 * The one way netaudit writes what it must not leave half-written: a file (reports, renderings, cache entries,
 * the git hook, patches) with writeFileAtomic, a directory of files (the patch mails of `report patches`) with
 * writeDirAtomic. Both write into a fresh temporary beside the target (unique name, O_EXCL), fsync what they
 * wrote, rename it over the target, then fsync the parent directory so the rename survives a power loss. On
 * failure the temporary is removed, the target is left as it was, and the error is a WriteError naming the
 * target.
 */
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { WriteError } from '../model/errors.js';
import { randomHex } from './random.js';

export interface AtomicWriteOptions {
  /** Create the parent directory when it is missing (default false: a missing directory is an error). */
  readonly mkdirs?: boolean;
  /** Mode of a new file (default 0o644); writeDirAtomic: of each file in the directory. */
  readonly mode?: number;
}

/** One file of a directory written by writeDirAtomic: a plain name (no directory part) and its content. */
export interface DirEntry {
  readonly name: string;
  readonly data: string | Uint8Array;
}

/** Write `data` to `file`: readers see the old content or the new one, never a part. */
export async function writeFileAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  await replaceAtomic(file, options, async (tmp, created) => {
    await writeSynced(tmp, data, options.mode ?? 0o644, created);
  });
}

/**
 * Write the directory `dir` holding exactly `files`, all or nothing: readers see no directory (or the empty one
 * that was there) or all of the files. `dir` may exist only as an empty directory, which is replaced (rename(2)
 * replaces an empty directory in one step); anything else there is a WriteError and is left as it was.
 */
export async function writeDirAtomic(dir: string, files: readonly DirEntry[], options: AtomicWriteOptions & { readonly dirMode?: number } = {}): Promise<void> {
  await replaceAtomic(dir, options, async (tmp, created) => {
    await mkdir(tmp);
    created();
    await chmod(tmp, options.dirMode ?? 0o755);
    for (const f of files) {
      if (!f.name || f.name !== path.basename(f.name) || f.name === '.' || f.name === '..') throw new Error(`not a plain file name: ${JSON.stringify(f.name)}`);
      await writeSynced(path.join(tmp, f.name), f.data, options.mode ?? 0o644);
    }
    await syncDirectory(tmp);
  });
}

/**
 * Make the temporary beside `target` with `make` (which calls `created` once the temporary exists, so that a
 * failure removes only what this call made), rename it over `target`, sync the parent; undo on failure.
 */
async function replaceAtomic(target: string, options: AtomicWriteOptions, make: (tmp: string, created: () => void) => Promise<void>): Promise<void> {
  const dir = path.dirname(path.resolve(target));
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomHex(4)}.tmp`);
  let exists = false;
  try {
    if (options.mkdirs) await mkdir(dir, { recursive: true });
    await make(tmp, () => (exists = true));
    await rename(tmp, target);
    exists = false;
  } catch (e) {
    if (exists) await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw new WriteError(target, e);
  }
  await syncDirectory(dir);
}

/** A new file (O_EXCL: never one that exists) with `data`, fsynced before it is closed. */
async function writeSynced(file: string, data: string | Uint8Array, mode: number, created?: () => void): Promise<void> {
  const handle = await open(file, 'wx', mode);
  created?.();
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Make a rename durable; some file systems refuse fsync on a directory, which is harmless here. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // best effort
  }
}
