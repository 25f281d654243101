/** Matching reported attempts against expected ones (fixtures' expected.json files). */
import assert from 'node:assert/strict';
import type { Attempt } from '../../src/model/types.js';

/** Every expected attempt is matched by a distinct reported attempt on the fields it gives. */
export function assertAttempts(actual: Attempt[], wanted: Partial<Attempt>[], label: string): void {
  if (!wanted.length) {
    assert.deepEqual(actual, [], `${label}: expected no attempts, got ${JSON.stringify(actual)}`);
    return;
  }
  const left = [...actual];
  for (const w of wanted) {
    const i = left.findIndex((a) => Object.entries(w).every(([k, v]) => (a as unknown as Record<string, unknown>)[k] === v));
    assert.ok(i >= 0, `${label}: no attempt matches ${JSON.stringify(w)} in ${JSON.stringify(actual, null, 1)}`);
    left.splice(i, 1);
  }
  assert.deepEqual(left, [], `${label}: unexpected attempts ${JSON.stringify(left)}`);
}

