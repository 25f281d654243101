/**
 * The per-ebuild lines a Gentoo developer reads in seconds, in pkgcheck's Str style: the subject, the verdict and
 * the phases it was blocked in (or found no network interface in), then a line per finding with its quoted log lines and hint, then the build log:
 *   net-test/test-resolve-1: BREAKS (test)
 *   net-test/test-resolve-1: DnsLookup: looked up testdata.example (A) via 10.255.255.53:53 ×2 in test: refused (ECONNREFUSED)
 *     > getent: Temporary failure in name resolution        (the matching build log line)
 *     hint: ...
 *     build log: /var/tmp/netaudit/logs/net-test/net-test:test-resolve-1:20260101-120000.log
 * A finding whose attempt has `wanted` gets a `wanted:` line under it, saying when it came from the intercepted
 * rerun of --explain; the `explanation` block follows the findings. An intercepted build (--intercept) is
 * labelled INTERCEPTED, as in the terminal summary: its verdict is an observation.
 * A result taken from the cache of clean results (`netaudit changed`) says so on its first line:
 *   net-test/clean-build-1: CLEAN [cached 2026-01-01T12:00:00.000Z]
 * Only the verdict is coloured, by the terminal reporter (verdictText), as in its summary; decide `color` with
 * colorEnabled(process.stdout, process.env).
 */
import { breakingPhases, explanationLines, FROM_RERUN, subjectText, suggestionText, verificationLines } from '../model/format.js';
import type { BuildResult } from '../model/types.js';
import { verdictText } from './terminal.js';

export function renderEbuildLines(b: BuildResult, options: { color?: boolean } = {}): string {
  const subject = subjectText(b);
  const phases = breakingPhases(b);
  const verdict = verdictText(b.verdict, options.color ?? false);
  const label = b.intercepted ? `INTERCEPTED (observation, not a network-sandbox verdict; as judged: ${verdict})` : verdict;
  const cached = b.cached ? ` [cached ${b.cached.createdAt}]` : '';
  const lines = [`${subject}: ${label}${phases.length ? ` (${phases.join(', ')})` : ''}${cached}`];
  for (const f of b.findings) {
    lines.push(`${subject}: ${f.keyword}: ${f.message.replace(/\s+/g, ' ')}`);
    for (const l of f.logLines ?? []) lines.push(`    > ${l}`);
    const wanted = f.attempt !== undefined ? b.attempts[f.attempt]?.wanted : undefined;
    if (wanted !== undefined) lines.push(`    wanted: ${wanted}${b.intercepted ? '' : ` (${FROM_RERUN})`}`);
    if (f.hint) lines.push(`    hint: ${f.hint}`);
  }
  const [head, ...more] = explanationLines(b);
  if (head) lines.push(`${subject}: ${head}`, ...more.map((l) => `    ${l}`));
  for (const sg of b.suggestions ?? []) {
    lines.push(`${subject}: ${suggestionText(sg).replace(/\s+/g, ' ')}`);
    for (const v of verificationLines(sg)) lines.push(`    ${v.text}`);
    if (sg.patch) for (const l of sg.patch.replace(/\n$/, '').split('\n')) lines.push(`    | ${l}`);
  }
  if (b.log) lines.push(`    build log: ${b.log}`);
  return lines.join('\n') + '\n';
}
