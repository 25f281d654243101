/**
 * Remove one file that may be missing. Node 20's rmSync, even of one file, goes through its recursive remover,
 * which it loads on first use (~7 ms): on the way out of every command and per package in watch.
 */
import { unlinkSync } from 'node:fs';

export function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    /* never made, or gone */
  }
}
