/**
 * src/sweep/results.ts: DIR/results.jsonl on --resume (the basic crash case is in units.test.ts). A line cut
 * short by a crash at the end is dropped silently; any other line that is not a build (bad JSON in the middle, JSON that does not follow the schema's
 * #/definitions/build) is BadResultsError with its 1-based line number, and the file is left untouched. Also
 * validateBuild (src/report/validate.ts), which the resume relies on.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BadResultsError, exitCodeFor } from '../../src/model/errors.js';
import type { BuildResult, Report } from '../../src/model/types.js';
import type { PortageInstall } from '../../src/portage/locate.js';
import { validateBuild, type ValidatorSource } from '../../src/report/validate.js';
import { Session } from '../../src/runner/session.js';
import { ResultsFile } from '../../src/sweep/results.js';
import { runSweep } from '../../src/sweep/sweep.js';
import { EXAMPLES, jsonFiles, readJson } from '../report/helpers.js';

function build(name: string, verdict: BuildResult['verdict'] = 'clean'): BuildResult {
  const [category, pf] = name.split('/') as [string, string];
  const [pkg, version] = [pf.slice(0, pf.lastIndexOf('-')), pf.slice(pf.lastIndexOf('-') + 1)];
  return {
    name,
    kind: 'ebuild',
    command: [],
    exitCode: 0,
    durationMs: 1,
    verdict,
    attempts: [],
    findings: [],
    capture: { packets: 0, dropped: 0 },
    ebuild: { category, package: pkg, version, path: `/repo/${category}/${pkg}/${pf}.ebuild` },
  };
}

const line = (b: unknown): string => `${JSON.stringify(b)}\n`;

/** Every build of the example reports: real shapes, commands and ebuilds, attempts and findings. */
const exampleBuilds = jsonFiles(EXAMPLES).flatMap((f) => (readJson(path.join(EXAMPLES, f)) as Report).builds);

describe('sweep results.jsonl', () => {
  let tmp: string;
  let file: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-test-'));
    file = path.join(tmp, 'results.jsonl');
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  /** load() must reject with BadResultsError at `lineNo`, whose first error starts so, and leave the file as it was. */
  async function assertRejected(lineNo: number, firstError: RegExp): Promise<void> {
    const before = readFileSync(file);
    await assert.rejects(new ResultsFile(file).load(), (e: unknown) => {
      assert.ok(e instanceof BadResultsError, String(e));
      assert.equal(e.code, 'E_BAD_RESULTS');
      assert.equal(exitCodeFor(e), 2);
      assert.equal(e.file, file);
      assert.equal(e.line, lineNo);
      assert.match(e.errors[0] ?? '', firstError);
      assert.ok(e.message.startsWith(`${file}:${lineNo}: not a build result: `), e.message);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
    assert.deepEqual(readFileSync(file), before, 'nothing is written, not even the truncation of a cut-short tail');
  }

  it('a last line without its newline is dropped even when it parses: its write did not finish', async () => {
    writeFileSync(file, line(build('a/x-1')) + JSON.stringify(build('a/y-1')));
    assert.deepEqual((await new ResultsFile(file).load()).map((b) => b.name), ['a/x-1']);
    assert.equal(readFileSync(file, 'utf8'), line(build('a/x-1')));
  });

  it('no file, an empty file, blank lines: nothing or only the builds', async () => {
    assert.deepEqual(await new ResultsFile(file).load(), []);
    writeFileSync(file, '');
    assert.deepEqual(await new ResultsFile(file).load(), []);
    writeFileSync(file, `${line(build('a/x-1'))}\n  \n${line(build('a/y-1'))}`);
    assert.deepEqual((await new ResultsFile(file).load()).map((b) => b.name), ['a/x-1', 'a/y-1']);
  });

  it('every build of the example reports loads as written', async () => {
    writeFileSync(file, exampleBuilds.map(line).join(''));
    assert.deepEqual(await new ResultsFile(file).load(), exampleBuilds);
  });

  it('bad JSON in the middle: BadResultsError at that line, the file untouched (cut-short tail included)', async () => {
    writeFileSync(file, line(build('a/x-1')) + JSON.stringify(build('a/y-1')).slice(0, 30) + '\n' + line(build('a/z-1')) + '{"name":"a/cut');
    await assertRejected(2, /^bad JSON: /);
  });

  it('valid JSON that is not a build: BadResultsError naming the schema rule', async () => {
    // What the old check (a name and a verdict) accepted.
    writeFileSync(file, line(build('a/x-1')) + line(build('a/y-1')) + line({ name: 'a/z-1', verdict: 'clean' }));
    await assertRejected(3, /^\/kind: is required but missing$/);
    writeFileSync(file, line({ ...build('a/x-1'), verdict: 'broken' }));
    await assertRejected(1, /^\/verdict: must be one of "clean", "tolerates", "breaks", "fails-without-network" \(got "broken"\)$/);
    writeFileSync(file, line(build('a/x-1')) + line([build('a/y-1')]));
    await assertRejected(2, /^\/: must be object/);
    writeFileSync(file, line('a/x-1'));
    await assertRejected(1, /^\/: must be object/);
    const { ebuild: _gone, ...noEbuild } = build('a/x-1');
    writeFileSync(file, line(noEbuild));
    await assertRejected(1, /^\/ebuild: is required but missing$/);
  });

  it("a build whose finding points past its attempts: the per-build check of the report's validation", async () => {
    const b = { ...build('a/x-1'), findings: [{ keyword: 'DnsLookup', level: 'error', message: 'looked up x', attempt: 0 }] };
    writeFileSync(file, line(b));
    await assertRejected(1, /^\/findings\/0\/attempt: must index an attempt of the build \(none: the build has no attempts\) \(got 0\)$/);
  });

  it('every error is kept, the message counts the rest', async () => {
    writeFileSync(file, line({ ...build('a/x-1'), verdict: 'broken', durationMs: -1, exitCode: 'one' }));
    await assert.rejects(new ResultsFile(file).load(), (e: unknown) => {
      assert.ok(e instanceof BadResultsError);
      assert.equal(e.errors.length, 3, e.errors.join(' | '));
      assert.match(e.message, / \(and 2 more\) — remove that line /);
      return true;
    });
  });

  it('sweep --resume stops on a bad line before anything is written or run', async () => {
    const repo = path.join(tmp, 'repo');
    mkdirSync(path.join(repo, 'profiles'), { recursive: true });
    writeFileSync(path.join(repo, 'profiles/repo_name'), 'x\n');
    writeFileSync(path.join(repo, 'profiles/categories'), 'a\n');
    for (const p of ['x', 'y']) {
      mkdirSync(path.join(repo, 'a', p), { recursive: true });
      writeFileSync(path.join(repo, 'a', p, `${p}-1.ebuild`), 'EAPI=8\n');
    }
    const out = path.join(tmp, 'out');
    mkdirSync(out);
    file = path.join(out, 'results.jsonl');
    writeFileSync(file, line({ name: 'a/x-1', verdict: 'clean' }) + '{"name":"a/y');
    const before = readFileSync(file);
    // Portage is never reached: the results are read before any metadata.
    const install = { ebuild: '/nonexistent/ebuild', python: '/nonexistent/python', env: {}, configRoot: '/' } as unknown as PortageInstall;
    // A session that sets nothing up: the sweep fails before any build.
    await using session = await Session.open();
    await assert.rejects(
      runSweep({ repo, atoms: [], outDir: out, jobs: 1, resume: true, install, session }),
      (e: unknown) => e instanceof BadResultsError && e.line === 1,
    );
    assert.deepEqual(readFileSync(file), before);
    assert.deepEqual(readdirSync(out), ['results.jsonl']);
  });
});

describe('validateBuild', () => {
  for (const source of ['standalone', 'runtime'] as ValidatorSource[]) {
    it(`${source}: accepts every build of the example reports, rejects with paths relative to the build`, async () => {
      for (const b of exampleBuilds) assert.deepEqual(await validateBuild(b, source), { ok: true }, b.name);
      const bad = structuredClone(exampleBuilds.find((b) => b.attempts.length)) as BuildResult;
      (bad.attempts[0] as { port: number }).port = 70000;
      assert.deepEqual(await validateBuild(bad, source), { ok: false, errors: ['/attempts/0/port: must be <= 65535 (got 70000)'] });
      assert.deepEqual(await validateBuild(null, source), { ok: false, errors: ['/: must be object (got null)'] });
    });
  }

  it('the standalone and run-time validators say the same', async () => {
    const cases: unknown[] = [{}, { name: 'a/x-1', verdict: 'clean' }, { ...build('a/x-1'), kind: 'rpm' }, { ...build('a/x-1'), capture: {} }];
    for (const c of cases) assert.deepEqual(await validateBuild(c, 'standalone'), await validateBuild(c, 'runtime'), JSON.stringify(c));
  });
});
