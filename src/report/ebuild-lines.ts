/**
 * The per-ebuild lines a Gentoo developer reads in seconds, in pkgcheck's Str style:
 *   net-test/test-resolve-1: BREAKS (src_test)
 *   net-test/test-resolve-1: DnsLookup: src_test looked up testdata.example (A) ×2 via 10.255.255.53:53
 *     > getent: Temporary failure in name resolution        (the matching build log line)
 *     hint: ...
 */
import { blockedPhases, subjectText } from '../model/format.js';
import type { BuildResult } from '../model/types.js';

const COLOURS: Record<string, [string, string]> = {
  clean: ['\x1b[32m', '\x1b[39m'],
  tolerates: ['\x1b[33m', '\x1b[39m'],
  breaks: ['\x1b[1;31m', '\x1b[0m'],
  'fails-without-network': ['\x1b[35m', '\x1b[39m'],
};

export function renderEbuildLines(b: BuildResult, options: { color?: boolean } = {}): string {
  const subject = subjectText(b);
  const phases = blockedPhases(b.attempts);
  const [on, off] = options.color ? (COLOURS[b.verdict] ?? ['', '']) : ['', ''];
  const lines = [`${subject}: ${on}${b.verdict.toUpperCase()}${off}${phases.length ? ` (${phases.join(', ')})` : ''}`];
  for (const f of b.findings) {
    lines.push(`${subject}: ${f.keyword}: ${f.message.replace(/\s+/g, ' ')}`);
    for (const l of f.logLines ?? []) lines.push(`    > ${l}`);
    if (f.hint) lines.push(`    hint: ${f.hint}`);
  }
  if (b.log) lines.push(`    build log: ${b.log}`);
  return lines.join('\n') + '\n';
}
