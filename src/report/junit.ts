/**
 * JUnit XML: one test case per build, so CI systems show results natively. A QA lead wants CI red only for
 * `breaks` (failure); `fails-without-network` is reported as skipped (the build fails for another reason, a
 * network audit has nothing to say about it); clean and tolerates pass, tolerates with its attempts listed.
 */
import type { BuildResult, Report } from '../model/types.js';
import { escapeXml } from './xml.js';

function caseName(b: BuildResult): { classname: string; name: string } {
  if (b.kind === 'ebuild' && b.ebuild) return { classname: b.ebuild.category, name: `${b.ebuild.package}-${b.ebuild.version}` };
  return { classname: 'command', name: b.name };
}

function findingsText(b: BuildResult): string {
  return b.findings
    .map((f) => [`${f.keyword}: ${f.message}`, ...(f.logLines ?? []).map((l) => `  > ${l}`), ...(f.hint ? [`  hint: ${f.hint}`] : [])].join('\n'))
    .join('\n');
}

export function renderJunit(report: Report): string {
  const failures = report.builds.filter((b) => b.verdict === 'breaks').length;
  const skipped = report.builds.filter((b) => b.verdict === 'fails-without-network').length;
  const time = (ms: number): string => (ms / 1000).toFixed(3);
  const total = report.builds.reduce((a, b) => a + b.durationMs, 0);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="netaudit" tests="${report.builds.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${time(total)}">`,
    `  <testsuite name="netaudit" tests="${report.builds.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${time(total)}" timestamp="${escapeXml(report.createdAt)}">`,
  ];
  for (const b of report.builds) {
    const { classname, name } = caseName(b);
    out.push(`    <testcase classname="${escapeXml(classname)}" name="${escapeXml(name)}" time="${time(b.durationMs)}">`);
    const phases = [...new Set(b.attempts.filter((a) => !a.allowed && a.phase).map((a) => a.phase))].join(', ');
    if (b.verdict === 'breaks') {
      const msg = `breaks under network-sandbox${phases ? ` (${phases})` : ''}: ${b.attempts.filter((a) => !a.allowed).length} attempt(s)`;
      out.push(`      <failure type="breaks" message="${escapeXml(msg)}">${escapeXml(findingsText(b))}</failure>`);
    } else if (b.verdict === 'fails-without-network') {
      out.push(`      <skipped message="${escapeXml('fails without network: the build fails for another reason')}"/>`);
    }
    out.push(`      <system-out>${escapeXml([`verdict: ${b.verdict}`, findingsText(b), b.log ? `build log: ${b.log}` : ''].filter(Boolean).join('\n'))}</system-out>`);
    out.push('    </testcase>');
  }
  out.push('  </testsuite>', '</testsuites>', '');
  return out.join('\n');
}
