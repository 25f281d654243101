/** Matching reported attempts against expected ones (fixtures' expected.json files). */
import assert from 'node:assert/strict';
import type { Attempt } from '../../src/model/types.js';

/** How a fixture was audited: with the syscall observer (the faithful sandbox), or on packets alone (--no-observe). */
export type AuditMode = 'observed' | 'packets';

/**
 * An expected attempt as fixtures write it: the model's fields, where a value may differ by mode
 * (`{"observed": "unreachable", "packets": "dropped"}`), plus `comm`, the process that must be named
 * (checked with the observer only).
 */
export type WantedAttempt = { [K in keyof Attempt]?: Attempt[K] | { observed: Attempt[K]; packets: Attempt[K] } } & { comm?: string };

/** The fields to match in this mode. */
export function wantedIn(mode: AuditMode, w: WantedAttempt): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(w)) {
    if (k === 'comm' && mode === 'packets') continue;
    out[k] = v !== null && typeof v === 'object' && 'observed' in v && 'packets' in v ? (v as Record<AuditMode, unknown>)[mode] : v;
  }
  return out;
}

/** Every expected attempt is matched by a distinct reported attempt on the fields it gives (`comm`: process.comm). */
export function assertAttempts(actual: readonly Attempt[], wanted: readonly (Partial<Attempt> | Record<string, unknown>)[], label: string): void {
  if (!wanted.length) {
    assert.deepEqual(actual, [], `${label}: expected no attempts, got ${JSON.stringify(actual)}`);
    return;
  }
  const left = [...actual];
  for (const w of wanted) {
    const i = left.findIndex((a) => Object.entries(w).every(([k, v]) => (k === 'comm' ? a.process?.comm : (a as unknown as Record<string, unknown>)[k]) === v));
    assert.ok(i >= 0, `${label}: no attempt matches ${JSON.stringify(w)} in ${JSON.stringify(actual, null, 1)}`);
    left.splice(i, 1);
  }
  assert.deepEqual(left, [], `${label}: unexpected attempts ${JSON.stringify(left)}`);
}

