/**
 * The per-ebuild lines a Gentoo developer reads in seconds, in pkgcheck's Str style: the subject, the verdict and
 * the phases it was blocked in, then a line per finding with its quoted log lines and hint, then the build log:
 *   net-test/test-resolve-1: BREAKS (test)
 *   net-test/test-resolve-1: DnsLookup: looked up testdata.example (A) via 10.255.255.53:53 ×2 in test: refused (ECONNREFUSED)
 *     > getent: Temporary failure in name resolution        (the matching build log line)
 *     hint: ...
 *     build log: /var/tmp/netaudit/logs/net-test/net-test:test-resolve-1:20260101-120000.log
 * A result taken from the cache of clean results (`netaudit changed`) says so on its first line:
 *   net-test/clean-build-1: CLEAN [cached 2026-01-01T12:00:00.000Z]
 * Only the verdict is coloured, by the terminal reporter (verdictText), as in its summary; decide `color` with
 * colorEnabled(process.stdout, process.env).
 */
import { blockedPhases, subjectText, suggestionText } from '../model/format.js';
import type { BuildResult } from '../model/types.js';
import { verdictText } from './terminal.js';

export function renderEbuildLines(b: BuildResult, options: { color?: boolean } = {}): string {
  const subject = subjectText(b);
  const phases = blockedPhases(b.attempts);
  const cached = b.cached ? ` [cached ${b.cached.createdAt}]` : '';
  const lines = [`${subject}: ${verdictText(b.verdict, options.color ?? false)}${phases.length ? ` (${phases.join(', ')})` : ''}${cached}`];
  for (const f of b.findings) {
    lines.push(`${subject}: ${f.keyword}: ${f.message.replace(/\s+/g, ' ')}`);
    for (const l of f.logLines ?? []) lines.push(`    > ${l}`);
    if (f.hint) lines.push(`    hint: ${f.hint}`);
  }
  for (const sg of b.suggestions ?? []) {
    lines.push(`${subject}: ${suggestionText(sg).replace(/\s+/g, ' ')}`);
    if (sg.verification) lines.push(`    verify: ${sg.verification}`);
    if (sg.patch) for (const l of sg.patch.replace(/\n$/, '').split('\n')) lines.push(`    | ${l}`);
  }
  if (b.log) lines.push(`    build log: ${b.log}`);
  return lines.join('\n') + '\n';
}
