/**
 * pkgcheck's machine formats, so Gentoo QA tooling built for pkgcheck (pkgcheck2html-style pages, jq pipelines)
 * can take netaudit's findings. Each finding is one pkgcheck "result": its keyword is the result class, its level
 * the result level (error, warning, style, info: the same four names), its one-line message the `desc`.
 *
 * Matched against pkgcore/pkgcheck at commit 7e2120a792da448d58c238f03fe41c69adf8808c (2026-07-24),
 * src/pkgcheck/reporters.py, and the expected outputs in its tests/test_reporters.py:
 *   XmlReporter: a line `<checks>`, then one line per result, by scope:
 *     version:  `<result><category>C</category><package>P</package><version>V</version><class>K</class><msg>D</msg></result>`
 *     package:  `<result><category>C</category><package>P</package><class>K</class><msg>D</msg></result>`
 *   then a line `</checks>`. class and msg pass through xml.sax.saxutils.escape (& < > only), so that is what
 *   this module does for text; category/package/version, which pkgcheck leaves raw, are escaped the same way
 *   here too (a build name may hold any character). No XML declaration, as pkgcheck writes none.
 *   JsonReporter: newline-delimited JSON, one object per result, nested by scope
 *     version:  {"C": {"P": {"V": {"_LEVEL": {"K": "D"}}}}}
 *     package:  {"C": {"P": {"_LEVEL": {"K": "D"}}}}
 *   written by Python's json.dumps with its defaults: `", "` and `": "` separators, every character outside
 *   printable ASCII as a \uXXXX escape (ensure_ascii). Merge the lines with jq -c -s 'reduce.[]as$x({};.*$x)'.
 *   (pkgcheck's other JSON reporter, JsonStream, serializes each result class's own constructor attributes,
 *   `{"__class__": "K", "category": ..., ...}`, for `pkgcheck replay`; it cannot be replayed without netaudit's
 *   keywords in pkgcheck, so it is not offered.)
 *
 * Ebuild builds are version-scope results of category/package/version. Command builds have no package: they
 * are package-scope results under the category "command", with the build's name as the package, so that each
 * command keeps its own findings when the lines are merged (a category-scope result would let two commands'
 * same keyword overwrite each other).
 */
import { fixFor, subjectOf } from '../model/format.js';
import type { Finding, Report } from '../model/types.js';
import { escapeXmlText } from './xml.js';

/** One pkgcheck result made of a finding. `version` is absent for package-scope results (commands). */
export interface PkgcheckResult {
  readonly category: string;
  readonly package: string;
  readonly version?: string;
  readonly keyword: string;
  readonly level: Finding['level'];
  /** pkgcheck's `desc`: one line; with suggestions (--suggest), the fix text follows as `(fix: ...)`. */
  readonly desc: string;
  /** The suggested fix for this result's attempt (src/suggest/), when there is one. */
  readonly fix?: string;
}

/** Every finding of the report as a pkgcheck result, builds in report order, findings in build order. */
export function pkgcheckResults(report: Report): PkgcheckResult[] {
  return report.builds.flatMap((b) => {
    const where = subjectOf(b);
    return b.findings.map((f) => {
      const fix = fixFor(b, f.attempt)?.replace(/\s+/g, ' ').trim();
      const desc = f.message.replace(/\s+/g, ' ').trim();
      return { ...where, keyword: f.keyword, level: f.level, desc: fix ? `${desc} (fix: ${fix})` : desc, ...(fix ? { fix } : {}) };
    });
  });
}

export function renderPkgcheckXml(report: Report): string {
  const lines = ['<checks>'];
  for (const r of pkgcheckResults(report)) {
    const version = r.version === undefined ? '' : `<version>${escapeXmlText(r.version)}</version>`;
    lines.push(
      `<result><category>${escapeXmlText(r.category)}</category><package>${escapeXmlText(r.package)}</package>${version}` +
        `<class>${escapeXmlText(r.keyword)}</class><msg>${escapeXmlText(r.desc)}</msg></result>`,
    );
  }
  lines.push('</checks>', '');
  return lines.join('\n');
}

export function renderPkgcheckJson(report: Report): string {
  return pkgcheckResults(report)
    .map((r) => {
      const leaf: Record<string, unknown> = { [`_${r.level}`]: { [r.keyword]: r.desc } };
      const pkg = r.version === undefined ? leaf : { [r.version]: leaf };
      return `${pythonJsonDumps({ [r.category]: { [r.package]: pkg } })}\n`;
    })
    .join('');
}

/**
 * JSON text as Python's json.dumps(value) writes it with default arguments: `, ` and `: ` separators, no
 * indentation, and (ensure_ascii) every character outside U+0020..U+007E escaped as lower-case \uXXXX, characters
 * beyond the BMP as surrogate pairs. Enough for strings, numbers, booleans, null, arrays and objects (object keys
 * in JavaScript's property order).
 */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    return (JSON.stringify(value) ?? 'null').replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  }
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  return `{${Object.entries(value)
    .map(([k, v]) => `${pythonJsonDumps(k)}: ${pythonJsonDumps(v)}`)
    .join(', ')}}`;
}
