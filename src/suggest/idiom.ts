/**
 * Which Gentoo idiom removes a set of tests, chosen by the evidence (pure):
 *   - `epytest -m "not MARKER"` when the suite marks tests with MARKER and every test to remove carries it; a
 *     marker the suite declares (its `markers` ini lines or conftest.py, as the plugin logs them) is preferred to
 *     a keyword, and a keyword to a marker it uses without declaring (pytest warns PytestUnknownMarkWarning for
 *     that one; -m still selects on it, and the suggestion says it is undeclared);
 *   - `epytest -k "not WORD"` when every test to remove has a network word in its id (pytest's -k matches names);
 *   - EPYTEST_DESELECT entries otherwise;
 *   - PROPERTIES="test_network" + RESTRICT="test" when most of the suite needs the network (scale 4-5).
 * The scale is the Gentoo Python team's (mgorny, gentoo-dev 2021-05-19): 1 no test needs the Internet, 2 a few,
 * 3 many but a large part of the suite runs, 4 most, 5 all; declare for 4-5, deselect for 2-3.
 */
import type { DeclaredMarkers, TestRun } from '../model/types.js';

/** pytest's own marks and common plugins' marks: never a way to select network tests. */
const NOT_A_GROUP = new Set(['parametrize', 'skip', 'skipif', 'xfail', 'usefixtures', 'filterwarnings', 'asyncio', 'timeout', 'flaky', 'django_db', 'anyio', 'trio']);

/** Words a suite uses in the names of its network tests (what `-k "not WORD"` may select on). */
export const NETWORK_WORDS: readonly string[] = ['network', 'internet', 'online', 'remote', 'download'];

/** The outcomes of a test that did not fail: it tolerated the missing network. */
export function passedOutcome(outcome: string | undefined): boolean {
  return outcome === 'passed' || outcome === 'skipped' || outcome === 'xfailed' || outcome === 'xpassed';
}

/**
 * Where a build stands on the 1-5 scale: `need` tests needed the network (failed without it) of `total`.
 * undefined when the total is not known (no test log).
 */
export function networkScale(need: number, total: number): number | undefined {
  if (total <= 0) return undefined;
  if (need <= 0) return 1;
  if (need >= total) return 5;
  const f = need / total;
  if (f > 0.5) return 4;
  return f <= 0.2 ? 2 : 3;
}

export const SCALE_WORDS: Record<number, string> = {
  1: 'no test needs the network',
  2: 'a few tests need the network',
  3: 'many tests need the network, a large part of the suite runs without',
  4: 'most tests need the network',
  5: 'every test needs the network',
};

export type TestIdiom =
  | {
      readonly kind: 'marker' | 'keyword';
      readonly name: string;
      readonly alsoRemoves: readonly string[];
      /** Markers: whether the suite declares it (undefined: not known, no session record in the log). */
      readonly declared?: boolean;
    }
  | { readonly kind: 'deselect' }
  | { readonly kind: 'declare' };

/** Whether pytest's `-k WORD` matches a node id (case-insensitive substring of its names; parameters aside). */
export function keywordMatches(id: string, word: string): boolean {
  return id.replace(/\[.*$/, '').toLowerCase().includes(word.toLowerCase());
}

/**
 * How a candidate ranks when it removes as many other tests as another (lower first): a declared marker (or one
 * whose declaration is not known), then a keyword, then a marker the suite does not declare.
 */
function rank(c: { kind: 'marker' | 'keyword'; declared?: boolean }): number {
  if (c.kind === 'keyword') return 1;
  return c.declared === false ? 2 : 0;
}

/**
 * The idiom for removing `remove` (test ids) from a suite that ran `tests`. Among candidates the one removing
 * fewest other tests, then by rank(): a declared marker, a keyword, an undeclared marker; none is chosen when
 * the tests' markers and names are unknown (no test log) or when no candidate covers every test to remove.
 * `declared`: the markers the suite declares (absent: not known, and every marker counts as declared).
 */
export function chooseIdiom(remove: readonly string[], tests: readonly TestRun[], scale: number | undefined, declared?: DeclaredMarkers): TestIdiom {
  if (scale !== undefined && scale >= 4) return { kind: 'declare' };
  if (!remove.length || !tests.length) return { kind: 'deselect' };
  const wanted = new Set(remove);
  const byId = new Map(tests.map((t) => [t.id, t]));
  const candidates: { kind: 'marker' | 'keyword'; name: string; alsoRemoves: string[]; declared?: boolean }[] = [];
  const marks = new Set(tests.flatMap((t) => t.markers ?? []).filter((m) => !NOT_A_GROUP.has(m)));
  for (const m of [...marks].sort()) {
    if (!remove.every((id) => byId.get(id)?.markers?.includes(m))) continue;
    candidates.push({
      kind: 'marker',
      name: m,
      alsoRemoves: tests.filter((t) => !wanted.has(t.id) && t.markers?.includes(m)).map((t) => t.id),
      ...(declared ? { declared: declared.names.includes(m) } : {}),
    });
  }
  for (const w of NETWORK_WORDS) {
    if (!remove.every((id) => keywordMatches(id, w))) continue;
    candidates.push({ kind: 'keyword', name: w, alsoRemoves: tests.filter((t) => !wanted.has(t.id) && keywordMatches(t.id, w)).map((t) => t.id) });
  }
  // A group is worth it only when it replaces more than one entry and keeps most of what it need not remove.
  const useful = candidates.filter((c) => remove.length > 1 && c.alsoRemoves.length <= remove.length);
  if (!useful.length) return { kind: 'deselect' };
  useful.sort((a, b) => a.alsoRemoves.length - b.alsoRemoves.length || rank(a) - rank(b));
  return useful[0] as TestIdiom;
}

/**
 * The tests of a run, one per id, from the test log's spans (setup/call/teardown): the worst outcome of its
 * phases (error in setup or teardown, failed in call), and its markers.
 */
export function testRuns(spans: readonly { nodeid: string; phase: string; outcome?: string; markers?: readonly string[] }[]): TestRun[] {
  const out = new Map<string, { id: string; outcome?: string; markers?: readonly string[] }>();
  for (const s of spans) {
    const t = out.get(s.nodeid) ?? { id: s.nodeid };
    const failed = s.outcome === 'failed' || s.outcome === 'error';
    const outcome = failed || s.phase === 'call' || !t.outcome ? s.outcome : t.outcome;
    const worse = t.outcome === 'failed' || t.outcome === 'error' ? t.outcome : outcome;
    out.set(s.nodeid, { id: s.nodeid, ...(worse ? { outcome: worse } : {}), ...((s.markers ?? t.markers) ? { markers: s.markers ?? t.markers } : {}) });
  }
  return [...out.values()];
}
