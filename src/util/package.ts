/** Files shipped with netaudit (bpf/, reports/, src/portage/*.sh), found from the installed package's root. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The directory holding netaudit's package.json (works from dist/ and from the source tree). */
export function packageRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) || !existsSync(path.join(dir, 'bpf'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`netaudit's package root not found above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  root = dir;
  return dir;
}

export function packagePath(rel: string): string {
  return path.join(packageRoot(), rel);
}
