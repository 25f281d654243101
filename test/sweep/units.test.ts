/** Pure parts of the sweep: discovery order, atoms, shards, the results file's crash safety, progress text. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ebuildName, type BuildResult } from '../../src/model/types.js';
import { discoverEbuilds, matchAtoms, parseShard, shardOf } from '../../src/sweep/discover.js';
import { formatEta, progressLine } from '../../src/sweep/progress.js';
import { ResultsFile } from '../../src/sweep/results.js';

/** A build that follows the schema (results.jsonl is validated on resume): an ebuild build has its ebuild block. */
function build(name: string, verdict: BuildResult['verdict'] = 'clean'): BuildResult {
  const [category = '', pf = ''] = name.split('/');
  const ebuild = { category, package: pf.slice(0, pf.lastIndexOf('-')), version: pf.slice(pf.lastIndexOf('-') + 1), path: `/repo/${name}.ebuild` };
  return { name, kind: 'ebuild', command: [], exitCode: 0, durationMs: 1, verdict, attempts: [], findings: [], capture: { packets: 0, dropped: 0 }, ebuild };
}

describe('sweep units', function () {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-test-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('discovers ebuilds in category/PF order, categories from profiles/categories', () => {
    mkdirSync(path.join(tmp, 'profiles'), { recursive: true });
    writeFileSync(path.join(tmp, 'profiles/repo_name'), 'x\n');
    writeFileSync(path.join(tmp, 'profiles/categories'), 'b-cat\na-cat\n');
    for (const [c, p, v] of [['b-cat', 'zed', '1'], ['a-cat', 'foo', '2'], ['a-cat', 'foo', '10'], ['a-cat', 'bar', '1'], ['ignored-cat', 'x', '1']]) {
      mkdirSync(path.join(tmp, c as string, p as string), { recursive: true });
      writeFileSync(path.join(tmp, c as string, p as string, `${p}-${v}.ebuild`), 'EAPI=8\n');
    }
    writeFileSync(path.join(tmp, 'a-cat/foo/metadata.xml'), '');
    assert.deepEqual(discoverEbuilds(tmp).map(ebuildName), ['a-cat/bar-1', 'a-cat/foo-10', 'a-cat/foo-2', 'b-cat/zed-1']);
    assert.deepEqual(matchAtoms(discoverEbuilds(tmp), ['a-cat/foo']).map(ebuildName), ['a-cat/foo-10', 'a-cat/foo-2']);
    assert.deepEqual(matchAtoms(discoverEbuilds(tmp), ['a-cat/foo-2', 'b-cat/*']).map(ebuildName), ['a-cat/foo-2', 'b-cat/zed-1']);
    assert.throws(() => discoverEbuilds(path.join(tmp, 'a-cat')), /not an ebuild repository/);
    assert.throws(() => matchAtoms([], ['foo']), /not an atom/);
  });

  it('shards are deterministic, balanced and disjoint, and cover every package', () => {
    const items = Array.from({ length: 37 }, (_, i) => `p${i}`);
    const shards = [1, 2, 3].map((index) => shardOf(items, { index, count: 3 }));
    assert.deepEqual(shards.map((s) => s.length), [13, 12, 12]);
    assert.deepEqual(shards.flat().sort(), [...items].sort());
    assert.equal(new Set(shards.flat()).size, items.length);
    assert.deepEqual(shardOf(items, { index: 2, count: 3 }), shards[1]);
    assert.deepEqual(parseShard('2/3'), { index: 2, count: 3 });
    for (const bad of ['0/3', '4/3', '1/0', 'x', '1-3']) assert.throws(() => parseShard(bad), /--shard/);
  });

  it('results.jsonl: a line cut short by a crash is dropped, nothing is written twice (more in results.test.ts)', async () => {
    const file = path.join(tmp, 'results.jsonl');
    const r = new ResultsFile(file);
    r.append(build('a/x-1'));
    r.append(build('a/y-1', 'breaks'));
    r.append(build('a/x-1'));
    r.close();
    appendFileSync(file, JSON.stringify(build('a/z-1')).slice(0, 40));
    const again = new ResultsFile(file);
    assert.deepEqual((await again.load()).map((b) => b.name), ['a/x-1', 'a/y-1']);
    assert.equal(readFileSync(file, 'utf8').split('\n').filter(Boolean).length, 2, 'the partial line is gone');
    again.append(build('a/z-1'));
    again.close();
    assert.deepEqual((await new ResultsFile(file).load()).map((b) => b.name), ['a/x-1', 'a/y-1', 'a/z-1']);
  });

  it('progress: counts per verdict and an ETA', () => {
    const line = progressLine({ total: 10, done: 4, running: ['a/x-1'], counts: { clean: 2, tolerates: 1, breaks: 1, 'fails-without-network': 0 }, startedMs: 0 }, 8000);
    assert.equal(line, '[4/10] clean 2  tolerates 1  breaks 1  fails-w/o-net 0  ETA 12s  running: a/x-1');
    assert.equal(formatEta(3_725_000), '1h02m');
    assert.equal(formatEta(NaN), '?');
  });
});
