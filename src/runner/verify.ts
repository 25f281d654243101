/**
 * `--verify`: each suggestion with a patch is applied to a scratch copy of the ebuild's repository (never the
 * user's files) and the patched ebuild is audited again, through Portage, as the original was. The copy holds
 * only what Portage needs of the repository: profiles/, metadata/, eclass/, licenses/ and the package's
 * directory (its ebuilds, files/, Manifest); the scratch directory is removed on every path.
 *
 * verified: true only when every phase that broke now passes (or, for PROPERTIES=test_network + RESTRICT=test,
 * src_test is skipped as the suggestion intends) and no blocked attempt remains.
 */
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { endpoint, formatDuration } from '../model/format.js';
import type { Attempt, BuildResult, Suggestion } from '../model/types.js';
import type { EbuildMeta } from '../portage/metadata.js';
import { readMetadata } from '../portage/metadata.js';
import { applyPatch } from '../suggest/diff.js';
import type { PortageInstall } from '../portage/locate.js';
import { execCapture } from '../proc/exec.js';
import { auditEbuild, portageEnv, type EbuildAuditOptions } from './ebuild.js';

/** What of a repository a scratch copy holds, besides the package's directory. */
export const REPO_PARTS = ['profiles', 'metadata', 'eclass', 'licenses'] as const;

export type VerifyOptions = Omit<EbuildAuditOptions, 'meta' | 'sandbox' | 'pcapDir' | 'keepWorkdir'> & {
  /** Each teardown problem (should never happen). */
  readonly onTeardownProblem?: (problem: string) => void;
};

/** A scratch copy of the repository of `meta`, with the package's ebuild patched; returns the copy's ebuild path. */
export function scratchCopy(meta: Pick<EbuildMeta, 'repoPath' | 'category' | 'package' | 'path'>, scratch: string, patch: string): string {
  const repo = path.join(scratch, path.basename(meta.repoPath) || 'repo');
  for (const part of REPO_PARTS) {
    const from = path.join(meta.repoPath, part);
    if (existsSync(from)) cpSync(from, path.join(repo, part), { recursive: true });
  }
  const pkg = path.join(meta.category, meta.package);
  cpSync(path.join(meta.repoPath, pkg), path.join(repo, pkg), { recursive: true });
  const ebuild = path.join(repo, pkg, path.basename(meta.path));
  writeFileSync(ebuild, applyPatch(readFileSync(ebuild, 'utf8'), patch));
  return ebuild;
}

/** The phases that broke: those of PhaseFailed findings, else those of the blocked attempts. */
export function brokenPhases(b: BuildResult): string[] {
  const failed = b.findings.filter((f) => f.keyword === 'PhaseFailed' && f.phase).map((f) => f.phase as string);
  const blocked = b.attempts.filter((a) => !a.allowed && a.phase).map((a) => a.phase as string);
  return [...new Set(failed.length ? failed : blocked)];
}

function briefly(a: Attempt): string {
  const where = a.kind === 'dns' ? `${a.hostname ?? a.address} (${a.qtype ?? 'dns'})` : `${a.kind} ${a.kind === 'unix' ? a.address : endpoint(a.address, a.port)}`;
  return `${where} in ${a.phase ?? 'an unknown phase'}${a.test ? ` (${a.test})` : ''}`;
}

/** The judgement of a re-run: pure. */
export function judgeVerification(original: BuildResult, rerun: BuildResult, cause: Suggestion['cause']): Pick<Suggestion, 'verified' | 'verification'> {
  const problems: string[] = [];
  const passed: string[] = [];
  for (const name of brokenPhases(original)) {
    const ran = (rerun.phases ?? []).filter((p) => p.name === name);
    const skipped = name === 'src_test' && cause === 'test-network' && rerun.findings.some((f) => f.keyword === 'TestsSkipped');
    if (skipped) passed.push(`${name} skipped (RESTRICT=test)`);
    else if (!ran.length) problems.push(`${name} did not run`);
    else if (ran.some((p) => p.exitCode !== 0)) problems.push(`${name} still fails (exit ${ran.find((p) => p.exitCode !== 0)?.exitCode ?? 'unknown'})`);
    else passed.push(`${name} passes`);
  }
  // A re-run that never reached the phases (fetch, metadata): what Portage said, not only "did not run".
  for (const f of rerun.findings.filter((x) => x.keyword === 'FetchFailed' || x.keyword === 'MetadataError')) {
    problems.push(`${f.message}${f.logLines?.length ? `: ${f.logLines.slice(0, 2).join(' / ')}` : ''}`);
  }
  const blocked = rerun.attempts.filter((a) => !a.allowed);
  if (blocked.length) problems.push(`${blocked.length} blocked attempt(s) remain: ${[...new Set(blocked.map(briefly))].slice(0, 4).join(', ')}`);
  const head = `patched copy audited (${formatDuration(rerun.durationMs)}): verdict ${rerun.verdict}`;
  if (problems.length) return { verified: false, verification: `${head}; ${[...passed, ...problems].join('; ')}` };
  return { verified: true, verification: `${head}; ${passed.join('; ')}; no blocked attempt` };
}

/** `ebuild FILE manifest` for a scratch copy: undefined when it worked, else the last lines Portage printed. */
async function writeManifest(install: PortageInstall, ebuild: string): Promise<string | undefined> {
  const r = await execCapture([install.ebuild, ebuild, 'manifest'], { env: portageEnv(install, {}) });
  if (r.code === 0) return undefined;
  const lines = `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.slice(-3).join(' / ') || `exit ${r.code}`;
}

/** Verify every suggestion of `build` that has a patch; the others are returned as they are. */
export async function verifySuggestions(build: BuildResult, meta: EbuildMeta, suggestions: readonly Suggestion[], options: VerifyOptions): Promise<Suggestion[]> {
  const out: Suggestion[] = [];
  for (const s of suggestions) {
    if (!s.patch || options.signal?.aborted) {
      out.push(s);
      continue;
    }
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'netaudit-verify-'));
    try {
      // Portage's phases run as the portage user (userpriv): it must read the copy.
      chmodSync(scratch, 0o755);
      let ebuild: string;
      try {
        ebuild = scratchCopy(meta, scratch, s.patch);
      } catch (e) {
        out.push({ ...s, verified: false, verification: `the patch does not apply to a copy of the ebuild: ${(e as Error).message}` });
        continue;
      }
      if (s.cause === 'build-time-download') {
        // The patch adds distfiles: the copy's Manifest must name them, as the developer's `pkgdev manifest` would
        // (Portage fetches them here, outside any sandbox, as it does for every distfile).
        const problem = await writeManifest(options.install, ebuild);
        if (problem) {
          out.push({ ...s, verified: false, verification: `the Manifest of the patched copy could not be written (the new distfile must be fetchable): ${problem}` });
          continue;
        }
      }
      const [patchedMeta] = await readMetadata(options.install, [ebuild], { allowTest: options.allowTest });
      if (!patchedMeta) throw new Error(`Portage did not read ${ebuild}`);
      const { onTeardownProblem, ...audit } = options;
      const rerun = await auditEbuild({ ...audit, meta: patchedMeta });
      for (const t of rerun.teardown) onTeardownProblem?.(t);
      if (rerun.interrupted) {
        out.push(s);
        continue;
      }
      out.push({ ...s, ...judgeVerification(build, rerun.result, s.cause) });
    } catch (e) {
      out.push({ ...s, verified: false, verification: `verification failed: ${(e as Error).message}` });
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  return out;
}
