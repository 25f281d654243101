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
 * Only `breaks` builds get suggestions.
 */
import { endpoint } from '../model/format.js';
import type { Attempt, BuildResult, FindingKeyword, Suggestion } from '../model/types.js';
import { keywordFor } from '../verdict/findings.js';
import { serviceAt } from '../verdict/ports.js';
import { unifiedDiff } from './diff.js';
import { addDeselect, addTokens, globalScope, usesEpytest } from './ebuild-text.js';
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
  if (b.kind !== 'ebuild' || !b.ebuild || b.verdict !== 'breaks') return [];
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

  if (groups.tests.length) {
    const ids = [...new Set(groups.tests.map((a) => a.test as string))].sort();
    const edit = addDeselect(ebuildText, ids);
    const what = ids.map((id) => `${id} (${targets(groups.tests.filter((a) => a.test === id), 2)})`).join('; ');
    const caveat = usesEpytest(ebuildText)
      ? ''
      : ' The ebuild does not seem to run pytest through epytest (distutils_enable_tests pytest), which is what reads EPYTEST_DESELECT: check that it reaches pytest (--verify does).';
    if (!edit.added.length) {
      out.push({
        cause: 'deselect-tests', ...idx(groups.tests),
        summary: `pytest tests in src_test tried the internet, but EPYTEST_DESELECT already names them all: ${what}. The array does not reach pytest; netaudit cannot tell why, so no patch.`,
      });
    } else {
      const already = edit.present.length ? ` (${edit.present.join(', ')} already listed)` : '';
      out.push({
        cause: 'deselect-tests', ...idx(groups.tests),
        summary: `deselect the ${ids.length === 1 ? 'pytest test' : `${edit.added.length} pytest tests`} that tried the internet in src_test, ${edit.existing ? 'in the existing EPYTEST_DESELECT array' : 'in a new EPYTEST_DESELECT array'}: ${what}${already}.${caveat}`,
        patch: unifiedDiff(file, ebuildText, edit.text),
      });
    }
  }

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
