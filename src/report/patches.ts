/**
 * `netaudit report patches`: the suggested patches of a report as `git format-patch` mails, one per package,
 * ready for `git am` in the ebuild repository. Pure formatting (patchMails) plus one writer that puts the mails
 * into a fresh directory all at once (writePatchDir). No process is started here: the author comes from the
 * caller (--author, or `git config` read by the CLI).
 *
 * One mail per build that has at least one patch (after --verified-only), numbered in report order
 * (0001-..., as format-patch names them). The commit is in Gentoo's style: `cat/pkg: subject` (PN, not PF),
 * imperative, one subject per cause (SUBJECTS); several causes in one package make one commit with the subject
 * of the first and the others in the body. The body says what netaudit saw (targets, tests, phase), the
 * verification line (or that the change is not verified; after several verify rounds, a paragraph with each
 * round, what it added and its outcome), and `Found by netaudit VERSION (network-sandbox audit)`.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { UsageError, WriteError } from '../model/errors.js';
import { roundsSentence, shownAttempt } from '../model/format.js';
import type { Attempt, BuildResult, Report, Suggestion, SuggestionCause } from '../model/types.js';
import { attemptTarget } from '../suggest/index.js';
import { writeDirAtomic } from '../util/atomic.js';

/** An author as git writes it: `Name <email>`. */
export interface Author {
  readonly name: string;
  readonly email: string;
}

/** `Name <email>` -> Author; UsageError naming --author otherwise. */
export function parseAuthor(text: string): Author {
  const m = /^\s*([^<>\n]*[^<>\s])\s*<([^<>\s]+)>\s*$/.exec(text);
  if (!m) throw new UsageError(`--author ${JSON.stringify(text)}: not "Name <email>" — write it as git does, e.g. --author "Larry the Cow <larry@gentoo.org>"`, { option: '--author' });
  return { name: m[1] as string, email: m[2] as string };
}

/** Subjects are kept under this length (Gentoo's commit policy: the summary line short, under 70 characters). */
export const SUBJECT_MAX = 69;

/** The summary of a commit fixing `s` in package `pn` (without the `cat/pkg: ` prefix). */
function causeSubject(s: Suggestion, attempts: readonly Attempt[]): string {
  const SUBJECTS: Record<SuggestionCause, string> = {
    'deselect-tests': 'skip tests requiring Internet access',
    'test-network': 'restrict tests needing the network',
    'build-time-download': 'fetch sources in SRC_URI, not at build time',
    'distcc-proxy': 'use the network-sandbox proxy for distcc',
    'host-service': 'do not reach for host services at build time',
    other: 'avoid network access under network-sandbox',
    'leak-tests': 'skip tests that try to reach the Internet',
  };
  if (s.idiom === 'declare') return 'restrict tests requiring Internet access';
  if (s.cause === 'build-time-download') {
    // What was fetched, when known and short: the file the patch adds to SRC_URI (`URL -> ${P}-NAME`), else the
    // last path part of what the build wanted, else the host name.
    const added = /^\+.*\s->\s\$\{P\}-([^\s"]+)/m.exec(s.patch ?? '')?.[1];
    const mine = (s.attempts ?? []).map((i) => attempts[i]).filter((a): a is Attempt => Boolean(a));
    const wanted = mine.map((a) => a.wanted?.split(/\s+/).find((w) => w.includes('/'))?.replace(/[?#].*$/, '').split('/').filter(Boolean).pop()).find(Boolean);
    const what = added ?? wanted ?? mine.map((a) => a.hostname).find(Boolean);
    if (what) return `fetch ${what} in SRC_URI, not at build time`;
  }
  return SUBJECTS[s.cause];
}

/** `cat/pkg: summary`, the summary shortened to the generic one of its cause when the line would be too long. */
export function commitSubject(b: BuildResult, s: Suggestion): string {
  const prefix = `${b.ebuild?.category ?? 'command'}/${b.ebuild?.package ?? b.name}: `;
  const specific = `${prefix}${causeSubject(s, b.attempts)}`;
  if (specific.length <= SUBJECT_MAX || s.cause !== 'build-time-download') return specific;
  return `${prefix}${causeSubject({ ...s, attempts: [] }, b.attempts)}`;
}

/** format-patch's file name: `0001-` and the subject with runs of other characters than [A-Za-z0-9._] as `-`, cut as git cuts it. */
export function patchFileName(n: number, subject: string): string {
  let s = '';
  let pending = false;
  for (const c of subject) {
    if (/[A-Za-z0-9._]/.test(c)) {
      if (pending && s) s += '-';
      pending = false;
      if (c === '.' && s.endsWith('.')) continue;
      s += c;
    } else pending = true;
  }
  s = s.replace(/[.-]+$/, '');
  // git: the name without ".patch" is at most format.filenameMaxLength (64) less the suffix and one.
  const base = `${String(n).padStart(4, '0')}-${s}`.slice(0, 64 - '.patch'.length - 1);
  return `${base}.patch`;
}

/** RFC 2822 date of an ISO time, in UTC, as git writes it: `Wed, 2 Dec 2026 15:37:20 +0000`. */
export function mailDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) throw new UsageError(`createdAt ${JSON.stringify(iso)} is not a time`);
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()];
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
  const two = (x: number) => String(x).padStart(2, '0');
  return `${day}, ${d.getUTCDate()} ${month} ${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** A header value: as it is when ASCII, else RFC 2047 (UTF-8, base64), as git does for non-ASCII names. */
function headerText(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

/** Words of `text` in lines of at most `width` (a longer word stays whole on its own line). */
export function wrapText(text: string, width = 72): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** ` FILE | N +++--` lines and the total, as git's --stat writes them (the bar unscaled: ebuild changes are small). */
function diffstat(diff: string): string {
  const files = new Map<string, { add: number; del: number }>();
  let current: { add: number; del: number } | undefined;
  let inHunk = false;
  for (const line of diff.split('\n')) {
    if (line.startsWith('+++ b/')) {
      current = files.get(line.slice(6)) ?? { add: 0, del: 0 };
      files.set(line.slice(6), current);
      inHunk = false;
    } else if (line.startsWith('@@')) inHunk = true;
    else if (inHunk && current && line.startsWith('+')) current.add++;
    else if (inHunk && current && line.startsWith('-')) current.del++;
  }
  const width = Math.max(...[...files.keys()].map((f) => f.length));
  const rows = [...files].map(([f, c]) => ` ${f.padEnd(width)} | ${c.add + c.del} ${'+'.repeat(c.add)}${'-'.repeat(c.del)}`);
  const add = [...files.values()].reduce((n, c) => n + c.add, 0);
  const del = [...files.values()].reduce((n, c) => n + c.del, 0);
  const total = [`${files.size} file${files.size === 1 ? '' : 's'} changed`, add ? `${add} insertion${add === 1 ? '' : 's'}(+)` : '', del ? `${del} deletion${del === 1 ? '' : 's'}(-)` : ''];
  return [...rows, ` ${total.filter(Boolean).join(', ')}`].join('\n');
}

/** The suggestion's diff with git's `diff --git` line before each file. */
function gitDiff(patch: string): string {
  return patch.replace(/^--- a\/(.+)\n\+\+\+ b\/(.+)$/gm, (all, a: string, b: string) => `diff --git a/${a} b/${b}\n${all}`);
}

/**
 * The verification paragraph: `Verified: LINE.` (or why not); after several rounds (--verify widened the patch by
 * the failing tests a run named), a paragraph before it with each round, what it added and its outcome
 * (roundsSentence: `Verified in 2 rounds: round 1 missed ID (added in round 2); round 2 (adds ID) verified.`).
 */
function verificationText(s: Suggestion): string[] {
  const rounds = roundsSentence(s);
  return rounds ? [...wrapText(rounds), '', ...verificationLine(s)] : verificationLine(s);
}

function verificationLine(s: Suggestion): string[] {
  if (s.verified === true) return wrapText(`Verified: ${s.verification ?? 'the patched ebuild passes the phase that broke, with no blocked attempt'}.`);
  if (s.verified === false) return wrapText(`This change is not verified: the audit of the patched ebuild did not pass (${s.verification ?? 'no detail'}).`);
  return wrapText('This change is not verified: the patched ebuild was not audited again (netaudit --suggest --verify does).');
}

/** What netaudit saw of the attempts `s` addresses: one line each, `- TEST: TARGET in PHASE`. */
function seenLines(b: BuildResult, s: Suggestion): string[] {
  const lines = (s.attempts ?? [])
    .map((i) => b.attempts[i])
    .filter((a): a is Attempt => Boolean(a))
    .map(shownAttempt)
    .map((a) => `- ${a.test ? `${a.test}: ` : ''}${attemptTarget(a)}${a.phase ? ` in ${a.phase}` : ''}`);
  return [...new Set(lines)];
}

function phasesFailed(b: BuildResult): string[] {
  return [...new Set(b.findings.filter((f) => f.keyword === 'PhaseFailed' && f.phase).map((f) => f.phase as string))];
}

export interface PatchMail {
  /** `0001-cat-pkg-subject.patch` */
  readonly file: string;
  /** The build's name (`cat/PF`). */
  readonly build: string;
  readonly subject: string;
  readonly text: string;
}

export interface PatchMails {
  readonly mails: PatchMail[];
  /** Builds that break but got no mail, and why. */
  readonly without: { readonly build: string; readonly why: string }[];
}

export interface PatchMailOptions {
  readonly author: Author;
  /** Only verified patches (--verified-only). */
  readonly verifiedOnly?: boolean;
}

/** The body of the commit for `b`, the suggestions `chosen` making its diff and `others` mentioned. */
function body(report: Report, b: BuildResult, chosen: readonly Suggestion[], others: readonly Suggestion[], verifiedOnly: boolean): string[] {
  const failed = phasesFailed(b);
  const out = wrapText(
    `netaudit audited ${b.name} as under FEATURES=network-sandbox: ${failed.length ? `${failed.join(', ')} failed` : 'the build failed'}, with blocked network attempts.`,
  );
  chosen.forEach((s, i) => {
    out.push('');
    if (i > 0) out.push(...wrapText(`Also: ${causeSubject(s, b.attempts)}.`));
    const seen = seenLines(b, s);
    if (seen.length) out.push('Seen:', ...seen, '');
    out.push(...wrapText(s.summary), '', ...verificationText(s));
  });
  if (others.length) {
    out.push('', 'Not changed by this patch:');
    for (const s of others) {
      const why = !s.patch ? '' : s.verified !== true && verifiedOnly ? ' (patch not verified)' : ' (its diff overlaps this one: run --suggest again on the patched ebuild)';
      out.push(...wrapText(`${s.cause}${why}: ${s.summary}`).map((l, i) => (i === 0 ? `- ${l}` : `  ${l}`)));
    }
  }
  out.push('', `Found by ${report.tool.name} ${report.tool.version} (network-sandbox audit)`);
  return out;
}

/** Per file of a diff, the lines of the original its hunks cover (`@@ -START,COUNT`), as [first, last]. */
function hunkRanges(patch: string): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  let file = '';
  for (const line of patch.split('\n')) {
    if (line.startsWith('--- a/')) file = line.slice(6);
    const m = /^@@ -(\d+)(?:,(\d+))? /.exec(line);
    if (m) {
      const start = Number(m[1]);
      const count = m[2] === undefined ? 1 : Number(m[2]);
      out.set(file, [...(out.get(file) ?? []), [start, start + Math.max(count, 1) - 1]]);
    }
  }
  return out;
}

/**
 * The suggestions whose diffs can go into one commit: each diff is against the original ebuild, so two diffs of
 * the same file apply one after the other (git apply shifts the second by the lines the first added) only when
 * their hunks touch different lines. The first patch is always taken; a later one whose hunks meet a taken one's
 * is left out (the body lists it under "Not changed by this patch"; `--suggest` on the patched ebuild gives it
 * again, against the new text).
 */
function combinable(withPatch: readonly Suggestion[]): Suggestion[] {
  const taken: Suggestion[] = [];
  const covered = new Map<string, [number, number][]>();
  for (const s of withPatch) {
    const ranges = hunkRanges(s.patch as string);
    const meets = [...ranges].some(([f, rs]) => rs.some(([a, z]) => (covered.get(f) ?? []).some(([x, y]) => a <= y + 1 && x <= z + 1)));
    if (meets) continue;
    taken.push(s);
    for (const [f, rs] of ranges) covered.set(f, [...(covered.get(f) ?? []), ...rs]);
  }
  return taken;
}

/** Why a breaking build gets no mail. */
function whyNone(b: BuildResult, verifiedOnly: boolean): string {
  if (!b.suggestions) return 'no suggestions in the report (audit it with --suggest)';
  const patched = b.suggestions.filter((s) => s.patch);
  if (!patched.length) return `no derivable change (${[...new Set(b.suggestions.map((s) => s.cause))].join(', ') || 'no suggestion'})`;
  if (verifiedOnly) {
    const failed = patched.find((s) => s.verified === false);
    return failed ? `patch not verified (--verified-only): ${failed.verification ?? 'the audit of the patched ebuild did not pass'}` : 'patch not verified (--verified-only; audit with --suggest --verify)';
  }
  return 'no patch';
}

/** The mails of a report, in report order. Pure. */
export function patchMails(report: Report, options: PatchMailOptions): PatchMails {
  const mails: PatchMail[] = [];
  const without: { build: string; why: string }[] = [];
  const from = `From: ${headerText(options.author.name)} <${options.author.email}>`;
  const date = `Date: ${mailDate(report.createdAt)}`;
  for (const b of report.builds) {
    const chosen = combinable((b.suggestions ?? []).filter((s) => s.patch && (!options.verifiedOnly || s.verified === true)));
    if (!chosen.length) {
      if (b.verdict === 'breaks') without.push({ build: b.name, why: whyNone(b, Boolean(options.verifiedOnly)) });
      continue;
    }
    const others = (b.suggestions ?? []).filter((s) => !chosen.includes(s));
    const subject = commitSubject(b, chosen[0] as Suggestion);
    const diff = chosen.map((s) => s.patch as string).join('');
    const text = [
      'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001',
      from,
      date,
      `Subject: [PATCH] ${headerText(subject)}`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=UTF-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      ...body(report, b, chosen, others, Boolean(options.verifiedOnly)),
      '---',
      diffstat(diff),
      '',
      gitDiff(diff).replace(/\n?$/, '\n') + '-- ',
      `${report.tool.name} ${report.tool.version}`,
      '',
      '',
    ].join('\n');
    mails.push({ file: patchFileName(mails.length + 1, subject), build: b.name, subject, text });
  }
  return { mails, without };
}

/**
 * Write `mails` into directory `dir`, all or nothing (writeDirAtomic). `dir` must not exist, or be empty
 * (UsageError otherwise, before anything is written). On failure nothing is left and `dir` is as it was.
 */
export async function writePatchDir(dir: string, mails: readonly PatchMail[]): Promise<void> {
  const target = path.resolve(dir);
  const existing = await readdir(target).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    if (e.code === 'ENOTDIR') throw new UsageError(`--out ${dir}: a file, not a directory — choose a new directory for the patches`, { option: '--out' });
    throw new WriteError(dir, e);
  });
  if (existing?.length) throw new UsageError(`--out ${dir}: not empty — choose a new directory for the patches, or remove the old ones first`, { option: '--out' });
  await writeDirAtomic(dir, mails.map((m) => ({ name: m.file, data: m.text })));
}
