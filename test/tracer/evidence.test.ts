/**
 * The tracer's events as build evidence (model/evidence.ts TracerEvidence) and what the analysis takes from
 * them: on the recorded real run of test/tracer/recorded.jsonl (python3's connects, DNS sends, interface
 * enumeration, getaddrinfo; getent), without root. Every kind the tracer gives stays in the evidence and
 * survives the recording format (JSON); the analysis treats only socket calls as socket calls.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TracerDecoder } from '../../src/decode/tracer.js';
import { attribute, isSocketEvent, unixAttempts } from '../../src/analyze/attribute.js';
import { evidenceFromJson, evidenceToJson, type BuildEvidence } from '../../src/model/evidence.js';
import type { TracerEvent } from '../../src/model/tracer-events.js';
import { packageRoot } from '../../src/util/package.js';

function recorded(): TracerEvent[] {
  const d = new TracerDecoder();
  for (const l of readFileSync(path.join(packageRoot(), 'test/tracer/recorded.jsonl'), 'utf8').split('\n')) d.push(l);
  return d.events();
}

describe('tracer events as evidence', () => {
  const events = recorded();
  const netns = events[0]?.netns ?? 0;
  const startMs = Math.floor(events[0]?.tsMs ?? 0) - 1;
  const evidence: BuildEvidence = {
    end: { exitCode: 0, durationMs: 1000, signal: null, timedOut: false, interrupted: false, startMs },
    captures: [],
    tracer: { events, netns, buildEndMs: startMs + 60_000, lost: 0, complete: true },
    tests: [],
  };

  it('the recording has every kind beyond socket calls: DNS questions, resolver calls, interface enumeration, execs, exits', () => {
    const kinds = new Set(events.map((e) => e.kind));
    for (const k of ['dns-question', 'resolve', 'interface-enum', 'exec', 'exit', 'connect']) assert.ok(kinds.has(k as TracerEvent['kind']), `${k} in ${[...kinds].join(', ')}`);
  });

  it('survives the recording format both ways, DNS payloads included', () => {
    const again = evidenceFromJson(JSON.parse(JSON.stringify(evidenceToJson(evidence))));
    assert.deepEqual(again, evidence);
    const q = again.tracer?.events.find((e) => e.kind === 'dns-question');
    assert.ok(q?.kind === 'dns-question' && q.payload instanceof Uint8Array && q.payload.length > 0);
  });

  it('the analysis takes socket calls only: no DNS question, resolve or fork is unmatched or a unix attempt', () => {
    const { unmatched } = attribute([], events, { buildStartMs: startMs, netns });
    assert.ok(unmatched.length > 0, 'the connects are unmatched without packets');
    assert.ok(unmatched.every(isSocketEvent), unmatched.map((e) => e.kind).join(', '));
    assert.deepEqual(
      events.filter((e) => !isSocketEvent(e)).map((e) => e.kind).filter((k) => ['connect', 'sendto', 'sendmsg', 'bind', 'listen'].includes(k)),
      [],
    );
    assert.ok(unixAttempts(events, { buildStartMs: startMs, netns }).every((a) => a.kind === 'unix'));
  });
});
