/**
 * The git side of `netaudit changed`: where the checkout is, what changed, and a scratch copy of exactly the
 * content to audit. Every call is `git` through execCapture (no shell), run in the checkout's top level.
 *
 * Two sources of content:
 * - `index` (default, what a pre-commit hook wants): the changes staged for commit (`git diff --cached`), and
 *   the content as staged (checked out of the index, which may differ from the working tree). Inside a hook,
 *   git's own GIT_INDEX_FILE (e.g. for `git commit -a`) is respected.
 * - `{ rev }` (what CI wants): the changes committed on HEAD since REV (`git diff REV...HEAD`: since the merge
 *   base, so commits on REV's side that HEAD lacks are not taken for changes), and the content of HEAD.
 *   Uncommitted changes are not audited in this mode.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { NoSuchFileError, UsageError } from '../model/errors.js';
import { execBuffer, execCapture, type ExecResult } from '../proc/exec.js';
import { parseNameStatus, type FileChange } from './changed.js';

export type ChangeSource = { readonly kind: 'index' } | { readonly kind: 'rev'; readonly rev: string };

async function git(top: string, args: readonly string[], env?: NodeJS.ProcessEnv, input?: string): Promise<ExecResult> {
  try {
    return await execCapture(['git', ...args], { cwd: top, ...(env ? { env } : {}), ...(input !== undefined ? { input } : {}) });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError('git is not installed — install dev-vcs/git (apt-get install git)');
    throw e;
  }
}

async function gitOk(top: string, args: readonly string[], env?: NodeJS.ProcessEnv, input?: string): Promise<string> {
  const r = await git(top, args, env, input);
  if (r.code !== 0) throw new UsageError(`git ${args.join(' ')}: ${(r.stderr.trim() || `exit ${r.code}`).split('\n').pop()}`);
  return r.stdout;
}

/**
 * The top level of the git checkout containing `dir`, which must be an ebuild repository (profiles/repo_name
 * at the top level). One-line errors otherwise.
 */
export async function ebuildCheckout(dir: string, exists: (p: string) => boolean): Promise<string> {
  if (!exists(dir)) throw new NoSuchFileError(dir, `${dir}: no such directory — give the checkout of an ebuild repository`);
  const r = await git(dir, ['rev-parse', '--show-toplevel']);
  const top = r.stdout.trim();
  if (r.code !== 0 || !top) {
    const why = r.stderr.trim().split('\n').find((l) => /dubious ownership/.test(l));
    if (why) throw new NoSuchFileError(dir, `${path.resolve(dir)}: git refuses it (${why.replace(/^fatal:\s*/, '')}) — run as the checkout's owner, or: git config --global --add safe.directory ${path.resolve(dir)}`);
    throw new NoSuchFileError(dir, `${path.resolve(dir)} is not in a git checkout — run netaudit changed in the git checkout of an ebuild repository (or give it with --repo DIR)`);
  }
  if (!exists(path.join(top, 'profiles/repo_name'))) {
    throw new NoSuchFileError(top, `${top} is not an ebuild repository (no profiles/repo_name) — run netaudit changed in the checkout of an ebuild repository`);
  }
  return top;
}

/** The files changed, per `source`. */
export async function gitChanges(top: string, source: ChangeSource): Promise<FileChange[]> {
  if (source.kind === 'rev') {
    const ok = await git(top, ['rev-parse', '--verify', '--quiet', `${source.rev}^{commit}`]);
    if (ok.code !== 0) throw new UsageError(`${source.rev}: not a commit in ${top} — give a branch, tag or commit (e.g. origin/master, HEAD~1)`);
  }
  const range = source.kind === 'index' ? ['--cached'] : [`${source.rev}...HEAD`];
  const out = await gitOk(top, ['diff', '--name-status', '-z', '--find-renames', '--no-ext-diff', ...range, '--']);
  return parseNameStatus(out);
}

/**
 * The environment for reading `source`'s content: the index as is, or a throwaway index holding HEAD's tree
 * (`indexFile`, made with read-tree) so both sources are read the same way.
 */
export async function contentEnv(top: string, source: ChangeSource, indexFile: string): Promise<NodeJS.ProcessEnv> {
  if (source.kind === 'index') return process.env;
  const env = { ...process.env, GIT_INDEX_FILE: indexFile };
  await gitOk(top, ['read-tree', 'HEAD'], env);
  return env;
}

/** The files of the content under `pathspecs` (relative paths). */
export async function listFiles(top: string, env: NodeJS.ProcessEnv, pathspecs: readonly string[]): Promise<string[]> {
  if (!pathspecs.length) return [];
  const out = await gitOk(top, ['ls-files', '-z', '--cached', '--', ...pathspecs], env);
  return out.split('\0').filter(Boolean);
}

/** Check out `files` of the content into `dest` (a scratch directory, made readable to the portage user). */
export async function checkoutFiles(top: string, env: NodeJS.ProcessEnv, files: readonly string[], dest: string): Promise<void> {
  mkdirSync(dest, { recursive: true });
  chmodSync(dest, 0o755);
  if (!files.length) return;
  const prefix = dest.endsWith('/') ? dest : `${dest}/`;
  await gitOk(top, ['checkout-index', '--force', `--prefix=${prefix}`, '-z', '--stdin'], env, files.join('\0') + '\0');
}

/** The ebuild files (`*.ebuild`) of the content with a line matching `pattern` (git grep -E). */
export async function grepEbuilds(top: string, env: NodeJS.ProcessEnv, pattern: string): Promise<string[]> {
  const r = await git(top, ['grep', '--cached', '-l', '-z', '-E', '-e', pattern, '--', '*.ebuild'], env);
  if (r.code === 1) return [];
  if (r.code !== 0) throw new UsageError(`git grep: ${(r.stderr.trim() || `exit ${r.code}`).split('\n').pop()}`);
  return r.stdout.split('\0').filter(Boolean);
}

/** The text of each of `files` in the content (one `git cat-file --batch` for all). Missing ones are absent. */
export async function readFiles(top: string, env: NodeJS.ProcessEnv, files: readonly string[]): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  if (!files.length) return texts;
  const buf = (await execBuffer(['git', 'cat-file', '--batch'], { cwd: top, env, input: files.map((f) => `:${f}\n`).join('') })).stdout;
  let at = 0;
  for (const file of files) {
    const nl = buf.indexOf(10, at);
    if (nl < 0) break;
    const header = buf.subarray(at, nl).toString('utf8');
    at = nl + 1;
    const m = /^[0-9a-f]+ blob (\d+)$/.exec(header);
    if (!m) continue; // "<name> missing"
    const size = Number(m[1]);
    texts.set(file, buf.subarray(at, at + size).toString('utf8'));
    at += size + 1;
  }
  return texts;
}
