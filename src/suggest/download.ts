/**
 * Build-time downloads, pure: which file a blocked attempt was after (its URL) and where the build wanted it (the
 * downloader's output file), from what the run recorded: the process's argv (syscall observer) and, from an
 * intercepted run, an HTTP request's URL (`wanted`). Then the ebuild change that moves the download out of the
 * phase: the URL into SRC_URI (fetched by Portage outside the sandbox), and, where the output file is known, a copy
 * from ${DISTDIR} to it in src_prepare, so the build finds the file and does not download it again (make targets,
 * FetchContent with a local copy, "download unless present" scripts). Where the build would not look for a copy,
 * the SRC_URI entry alone does not fix it: the summary says so and --verify shows it.
 *
 * Nothing here is trusted for shell text: a URL or path is used only when it is made of characters that are
 * inert inside double quotes in bash (no `$`, backquote, quote, backslash, space or control character).
 */
import type { Attempt } from '../model/types.js';
import { functionEnd, globalScope, inherited } from './ebuild-text.js';

/** One file the build tried to download. */
export interface Download {
  readonly url: string;
  /** Where the downloader was told to write it, as given (relative to its working directory, or absolute). */
  readonly output?: string;
  /** The downloading program (curl, wget, git, python3, ...), when known. */
  readonly tool?: string;
}

/** URLs and paths that are safe as written inside double quotes in an ebuild. */
const SAFE_URL = /^(?:https?|ftp):\/\/[A-Za-z0-9._~:/?#[\]@!&()*+,;=%-]+$/;
const SAFE_PATH = /^[A-Za-z0-9._/+@%,=:-]+$/;

export function safeUrl(url: string): boolean {
  return SAFE_URL.test(url) && url.length <= 1024;
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    return undefined;
  }
}

/** The file name a URL names (its last path segment, no query), or undefined for a directory-like URL. */
export function urlBasename(url: string): string | undefined {
  let p: string;
  try {
    p = new URL(url).pathname;
  } catch {
    return undefined;
  }
  const base = decodeURIComponent(p.split('/').pop() ?? '');
  return base && SAFE_PATH.test(base) && base !== '.' && base !== '..' ? base : undefined;
}

/** curl's short options that take an argument (curl 7.88/8.x). */
const CURL_SHORT_ARG = new Set('AbcCdDeEFHKmoPQrTuUwxXyYz'.split(''));
/** curl's long options that take an argument and whose argument could look like a URL or a file. */
const CURL_LONG_ARG = /^--(?:output|output-dir|user-agent|referer|proxy|preproxy|url|data(?:-\w+)?|header|cookie(?:-jar)?|config|form|upload-file|write-out|connect-to|resolve|cacert|cert|key|max-time|connect-timeout|retry(?:-\w+)?|range|request|user|limit-rate|dns-servers|interface)$/;
/** wget's short options that take an argument. */
const WGET_SHORT_ARG = new Set('OoaPtTwUeiBQlARDIXY'.split(''));

interface Parsed {
  readonly urls: string[];
  /** Output files in order (curl pairs them with the URLs in order). */
  readonly outputs: (string | { remoteName: true })[];
  readonly dir?: string;
}

function parseCurl(args: readonly string[]): Parsed {
  const urls: string[] = [];
  const outputs: Parsed['outputs'] = [];
  let dir: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') {
      urls.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const [name, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
      if (name === '--remote-name' || name === '--remote-name-all') outputs.push({ remoteName: true });
      else if (CURL_LONG_ARG.test(name)) {
        const value = inline ?? args[++i];
        if (name === '--output' && value !== undefined) outputs.push(value);
        else if (name === '--output-dir' && value !== undefined) dir = value;
        else if (name === '--url' && value !== undefined) urls.push(value);
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j] as string;
        if (c === 'O') outputs.push({ remoteName: true });
        else if (CURL_SHORT_ARG.has(c)) {
          const value = j + 1 < a.length ? a.slice(j + 1) : args[++i];
          if (c === 'o' && value !== undefined) outputs.push(value);
          break;
        }
      }
      continue;
    }
    urls.push(a);
  }
  return { urls, outputs, ...(dir !== undefined ? { dir } : {}) };
}

function parseWget(args: readonly string[]): Parsed {
  const urls: string[] = [];
  const outputs: Parsed['outputs'] = [];
  let dir: string | undefined;
  let document: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(0, eq) : a;
      const value = eq > 0 ? a.slice(eq + 1) : undefined;
      if (name === '--output-document') document = value ?? args[++i];
      else if (name === '--directory-prefix') dir = value ?? args[++i];
      else if (eq < 0 && /^--(?:output-file|append-output|tries|timeout|wait|user-agent|execute|input-file|base|quota|level|accept|reject|domains|header|user|password|referer)$/.test(name)) i++;
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j] as string;
        if (WGET_SHORT_ARG.has(c)) {
          const value = j + 1 < a.length ? a.slice(j + 1) : args[++i];
          if (c === 'O') document = value;
          else if (c === 'P') dir = value;
          break;
        }
      }
      continue;
    }
    urls.push(a);
  }
  // wget writes every URL to --output-document when given, else each to its remote name (under -P).
  for (let k = 0; k < urls.length; k++) outputs.push(document ?? { remoteName: true });
  return { urls, outputs, ...(dir !== undefined ? { dir } : {}) };
}

const joinDir = (dir: string | undefined, file: string) => (dir ? `${dir.replace(/\/+$/, '')}/${file}` : file);

/** The downloads an argv asks for: curl and wget with their output files; other programs' URLs without one. */
export function downloadsFromArgv(argv: readonly string[]): Download[] {
  const tool = (argv[0] ?? '').split('/').pop() ?? '';
  const args = argv.slice(1);
  const parsed = tool === 'curl' ? parseCurl(args) : tool === 'wget' ? parseWget(args) : undefined;
  if (!parsed) return args.filter((a) => /^(?:https?|ftp):\/\//i.test(a)).map((url) => ({ url, tool }));
  return parsed.urls
    .filter((u) => /^(?:https?|ftp):\/\//i.test(u))
    .map((url, i) => {
      const out = parsed.outputs[i];
      const file = typeof out === 'string' ? (out === '-' ? undefined : out) : out ? urlBasename(url) : undefined;
      return { url, tool, ...(file !== undefined ? { output: joinDir(parsed.dir, file) } : {}) };
    });
}

/** The URL of an intercepted HTTP GET (`http://HOST/PATH`), from an attempt's `wanted` text. */
function urlsFromWanted(wanted: string | undefined): string[] {
  if (!wanted) return [];
  return wanted.split(' | ').filter((w) => /^https?:\/\/\S+$/.test(w));
}

/**
 * The downloads behind blocked attempts, one per URL, in order of first appearance. An attempt contributes the
 * URLs of its process's argv whose host is the attempt's host name (or any when the attempt has no name: a
 * literal address, whose URL then names it), and the URL it wanted when intercepted.
 */
export function downloadsOf(attempts: readonly Attempt[]): Download[] {
  const out = new Map<string, Download>();
  for (const a of attempts) {
    const host = a.hostname?.toLowerCase();
    const fromArgv = a.process?.argv ? downloadsFromArgv(a.process.argv) : [];
    for (const d of fromArgv) {
      const h = hostOf(d.url);
      if (host ? h !== host : h !== a.address.toLowerCase()) continue;
      if (!out.has(d.url) || (d.output && !out.get(d.url)?.output)) out.set(d.url, d);
    }
    for (const url of urlsFromWanted(a.wanted)) if (!out.has(url)) out.set(url, { url, ...(a.process ? { tool: a.process.comm } : {}) });
  }
  return [...out.values()];
}

/** A repository rather than a file: SRC_URI cannot take it as it is. */
export function isRepository(d: Download): boolean {
  return /^git(?:-remote-\w+)?$/.test(d.tool ?? '') || /\.git\/?$/.test(new URL(d.url).pathname);
}

/**
 * Where a copy goes, as ebuild text for src_prepare (which runs in ${S}): a relative output as written (the
 * downloader's working directory is taken to be ${S}, where Portage runs the phase), an absolute one inside
 * Portage's build directory through ${WORKDIR} or ${T}; undefined for anything else (never outside the build).
 */
export function copyTarget(output: string): string | undefined {
  if (!SAFE_PATH.test(output) || output.split('/').includes('..')) return undefined;
  if (!output.startsWith('/')) return output.replace(/^\.\//, '');
  const m = /\/portage\/[^/]+\/[^/]+\/(work|temp)\/(.+)$/.exec(output);
  if (!m) return undefined;
  return `${m[1] === 'work' ? '${WORKDIR}' : '${T}'}/${m[2]}`;
}

/** Eclasses whose src_prepare an ebuild must call instead of `default`, as `<eclass>_src_prepare`. */
const EXPORTS_SRC_PREPARE = ['cmake', 'distutils-r1', 'xdg', 'gnome2', 'ecm'];

export interface CopyEdit {
  readonly text: string;
  /** Why the copy could not be placed, when it was not. */
  readonly problem?: string;
  /** The function the lines went into, and whether it was added. */
  readonly where?: 'added src_prepare' | 'src_prepare';
}

/**
 * Put `body` (tab-indented lines) into src_prepare: after its `default` or eclass call when it has one, else
 * before its closing brace; a new src_prepare (calling `default`, or the src_prepare of an inherited eclass that
 * exports one) before the first function when there is none.
 */
export function addToSrcPrepare(text: string, body: readonly string[]): CopyEdit {
  const eol = text.endsWith('\n');
  const lines = (eol ? text.slice(0, -1) : text).split('\n');
  const finish = (out: string[]) => out.join('\n') + (eol ? '\n' : '');
  const start = lines.findIndex((l) => /^(?:function\s+)?src_prepare\s*\(\)\s*\{?\s*$/.test(l));
  if (start < 0) {
    if (lines.some((l) => /^(?:function\s+)?src_prepare\s*\(\)/.test(l))) return { text, problem: 'src_prepare is written on one line' };
    const exporters = inherited(lines).filter((e) => EXPORTS_SRC_PREPARE.includes(e));
    const call = exporters.length ? `${exporters[exporters.length - 1]}_src_prepare` : 'default';
    // In phase order, as ebuilds are written: after the functions of earlier phases, else before the first one.
    const earlier = lines.flatMap((l, i) => (/^(?:function\s+)?(?:pkg_pretend|pkg_setup|src_unpack)\s*\(\)/.test(l) ? [functionEnd(lines, i)] : []));
    const at = earlier.length ? Math.max(...earlier) + 1 : globalScope(lines).firstFunction;
    const block = ['src_prepare() {', `\t${call}`, ...body, '}'];
    const before = lines.slice(0, at);
    const after = lines.slice(at);
    const gap = before.length && (before[before.length - 1] as string).trim() !== '' ? [''] : [];
    const tail = after.length && (after[0] as string).trim() !== '' ? [''] : [];
    return { text: finish([...before, ...gap, ...block, ...tail, ...after]), where: 'added src_prepare' };
  }
  const end = functionEnd(lines, start);
  if (!/^\}\s*$/.test(lines[end] as string)) return { text, problem: "src_prepare's closing brace is not alone at the start of a line" };
  const callAt = lines.slice(start + 1, end).findIndex((l) => /^\s*(?:default|eapply_user|[A-Za-z0-9_-]+_src_prepare)\b/.test(l));
  const at = callAt >= 0 ? start + 1 + callAt + 1 : end;
  return { text: finish([...lines.slice(0, at), ...body, ...lines.slice(at)]), where: 'src_prepare' };
}

/** The distfile name for a download: `${P}-BASENAME`, so it cannot collide with another package's distfiles. */
export function distfileName(d: Download): string {
  return `\${P}-${urlBasename(d.url) ?? 'download'}`;
}

/** The src_prepare lines that give the build the copy from DISTDIR at `target`. */
export function copyLines(d: Download, target: string): string[] {
  const dir = target.includes('/') ? target.slice(0, target.lastIndexOf('/')) : '';
  return [
    ...(dir && dir !== '${WORKDIR}' && dir !== '${T}' ? [`\tmkdir -p "${dir}" || die`] : []),
    `\tcp "\${DISTDIR}/${distfileName(d)}" "${target}" || die`,
  ];
}
