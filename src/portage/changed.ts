/**
 * Which ebuilds `netaudit changed` audits, from what git says changed (pure: text in, paths out; the git calls
 * are in src/portage/git.ts).
 *
 * - `git diff --name-status -z` output -> file changes (added, modified, renamed, copied, deleted, ...).
 * - Changed ebuilds: added, modified, renamed or copied `CATEGORY/PN/PN-VERSION.ebuild` files (the new path of
 *   a rename); deleted ones are skipped (nothing to build).
 * - Changed eclasses: `eclass/NAME.eclass`, deleted ones included (their users break).
 * - Eclass users (--eclass-users): ebuilds whose inherit chain (the `inherit` statements of the ebuild, then of
 *   each eclass it names, recursively) reaches a changed eclass. Inherit statements are read from the text, as
 *   written: `inherit a b`, continued lines, and conditional ones (`[[ ${PV} == 9999 ]] && inherit git-r3`);
 *   names behind a variable (`inherit ${SCM}`) cannot be read and are left out.
 */

/** A file change as `git diff --name-status` reports it. */
export interface FileChange {
  /** A (added), M (modified), D (deleted), R (renamed), C (copied), T (type changed), U (unmerged), X. */
  readonly status: string;
  /** The path after the change (the new name of a rename or copy). */
  readonly path: string;
  /** The old name of a rename or copy. */
  readonly from?: string;
}

/**
 * Parse `git diff --name-status -z` output: `STATUS\0PATH\0`, or `R100\0OLD\0NEW\0` for renames and copies.
 * Throws on output that does not follow that shape (git's, so a bug).
 */
export function parseNameStatus(text: string): FileChange[] {
  const fields = text.split('\0');
  if (fields[fields.length - 1] === '') fields.pop();
  const out: FileChange[] = [];
  for (let i = 0; i < fields.length; ) {
    const raw = fields[i++] ?? '';
    const status = raw.charAt(0);
    if (!/^[ACDMRTUX]$/.test(status)) throw new Error(`unexpected git diff --name-status field ${JSON.stringify(raw)}`);
    if (status === 'R' || status === 'C') {
      const from = fields[i++];
      const to = fields[i++];
      if (from === undefined || to === undefined) throw new Error(`truncated git diff --name-status rename entry ${JSON.stringify(raw)}`);
      out.push({ status, path: to, from });
    } else {
      const p = fields[i++];
      if (p === undefined) throw new Error(`truncated git diff --name-status entry ${JSON.stringify(raw)}`);
      out.push({ status, path: p });
    }
  }
  return out;
}

/** Where an ebuild sits in a repository. */
export interface EbuildPath {
  readonly category: string;
  readonly package: string;
  /** CATEGORY/PN/PN-VERSION.ebuild, relative to the repository. */
  readonly path: string;
}

/** A version as PMS spells it, after `PN-`: 1.2.3a_rc1_p2-r3. */
const VERSION = /^\d+(\.\d+)*[a-z]?((_alpha|_beta|_pre|_rc|_p)\d*)*(-r\d+)?$/;

/** `CATEGORY/PN/PN-VERSION.ebuild` (relative, forward slashes), else undefined. */
export function ebuildPathOf(rel: string): EbuildPath | undefined {
  const parts = rel.split('/');
  if (parts.length !== 3) return undefined;
  const [category, pn, file] = parts as [string, string, string];
  if (!file.endsWith('.ebuild') || category === 'eclass' || category === 'profiles' || category === 'metadata') return undefined;
  const stem = file.slice(0, -'.ebuild'.length);
  if (!stem.startsWith(`${pn}-`) || !VERSION.test(stem.slice(pn.length + 1))) return undefined;
  return { category, package: pn, path: rel };
}

/** The ebuilds a set of changes adds or modifies (renamed/copied: the new path); deleted ones are skipped. Sorted, unique. */
export function changedEbuilds(changes: readonly FileChange[]): EbuildPath[] {
  const seen = new Map<string, EbuildPath>();
  for (const c of changes) {
    if (c.status === 'D') continue;
    const e = ebuildPathOf(c.path);
    if (e) seen.set(e.path, e);
  }
  return [...seen.values()].sort((a, b) => a.path.localeCompare(b.path));
}

/** `eclass/NAME.eclass` -> NAME. */
export function eclassNameOf(rel: string): string | undefined {
  const m = /^eclass\/([A-Za-z0-9_][A-Za-z0-9_.+-]*)\.eclass$/.exec(rel);
  return m ? m[1] : undefined;
}

/** The names of the eclasses changed (deleted and both sides of a rename included). Sorted, unique. */
export function changedEclasses(changes: readonly FileChange[]): string[] {
  const names = new Set<string>();
  for (const c of changes) {
    for (const p of [c.path, c.from]) {
      const n = p === undefined ? undefined : eclassNameOf(p);
      if (n) names.add(n);
    }
  }
  return [...names].sort();
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/;

/**
 * The eclass names of every `inherit` statement in an ebuild's or eclass's text, in order of appearance,
 * unique. Comments are dropped, backslash-continued lines joined; an inherit ends at a newline, `;`, `&&`,
 * `||`, `|` or `)`. Words with a `$` (names behind variables) or quotes are left out.
 */
export function inheritedNames(text: string): string[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  const names: string[] = [];
  for (const rawLine of joined.split('\n')) {
    const line = stripComment(rawLine);
    // `inherit` as a command: at the start, or after ; && || | ( { then else do.
    const re = /(?:^|[;&|({]|\bthen\b|\belse\b|\bdo\b)\s*inherit\s+([^;&|)\n]*)/g;
    for (let m = re.exec(line); m; m = re.exec(line)) {
      for (const word of (m[1] ?? '').trim().split(/\s+/)) {
        if (word && NAME.test(word) && !names.includes(word)) names.push(word);
      }
    }
  }
  return names;
}

/** A line without its comment (a `#` at the start of a word, outside quotes). */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"') i++;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '\\') i++;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1] as string))) return line.slice(0, i);
  }
  return line;
}

/** The inherit closure of a text. */
export interface InheritChain {
  /** Every eclass reached, in discovery order (the direct ones first). */
  readonly eclasses: string[];
  /** Eclasses named but not found by `readEclass` (their own inherits are unknown). */
  readonly missing: string[];
}

/**
 * Follow `inherit` statements from `text` through the eclasses `readEclass` returns (the repository's
 * eclass/, then its masters'; undefined: not found), recursively; cycles are harmless.
 */
export function inheritChain(text: string, readEclass: (name: string) => string | undefined): InheritChain {
  const eclasses: string[] = [];
  const missing: string[] = [];
  const queue = inheritedNames(text);
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    if (eclasses.includes(name) || missing.includes(name)) continue;
    const body = readEclass(name);
    if (body === undefined) {
      missing.push(name);
      continue;
    }
    eclasses.push(name);
    queue.push(...inheritedNames(body));
  }
  return { eclasses, missing };
}

/** Whether the inherit chain of `text` reaches one of `changed`. */
export function usesAnyEclass(text: string, changed: ReadonlySet<string>, readEclass: (name: string) => string | undefined): boolean {
  if (!changed.size) return false;
  const chain = inheritChain(text, readEclass);
  return chain.eclasses.some((e) => changed.has(e)) || chain.missing.some((e) => changed.has(e));
}

/** A regular expression (for git grep -E) that matches any line naming one of `names` as a word: a cheap first pass. */
export function namesPattern(names: readonly string[]): string {
  const escaped = names.map((n) => n.replace(/[.+]/g, '\\$&'));
  return `(^|[^A-Za-z0-9_.+-])(${escaped.join('|')})($|[^A-Za-z0-9_.+-])`;
}
