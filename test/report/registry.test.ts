import assert from 'node:assert/strict';
import path from 'node:path';
import { NetauditError } from '../../src/model/errors.js';
import type { Report } from '../../src/model/types.js';
import { REPORTERS, REPORTER_NAMES, getReporter } from '../../src/report/index.js';
import { EXAMPLES, readJson } from './helpers.js';

describe('reporter registry', () => {
  const report = readJson(path.join(EXAMPLES, 'run-curl-dns-breaks.json')) as Report;

  it('lists terminal and json, each name once', () => {
    assert.ok(REPORTER_NAMES.includes('terminal') && REPORTER_NAMES.includes('json'));
    assert.equal(new Set(REPORTER_NAMES).size, REPORTERS.length);
  });

  it('every reporter renders a report to text', () => {
    for (const r of REPORTERS) {
      const text = r.render(report, {});
      assert.ok(text.endsWith('\n'), r.name);
      assert.ok(text.includes('anything.example.org'), r.name);
    }
  });

  it('json replays the report unchanged', () => {
    assert.deepEqual(JSON.parse(getReporter('json').render(report, {})), report);
  });

  it('an unknown name is a UsageError listing the known ones', () => {
    assert.throws(() => getReporter('sarif'), (e: unknown) => {
      assert.ok(e instanceof NetauditError);
      assert.equal(e.code, 'E_USAGE');
      assert.match(e.message, /unknown reporter "sarif" — use one of terminal, json, pkgcheck, html, junit, pkgcheck-xml, pkgcheck-json$/);
      return true;
    });
  });
});
