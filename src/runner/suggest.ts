/**
 * `--suggest` / `--verify` of `netaudit ebuild` and `netaudit sweep`: the I/O around the pure suggestion engine
 * (src/suggest/): reading each breaking ebuild's text, verifying patches on scratch copies (./verify.ts), writing
 * DIR/CATEGORY/PF.patch atomically. The suggestions go into each build (`suggestions`), so every reporter has them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { BuildResult } from '../model/types.js';
import type { EbuildMeta } from '../portage/metadata.js';
import { verifySuggestions, type VerifyOptions } from './verify.js';
import { suggest } from '../suggest/index.js';
import { writeFileAtomic } from '../util/atomic.js';

export interface AddSuggestionsOptions {
  /** Where patches are written (DIR/CATEGORY/PF.patch); absent: none written. */
  readonly dir?: string;
  readonly verify: boolean;
  readonly audit: VerifyOptions;
  /** Each build once its suggestions are known. */
  readonly onResult?: (b: BuildResult) => void;
}

/** Every ebuild build with its `suggestions` (results and metas in the same order); writes the patches. */
export async function addSuggestions(results: readonly BuildResult[], metas: readonly EbuildMeta[], options: AddSuggestionsOptions): Promise<BuildResult[]> {
  const out: BuildResult[] = [];
  for (const [i, b] of results.entries()) {
    const meta = metas.find((m) => m.path === b.ebuild?.path) ?? metas[i];
    const suggested = b.kind === 'ebuild' && meta ? await suggestBuild(b, meta, options) : b;
    out.push(suggested);
    options.onResult?.(suggested);
  }
  return out;
}

/**
 * One ebuild build with its `suggestions` (a sweep calls this per package as it finishes); writes its patches to
 * DIR/CATEGORY/PF.patch. The build is returned as it is once the audit's signal has fired.
 */
export async function suggestBuild(b: BuildResult, meta: EbuildMeta, options: Omit<AddSuggestionsOptions, 'onResult'>): Promise<BuildResult> {
  if (options.audit.signal?.aborted) return b;
  let suggestions = suggest(b, readFileSync(meta.path, 'utf8'));
  if (options.verify) suggestions = await verifySuggestions(b, meta, suggestions, options.audit);
  // A leak patch in a breaking build includes the breakage fix (it is made on top of it): the file gets the fix alone.
  const fixed = suggestions.some((s) => s.cause === 'deselect-tests' && s.patch);
  const patches = suggestions.filter((s) => !(fixed && s.cause === 'leak-tests')).map((s) => s.patch).filter((p): p is string => Boolean(p));
  if (options.dir && patches.length) {
    await writeFileAtomic(path.join(options.dir, meta.category, `${meta.pf}.patch`), patches.join(''), { mkdirs: true });
  }
  return { ...b, suggestions };
}
