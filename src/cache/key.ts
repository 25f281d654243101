/**
 * The key of a cached clean result (pure): sha256 over a canonical JSON of everything that decides how an
 * ebuild builds, each part already hashed by the caller (src/cache/inputs.ts):
 * - the netaudit version;
 * - the ebuild's name and text; the package's files/ directory (each file's path and content);
 * - every eclass of its inherit chain (name and text, found in the repository's eclass/ then its masters');
 * - the repository's profiles/ and metadata/layout.conf;
 * - the Portage configuration under the config root (every file of etc/portage: make.conf, package.env,
 *   env/, package.use, bashrc, repos.conf, ...; make.profile as where it points; not gnupg/), and the settings that
 *   override it from the environment (FEATURES, ALLOW_TEST, USE, ...) or the command line (--allow-test).
 * Portage resolves ALLOW_TEST and FEATURES from exactly these inputs, so the key covers their resolved values
 * without starting Portage (a cache hit must cost no Portage run).
 */
import { createHash } from 'node:crypto';

export interface KeyParts {
  readonly version: string;
  /** CATEGORY/PN/PF.ebuild: the name decides ${P}, ${PV}, ... */
  readonly ebuildPath: string;
  /** sha256 of the ebuild's text. */
  readonly ebuild: string;
  /** files/ path (relative to files/) -> sha256. */
  readonly files: Readonly<Record<string, string>>;
  /** eclass name -> sha256 of its text. */
  readonly eclasses: Readonly<Record<string, string>>;
  /** sha256 of the repository's profiles/ and layout.conf. */
  readonly repository: string;
  /** etc/portage path (relative) -> sha256 of the content, or `-> TARGET` for make.profile. */
  readonly config: Readonly<Record<string, string>>;
  /** Settings given outside the configuration files (environment, command line); absent ones left out. */
  readonly settings: Readonly<Record<string, string>>;
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Objects with sorted keys, recursively: the same parts give the same text whatever their order. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value as object).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}

/** The cache key: 64 hex digits. */
export function cacheKey(parts: KeyParts): string {
  return sha256(JSON.stringify(canonical({ format: 1, ...parts })));
}
