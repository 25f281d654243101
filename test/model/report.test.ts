/** Building a report (src/model/report.ts): the summary, the frame, and the one builder a merge uses too. */
import assert from 'node:assert/strict';
import { makeReport, summarize } from '../../src/model/report.js';
import type { BuildResult } from '../../src/model/types.js';
import { validateReport } from '../../src/report/validate.js';
import { VERSION } from '../../src/version.js';

function build(verdict: BuildResult['verdict'], name: string = verdict): BuildResult {
  return {
    name,
    kind: 'command',
    command: ['sh', '-c', name],
    exitCode: verdict === 'clean' || verdict === 'tolerates' ? 0 : 1,
    durationMs: 5,
    verdict,
    attempts: [],
    findings: [],
    capture: { packets: 0, dropped: 0 },
  };
}

describe('model/report: summarize / makeReport', () => {
  it('counts every verdict, zeros included', () => {
    assert.deepEqual(summarize([]), { clean: 0, tolerates: 0, breaks: 0, 'fails-without-network': 0 });
    assert.deepEqual(summarize([build('breaks'), build('clean'), build('breaks', 'b2')]), {
      clean: 1,
      tolerates: 0,
      breaks: 2,
      'fails-without-network': 0,
    });
  });

  it('makes a valid report with the summary, the version and the date', async () => {
    const report = makeReport('run', [build('tolerates')], VERSION, new Date(Date.UTC(2025, 10, 28, 19)));
    assert.deepEqual(report.tool, { name: 'netaudit', version: VERSION });
    assert.equal(report.schemaVersion, 1);
    assert.equal(report.createdAt, '2025-11-28T19:00:00.000Z');
    assert.equal(report.summary.tolerates, 1);
    assert.equal('host' in report, false);
    const valid = await validateReport(report);
    assert.ok(valid.ok, valid.ok ? '' : valid.errors.join('; '));
  });

  it('createdAt defaults to now; a string is kept as given (a merge keeps its input\'s); host only when given', async () => {
    const before = Date.now();
    const at = Date.parse(makeReport('run', [], VERSION).createdAt);
    assert.ok(at >= before && at <= Date.now());
    const merged = makeReport('merge', [build('clean')], '0.0.9', '2025-12-01T00:00:00Z', { kernel: '6.18.0' });
    assert.equal(merged.createdAt, '2025-12-01T00:00:00Z');
    assert.deepEqual(Object.keys(merged), ['schemaVersion', 'tool', 'createdAt', 'mode', 'host', 'builds', 'summary']);
    assert.deepEqual(merged.host, { kernel: '6.18.0' });
    const valid = await validateReport(merged);
    assert.ok(valid.ok, valid.ok ? '' : valid.errors.join('; '));
  });
});
