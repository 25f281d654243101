/**
 * A report with real suggestions, for the reporters and `report patches`: recorded ebuild runs of the fixture
 * repository (test/fixtures/judge/*.json) judged as the runner judges them, and the pure suggestion engine run on
 * the fixture ebuilds' text, as `--suggest` does. Only `verified`/`verification` are set by hand where a test
 * needs a verified patch (the real --verify is exercised in test/portage/).
 */
import { writable } from '../helpers/writable.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { BuildResult, Report, Suggestion } from '../../src/model/types.js';
import { makeReport } from '../../src/model/report.js';
import { suggest } from '../../src/suggest/index.js';
import { judgeEbuild, type EbuildJudgeInput } from '../../src/verdict/index.js';
import { ROOT } from './helpers.js';

export const REPO = path.join(ROOT, 'fixtures/repo');
export const ebuildPath = (pn: string): string => path.join(REPO, 'net-test', pn, `${pn}-1.ebuild`);

/** The recorded run of net-test/PN-1, judged, with the suggestions of the fixture ebuild. */
export function suggestedBuild(pn: string): BuildResult {
  const input = JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/judge', `${pn}-1.json`), 'utf8')) as EbuildJudgeInput;
  const j = judgeEbuild(input);
  const last = j.phases[j.phases.length - 1];
  const b: BuildResult = {
    name: `net-test/${pn}-1`,
    kind: 'ebuild',
    command: ['ebuild', ebuildPath(pn), 'clean', 'test'],
    exitCode: j.verdict === 'breaks' || j.verdict === 'fails-without-network' ? 1 : 0,
    durationMs: last?.endMs ?? 1000,
    verdict: j.verdict,
    attempts: j.attempts,
    findings: j.findings,
    capture: { packets: j.attempts.length, dropped: 0 },
    ebuild: { category: 'net-test', package: pn, version: '1', path: ebuildPath(pn) },
    phases: j.phases,
  };
  return { ...b, suggestions: suggest(b, readFileSync(ebuildPath(pn), 'utf8')) };
}

/** `s` as --verify leaves a patch that passed. */
export function verified(s: Suggestion): Suggestion {
  return { ...s, verified: true, verification: 'patched copy audited (2.40 s): verdict clean; src_test passes; no blocked attempt' };
}

/**
 * pytest-mixed (EPYTEST_DESELECT patch, not verified), test-resolve (PROPERTIES=test_network patch, verified),
 * distcc and compile-fetch (suggestions without patch), clean-build (nothing to suggest); createdAt fixed.
 */
export function suggestedReport(): Report {
  const resolve = suggestedBuild('test-resolve');
  writable(resolve).suggestions = (resolve.suggestions ?? []).map(verified);
  const builds = [suggestedBuild('pytest-mixed'), resolve, suggestedBuild('distcc'), suggestedBuild('compile-fetch'), suggestedBuild('clean-build')];
  return makeReport('sweep', builds, '0.1.0', new Date('2026-12-02T15:37:20.123Z'));
}
