/**
 * The reporters: each turns a finished (or replayed) report into text. An explicit registry, no discovery:
 * adding a reporter (html, junit) = one module plus one entry in REPORTERS.
 */
import { UsageError } from '../model/errors.js';
import type { Report } from '../model/types.js';
import { renderHtml } from './html.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderPkgcheckJson, renderPkgcheckXml } from './pkgcheck.js';
import { renderPkgcheckLines, renderTerminal } from './terminal.js';

export interface RenderOptions {
  /** Colours (terminal only). Default: off. */
  readonly color?: boolean;
  /** Terminal width for wrapping (terminal only). Default: no wrapping. */
  readonly width?: number;
}

export type ReporterName = 'terminal' | 'json' | 'pkgcheck' | 'html' | 'junit' | 'pkgcheck-xml' | 'pkgcheck-json';

export interface Reporter {
  readonly name: ReporterName;
  /** One line for --help. */
  readonly describe: string;
  render(report: Report, options: RenderOptions): string;
}

export const REPORTERS: readonly Reporter[] = [
  {
    name: 'terminal',
    describe: 'the human summary: verdict, attempts, findings with hints, capture statistics',
    render: (report, options) => renderTerminal(report, { color: options.color ?? false, width: options.width }),
  },
  {
    name: 'json',
    describe: 'the JSON report (reports/report.schema.json)',
    render: (report) => renderJson(report),
  },
  {
    name: 'pkgcheck',
    describe: "one line per finding, pkgcheck's Str style: category/package-version: Keyword: message",
    render: (report) => renderPkgcheckLines(report),
  },
  {
    name: 'html',
    describe: 'a self-contained dashboard: totals, charts, a searchable sortable table, per-build evidence',
    render: (report) => renderHtml(report),
  },
  {
    name: 'junit',
    describe: 'JUnit XML: one test case per build; breaks fail, fails-without-network is skipped',
    render: (report) => renderJunit(report),
  },
  {
    name: 'pkgcheck-xml',
    describe: "pkgcheck's XmlReporter lines: <checks>, <result><category>…<package>…<version>…<class>Keyword</class><msg>…</msg></result>, </checks>",
    render: (report) => renderPkgcheckXml(report),
  },
  {
    name: 'pkgcheck-json',
    describe: "pkgcheck's JsonReporter lines: {category: {package: {version: {_level: {Keyword: message}}}}} per finding",
    render: (report) => renderPkgcheckJson(report),
  },
];

/** The renderings written beside report.json by a completed sweep and by `report merge`. */
export const SWEEP_RENDERINGS: readonly { readonly file: string; readonly reporter: ReporterName }[] = [
  { file: 'report.html', reporter: 'html' },
  { file: 'junit.xml', reporter: 'junit' },
];

export const REPORTER_NAMES: readonly ReporterName[] = REPORTERS.map((r) => r.name);

/** The reporter called `name`; E_BAD_ARGUMENT naming the known ones otherwise. */
export function getReporter(name: string): Reporter {
  const found = REPORTERS.find((r) => r.name === name);
  if (!found) throw new UsageError(`unknown reporter ${JSON.stringify(name)} — use one of ${REPORTER_NAMES.join(', ')}`, { option: '--format' });
  return found;
}
