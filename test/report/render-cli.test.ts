/**
 * `netaudit report render|merge|diff` through the built CLI (dist/src/cli/main.cjs): formats, --out written
 * atomically, a directory standing for DIR/report.json, errors as one line with exit 2, diff's exit code.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BuildResult, Report } from '../../src/model/types.js';
import { summarize } from '../../src/model/report.js';
import { normalizeForCompare } from '../../src/report/merge.js';
import { validateReport } from '../../src/report/validate.js';
import { netaudit } from '../helpers/cli.js';
import { EXAMPLES, readJson } from './helpers.js';

const SWEEP = path.join(EXAMPLES, 'sweep-multi.json');
const sweep = readJson(SWEEP) as Report;

describe('netaudit report (CLI)', function () {
  this.timeout(30_000);
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-test-'));
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  it('render: every format to stdout; terminal by default', async () => {
    for (const format of ['terminal', 'json', 'pkgcheck', 'html', 'junit', 'pkgcheck-xml', 'pkgcheck-json']) {
      const r = await netaudit(['report', 'render', SWEEP, '--format', format]);
      assert.equal(r.code, 0, `${format}: ${r.stderr}`);
      assert.ok(r.stdout.length > 0, format);
    }
    const json = await netaudit(['report', 'render', SWEEP, '--format', 'json']);
    assert.deepEqual(JSON.parse(json.stdout), sweep);
    const plain = await netaudit(['report', 'render', SWEEP]);
    assert.match(plain.stdout, /dev-go\/modfetch-0\.3/);
    assert.doesNotMatch(plain.stdout, /\x1b\[/, 'no colour into a pipe'); // eslint-disable-line no-control-regex
  });

  it('render --out writes the file atomically (no temporary left); a directory stands for its report.json', async () => {
    const dir = path.join(tmp, 'sweepdir');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'report.json'), readFileSync(SWEEP));
    const out = path.join(tmp, 'dash.html');
    const r = await netaudit(['report', 'render', dir, '--format', 'html', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(readFileSync(out, 'utf8'), /^<!DOCTYPE html>/);
    assert.deepEqual(readdirSync(tmp).filter((f) => f.endsWith('.tmp')), []);
  });

  it('errors are one line and exit 2: unknown format, missing report, not a report, unwritable --out', async () => {
    const cases: [string[], RegExp][] = [
      [['report', 'render', SWEEP, '--format', 'sarif'], /^netaudit: unknown reporter "sarif" — use one of terminal, json, pkgcheck, html, junit, pkgcheck-xml, pkgcheck-json\n$/],
      [['report', 'render', path.join(tmp, 'nope.json')], /^netaudit: .*nope\.json: no such file — check the path of the report\n$/],
      [['report', 'render', repoFile('package.json')], /^netaudit: .*package\.json is not a netaudit report: .*\n$/],
      [['report', 'render', SWEEP, '--format', 'junit', '--out', path.join(tmp, 'no/such/dir/j.xml')], /^netaudit: cannot write .*j\.xml: ENOENT — .*\n$/],
    ];
    for (const [args, stderr] of cases) {
      const r = await netaudit(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, stderr);
    }
  });

  it('merge: shard directories and files into DIR/report.json (valid, equal to the whole), report.html, junit.xml', async () => {
    const parts = [0, 1, 2].map((i) => {
      const builds = sweep.builds.filter((_b, k) => k % 3 === i);
      return { ...sweep, builds, summary: summarize(builds) };
    });
    const inputs = parts.map((p, i) => {
      if (i === 0) {
        const file = path.join(tmp, 'shard0.json');
        writeFileSync(file, JSON.stringify(p));
        return file;
      }
      const dir = path.join(tmp, `shard${i}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'report.json'), JSON.stringify(p));
      return dir;
    });
    const out = path.join(tmp, 'merged');
    const r = await netaudit(['report', 'merge', ...inputs, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /merged 3 reports, 4 builds: .*merged\/report\.json/);
    const merged = readJson(path.join(out, 'report.json')) as Report;
    assert.deepEqual(await validateReport(merged), { ok: true });
    assert.deepEqual(normalizeForCompare(merged), normalizeForCompare(sweep));
    for (const f of ['report.html', 'junit.xml']) assert.ok(readFileSync(path.join(out, f), 'utf8').length > 100, f);
  });

  it('merge: a package in two shards with different results is exit 2 naming it', async () => {
    const a = path.join(tmp, 'dup-a.json');
    const b = path.join(tmp, 'dup-b.json');
    writeFileSync(a, JSON.stringify(sweep));
    const builds = sweep.builds.map((x, i) => (i === 0 ? { ...x, exitCode: 5 } : x));
    writeFileSync(b, JSON.stringify({ ...sweep, builds }));
    const r = await netaudit(['report', 'merge', a, b, '--out', path.join(tmp, 'dup-out')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^netaudit: report merge: "app-misc\/quietd-1\.0" is in more than one input with different results/);
  });

  it('diff: one line per change, exit 1 when something started breaking; --json; exit 0 otherwise', async () => {
    const old = path.join(tmp, 'old.json');
    const now = path.join(tmp, 'new.json');
    writeFileSync(old, JSON.stringify(sweep));
    const lookup = { ...((sweep.builds[1] as BuildResult).attempts[0] as BuildResult['attempts'][number]), hostname: 'testdata.example' };
    const builds = sweep.builds.map((b) => (b.name === 'app-misc/quietd-1.0' ? { ...b, verdict: 'breaks' as const, exitCode: 1, attempts: [lookup] } : b));
    writeFileSync(now, JSON.stringify({ ...sweep, builds, summary: summarize(builds) }));
    const r = await netaudit(['report', 'diff', old, now]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, 'app-misc/quietd-1.0: StartedBreaking: clean -> breaks (+dns testdata.example:53)\n');
    const j = await netaudit(['report', 'diff', old, now, '--json']);
    assert.equal(j.code, 1);
    assert.equal((JSON.parse(j.stdout) as { counts: { StartedBreaking: number } }).counts.StartedBreaking, 1);
    const back = await netaudit(['report', 'diff', now, old]);
    assert.equal(back.code, 0);
    assert.match(back.stdout, /^app-misc\/quietd-1\.0: StoppedBreaking: breaks -> clean \(-dns testdata\.example:53\)\n$/);
    const same = await netaudit(['report', 'diff', old, old]);
    assert.deepEqual([same.code, same.stdout], [0, '']);
  });
});

/** A file of the repository (resolved from the examples directory). */
function repoFile(rel: string): string {
  return path.join(EXAMPLES, '../..', rel);
}
