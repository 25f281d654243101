/** A scratch git checkout of an ebuild repository (a copy of fixtures/repo) for `netaudit changed` and its hook. */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './cli.js';

export const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.invalid' };

/** A git checkout of a copy of fixtures/repo plus two eclasses (na-outer inherits na-helper), all committed. */
export function scratchRepository(tmp: string): string {
  const repo = path.join(tmp, 'repo');
  cpSync(path.join(ROOT, 'fixtures/repo'), repo, { recursive: true });
  rmSync(path.join(repo, 'expected.json'));
  mkdirSync(path.join(repo, 'eclass'), { recursive: true });
  writeFileSync(path.join(repo, 'eclass/na-helper.eclass'), '# netaudit test eclass\nna_greet() { echo hello; }\n');
  writeFileSync(path.join(repo, 'eclass/na-outer.eclass'), '# inherits the helper\ninherit na-helper\n');
  git(repo, 'init', '-q');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-qm', 'init');
  return repo;
}

export function git(repo: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: repo, env: gitEnv, encoding: 'utf8' });
}

/** A copy of net-test/FROM as net-test/TO (the ebuild renamed), with `edit` applied to its text. */
export function copyPackage(repo: string, from: string, to: string, edit: (text: string) => string = (t) => t): string {
  const dir = path.join(repo, 'net-test', to);
  cpSync(path.join(repo, 'net-test', from), dir, { recursive: true });
  const old = path.join(dir, `${from}-1.ebuild`);
  const file = path.join(dir, `${to}-1.ebuild`);
  renameSync(old, file);
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
  return file;
}
