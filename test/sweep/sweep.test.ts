/**
 * @privileged @portage Sweeps of fixtures/repo with real Portage: --jobs 2 gives the same verdicts as auditing
 * each ebuild alone (expected.json, checked ebuild by ebuild in test/portage); on every third package, shards
 * merged equal the unsharded sweep, and a sweep killed with SIGKILL halfway and resumed has every package exactly
 * once; a diff of two sweeps reports exactly the one change.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BuildResult, Report } from '../../src/model/types.js';
import { CLI, ROOT, netaudit } from '../helpers/cli.js';
import { namespacesOf, waitFor } from '../helpers/host.js';
import { requirePortage } from '../helpers/portage.js';
import { requirePrivileges } from '../helpers/privileged.js';

const REPO = path.join(ROOT, 'fixtures/repo');
const expected = existsSync(path.join(REPO, 'expected.json'))
  ? (JSON.parse(readFileSync(path.join(REPO, 'expected.json'), 'utf8')) as Record<string, { verdict: string } | string>)
  : {};
const names = Object.keys(expected).filter((k) => typeof expected[k] === 'object').sort();

/**
 * The shard and resume tests take every third package: they test how a sweep is cut and continued, which the
 * whole repository (swept once, above, for the verdicts) does not test better; each full pass costs minutes.
 */
const some = names.filter((_, i) => i % 3 === 0);

/** The essence of `r` restricted to the packages `only` (its summary counted again over them). */
function restricted(r: Report, only: readonly string[]): unknown {
  const builds = r.builds.filter((b) => only.includes(b.name));
  const summary = Object.fromEntries(Object.keys(r.summary).map((v) => [v, builds.filter((b) => b.verdict === v).length]));
  return essence({ ...r, builds, summary: summary as Report['summary'] });
}

function read(file: string): Report {
  return JSON.parse(readFileSync(file, 'utf8')) as Report;
}

function lines(file: string): BuildResult[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as BuildResult);
}

/** What must be equal between two sweeps of the same tree: names, verdicts and attempts (not timings). */
function essence(r: Report): unknown {
  return {
    summary: r.summary,
    builds: r.builds.map((b) => ({ name: b.name, verdict: b.verdict, attempts: b.attempts.map((a) => [a.kind, a.phase, a.hostname ?? a.address, a.port, a.allowed]) })),
  };
}

describe('netaudit sweep @privileged @portage', function () {
  this.timeout(600_000);
  let tmp: string;
  let full: Report;
  before(async function () {
    requirePrivileges(this);
    requirePortage(this);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-test-'));
    // Portage reads ebuilds (metadata) as the portage user: the copied repository must be readable by it.
    chmodSync(tmp, 0o755);
    const r = await netaudit(['sweep', REPO, '--out', path.join(tmp, 'full'), '--jobs', '2', '--fail-on', 'never']);
    assert.equal(r.code, 0, r.stderr);
    full = read(path.join(tmp, 'full/report.json'));
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  it('--jobs 2 gives every package once, with the verdict it gets alone', function () {
    assert.deepEqual(full.builds.map((b) => b.name), names);
    for (const b of full.builds) assert.equal(b.verdict, (expected[b.name] as { verdict: string }).verdict, b.name);
    const dir = path.join(tmp, 'full');
    for (const f of ['results.jsonl', 'report.json', 'report.html', 'junit.xml']) assert.ok(existsSync(path.join(dir, f)), f);
    assert.equal(lines(path.join(dir, 'results.jsonl')).length, names.length);
    for (const b of full.builds) assert.ok(b.log && b.log.startsWith(path.join(dir, 'logs')) && existsSync(b.log), `${b.name}: log kept under DIR`);
  });

  it('shards 1/3, 2/3, 3/3 merged equal the unsharded sweep; each package in exactly one shard', async function () {
    const seen: string[] = [];
    for (const i of [1, 2, 3]) {
      const r = await netaudit(['sweep', REPO, ...some, '--out', path.join(tmp, `shard${i}`), '--shard', `${i}/3`, '--jobs', '2', '--fail-on', 'never']);
      assert.equal(r.code, 0, r.stderr);
      seen.push(...read(path.join(tmp, `shard${i}/report.json`)).builds.map((b) => b.name));
    }
    assert.deepEqual([...seen].sort(), some);
    const m = await netaudit(['report', 'merge', path.join(tmp, 'shard1'), path.join(tmp, 'shard2'), path.join(tmp, 'shard3'), '--out', path.join(tmp, 'merged')]);
    assert.equal(m.code, 0, m.stderr);
    assert.deepEqual(essence(read(path.join(tmp, 'merged/report.json'))), restricted(full, some));
  });

  it('killed with SIGKILL halfway, then resumed: every package exactly once, no namespace left', async function () {
    const out = path.join(tmp, 'killed');
    const child = spawn(process.execPath, [CLI, 'sweep', REPO, ...some, '--out', out, '--jobs', '2', '--fail-on', 'never'], { stdio: 'ignore' });
    const results = path.join(out, 'results.jsonl');
    await waitFor('half of the packages', () => existsSync(results) && lines(results).length >= Math.floor(some.length / 2), 300_000);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.ok(lines(results).length < some.length, 'killed before the end');
    const gc = await netaudit(['gc']);
    assert.equal(gc.code, 0, gc.stderr);
    // Only this sweep's: other netaudit runs on the machine have namespaces of their own.
    assert.deepEqual(namespacesOf(child.pid as number), []);
    const again = await netaudit(['sweep', REPO, ...some, '--out', out, '--jobs', '2', '--fail-on', 'never']);
    assert.equal(again.code, 2, 'without --resume an existing sweep is refused');
    assert.match(again.stderr, /--resume/);
    let resumedPid = 0;
    const resumed = await netaudit(['sweep', REPO, ...some, '--out', out, '--resume', '--jobs', '2', '--fail-on', 'never'], { onSpawn: (pid) => (resumedPid = pid) });
    assert.equal(resumed.code, 0, resumed.stderr);
    const all = lines(results).map((b) => b.name);
    assert.deepEqual([...all].sort(), some, 'every package exactly once');
    assert.deepEqual(essence(read(path.join(out, 'report.json'))), restricted(full, some));
    assert.deepEqual(namespacesOf(resumedPid), []);
  });

  it('report diff of two sweeps where one fixture changed reports exactly that change', async function () {
    const copy = path.join(tmp, 'repo-copy');
    cpSync(REPO, copy, { recursive: true });
    const target = names.find((n) => (expected[n] as { verdict: string }).verdict === 'clean' && n.includes('clean-build')) ?? names[0];
    const [cat, pf] = (target as string).split('/') as [string, string];
    const pn = pf.replace(/-[0-9][^-]*$/, '');
    const file = path.join(copy, cat, pn, `${pf}.ebuild`);
    // The changed fixture now looks a name up in src_test and fails: it starts breaking.
    writeFileSync(file, readFileSync(file, 'utf8') + '\nsrc_test() { getent hosts changed.example || die "Could not resolve host: changed.example"; }\n');
    const few = [target as string, names.find((n) => n !== target) as string];
    const a = await netaudit(['sweep', REPO, ...few, '--out', path.join(tmp, 'old'), '--fail-on', 'never', '--no-observe']);
    const b = await netaudit(['sweep', copy, ...few, '--out', path.join(tmp, 'new'), '--fail-on', 'never', '--no-observe']);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const d = await netaudit(['report', 'diff', path.join(tmp, 'old/report.json'), path.join(tmp, 'new/report.json')]);
    assert.equal(d.code, 1, 'something started breaking');
    const changes = d.stdout.trim().split('\n').filter(Boolean);
    assert.equal(changes.length, 1, d.stdout);
    assert.match(changes[0] as string, new RegExp(`^${target}: StartedBreaking`));
    assert.match(changes[0] as string, /changed\.example/);
  });
});
