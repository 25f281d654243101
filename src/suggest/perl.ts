/**
 * The Perl team's fix for TAP test files that need the internet (pure, no I/O): remove them at the start of
 * src_test, `perl_rm_files t/x.t` (perl-functions.eclass, inherited by perl-module), then run the suite as
 * before (perl-module_src_test, or `default`). An ebuild that inherits neither gets `rm t/x.t || die`, the same
 * removal without the eclass. perl-module_src_test already exports NO_NETWORK_TESTING unless DIST_TEST (or the
 * user's DIST_TEST_OVERRIDE) has `network`: the summary says which way the ebuild is set.
 */
import type { Attempt, Suggestion } from '../model/types.js';
import { unifiedDiff } from './diff.js';
import { functionEnd, globalScope, inherited } from './ebuild-text.js';

/** A test file as a shell word: quoted only when it needs to be. */
const word = (f: string): string => (/^[\w./+-]+$/.test(f) ? f : `'${f.replace(/'/g, `'\\''`)}'`);

export interface PerlEdit {
  readonly text: string;
  /** Why no edit could be made. */
  readonly problem?: string;
  /** Files already removed by the ebuild (nothing added for them). */
  readonly present: readonly string[];
  /** The command used: perl_rm_files, or rm without the eclass. */
  readonly command: 'perl_rm_files' | 'rm';
  readonly addedSrcTest: boolean;
}

/** The ebuild text with `files` removed at the start of src_test (src_test added when it has none). */
export function removeTestFiles(text: string, files: readonly string[]): PerlEdit {
  const eol = text.endsWith('\n');
  const lines = (eol ? text.slice(0, -1) : text).split('\n');
  const finish = (out: string[]) => out.join('\n') + (eol ? '\n' : '');
  const eclasses = inherited(lines);
  const eclass = eclasses.includes('perl-module') || eclasses.includes('perl-functions');
  const command = eclass ? 'perl_rm_files' : 'rm';
  const present = files.filter((f) => lines.some((l) => /^\s*(?:perl_rm_files|rm)\b/.test(l) && l.split(/\s+/).includes(word(f))));
  const fresh = files.filter((f) => !present.includes(f));
  const base = { present, command, addedSrcTest: false } as const;
  if (!fresh.length) return { ...base, text, problem: 'the ebuild removes these files already' };
  const line = eclass ? `\tperl_rm_files ${fresh.map(word).join(' ')}` : `\trm ${fresh.map(word).join(' ')} || die`;
  const start = lines.findIndex((l) => /^(?:function\s+)?src_test\s*\(\)\s*\{?\s*$/.test(l));
  if (start >= 0) {
    const end = functionEnd(lines, start);
    if (!/^\}\s*$/.test(lines[end] as string)) return { ...base, text, problem: "src_test's closing brace is not alone at the start of a line" };
    const open = /\{\s*$/.test(lines[start] as string) ? start + 1 : start + 2;
    return { ...base, text: finish([...lines.slice(0, open), line, ...lines.slice(open)]) };
  }
  if (lines.some((l) => /^(?:function\s+)?src_test\s*\(\)/.test(l))) return { ...base, text, problem: 'src_test is written on one line' };
  // A new src_test, in phase order: after the functions of earlier phases, else before the first function.
  const call = eclasses.includes('perl-module') ? 'perl-module_src_test' : 'default';
  const earlier = lines.flatMap((l, i) => (/^(?:function\s+)?(?:pkg_pretend|pkg_setup|src_unpack|src_prepare|src_configure|src_compile)\s*\(\)/.test(l) ? [functionEnd(lines, i)] : []));
  const at = earlier.length ? Math.max(...earlier) + 1 : globalScope(lines).firstFunction;
  const before = lines.slice(0, at);
  const after = lines.slice(at);
  const gap = before.length && (before[before.length - 1] as string).trim() !== '' ? [''] : [];
  const tail = after.length && (after[0] as string).trim() !== '' ? [''] : [];
  return { ...base, addedSrcTest: true, text: finish([...before, ...gap, 'src_test() {', line, `\t${call}`, '}', ...tail, ...after]) };
}

/** DIST_TEST's words, when set globally. */
function distTest(lines: readonly string[]): string[] | undefined {
  const st = globalScope(lines).statements.find((s) => /^DIST_TEST=/.test(s.text));
  return st ? st.text.replace(/^DIST_TEST=/, '').replace(/["']/g, '').split(/\s+/).filter(Boolean) : undefined;
}

/**
 * The suggestion for the attempts of TAP test files (`test` = `t/x.t`): one patch removing the files.
 * `describe`: the attempts' targets, briefly, per file.
 */
export function perlSuggestion(
  attempts: readonly Attempt[],
  ebuildText: string,
  file: string,
  indexes: number[],
  describe: (attempts: readonly Attempt[]) => string,
): Suggestion {
  const files = [...new Set(attempts.map((a) => a.test as string))].sort();
  const what = files.map((f) => `${f} (${describe(attempts.filter((a) => a.test === f))})`).join('; ');
  const edit = removeTestFiles(ebuildText, files);
  const lines = ebuildText.split('\n');
  const dist = distTest(lines);
  const perlModule = inherited(lines).includes('perl-module');
  const network = perlModule
    ? dist?.includes('network')
      ? ' DIST_TEST has `network`, so perl-module_src_test does not export NO_NETWORK_TESTING: if these files honour it, dropping `network` from DIST_TEST is the smaller change.'
      : ' perl-module_src_test exported NO_NETWORK_TESTING and these files ran all the same: they do not honour it.'
    : ' A suite that honours NO_NETWORK_TESTING skips such files when it is set (perl-module_src_test sets it; users: USER_PERL_RESTRICT=network-test).';
  const base = { cause: 'deselect-tests' as const, attempts: indexes };
  if (edit.problem) {
    return { ...base, summary: `Perl test files in src_test tried the internet: ${what}. ${edit.problem}, so no patch: remove them at the start of src_test (perl_rm_files ${files.join(' ')}).${network}` };
  }
  const how =
    edit.command === 'perl_rm_files'
      ? `with perl_rm_files at the start of ${edit.addedSrcTest ? 'a new src_test that then runs perl-module_src_test' : 'src_test'}, as Gentoo's Perl team does`
      : `at the start of ${edit.addedSrcTest ? 'a new src_test that then runs the default one' : 'src_test'} (rm: the ebuild inherits neither perl-module nor perl-functions, which provide perl_rm_files)`;
  const already = edit.present.length ? ` (${edit.present.join(', ')} already removed)` : '';
  return {
    ...base,
    summary: `remove the ${files.length === 1 ? 'Perl test file' : `${files.length} Perl test files`} that tried the internet, ${how}: ${what}${already}.${network}`,
    patch: unifiedDiff(file, ebuildText, edit.text),
  };
}
