/**
 * Judged ebuild builds made by hand for the suggestion engine's tests (test/suggest/), on the fixture
 * repository's ebuilds: one finding per attempt with the keyword given, and PhaseFailed of the first attempt's phase.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Attempt, type BuildResult, type Finding, attemptOf, type AttemptFields } from '../../src/model/types.js';
import { ROOT } from './cli.js';

export const REPO = path.join(ROOT, 'fixtures/repo');
export const fixture = (pn: string) => readFileSync(path.join(REPO, 'net-test', pn, `${pn}-1.ebuild`), 'utf8');

export function attempt(a: Partial<AttemptFields>): Attempt {
  return attemptOf({ kind: 'tcp', scope: 'external', family: 4, address: '203.0.113.10', port: 80, count: 1, firstAtMs: 100, allowed: false, ...a });
}

/** A judged breaking ebuild build: one finding per attempt with the keyword given, and PhaseFailed. */
export function build(pn: string, attempts: Attempt[], keywords: Finding['keyword'][], over: Partial<BuildResult> = {}): BuildResult {
  const phase = attempts[0]?.phase ?? 'src_test';
  return {
    name: `net-test/${pn}-1`,
    kind: 'ebuild',
    command: [],
    exitCode: 1,
    durationMs: 3000,
    verdict: 'breaks',
    attempts,
    findings: [
      ...attempts.map((a, i) => ({ keyword: keywords[i] ?? 'ExternalConnect', level: 'error' as const, message: `attempt ${i}`, attempt: i, phase: a.phase, ...(a.test ? { test: a.test } : {}) })),
      { keyword: 'PhaseFailed', level: 'error', message: `${phase} failed (exit 1)`, phase },
    ],
    capture: { packets: 2, dropped: 0 },
    ebuild: { category: 'net-test', package: pn, version: '1', path: path.join(REPO, 'net-test', pn, `${pn}-1.ebuild`) },
    phases: [{ name: phase, startMs: 10, endMs: 20, exitCode: 1, sandboxed: true }],
    ...over,
  };
}

/**
 * The entries of the ebuild's global `EPYTEST_DESELECT=( ... )` array as bash reads it (quotes, comments), each
 * one what epytest hands pytest as `--deselect`: the ebuild is written to `dir`/patched.ebuild for bash.
 */
export function deselectedByBash(ebuildText: string, dir: string): { entries: string[]; stdout: string; stderr: string } {
  const file = path.join(dir, 'patched.ebuild');
  writeFileSync(file, ebuildText);
  const read = spawnSync('bash', ['-c', 'eval "$(sed -n \'/^EPYTEST_DESELECT=(/,/^)/p\' "$1")"; printf "%s\\n" "${EPYTEST_DESELECT[@]}"', '_', file], { encoding: 'utf8' });
  return { entries: read.stdout.trim().split('\n').filter(Boolean), stdout: read.stdout, stderr: read.stderr };
}
