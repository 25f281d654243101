/**
 * Reading what netaudit needs of an ebuild through Portage itself (never by scanning ebuild text): resolving
 * paths and atoms to cpv + repository, and EAPI, SLOT, PROPERTIES and RESTRICT as a build sees them (USE
 * conditionals resolved by config.setcpv, with FEATURES=test as `ebuild ... test` forces it), and the
 * ALLOW_TEST in effect, which decides whether Portage runs tests an ebuild restricts.
 */
import path from 'node:path';
import { NoSuchEbuildError, PortageError } from '../model/errors.js';
import type { Ebuild } from '../model/types.js';
import { execCapture } from '../proc/exec.js';
import type { PortageInstall } from './locate.js';

/** An ebuild as Portage reads it: the identity of every layer (model Ebuild) and what the audit needs. */
export interface EbuildMeta extends Ebuild {
  /** The path or atom it was asked for. */
  readonly arg: string;
  readonly cpv: string;
  readonly pf: string;
  readonly repo: string;
  readonly repoPath: string;
  readonly eapi: string;
  readonly slot: string;
  /** Effective (USE conditionals resolved). */
  readonly properties: string[];
  readonly restrict: string[];
  /** As written in the ebuild (with conditionals). */
  readonly rawProperties: string;
  readonly rawRestrict: string;
  /** SRC_URI as written (empty: nothing to fetch). */
  readonly srcUri: string;
  /** ALLOW_TEST as Portage sees it: the user's configuration, or the override the query was given. */
  readonly allowTest: string;
  /**
   * Portage's build directory of this ebuild, ${PORTAGE_TMPDIR}/portage/${CATEGORY}/${PF}, as Portage makes it
   * (what `ebuild FILE clean` removes). Absent in metadata read before it was queried.
   */
  readonly buildDir?: string;
}

export interface MetadataOptions {
  /** Repository for atoms. */
  readonly repo?: string;
  /** ALLOW_TEST for the builds instead of the configuration's (--allow-test). */
  readonly allowTest?: string;
}

/** Runs inside Portage's Python; argv[1] is JSON {"args": [...], "repo": path|null}; prints JSON. */
const SCRIPT = String.raw`
import json, os, sys
req = json.loads(sys.argv[1])
repos = set()
for a in req["args"]:
    if a.endswith(".ebuild"):
        repos.add(os.path.realpath(a).rsplit("/", 3)[0])
if req.get("repo"):
    repos.add(os.path.realpath(req["repo"]))
if repos:
    os.environ["PORTDIR_OVERLAY"] = " ".join(sorted(repos) + [os.environ.get("PORTDIR_OVERLAY", "")]).strip()
os.environ["FEATURES"] = (os.environ.get("FEATURES", "") + " test").strip()
import portage
from portage.versions import catpkgsplit
portdb = portage.db[portage.root]["porttree"].dbapi
settings = portage.config(clone=portage.settings)
KEYS = ["EAPI", "SLOT", "PROPERTIES", "RESTRICT", "SRC_URI"]

def describe(arg, cpv, repo, path):
    raw = dict(zip(KEYS, portdb.aux_get(cpv, KEYS, myrepo=repo)))
    settings.setcpv(portdb._pkg_str(cpv, repo), mydb=portdb)
    cat, pf = cpv.split("/", 1)
    parts = catpkgsplit(cpv)
    ver = parts[2] + ("" if parts[3] == "r0" else "-" + parts[3])
    return dict(arg=arg, path=path, cpv=cpv, category=cat, package=parts[1], version=ver, pf=pf, repo=repo,
                repoPath=portdb.getRepositoryPath(repo), eapi=raw["EAPI"], slot=raw["SLOT"],
                properties=settings.get("PORTAGE_PROPERTIES", "").split(),
                restrict=settings.get("PORTAGE_RESTRICT", "").split(),
                rawProperties=raw["PROPERTIES"], rawRestrict=raw["RESTRICT"], srcUri=raw["SRC_URI"],
                allowTest=settings.get("ALLOW_TEST", ""),
                buildDir=os.path.join(settings["PORTAGE_TMPDIR"], "portage", cat, pf))

out = []
for a in req["args"]:
    try:
        if a.endswith(".ebuild"):
            p = os.path.realpath(a)
            if not os.path.isfile(p):
                out.append(dict(arg=a, error="no such ebuild file")); continue
            repo_path, cat, pn, fname = p.rsplit("/", 3)
            repo = portdb.getRepositoryName(repo_path)
            cpv = cat + "/" + fname[:-len(".ebuild")]
            if not catpkgsplit(cpv) or catpkgsplit(cpv)[1] != pn:
                out.append(dict(arg=a, error="not an ebuild in a repository (expected REPO/CATEGORY/PACKAGE/PACKAGE-VERSION.ebuild)")); continue
            out.append(describe(a, cpv, repo, p))
        else:
            atom = a if a[:1] in "=<>~" else ("=" + a if catpkgsplit(a) else a)
            repo_name = portdb.getRepositoryName(os.path.realpath(req["repo"])) if req.get("repo") else None
            if repo_name:
                atom = atom + "::" + repo_name
            matches = portdb.xmatch("match-all", atom)
            if not matches:
                out.append(dict(arg=a, error="no ebuild matches" + (" in " + req["repo"] if req.get("repo") else " in the configured repositories"))); continue
            for cpv in matches:
                repo = cpv.repo if getattr(cpv, "repo", None) else repo_name
                p, _ = portdb.findname2(cpv, myrepo=repo)
                out.append(describe(a, str(cpv), repo, p))
    except Exception as e:
        out.append(dict(arg=a, error="%s: %s" % (type(e).__name__, e)))
print(json.dumps(out))
`;

export interface MetadataError {
  readonly arg: string;
  readonly error: string;
}

/** Like readMetadata, but an ebuild Portage cannot read comes back as an error row instead of failing all. */
export async function readMetadataLenient(install: PortageInstall, args: readonly string[], options: MetadataOptions = {}): Promise<(EbuildMeta | MetadataError)[]> {
  return queryPortage(install, args, options);
}

export async function readMetadata(install: PortageInstall, args: readonly string[], options: MetadataOptions = {}): Promise<EbuildMeta[]> {
  const metas: EbuildMeta[] = [];
  for (const row of await queryPortage(install, args, options)) {
    if ('error' in row) throw new NoSuchEbuildError(row.arg, `${row.arg}: ${row.error} — give a path to an .ebuild file, or CATEGORY/PACKAGE[-VERSION] with --repo DIR`);
    metas.push(row);
  }
  return metas;
}

async function queryPortage(install: PortageInstall, args: readonly string[], options: MetadataOptions): Promise<(EbuildMeta | MetadataError)[]> {
  const { repo, allowTest } = options;
  const request = JSON.stringify({ args: args.map((a) => (a.endsWith('.ebuild') ? path.resolve(a) : a)), repo: repo ? path.resolve(repo) : null });
  const env = { ...process.env, ...install.env, NOCOLOR: 'true', ...(allowTest !== undefined ? { ALLOW_TEST: allowTest } : {}) };
  const r = await execCapture([install.python, '-c', SCRIPT, request], { env });
  let rows: (EbuildMeta | MetadataError)[];
  try {
    rows = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as typeof rows;
  } catch {
    throw new PortageError(`reading ebuild metadata through Portage failed: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`}`);
  }
  return rows;
}
