/**
 * Real Portage for tests: the install scripts/install-portage.sh makes under /opt/netaudit (portage.env plus the
 * venv's `ebuild`). Outside CI the Portage tests are skipped when it is missing; with CI=true they fail, so CI
 * never passes by skipping.
 *
 * The env file is parsed here (not through src/portage/locate.ts) so that the fidelity check against the real
 * thing does not depend on netaudit's own code.
 */
import assert from 'node:assert/strict';
import { accessSync, chmodSync, constants, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BuildResult, Report } from '../../src/model/types.js';
import { locatePortage, type PortageInstall } from '../../src/portage/locate.js';
import { FIXTURE_DISTFILES, netaudit } from './cli.js';

export const PORTAGE_PREFIX = '/opt/netaudit';
/** Written by scripts/install-portage.sh: `export PORTAGE_CONFIGROOT="..."`, `export EPREFIX=""`, `export NETAUDIT_EBUILD="..."`. */
export const PORTAGE_ENV_FILE = `${PORTAGE_PREFIX}/portage.env`;
/**
 * Portage inherits the caller's PATH, and so do the phases unless ${BROOT}/etc/profile.env sets one (install-portage.sh
 * writes it); root's may lead to pyenv shims the portage user cannot run (portage-notes §4, §5).
 */
export const STANDARD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The variables of /opt/netaudit/portage.env (`export K="V"`, `K=V`, `K='V'`; no expansion); {} when it is missing. */
export function portageEnvFile(file = PORTAGE_ENV_FILE): Record<string, string> {
  if (!existsSync(file)) return {};
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(?:"([^"]*)"|'([^']*)'|(\S*))\s*$/.exec(line);
    if (m) env[m[1] as string] = m[2] ?? m[3] ?? m[4] ?? '';
  }
  return env;
}

/** The `ebuild` program: NETAUDIT_EBUILD from portage.env, else the venv's. */
export function ebuildBinary(): string {
  return portageEnvFile().NETAUDIT_EBUILD || `${PORTAGE_PREFIX}/portage-venv/bin/ebuild`;
}

/** What is missing for the Portage tests ([] when nothing). */
export function portageProblems(): string[] {
  const problems: string[] = [];
  if (!existsSync(PORTAGE_ENV_FILE)) problems.push(`${PORTAGE_ENV_FILE} is missing`);
  try {
    accessSync(ebuildBinary(), constants.X_OK);
  } catch {
    problems.push(`${ebuildBinary()} is missing or not executable`);
  }
  return problems;
}

/** The install under /opt/netaudit, else a system Portage on PATH (a Gentoo host). */
export function findPortage(): PortageInstall | undefined {
  try {
    return portageProblems().length ? locatePortage() : locatePortage({ portage: ebuildBinary(), env: {} });
  } catch {
    return undefined;
  }
}

/** Skips the test (or, with CI=true, fails it) unless Portage is there (/opt/netaudit, or `ebuild` on PATH). */
export function requirePortage(ctx: Mocha.Context): PortageInstall {
  const install = findPortage();
  if (install) return install;
  const why = portageProblems().join('; ') || 'Portage could not be located';
  if (process.env.CI === 'true') throw new Error(`Portage tests cannot run in CI: ${why} (did scripts/install-portage.sh run?)`);
  ctx.skip();
}

/**
 * The environment of a plain Portage call: portage.env's variables, a standard PATH, no colours, HOME, the
 * fixture repository's distfiles as PORTAGE_RO_DISTDIRS, then `extra`. Nothing else of the caller's environment: proxies (http_proxy …), DISTCC_*, FEATURES or a pyenv PATH
 * would reach the build (Portage passes them through) and change what it does.
 * The older form portageEnv(install, extra) is still accepted; the install's variables are used then.
 */
export function portageEnv(extra?: Record<string, string>): NodeJS.ProcessEnv;
export function portageEnv(install: PortageInstall, extra?: Record<string, string>): NodeJS.ProcessEnv;
export function portageEnv(a?: PortageInstall | Record<string, string>, b?: Record<string, string>): NodeJS.ProcessEnv {
  const isInstall = (x: unknown): x is PortageInstall => typeof x === 'object' && x !== null && 'ebuild' in x && 'configRoot' in x;
  const fileEnv = isInstall(a) ? { ...a.env } : portageEnvFile();
  const extra = (isInstall(a) ? b : a) ?? {};
  return { HOME: process.env.HOME ?? '/root', ...fileEnv, PATH: STANDARD_PATH, NOCOLOR: 'true', PORTAGE_RO_DISTDIRS: FIXTURE_DISTFILES, ...extra };
}

/** The scratch copies `--verify` makes (netaudit-verify-*), to check that a run left none behind. */
export const scratchDirs = (): string[] => readdirSync(os.tmpdir()).filter((n) => n.startsWith('netaudit-verify-'));

/** What `netaudit ebuild --suggest --verify` of one ebuild left: the --verify suites' shared start. */
export interface SuggestVerifyRun {
  /** The run's temp dir (patches/, report.json, logs/, evidence/ with keepEvidence): the suite removes it. */
  readonly tmp: string;
  readonly stdout: string;
  readonly build: BuildResult;
  /** The scratch copies that existed before the run (scratchDirs()). */
  readonly scratchBefore: string[];
}

/** Audit `ebuild` with --suggest and --verify (exit 0 required), its evidence kept in tmp/evidence when asked. */
export async function suggestVerifyRun(ebuild: string, options: { keepEvidence?: boolean } = {}): Promise<SuggestVerifyRun> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-test-'));
  // Portage's phases run as the portage user: it must read the logs' directory.
  chmodSync(tmp, 0o755);
  const scratchBefore = scratchDirs();
  const run = await netaudit(
    ['ebuild', '--suggest', path.join(tmp, 'patches'), '--verify', '--json', path.join(tmp, 'report.json'), '--log-dir', path.join(tmp, 'logs'), '--fail-on', 'never', ebuild],
    { env: { ...process.env, NO_COLOR: '1', ...(options.keepEvidence ? { NETAUDIT_KEEP_EVIDENCE: path.join(tmp, 'evidence') } : {}) } },
  );
  assert.equal(run.code, 0, run.stderr);
  const build = (JSON.parse(readFileSync(path.join(tmp, 'report.json'), 'utf8')) as Report).builds[0] as BuildResult;
  return { tmp, stdout: run.stdout, build, scratchBefore };
}
