import assert from 'node:assert/strict';
import { writable } from '../helpers/writable.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  GENERATED_URL,
  assertValidReport,
  loadSchemaValidator,
  schemaErrors,
  validateReport,
  type ValidatorSource,
} from '../../src/report/validate.js';
import { exitCodeFor, NetauditError } from '../../src/model/errors.js';
import type { Report } from '../../src/model/types.js';
import { EXAMPLES, INVALID, jsonFiles, readJson } from './helpers.js';

const examples = jsonFiles(EXAMPLES);
const invalid = jsonFiles(INVALID);

/** Each invalid fixture says, in `_expect`, how its (only) error starts. */
function expectation(file: string): string {
  const expect = (readJson(path.join(INVALID, file)) as { _expect?: unknown })._expect;
  assert.equal(typeof expect, 'string', `${file} has no _expect`);
  return expect as string;
}

describe('report schema', () => {
  it('has at least 5 examples and 7 broken fixtures', () => {
    assert.ok(examples.length >= 5, examples.join());
    assert.ok(invalid.length >= 7, invalid.join());
  });

  it('the build wrote the standalone validator next to validate.js', () => {
    assert.ok(existsSync(fileURLToPath(GENERATED_URL)), `${GENERATED_URL.pathname} missing: run node scripts/build-schema.mjs`);
  });

  for (const source of ['standalone', 'runtime'] as ValidatorSource[]) {
    describe(`with the ${source} validator`, () => {
      for (const file of examples) {
        it(`accepts reports/examples/${file}`, async () => {
          assert.deepEqual(await validateReport(readJson(path.join(EXAMPLES, file)), source), { ok: true });
        });
      }
      for (const file of invalid) {
        it(`rejects reports-invalid/${file}, naming the path`, async () => {
          const result = await validateReport(readJson(path.join(INVALID, file)), source);
          assert.equal(result.ok, false);
          if (result.ok) return;
          assert.equal(result.errors.length, 1, `one rule broken, one error: ${result.errors.join(' | ')}`);
          assert.ok(result.errors[0]?.startsWith(expectation(file)), `${result.errors[0]} should start with ${expectation(file)}`);
        });
      }
    });
  }

  it('the standalone and run-time validators say the same', async () => {
    for (const file of invalid) {
      const data = readJson(path.join(INVALID, file));
      assert.deepEqual(await validateReport(data, 'standalone'), await validateReport(data, 'runtime'), file);
    }
  });

  it('falls back to compiling the schema when the generated file is missing', async () => {
    const missing = new URL('./no-such-validator.generated.js', GENERATED_URL);
    const validate = await loadSchemaValidator('auto', missing);
    assert.equal(validate(readJson(path.join(EXAMPLES, 'run-true-clean.json'))), true);
    assert.equal(validate({ schemaVersion: 1 }), false);
    await assert.rejects(loadSchemaValidator('standalone', missing), /no-such-validator/);
  });

  it('the port error reads like /builds/0/attempts/1/port: must be <= 65535', async () => {
    const result = await validateReport(readJson(path.join(INVALID, 'port-above-65535.json')));
    assert.deepEqual(result, { ok: false, errors: ['/builds/0/attempts/1/port: must be <= 65535 (got 70000)'] });
  });

  it('rejects what is not an object at all', async () => {
    for (const data of [null, [], 'report', 42]) {
      const result = await validateReport(data);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.errors[0] ?? '', /^\/: must be object/);
    }
  });

  it('reports every broken rule, not only the first', async () => {
    const report = readJson(path.join(EXAMPLES, 'run-curl-dns-breaks.json')) as Report;
    const broken = structuredClone(report) as unknown as { builds: { verdict: string; attempts: { port: number }[] }[] };
    broken.builds[0]!.verdict = 'broken';
    broken.builds[0]!.attempts[0]!.port = -1;
    const result = await validateReport(broken);
    assert.equal(result.ok, false);
    if (!result.ok) {
      assert.equal(result.errors.length, 2, result.errors.join(' | '));
      assert.ok(result.errors.some((e) => e.startsWith('/builds/0/verdict: ')));
      assert.ok(result.errors.some((e) => e.startsWith('/builds/0/attempts/0/port: must be >= 0')));
    }
  });

  it('a finding index into a build without attempts names the empty range', async () => {
    const report = readJson(path.join(EXAMPLES, 'run-exit-3-fails-without-network.json')) as Report;
    report.builds[0]!.findings[0]!.attempt = 0;
    const result = await validateReport(report);
    assert.deepEqual(result, {
      ok: false,
      errors: ['/builds/0/findings/0/attempt: must index an attempt of the build (none: the build has no attempts) (got 0)'],
    });
  });

  it('leaves out the `if` noise and escapes JSON pointers in required names', () => {
    const lines = schemaErrors(
      [
        { instancePath: '/builds/0', keyword: 'required', params: { missingProperty: 'ebuild' }, message: "must have required property 'ebuild'" },
        { instancePath: '/builds/0', keyword: 'if', params: { failingKeyword: 'then' }, message: 'must match "then" schema' },
        { instancePath: '', keyword: 'required', params: { missingProperty: 'a/b' }, message: '' },
      ],
      {},
    );
    assert.deepEqual(lines, ['/builds/0/ebuild: is required but missing', '/a~1b: is required but missing']);
  });

  it('assertValidReport throws E_BAD_REPORT with the first error and a hint, or returns the report', async () => {
    const good = readJson(path.join(EXAMPLES, 'run-true-clean.json'));
    assert.equal(await assertValidReport(good), good);
    await assert.rejects(assertValidReport(readJson(path.join(INVALID, 'family-5.json')), 'r.json'), (e: unknown) => {
      assert.ok(e instanceof NetauditError);
      assert.equal(e.code, 'E_BAD_REPORT');
      assert.equal(exitCodeFor(e), 2);
      assert.match(e.message, /^r\.json is not a valid netaudit report: \/builds\/0\/attempts\/0\/family: must be one of 4, 6 \(got 5\) — /);
      assert.match(e.message, /reports\/report\.schema\.json/);
      return true;
    });
  });
});

describe('report schema: --explain', () => {
  it('accepts an explained build: `wanted` on the faithful attempts, the rerun in `explanation`, the verdict the faithful one', async () => {
    const report = readJson(path.join(EXAMPLES, 'ebuild-explained-breaks.json')) as Report;
    const b = report.builds[0];
    assert.ok(b?.explanation, 'the example has an explanation');
    assert.equal(b.verdict, 'breaks');
    assert.equal(b.intercepted, undefined);
    assert.ok(b.attempts.every((a) => a.wanted === 'http://files.example.org/dist/x.tar.gz' && a.outcome === 'refused'));
    assert.ok(b.explanation.attempts.some((a) => a.kind === 'tcp' && a.wanted === 'http://files.example.org/dist/x.tar.gz'));
    assert.deepEqual(await validateReport(report), { ok: true });
  });

  it('an explanation that could not be made (error, no attempts) is valid; a negative `explained` is not', async () => {
    const report = readJson(path.join(EXAMPLES, 'ebuild-explained-breaks.json')) as Report;
    const b = report.builds[0] as NonNullable<Report['builds'][0]>;
    const explanation = writable({ durationMs: 12, exitCode: null, attempts: [], explained: 0, note: 'the intercepted rerun could not be made', error: 'spawn python3 ENOENT' });
    writable(b).explanation = explanation;
    writable(b).attempts = b.attempts.map(({ wanted: _wanted, ...a }) => a);
    assert.deepEqual(await validateReport(report), { ok: true });
    explanation.explained = -1;
    const result = await validateReport(report);
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.errors[0] ?? '', /^\/builds\/0\/explanation\/explained: must be >= 0/);
  });
});
