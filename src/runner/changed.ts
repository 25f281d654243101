/**
 * `netaudit changed`: the ebuilds git says changed, audited as `netaudit ebuild` audits them, from a scratch
 * copy of the content git holds (the index, or HEAD), with a cache of clean results in front.
 *
 * 1. prepareChanged: the changes (src/portage/git.ts), the ebuilds to audit (src/portage/changed.ts), a scratch
 *    copy of the repository (profiles/, metadata/, eclass/, licenses/ and the selected packages' directories, as
 *    staged or committed), and for each ebuild its cache key and, on a hit, the cached result. No Portage run,
 *    no privilege needed.
 * 2. The misses are audited (runner/ebuild.ts auditEbuilds, as `netaudit ebuild` does) in the command's session,
 *    set up for builds only then (a commit whose ebuilds are all cached needs no root), then finishResult() puts
 *    the checkout's path back in each result and caches the clean ones.
 * auditChanged() is the command's core: both steps, the results in the plan's order.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cacheKey, sha256 } from '../cache/key.js';
import { keyParts } from '../cache/inputs.js';
import { cacheDir, lookup, store } from '../cache/results.js';
import { NotRootError } from '../model/errors.js';
import type { BuildResult } from '../model/types.js';
import { changedEbuilds, changedEclasses, ebuildPathOf, eclassNameOf, inheritedNames, namesPattern, usesAnyEclass, type EbuildPath, type FileChange } from '../portage/changed.js';
import { checkoutFiles, contentEnv, ebuildCheckout, gitChanges, grepEbuilds, listFiles, readFiles, type ChangeSource } from '../portage/git.js';
import { locatePortage } from '../portage/locate.js';
import { masterEclassDirs } from '../portage/repos.js';
import { tempDirPrefix } from '../sandbox/names.js';
import { execCapture } from '../proc/exec.js';
import { VERSION } from '../version.js';
import type { EbuildsAuditOptions } from './ebuild.js';
import type { Session } from './session.js';
import { REPO_PARTS } from './verify.js';

export interface ChangedOptions {
  /** The checkout's top level (src/portage/git.ts ebuildCheckout). */
  readonly top: string;
  readonly source: ChangeSource;
  /** Also the ebuilds whose inherit chain reaches a changed eclass. */
  readonly eclassUsers: boolean;
  /** PORTAGE_CONFIGROOT in effect (for the masters' locations and the key). */
  readonly configRoot: string;
  /** The cache directory; absent: no cache (--no-cache). */
  readonly cacheDir?: string;
  /** What goes into every key besides the files: the environment of the audits, --allow-test, Portage, version. */
  readonly keyEnv: NodeJS.ProcessEnv;
  readonly allowTest?: string;
  readonly portage: string;
  readonly version: string;
  /** Checks a cached build against the report schema. */
  readonly validateBuild: (b: unknown) => Promise<boolean>;
}

/** One ebuild to audit. */
export interface ChangedEbuild extends EbuildPath {
  /** Why it is audited: its own change, or a changed eclass it inherits. */
  readonly why: 'changed' | 'eclass';
  /** The copy in the scratch repository (what is audited). */
  readonly scratchPath: string;
  /** The file in the checkout (what the report names). */
  readonly checkoutPath: string;
  /** Its cache key (absent: --no-cache, or not cacheable, see `uncacheable`). */
  readonly key?: string;
  readonly uncacheable?: string;
  /** The cached result on a hit. */
  readonly hit?: BuildResult;
}

export interface ChangedPlan {
  readonly changes: FileChange[];
  readonly eclasses: string[];
  readonly ebuilds: ChangedEbuild[];
  /** The scratch directory (remove with dispose()). */
  readonly scratch: string;
  readonly repoDir: string;
  dispose(): void;
}

/** The eclass names of `dirs` (NAME.eclass files). */
function eclassFilesIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.eclass')).map((f) => f.slice(0, -'.eclass'.length)) : [];
}

/** The ebuilds of the content whose inherit chain reaches one of `changed` (sorted). */
async function eclassUsers(top: string, env: NodeJS.ProcessEnv, changed: readonly string[], masters: readonly string[]): Promise<EbuildPath[]> {
  if (!changed.length) return [];
  const own = (await listFiles(top, env, ['eclass'])).map((p) => eclassNameOf(p)).filter((n): n is string => Boolean(n));
  const ownTexts = await readFiles(top, env, own.map((n) => `eclass/${n}.eclass`));
  const masterDirs = [...masters].reverse();
  const readEclass = (name: string): string | undefined => {
    const t = ownTexts.get(`eclass/${name}.eclass`);
    if (t !== undefined) return t;
    for (const dir of masterDirs) {
      const f = path.join(dir, `${name}.eclass`);
      if (existsSync(f)) return readFileSync(f, 'utf8');
    }
    return undefined;
  };
  const changedSet = new Set(changed);
  // Every eclass whose chain reaches a changed one: an ebuild naming any of them is a candidate.
  const all = new Set([...own, ...masterDirs.flatMap(eclassFilesIn)]);
  const reaching = new Set(changed);
  for (const name of all) {
    const text = readEclass(name);
    if (text !== undefined && usesAnyEclass(text, changedSet, readEclass)) reaching.add(name);
  }
  const candidates = await grepEbuilds(top, env, namesPattern([...reaching]));
  const texts = await readFiles(top, env, candidates);
  const users: EbuildPath[] = [];
  for (const file of candidates) {
    const e = ebuildPathOf(file);
    const text = texts.get(file);
    if (e && text !== undefined && inheritedNames(text).length && usesAnyEclass(text, changedSet, readEclass)) users.push(e);
  }
  return users.sort((a, b) => a.path.localeCompare(b.path));
}

/** Select, copy and look up in the cache. The scratch directory is removed on failure; on success by dispose(). */
export async function prepareChanged(o: ChangedOptions): Promise<ChangedPlan> {
  // Named like every netaudit temp dir: `netaudit gc` removes it if this process is killed.
  const scratch = realpathSync(mkdtempSync(path.join(os.tmpdir(), tempDirPrefix('changed'))));
  const dispose = () => rmSync(scratch, { recursive: true, force: true });
  // Portage reads the copy as the portage user (userpriv).
  chmodSync(scratch, 0o755);
  try {
    const changes = await gitChanges(o.top, o.source);
    const env = await contentEnv(o.top, o.source, path.join(scratch, 'index'));
    const masters = masterEclassDirs(o.top, o.configRoot);
    const own = changedEbuilds(changes);
    const eclasses = changedEclasses(changes);
    const byEclass = o.eclassUsers ? (await eclassUsers(o.top, env, eclasses, masters)).filter((e) => !own.some((x) => x.path === e.path)) : [];
    const selected = [...own.map((e) => ({ ...e, why: 'changed' as const })), ...byEclass.map((e) => ({ ...e, why: 'eclass' as const }))];
    const repoDir = path.join(scratch, path.basename(o.top) || 'repo');
    if (!selected.length) return { changes, eclasses, ebuilds: [], scratch, repoDir, dispose };

    const packages = [...new Set(selected.map((e) => `${e.category}/${e.package}`))];
    await checkoutFiles(o.top, env, await listFiles(o.top, env, [...REPO_PARTS, ...packages]), repoDir);
    const listing = await execCapture(['git', 'ls-files', '-s', '-z', '--', 'profiles', 'metadata/layout.conf'], { cwd: o.top, env });
    const repository = sha256(listing.stdout);
    const ebuilds: ChangedEbuild[] = [];
    for (const e of selected) {
      const base = { ...e, scratchPath: path.join(repoDir, e.path), checkoutPath: path.join(o.top, e.path) };
      if (!o.cacheDir) {
        ebuilds.push(base);
        continue;
      }
      const k = keyParts({
        repoDir,
        ebuild: e.path,
        masterEclassDirs: masters,
        repository,
        configRoot: o.configRoot,
        env: o.keyEnv,
        ...(o.allowTest !== undefined ? { allowTest: o.allowTest } : {}),
        portage: o.portage,
        version: o.version,
      });
      if ('uncacheable' in k) {
        ebuilds.push({ ...base, uncacheable: k.uncacheable });
        continue;
      }
      const key = cacheKey(k.parts);
      const entry = await lookup(o.cacheDir, key, o.validateBuild);
      const hit = entry ? placed({ ...entry.result, cached: { createdAt: entry.createdAt, key } }, base.checkoutPath) : undefined;
      ebuilds.push({ ...base, key, ...(hit ? { hit } : {}) });
    }
    return { changes, eclasses, ebuilds, scratch, repoDir, dispose };
  } catch (e) {
    dispose();
    throw e;
  }
}

/** The result with the checkout's path of the ebuild (the scratch copy is gone once the command ends). */
function placed(b: BuildResult, checkoutPath: string): BuildResult {
  return b.ebuild ? { ...b, ebuild: { ...b.ebuild, path: checkoutPath } } : b;
}

/**
 * An audited result of `e`, ready for the report: the checkout's path, and cached when it is clean (a cache
 * that cannot be written is a warning, not a failure: the audit itself succeeded).
 */
export async function finishResult(e: ChangedEbuild, b: BuildResult, o: Pick<ChangedOptions, 'cacheDir' | 'version'>, warn: (text: string) => void): Promise<BuildResult> {
  const result = placed(b, e.checkoutPath);
  if (o.cacheDir && e.key) {
    try {
      await store(o.cacheDir, e.key, result, o.version);
    } catch (err) {
      warn(`not cached: ${(err as Error).message}`);
    }
  }
  return result;
}

export interface AuditChangedOptions extends Omit<EbuildsAuditOptions, 'install' | 'metas' | 'session' | 'onResult'> {
  /** A directory in the git checkout (--repo; the command passes the current directory by default). */
  readonly repo: string;
  readonly source: ChangeSource;
  /** Also the ebuilds whose inherit chain reaches a changed eclass (--eclass-users). */
  readonly eclassUsers: boolean;
  /** Reuse and store clean results (false: --no-cache). */
  readonly cache: boolean;
  /** The cache's directory (default: src/cache/results.ts cacheDir()). */
  readonly cacheDir?: string;
  /** Portage's ebuild program (--portage; default: located, src/portage/locate.ts). */
  readonly portage?: string;
  /** Run the syscall tracer (false: --no-observe). */
  readonly observe: boolean;
  /** Each build as soon as it is known: the cache hits first, then each audited one. */
  readonly onResult?: (result: BuildResult) => void;
  /** What does not stop the command (a result that could not be cached). */
  readonly onWarning?: (text: string) => void;
}

export interface ChangedAudit {
  /** The results in the plan's order (cache hits and audits). */
  readonly builds: BuildResult[];
  /** How many ebuilds the changes selected (0: nothing to audit, `builds` is empty). */
  readonly selected: number;
  /** A signal ended the command (`builds` is then incomplete). */
  readonly interrupted: boolean;
}

/** `netaudit changed`: plan, cache hits, the misses audited in `session` (set up for builds only when there are misses). */
export async function auditChanged(session: Session, o: AuditChangedOptions): Promise<ChangedAudit> {
  const { repo, source, eclassUsers: withUsers, cache, cacheDir: dir, portage, observe, onResult, onWarning, ...audit } = o;
  const top = await ebuildCheckout(repo, existsSync);
  const install = locatePortage({ portage });
  const cached = cache ? { cacheDir: dir ?? cacheDir() } : {};
  const plan = await prepareChanged({
    top,
    source,
    eclassUsers: withUsers,
    configRoot: install.configRoot,
    ...cached,
    keyEnv: { ...process.env, ...install.env },
    ...(o.allowTest !== undefined ? { allowTest: o.allowTest } : {}),
    portage: install.ebuild,
    version: VERSION,
    // The schema's validator loads only when the cache has an entry.
    validateBuild: async (b) => (await (await import('../report/validate.js')).validateBuild(b)).ok,
  });
  try {
    const selected = plan.ebuilds.length;
    if (session.interrupted) return { builds: [], selected, interrupted: true };
    const results = new Map<string, BuildResult>();
    for (const e of plan.ebuilds) {
      if (e.hit) {
        results.set(e.path, e.hit);
        onResult?.(e.hit);
      }
    }
    const misses = plan.ebuilds.filter((e) => !e.hit);
    if (misses.length) {
      await assertMayAudit(misses, top, source);
      await session.begin({ need: 'portage', observe, sandboxAhead: {} });
      // Loaded only now: a commit whose ebuilds are all cached never loads what builds.
      const [{ readMetadata }, { auditEbuilds }] = await Promise.all([import('../portage/metadata.js'), import('./ebuild.js')]);
      const metas = await readMetadata(install, misses.map((e) => e.scratchPath), { allowTest: o.allowTest });
      const byScratch = new Map(misses.map((e) => [e.scratchPath, e]));
      const pending: Promise<void>[] = [];
      const { interrupted } = await auditEbuilds({
        ...audit,
        install,
        metas,
        session,
        onResult: (b) => {
          const e = b.ebuild ? byScratch.get(b.ebuild.path) : undefined;
          if (!e) return;
          pending.push(
            finishResult(e, b, { ...cached, version: VERSION }, (w) => onWarning?.(w)).then((r) => {
              results.set(e.path, r);
              onResult?.(r);
            }),
          );
        },
      });
      await Promise.all(pending);
      if (interrupted) return { builds: [], selected, interrupted: true };
    }
    const builds = plan.ebuilds.map((e) => results.get(e.path)).filter((b): b is BuildResult => Boolean(b));
    return { builds, selected, interrupted: false };
  } finally {
    plan.dispose();
  }
}

/**
 * Auditing needs root (and the tools): without it, one line that says how to rerun, and from a git hook that
 * the hook runs as the user (NETAUDIT_HOOK names the hook).
 */
async function assertMayAudit(misses: readonly ChangedEbuild[], top: string, source: ChangeSource): Promise<void> {
  const { findProblems } = await import('../sandbox/prereq.js');
  const problems = findProblems();
  if (problems.some((p) => p.error instanceof NotRootError)) {
    const n = misses.length === 1 ? `${misses[0]?.category}/${misses[0]?.path.split('/')[2]?.replace(/\.ebuild$/, '')}` : `${misses.length} changed ebuilds`;
    const rerun = `sudo netaudit changed${source.kind === 'rev' ? ` ${source.rev}` : ''}`;
    const hook = process.env.NETAUDIT_HOOK;
    throw new NotRootError(
      hook
        ? `auditing ${n} needs root and this ${hook} hook runs as you — run '${rerun}' in ${top}; once it passes, commit with --no-verify`
        : `auditing ${n} needs root (network namespaces; Portage drops to the portage user itself) — run: ${rerun}`,
    );
  }
  if (problems[0]) throw problems[0].error;
}
