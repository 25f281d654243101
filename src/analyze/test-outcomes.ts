/**
 * Each test's final outcome, from the pytest plugin's spans (pure): a test failed when any of its phases was
 * reported failed or error (a setup that fails is pytest's "error"; a strict xpass is reported failed). The
 * same id run by several Python implementations (epytest per impl) counts once. What --verify tells a baseline
 * failure (a test that fails without touching the network) from a network one by.
 */
import type { TestSpan } from '../model/evidence.js';

const FAILED: ReadonlySet<string> = new Set(['failed', 'error']);

/** The ids of the tests that failed or errored, sorted; undefined when no span was logged (no test ran under the plugin). */
export function failedTests(spans: readonly TestSpan[] | undefined): string[] | undefined {
  if (!spans?.length) return undefined;
  return [...new Set(spans.filter((s) => s.outcome !== undefined && FAILED.has(s.outcome)).map((s) => s.nodeid))].sort();
}
