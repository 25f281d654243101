/**
 * The one way netaudit writes a file it must not leave half-written (reports, renderings, patches): a fresh
 * temporary file beside the target (unique name, O_EXCL), written and fsynced, renamed over the target, then
 * the directory fsynced so the rename survives a power loss. On failure the temporary file is removed, the
 * target is left as it was, and the error is a WriteError naming the target.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { WriteError } from '../model/errors.js';

export interface AtomicWriteOptions {
  /** Create the parent directory when it is missing (default false: a missing directory is an error). */
  readonly mkdirs?: boolean;
  /** File mode of a new file (default 0o644). */
  readonly mode?: number;
}

export async function writeFileAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let created = false;
  try {
    if (options.mkdirs) await mkdir(dir, { recursive: true });
    const handle = await open(tmp, 'wx', options.mode ?? 0o644);
    created = true;
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
    created = false;
  } catch (e) {
    if (created) await unlink(tmp).catch(() => undefined);
    throw new WriteError(file, e);
  }
  await syncDirectory(dir);
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
