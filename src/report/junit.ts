/**
 * JUnit XML: one test case per build, so CI systems (GitLab, Jenkins, GitHub test reporters) list the audit
 * natively. The mapping, chosen so that CI goes red only for what network-sandbox would break:
 *   breaks                 -> <failure type="breaks" message="...">findings, log lines, hints, and the
 *                             suggestions (--suggest: summary, verification, the patch)</failure>
 *   fails-without-network  -> <skipped message="fails without network: ..."/>  (the build fails for another
 *                             reason; the audit has nothing to say, and <error> would turn CI red for it)
 *   clean, tolerates       -> passed; <system-out> lists the attempts (tolerates: the leak to look at)
 * Every test case has a <system-out> with the verdict, the attempts, the findings and the build log path. A
 * suggestion verified in several rounds (--verify widened its patch) shows each round in the suggestion's text
 * (`verify round 1 of 2: not verified: ...`) and as <properties> of the test case (roundProperties).
 *
 * Names: ebuilds are classname="category" name="package-version"; command builds classname="command" and the
 * build's name. One <testsuite name="netaudit"> inside <testsuites>; counts (tests, failures, errors, skipped)
 * are of the builds; times are seconds with millisecond precision. Every value from a build is escaped, and
 * characters XML 1.0 forbids (NUL and other C0 controls) are dropped, so the file is well-formed XML whatever
 * the build printed.
 */
import { breakingPhases, endpoint, exitText, explanationLines, interfaceQueryLine, packageVersion, processText, shownAttempt, subjectOf, suggestionText, verificationRounds } from '../model/format.js';
import type { Attempt, BuildResult, Finding, Report, Suggestion } from '../model/types.js';
import { escapeXml, escapeXmlText } from './xml.js';

/** classname: the category (`command` for commands); name: package-version (a command's name). */
function caseName(b: BuildResult): { classname: string; name: string } {
  const s = subjectOf(b);
  return { classname: s.category, name: packageVersion(s) };
}

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

/** One line per attempt: `dns anything.example.org (A) via 10.0.0.53:53 ×2 in test: unreachable, by curl[42], blocked`. */
export function attemptLine(attempt: Attempt): string {
  const a = shownAttempt(attempt);
  const what =
    a.kind === 'dns'
      ? `dns ${[a.hostname ?? '(unknown name)', a.qtype ? `(${a.qtype})` : ''].filter(Boolean).join(' ')} via ${endpoint(a.address, a.port)}`
      : `${a.kind} ${endpoint(a.address, a.port)}${a.hostname ? ` (${a.hostname})` : ''}`;
  const parts = [what];
  if (a.count > 1) parts.push(`×${a.count}`);
  if (a.phase) parts.push(`in ${a.phase}`);
  if (a.test) parts.push(`(test ${a.test})`);
  const tail = [a.outcome, a.wanted !== undefined ? `wanted ${a.wanted}` : '', a.process ? `by ${processText(a.process)}` : '', a.allowed ? `allowed${a.allowedBy ? ` (${a.allowedBy})` : ''}` : 'blocked'];
  return `${parts.join(' ')}: ${tail.filter(Boolean).join(', ')}`;
}

function findingLines(f: Finding): string[] {
  return [`${f.keyword} [${f.level}]: ${f.message}`, ...(f.logLines ?? []).map((l) => `  > ${l}`), ...(f.hint ? [`  hint: ${f.hint}`] : [])];
}

/** A suggestion in a failure's text: its headline, the verification line (--verify) and the patch, indented. */
export function suggestionLines(sg: Suggestion): string[] {
  const lines = [suggestionText(sg)];
  const rounds = verificationRounds(sg);
  if (rounds.length) {
    // Several verify runs: each round, what it added, and its outcome; the last is the suggestion's state.
    for (const r of rounds) lines.push(`  verify round ${r.round} of ${rounds.length}${r.added.length ? ` (adds ${r.added.join(', ')})` : ''}: ${r.outcome}: ${r.verification}`);
  } else if (sg.verification) lines.push(`  ${sg.verified ? 'verified' : 'not verified'}: ${sg.verification}`);
  else if (sg.patch) lines.push('  not verified (audit with --verify)');
  if (sg.patch) lines.push('  patch:', ...sg.patch.replace(/\n$/, '').split('\n').map((l) => `    ${l}`));
  return lines;
}

/**
 * The test case's <properties> (as pytest's record_property writes them, first in the test case): for each
 * suggestion verified in several rounds (--verify), `netaudit.verify.CAUSE.rounds` (how many) and per round
 * `netaudit.verify.CAUSE.round.N`: `verified` or `not verified`, what it added and what its run named as missed,
 * and its verification line. [] when there is none.
 */
export function roundProperties(b: BuildResult): { readonly name: string; readonly value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (const sg of b.suggestions ?? []) {
    const rounds = verificationRounds(sg);
    if (!rounds.length) continue;
    out.push({ name: `netaudit.verify.${sg.cause}.rounds`, value: String(rounds.length) });
    for (const r of rounds) {
      const what = [r.outcome, r.added.length ? `adds ${r.added.join(', ')}` : '', r.missed.length ? `missed ${r.missed.join(', ')}` : ''].filter(Boolean).join('; ');
      out.push({ name: `netaudit.verify.${sg.cause}.round.${r.round}`, value: `${what}: ${r.verification}` });
    }
  }
  return out;
}

function systemOut(b: BuildResult): string {
  const lines = [`verdict: ${b.verdict} (${exitText(b, 'status')})`, `command: ${b.command.join(' ')}`];
  lines.push(b.attempts.length ? `attempts (${b.attempts.length}):` : 'attempts: none');
  for (const a of b.attempts) lines.push(`  ${attemptLine(a)}`);
  const queries = b.interfaceQueries ?? [];
  if (queries.length) lines.push(`interface listings (${queries.length}, only lo under network-sandbox):`, ...queries.map((q) => `  ${interfaceQueryLine(q)}`));
  if (b.findings.length) lines.push('findings:', ...b.findings.flatMap(findingLines).map((l) => `  ${l}`));
  lines.push(...explanationLines(b).map((l, i) => (i === 0 ? l : `  ${l}`)));
  // A build that did not break has its suggestions (leaks, --suggest) here: its failure text holds them otherwise.
  if (b.verdict !== 'breaks' && b.suggestions?.length) lines.push('suggestions:', ...b.suggestions.flatMap(suggestionLines).map((l) => `  ${l}`));
  if (b.log) lines.push(`build log: ${b.log}`);
  return lines.join('\n');
}

export function renderJunit(report: Report): string {
  const tests = report.builds.length;
  const failures = report.builds.filter((b) => b.verdict === 'breaks').length;
  const skipped = report.builds.filter((b) => b.verdict === 'fails-without-network').length;
  const total = seconds(report.builds.reduce((sum, b) => sum + b.durationMs, 0));
  const counts = `tests="${tests}" failures="${failures}" errors="0" skipped="${skipped}" time="${total}"`;
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="netaudit" ${counts}>`,
    `  <testsuite name="netaudit" ${counts} timestamp="${escapeXml(report.createdAt.replace(/Z$/, ''))}">`,
  ];
  for (const b of report.builds) {
    const { classname, name } = caseName(b);
    out.push(`    <testcase classname="${escapeXml(classname)}" name="${escapeXml(name)}" time="${seconds(b.durationMs)}">`);
    const properties = roundProperties(b);
    if (properties.length) {
      out.push('      <properties>', ...properties.map((p) => `        <property name="${escapeXml(p.name)}" value="${escapeXml(p.value)}"/>`), '      </properties>');
    }
    if (b.verdict === 'breaks') {
      const blocked = b.attempts.filter((a) => !a.allowed).length;
      const phases = breakingPhases(b);
      const noInterface = b.findings.some((f) => f.keyword === 'NoNetworkInterface') ? ', no network interface but lo' : '';
      const msg = `breaks under network-sandbox${phases.length ? ` (${phases.join(', ')})` : ''}: ${blocked} blocked attempt${blocked === 1 ? '' : 's'}${noInterface}, ${exitText(b, 'status')}`;
      const text = [...(b.findings.length ? b.findings.flatMap(findingLines) : b.attempts.map(attemptLine)), ...(b.suggestions ?? []).flatMap(suggestionLines)].join('\n');
      out.push(`      <failure type="breaks" message="${escapeXml(msg)}">${escapeXmlText(text)}</failure>`);
    } else if (b.verdict === 'fails-without-network') {
      const first = b.findings[0];
      const why = first ? `${first.keyword}: ${first.message}` : `${exitText(b, 'status')} and no network attempt: the failure has another cause`;
      out.push(`      <skipped message="${escapeXml(`fails without network: ${why}`)}"/>`);
    }
    out.push(`      <system-out>${escapeXmlText(systemOut(b))}</system-out>`);
    out.push('    </testcase>');
  }
  out.push('  </testsuite>', '</testsuites>', '');
  return out.join('\n');
}
