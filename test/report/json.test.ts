import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NetauditError } from '../../src/model/errors.js';
import type { Report } from '../../src/model/types.js';
import { readReportFile, renderJson, writeReportFile } from '../../src/report/json.js';
import { EXAMPLES, INVALID, readJson } from './helpers.js';

function example(name: string): Report {
  return readJson(path.join(EXAMPLES, name)) as Report;
}

function rejectsWith(code: string, message: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof NetauditError, String(e));
    assert.equal(e.code, code);
    assert.match(e.message, message);
    return true;
  };
}

describe('JSON report', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'netaudit-report-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('writeReportFile', () => {
    it('writes the report as indented JSON and reads it back', async () => {
      const file = path.join(dir, 'r.json');
      const report = example('ebuild-test-network-breaks.json');
      await writeReportFile(file, report);
      assert.equal(readFileSync(file, 'utf8'), renderJson(report));
      assert.ok(readFileSync(file, 'utf8').endsWith('}\n'));
      assert.deepEqual(await readReportFile(file), report);
      assert.deepEqual(readdirSync(dir), ['r.json'], 'no temporary file left');
    });

    it('writes nothing at all when the report is invalid', async () => {
      writeFileSync(path.join(dir, 'other.txt'), 'x');
      const before = readdirSync(dir).sort();
      const file = path.join(dir, 'r.json');
      const bad = readJson(path.join(INVALID, 'port-above-65535.json')) as Report;
      await assert.rejects(
        writeReportFile(file, bad),
        rejectsWith('E_BAD_REPORT', /^refusing to write .*r\.json: the report is not valid: \/builds\/0\/attempts\/1\/port: must be <= 65535 \(got 70000\) — nothing was written/),
      );
      assert.deepEqual(readdirSync(dir).sort(), before, 'directory unchanged: no report, no temporary file');
    });

    it('does not even create a missing parent directory for an invalid report', async () => {
      const bad = readJson(path.join(INVALID, 'capture-missing.json')) as Report;
      await assert.rejects(writeReportFile(path.join(dir, 'sub/r.json'), bad), rejectsWith('E_BAD_REPORT', /\/builds\/0\/capture: is required/));
      assert.deepEqual(readdirSync(dir), []);
    });

    it('creates a missing parent directory for a valid report', async () => {
      await writeReportFile(path.join(dir, 'out/deeper/r.json'), example('run-true-clean.json'));
      assert.deepEqual(readdirSync(path.join(dir, 'out/deeper')), ['r.json']);
    });

    it('keeps the old file when the new report is invalid', async () => {
      const file = path.join(dir, 'r.json');
      await writeReportFile(file, example('run-true-clean.json'));
      const old = readFileSync(file, 'utf8');
      const bad = readJson(path.join(INVALID, 'summary-not-matching-builds.json')) as Report;
      await assert.rejects(writeReportFile(file, bad), rejectsWith('E_BAD_REPORT', /\/summary\/breaks: must be 1/));
      assert.equal(readFileSync(file, 'utf8'), old);
      assert.deepEqual(readdirSync(dir), ['r.json']);
    });

    it('replaces an existing file whole', async () => {
      const file = path.join(dir, 'r.json');
      await writeReportFile(file, example('sweep-multi.json'));
      await writeReportFile(file, example('run-true-clean.json'));
      assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), example('run-true-clean.json'));
      assert.deepEqual(readdirSync(dir), ['r.json']);
    });

    it('removes its temporary file when the write itself fails', async () => {
      const target = path.join(dir, 'taken');
      mkdirSync(target);
      writeFileSync(path.join(target, 'keep'), 'x');
      await assert.rejects(writeReportFile(target, example('run-true-clean.json')), rejectsWith('E_WRITE', /^cannot write .*taken: E/));
      assert.deepEqual(readdirSync(dir), ['taken']);
      assert.deepEqual(readdirSync(target), ['keep']);
    });
  });

  describe('readReportFile', () => {
    it('reads every example', async () => {
      const report = await readReportFile(path.join(EXAMPLES, 'sweep-multi.json'));
      assert.equal(report.builds.length, 4);
    });

    it('a missing file is E_NO_SUCH_FILE', async () => {
      const file = path.join(dir, 'nope.json');
      await assert.rejects(readReportFile(file), rejectsWith('E_NO_SUCH_FILE', /nope\.json: no such file/));
    });

    it('bad JSON is E_BAD_REPORT "FILE is not a netaudit report: not JSON"', async () => {
      const file = path.join(dir, 'bad.json');
      writeFileSync(file, '{"schemaVersion": 1,');
      await assert.rejects(readReportFile(file), rejectsWith('E_BAD_REPORT', /^.*bad\.json is not a netaudit report: not JSON \(.+\) — /));
    });

    it('an invalid report is E_BAD_REPORT with the first problem', async () => {
      const file = path.join(INVALID, 'kind-ebuild-without-ebuild-block.json');
      await assert.rejects(
        readReportFile(file),
        rejectsWith('E_BAD_REPORT', /kind-ebuild-without-ebuild-block\.json is not a netaudit report: \/builds\/0\/ebuild: is required but missing — /),
      );
    });

    it('a report of another schema version says so', async () => {
      await assert.rejects(
        readReportFile(path.join(INVALID, 'schema-version-2.json')),
        rejectsWith('E_BAD_REPORT', /is not a netaudit report: schemaVersion 2 is not supported \(this netaudit reads 1\)/),
      );
    });

    it('a directory is not a report', async () => {
      await assert.rejects(readReportFile(dir), rejectsWith('E_BAD_REPORT', /is not a netaudit report: it is a directory/));
    });
  });
});
