/**
 * Suggested changes for a breaking ebuild, one per cause, from its judged BuildResult and the ebuild's text:
 * pure, no I/O (the command reads the file, writes the patches, verifies: src/suggest/verify.ts).
 *
 * Causes, from the blocked attempts (not `allowed`) and their findings' keywords:
 *   - pytest tests in src_test (attempt.test) -> EPYTEST_DESELECT entries, `# Internet` each, ids from the run;
 *   - src_test attempts no test id names, when none does -> PROPERTIES="test_network" + RESTRICT="test";
 *   - DistributedCompiler -> FEATURES=network-sandbox-proxy in make.conf: user configuration, no patch;
 *   - a download in another sandboxed phase -> its URL into SRC_URI and, where the downloader's output file is
 *     known, a copy from ${DISTDIR} in src_prepare (src/suggest/download.ts); no patch when no URL is known;
 *   - a host or LAN service, a proxy from the environment -> what is known, no patch.
 * Nothing is invented: where the fix cannot be derived, the text says so.
 * Tests are split by their outcome (the attempt's `testOutcome`, else the run's test log in `b.tests`, else
 * failed when the build broke): those that failed are the breakage fix (`deselect-tests`, in the idiom the
 * evidence chooses: ./idiom.ts), those that passed anyway a leak (`leak-tests`, labelled so).
 * `breaks` builds get suggestions for every cause; `tolerates` builds the leak suggestions of their tests.
 */
import { endpoint } from '../model/format.js';
import type { Attempt, BuildResult, FindingKeyword, Suggestion, SuggestionIdiom, TestRun } from '../model/types.js';
import { keywordFor } from '../verdict/findings.js';
import { serviceAt } from '../verdict/ports.js';
import { unifiedDiff } from './diff.js';
import { addDeselect, addPytestOption, addTokens, globalScope, usesEpytest } from './ebuild-text.js';
import { chooseIdiom, networkScale, passedOutcome, SCALE_WORDS, type TestIdiom } from './idiom.js';
import { perlSuggestion } from './perl.js';
import { unittestSuggestion } from './unittest.js';
import { testEcosystem } from '../verdict/ecosystem.js';
import { addToSrcPrepare, copyLines, copyTarget, distfileName, downloadsOf, isRepository, safeUrl } from './download.js';

export { applyPatch, unifiedDiff, PatchError } from './diff.js';

const EXTERNAL: readonly FindingKeyword[] = ['DnsLookup', 'ExternalConnect', 'ExternalDatagram', 'MulticastDatagram', 'IcmpEcho'];
const LOCAL: readonly FindingKeyword[] = ['HostServiceUnreachable', 'PrivateNetworkConnect'];

/** The ebuild file's path in its repository (`CATEGORY/PN/PF.ebuild`), the name in the patch's headers. */
export function patchPath(b: Pick<BuildResult, 'ebuild'>): string {
  const e = b.ebuild;
  if (!e) throw new Error('not an ebuild build');
  const base = e.path.split('/').pop() || `${e.package}-${e.version}.ebuild`;
  return `${e.category}/${e.package}/${base}`;
}

/** What an attempt reached for, briefly: `203.0.113.10:80`, `git.example (A)`, `[2001:db8::1]:443 (x.example)`. */
export function attemptTarget(a: Attempt): string {
  if (a.kind === 'dns') return `${a.hostname ?? a.address}${a.qtype ? ` (${a.qtype})` : ''}`;
  const where = a.kind === 'unix' ? a.address : endpoint(a.address, a.port);
  const service = serviceAt(a.port, a.kind);
  const extra = [a.hostname, service?.service].filter(Boolean).join(', ');
  return `${a.kind} ${where}${extra ? ` (${extra})` : ''}`;
}

/** Distinct targets, in order, joined: at most `max`, then `and N more`. */
function targets(attempts: readonly Attempt[], max = 4): string {
  const all = [...new Set(attempts.map(attemptTarget))];
  return all.slice(0, max).join(', ') + (all.length > max ? ` and ${all.length - max} more` : '');
}

function phasesOf(attempts: readonly Attempt[]): string {
  return [...new Set(attempts.map((a) => a.phase ?? 'an unknown phase'))].join(', ');
}

export interface SuggestOptions {
  /** The ebuild file's path in the patch headers (default: CATEGORY/PN/PF.ebuild). */
  readonly file?: string;
}

/** Suggestions for a judged ebuild build, in a fixed order of causes; [] unless it breaks. */
export function suggest(b: BuildResult, ebuildText: string, options: SuggestOptions = {}): Suggestion[] {
  if (b.kind !== 'ebuild' || !b.ebuild || (b.verdict !== 'breaks' && b.verdict !== 'tolerates')) return [];
  const file = options.file ?? patchPath(b);
  const keywordOf = (i: number): FindingKeyword => b.findings.find((f) => f.attempt === i)?.keyword ?? keywordFor(b.attempts[i] as Attempt);
  const index = new Map<Attempt, number>();
  const idx = (as: readonly Attempt[]) => ({ attempts: as.map((a) => index.get(a) as number) });
  const groups: Record<'tests' | 'unattributed' | 'distcc' | 'download' | 'local' | 'other', Attempt[]> = {
    tests: [],
    unattributed: [],
    distcc: [],
    download: [],
    local: [],
    other: [],
  };
  b.attempts.forEach((a, i) => {
    if (a.allowed) return;
    index.set(a, i);
    const k = keywordOf(i);
    if (k === 'DistributedCompiler') groups.distcc.push(a);
    else if (LOCAL.includes(k)) groups.local.push(a);
    else if (!EXTERNAL.includes(k)) groups.other.push(a);
    else if (a.phase === 'src_test') (a.test ? groups.tests : groups.unattributed).push(a);
    else groups.download.push(a);
  });
  const out: Suggestion[] = [];

  // Suites with an idiom of their own (src/suggest/perl.ts) take their tests out of the pytest group.
  const perlTests = groups.tests.filter((a) => testEcosystem(a) === 'perl');
  if (perlTests.length) {
    groups.tests = groups.tests.filter((a) => !perlTests.includes(a));
    out.push(perlSuggestion(perlTests, ebuildText, file, idx(perlTests).attempts, (as) => targets(as, 2)));
  }
  const unittestTests = groups.tests.filter((a) => testEcosystem(a) === 'unittest');
  if (unittestTests.length) {
    groups.tests = groups.tests.filter((a) => !unittestTests.includes(a));
    out.push(unittestSuggestion(unittestTests, ebuildText, file, idx(unittestTests).attempts, (as) => targets(as, 2)));
  }

  if (groups.tests.length) out.push(...testSuggestions(b, groups.tests, ebuildText, file, (as) => idx(as).attempts));
  if (b.verdict === 'tolerates') return out;

  if (groups.unattributed.length) {
    const seen = `src_test made ${groups.unattributed.length} blocked attempt(s) that no test id names: ${targets(groups.unattributed)}.`;
    if (groups.tests.length) {
      out.push({
        cause: 'test-network', ...idx(groups.unattributed),
        summary: `${seen} Other tests were named and are deselected above; for these netaudit cannot tell which test made them, so no patch: find the tests in the build log and skip them.`,
      });
    } else {
      const edit = addTokens(ebuildText, [
        ['PROPERTIES', 'test_network'],
        ['RESTRICT', 'test'],
      ]);
      const changed = edit.text !== ebuildText;
      out.push({
        cause: 'test-network', ...idx(groups.unattributed),
        summary: changed
          ? `${seen} If the suite as a whole needs the network, declare it: PROPERTIES="test_network" with RESTRICT="test" (tests then run only with ALLOW_TEST=network); if only some tests need it, skip those instead (netaudit cannot name them: the suite does not run under its pytest plugin).`
          : `${seen} PROPERTIES="test_network" and RESTRICT="test" are set already, yet src_test ran without the network: check ALLOW_TEST and how the variables are set. No patch.`,
        ...(changed ? { patch: unifiedDiff(file, ebuildText, edit.text) } : {}),
      });
    }
  }

  if (groups.distcc.length) {
    const services = [...new Set(groups.distcc.map((a) => serviceAt(a.port, a.kind)?.service ?? 'a distributed compiler'))].join(', ');
    out.push({
      cause: 'distcc-proxy', ...idx(groups.distcc),
      summary:
        `${services} reached for ${targets(groups.distcc)} in ${phasesOf(groups.distcc)}: under network-sandbox only Portage's SOCKSv5 proxy gets through. ` +
        'Set FEATURES="network-sandbox-proxy" in make.conf (Portage starts it with FEATURES=distcc, and exports DISTCC_SOCKS_PROXY). ' +
        'This is user configuration, not an ebuild change: no patch.',
    });
  }

  if (groups.download.length) out.push(downloadSuggestion(groups.download, ebuildText, file, idx(groups.download).attempts));

  if (groups.local.length) {
    const hint = b.findings.find((f) => f.attempt !== undefined && groups.local.includes(b.attempts[f.attempt] as Attempt))?.hint;
    out.push({
      cause: 'host-service', ...idx(groups.local),
      summary: `${phasesOf(groups.local)} reached for a service outside the sandbox: ${targets(groups.local)}. ${hint ? `${hint.replace(/\.?$/, '.')} ` : ''}netaudit cannot derive the ebuild change: no patch.`,
    });
  }

  if (groups.other.length) {
    const hint = b.findings.find((f) => f.attempt !== undefined && groups.other.includes(b.attempts[f.attempt] as Attempt))?.hint;
    out.push({
      cause: 'other', ...idx(groups.other),
      summary: `${phasesOf(groups.other)}: ${targets(groups.other)}. ${hint ? `${hint.replace(/\.?$/, '.')} ` : ''}netaudit cannot derive the ebuild change: no patch.`,
    });
  }
  return out;
}

/** The final outcome of the test that made `a`: the attempt's own, else the test log's, else from the verdict. */
export function attemptTestOutcome(b: Pick<BuildResult, 'tests' | 'verdict'>, a: Attempt): string {
  const own = (a as Attempt & { readonly testOutcome?: string }).testOutcome;
  return own ?? b.tests?.find((t) => t.id === a.test)?.outcome ?? (b.verdict === 'breaks' ? 'failed' : 'passed');
}

interface TestEdit {
  readonly idiom: SuggestionIdiom;
  readonly text: string;
  /** What the edit does, one clause. */
  readonly how: string;
  /** Tests the edit removes besides the ones asked (marker, keyword). */
  readonly alsoRemoves: readonly string[];
}

/** The marker of a marker idiom, saying whether the suite declares it (nothing when that is not known). */
function markerText(name: string, declared: boolean | undefined): string {
  if (declared === undefined) return `the suite's @pytest.mark.${name} marker`;
  if (declared) return `the suite's @pytest.mark.${name} marker (declared in its markers)`;
  return `the @pytest.mark.${name} marker its tests carry (undeclared: the suite's markers do not list it, so pytest warns PytestUnknownMarkWarning; -m selects on it all the same)`;
}

/** The edit removing `ids` in the idiom chosen (falling back to EPYTEST_DESELECT where the option cannot go in). */
function testEdit(text: string, ids: readonly string[], idiom: TestIdiom): TestEdit {
  const them = ids.length === 1 ? 'it' : 'them';
  if (idiom.kind === 'declare') {
    const edit = addTokens(text, [
      ['PROPERTIES', 'test_network'],
      ['RESTRICT', 'test'],
    ]);
    return { idiom: 'declare', text: edit.text, how: 'declare that the tests need the network: PROPERTIES="test_network" with RESTRICT="test" (they then run only with ALLOW_TEST=network)', alsoRemoves: [] };
  }
  if (idiom.kind === 'marker' || idiom.kind === 'keyword') {
    const flag = idiom.kind === 'marker' ? '-m' : '-k';
    const edit = addPytestOption(text, flag, `not ${idiom.name}`);
    if (edit.text !== undefined) {
      const where = edit.where === 'python_test' ? 'in a new python_test' : edit.where === 'epytest' ? 'to epytest' : "to the ebuild's pytest call";
      const what = idiom.kind === 'marker' ? markerText(idiom.name, idiom.declared) : `the word "${idiom.name}" in their names`;
      return { idiom: idiom.kind, text: edit.text, how: `skip ${them} by ${what}: ${flag} "not ${idiom.name}" ${where}`, alsoRemoves: idiom.alsoRemoves };
    }
  }
  const edit = addDeselect(text, ids);
  return {
    idiom: 'deselect',
    text: edit.text,
    how: edit.added.length ? `deselect ${them} ${edit.existing ? 'in the existing EPYTEST_DESELECT array' : 'in a new EPYTEST_DESELECT array'}, # Internet each${edit.present.length ? ` (${edit.present.join(', ')} already listed)` : ''}` : `EPYTEST_DESELECT already names ${ids.length === 1 ? 'it' : 'them all'}`,
    alsoRemoves: [],
  };
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * The suggestions for src_test attempts that name their tests: the failing tests (the breakage, `deselect-tests`)
 * and the tests that passed anyway (a leak, `leak-tests`), each in the idiom the evidence chooses.
 */
function testSuggestions(b: BuildResult, attempts: readonly Attempt[], ebuildText: string, file: string, idx: (as: readonly Attempt[]) => number[]): Suggestion[] {
  const tests: readonly TestRun[] = b.tests ?? [];
  const outcomeOf = new Map<string, string>();
  for (const a of attempts) {
    const o = attemptTestOutcome(b, a);
    const id = a.test as string;
    if (!outcomeOf.has(id) || !passedOutcome(o)) outcomeOf.set(id, o);
  }
  const failing = [...outcomeOf].filter(([, o]) => !passedOutcome(o)).map(([id]) => id).sort();
  const leaking = [...outcomeOf].filter(([, o]) => passedOutcome(o)).map(([id]) => id).sort();
  const total = new Set([...tests.map((t) => t.id), ...outcomeOf.keys()]).size;
  const scale = tests.length ? networkScale(failing.length, total) : undefined;
  const scaleText = scale !== undefined ? ` Scale ${scale} of 5 (${SCALE_WORDS[scale]}: ${failing.length} of ${plural(total, 'test')} failed for it)${scale >= 4 ? ': declare' : scale >= 2 ? ': deselect' : ''}.` : '';
  const caveat = usesEpytest(ebuildText)
    ? ''
    : ' The ebuild does not seem to run pytest through epytest (distutils_enable_tests pytest), which is what reads EPYTEST_DESELECT: check that it reaches pytest (--verify does).';
  const describe = (ids: readonly string[]) => ids.map((id) => `${id} (${targets(attempts.filter((a) => a.test === id), 2)})`).join('; ');
  const out: Suggestion[] = [];
  let fixedText = ebuildText;
  let removedByFix: readonly string[] = [];
  if (failing.length) {
    const mine = attempts.filter((a) => failing.includes(a.test as string));
    const edit = testEdit(ebuildText, failing, chooseIdiom(failing, tests, scale, b.declaredMarkers));
    const others = edit.alsoRemoves.length
      ? ` It also removes ${plural(edit.alsoRemoves.length, 'other test')} the marker or word covers (${some(edit.alsoRemoves)}): tests that may not need the network.`
      : '';
    const base = { cause: 'deselect-tests' as const, attempts: idx(mine), idiom: edit.idiom, ...(scale !== undefined ? { networkScale: scale } : {}) };
    const head = `${plural(failing.length, 'pytest test')} failed for the network in src_test: ${describe(failing)}.`;
    if (edit.text === ebuildText) {
      out.push({ ...base, summary: `${head} ${edit.how}, yet ${failing.length === 1 ? 'it' : 'they'} ran: the array does not reach pytest; netaudit cannot tell why, so no patch.${scaleText}` });
    } else {
      out.push({ ...base, summary: `${head} Fix: ${edit.how}.${others}${scaleText}${edit.idiom === 'deselect' ? caveat : ''}`, patch: unifiedDiff(file, ebuildText, edit.text) });
      fixedText = edit.text;
      removedByFix = edit.idiom === 'declare' ? [...outcomeOf.keys()] : edit.alsoRemoves;
    }
  }
  const leaks = leaking.filter((id) => !removedByFix.includes(id));
  if (leaks.length) {
    const mine = attempts.filter((a) => leaks.includes(a.test as string));
    const edit = testEdit(fixedText, leaks, chooseIdiom(leaks, tests, undefined, b.declaredMarkers));
    const stacked = fixedText !== ebuildText ? ' The patch includes the breakage fix above (it applies to the ebuild as it is).' : '';
    const others = edit.alsoRemoves.length ? ` It also removes ${plural(edit.alsoRemoves.length, 'other test')} (${some(edit.alsoRemoves)}).` : '';
    out.push({
      cause: 'leak-tests',
      attempts: idx(mine),
      idiom: edit.idiom,
      ...(scale !== undefined ? { networkScale: scale } : {}),
      summary:
        `leak, not breakage: ${plural(leaks.length, 'pytest test')} tried the network and still passed (they expect the failure or skip themselves; maintainers often keep them): ${describe(leaks)}. ` +
        `Gentoo's rule is that tests do not touch the network; to stop it, ${edit.how}.${others}${stacked}`,
      ...(edit.text !== fixedText ? { patch: unifiedDiff(file, ebuildText, edit.text) } : {}),
    });
  }
  return out;
}

/** The phrase for at most three items, then `and N more`. */
function some(items: readonly string[], max = 3): string {
  return items.slice(0, max).join(', ') + (items.length > max ? ` and ${items.length - max} more` : '');
}

/**
 * A build-time download: the URLs the run showed (the downloader's argv, or an intercepted HTTP request) go into
 * SRC_URI, and a copy from ${DISTDIR} into src_prepare where the downloader's output file is known. Without a URL,
 * or for a repository (git), what is known and no patch.
 */
function downloadSuggestion(attempts: readonly Attempt[], ebuildText: string, file: string, indexes: number[]): Suggestion {
  const base = { cause: 'build-time-download' as const, attempts: indexes };
  const seen = `a download at build time in ${phasesOf(attempts)}: ${targets(attempts)}.`;
  const downloads = downloadsOf(attempts);
  const files = downloads.filter((d) => !isRepository(d) && safeUrl(d.url));
  const repos = downloads.filter((d) => isRepository(d)).map((d) => d.url);
  const reposText = repos.length
    ? ` The build fetched ${some(repos)} with git: SRC_URI takes files, not repositories; a snapshot tarball of the commit it needs (or the eclass that vendors it) belongs there.`
    : '';
  const wanted = [...new Set(attempts.map((a) => a.wanted).filter((w): w is string => Boolean(w)))];
  if (!files.length) {
    return {
      ...base,
      summary:
        `${seen} It belongs in SRC_URI (fetched outside the sandbox; Go deps tarball, cargo CRATES, npm offline cache, a snapshot of the git repository)` +
        (wanted.length
          ? `; the build wanted ${some(wanted)}. netaudit does not know which file the build needs from that, nor how the build must use the copy in DISTDIR: no patch.`
          : '. netaudit does not know which file the build needs (the syscall observer names the downloader and its URL; --explain or --intercept shows what it asked for): no patch.') +
        reposText,
    };
  }
  // Already a distfile: the URL in a global SRC_URI assignment (not merely in the ebuild, where the phase that
  // downloads it names it too).
  const srcUri = globalScope(ebuildText.split('\n'))
    .statements.filter((st) => /^SRC_URI\+?=/.test(st.text))
    .map((st) => st.text)
    .join('\n');
  const fresh = files.filter((d) => !srcUri.includes(d.url));
  let text = fresh.length ? addTokens(ebuildText, [['SRC_URI', fresh.map((d) => `${d.url} -> ${distfileName(d)}`).join(' ')]]).text : ebuildText;
  const copies: string[] = [];
  const placed: string[] = [];
  const unplaced: string[] = [];
  for (const d of files) {
    const target = d.output !== undefined ? copyTarget(d.output) : undefined;
    if (target) {
      copies.push(...copyLines(d, target));
      placed.push(`${d.url} to ${target}`);
    } else unplaced.push(d.url + (d.output !== undefined ? ` (written to ${d.output}, outside the build directory)` : ''));
  }
  let copyProblem: string | undefined;
  if (copies.length) {
    const edit = addToSrcPrepare(text, copies);
    if (edit.problem) copyProblem = edit.problem;
    else text = edit.text;
  }
  const parts = [
    `${seen} Move ${files.length === 1 ? 'the download' : 'the downloads'} into SRC_URI, which Portage fetches outside the sandbox: ${some(files.map((d) => `${d.url} -> ${distfileName(d)}`))}` +
      (fresh.length < files.length ? ` (${some(files.filter((d) => !fresh.includes(d)).map((d) => d.url))} already in SRC_URI)` : '') +
      '.',
  ];
  if (placed.length && !copyProblem) {
    parts.push(
      `Give the build the copy in src_prepare, where ${files.some((d) => d.tool) ? [...new Set(files.map((d) => d.tool).filter(Boolean))].join(' and ') : 'the downloader'} wrote it (a relative output file is taken to be relative to \${S}, where the phase runs): ${some(placed)}; the build then finds the file and does not download it.`,
    );
  } else if (placed.length) {
    parts.push(`The copy from \${DISTDIR} (${some(placed)}) could not be placed: ${copyProblem}; add it by hand.`);
  }
  if (unplaced.length) parts.push(`netaudit does not know where the build looks for ${some(unplaced)}: point the build at the copy in \${DISTDIR} (partial patch).`);
  parts.push('Regenerate the Manifest after applying (pkgdev manifest, or ebuild FILE manifest).' + reposText);
  return { ...base, summary: parts.join(' '), ...(text !== ebuildText ? { patch: unifiedDiff(file, ebuildText, text) } : {}) };
}
