/**
 * The fix for unittest tests that need the internet (pure, no I/O). unittest has no option that leaves a test
 * out (its -k only selects), so Gentoo ebuilds that run eunittest take the test out of the suite itself: a sed
 * in src_prepare renames the method (`def test_x(` -> `def _test_x(`, which the loader no longer collects),
 * under a `# Internet` comment, one sed per module file. The file is the test id's module (`tests.test_net.Net
 * .test_x` -> tests/test_net.py), relative to ${S}, where eunittest discovers the suite: --verify proves it.
 */
import type { Attempt, Suggestion } from '../model/types.js';
import { unifiedDiff } from './diff.js';
import { addToSrcPrepare } from './download.js';

/** A unittest id: module(s).Class.method. */
const ID = /^([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\.([A-Za-z_]\w*)\.(test\w*)$/;

export interface UnittestTest {
  readonly id: string;
  /** The module's file, relative to where the suite is discovered. */
  readonly file: string;
  readonly method: string;
}

/** The parts of a unittest id; undefined when it is not one (a method not named test*, a path). */
export function unittestTest(id: string): UnittestTest | undefined {
  const m = ID.exec(id);
  if (!m) return undefined;
  return { id, file: `${(m[1] as string).replace(/\./g, '/')}.py`, method: m[3] as string };
}

/** The src_prepare lines that rename the methods, one sed per file. */
export function renameLines(tests: readonly UnittestTest[]): string[] {
  const files = [...new Set(tests.map((t) => t.file))].sort();
  return [
    '\t# Internet',
    ...files.map((f) => {
      const methods = [...new Set(tests.filter((t) => t.file === f).map((t) => t.method))].sort();
      return `\tsed -i ${methods.map((m) => `-e 's:def ${m}(:def _${m}(:'`).join(' ')} ${f} || die`;
    }),
  ];
}

/** The suggestion for attempts whose `test` is a unittest id. */
export function unittestSuggestion(
  attempts: readonly Attempt[],
  ebuildText: string,
  file: string,
  indexes: number[],
  describe: (attempts: readonly Attempt[]) => string,
): Suggestion {
  const ids = [...new Set(attempts.map((a) => a.test as string))].sort();
  const tests = ids.map(unittestTest).filter((t): t is UnittestTest => t !== undefined);
  const what = ids.map((id) => `${id} (${describe(attempts.filter((a) => a.test === id))})`).join('; ');
  const base = { cause: 'deselect-tests' as const, attempts: indexes };
  const present = tests.filter((t) => ebuildText.includes(`def _${t.method}(`));
  const fresh = tests.filter((t) => !present.includes(t));
  if (!fresh.length) {
    return { ...base, summary: `unittest tests in src_test tried the internet, but the ebuild renames them all already: ${what}. The rename does not reach the suite; netaudit cannot tell why, so no patch.` };
  }
  const edit = addToSrcPrepare(ebuildText, renameLines(fresh));
  if (edit.problem) {
    return { ...base, summary: `unittest tests in src_test tried the internet: ${what}. ${edit.problem}, so no patch: rename them in src_prepare (${renameLines(fresh).slice(1).map((l) => l.trim()).join('; ')}).` };
  }
  const n = fresh.length === 1 ? 'the unittest test' : `the ${fresh.length} unittest tests`;
  return {
    ...base,
    summary:
      `skip ${n} that tried the internet by renaming ${fresh.length === 1 ? 'its method' : 'their methods'} in ${edit.where === 'added src_prepare' ? 'a new src_prepare' : 'src_prepare'} ` +
      `(unittest has no option that leaves a test out; a method not named test* is not collected): ${what}. ` +
      'The files are the ids\' modules, relative to ${S}, where eunittest discovers the suite.',
    patch: unifiedDiff(file, ebuildText, edit.text),
  };
}
