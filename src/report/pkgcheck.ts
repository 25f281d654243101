/**
 * pkgcheck's machine formats, so existing Gentoo QA tooling (pkgcheck2html-style pages, jq pipelines) can take
 * netaudit's findings. Matched against pkgcore/pkgcheck src/pkgcheck/reporters.py:
 *   XmlReporter: `<checks>`, then one line per result
 *     `<result><category>c</category><package>p</package><version>v</version><class>Keyword</class><msg>desc</msg></result>`
 *     (result_template without category/package/version for results of no package), then `</checks>`;
 *   JsonReporter: newline-delimited JSON, one object per result, nested category -> package -> version ->
 *     "_<level>" -> {Keyword: desc} (merge them with jq -c -s 'reduce.[]as$x({};.*$x)').
 * Command builds have no package: their results are written at the top level, like pkgcheck's repo-scope
 * results, with the build's name prefixed to the message.
 */
import type { BuildResult, Finding, Report } from '../model/types.js';
import { escapeXml } from './xml.js';

interface Row {
  readonly build: BuildResult;
  readonly finding: Finding;
}

function rows(report: Report): Row[] {
  return report.builds.flatMap((build) => build.findings.map((finding) => ({ build, finding })));
}

function desc(r: Row): string {
  const base = r.finding.message.replace(/\s+/g, ' ');
  return r.build.kind === 'ebuild' && r.build.ebuild ? base : `${r.build.name}: ${base}`;
}

export function renderPkgcheckXml(report: Report): string {
  const lines = ['<checks>'];
  for (const r of rows(report)) {
    const e = r.build.ebuild;
    const cls = `<class>${escapeXml(r.finding.keyword)}</class><msg>${escapeXml(desc(r))}</msg>`;
    lines.push(
      e
        ? `<result><category>${escapeXml(e.category)}</category><package>${escapeXml(e.package)}</package><version>${escapeXml(e.version)}</version>${cls}</result>`
        : `<result>${cls}</result>`,
    );
  }
  lines.push('</checks>', '');
  return lines.join('\n');
}

export function renderPkgcheckJson(report: Report): string {
  return rows(report)
    .map((r) => {
      const leaf = { [`_${r.finding.level}`]: { [r.finding.keyword]: desc(r) } };
      const e = r.build.ebuild;
      return JSON.stringify(e ? { [e.category]: { [e.package]: { [e.version]: leaf } } } : leaf) + '\n';
    })
    .join('');
}
