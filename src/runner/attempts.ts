/**
 * From the evidence's attempts to the ones the judges get, the same for `netaudit run` and `netaudit ebuild`:
 * in intercept mode each attempt first gets `wanted` from the responder's records (src/analyze/intercept.ts),
 * then its test (attributeTests, after any process attribution: with attempt.process known it narrows to that
 * process's tests).
 */
import { attachWanted } from '../analyze/intercept.js';
import { attributeTests } from '../analyze/test-attribution.js';
import type { ResponderRecord, TestSpan } from '../model/evidence.js';
import type { Attempt } from '../model/types.js';

export function finalAttempts(
  attempts: readonly Attempt[],
  context: { readonly buildStartMs: number; readonly tests: readonly TestSpan[]; readonly intercepted?: readonly ResponderRecord[] },
): Attempt[] {
  const answered = context.intercepted ? attachWanted(attempts, context.intercepted, context.buildStartMs).attempts : [...attempts];
  return attributeTests(answered, context.tests);
}
