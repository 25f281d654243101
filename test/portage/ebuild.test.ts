/**
 * @privileged @portage Every fixture ebuild (fixtures/repo) through `netaudit ebuild` with real Portage:
 * verdict, phases and attempts as in fixtures/repo/expected.json; the user's own bashrc hooks still run;
 * bad input is a one-line error with exit 2.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, mkdirSync, chmodSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Attempt, BuildResult, Report } from '../../src/model/types.js';
import { locatePortage } from '../../src/portage/locate.js';
import { ROOT, netaudit } from '../helpers/cli.js';
import { requirePortage } from '../helpers/portage.js';
import { requirePrivileges } from '../helpers/privileged.js';
import { assertAttempts } from '../helpers/attempts.js';

interface Expectation {
  verdict: string;
  portageSandboxSucceeds: boolean;
  attempts: Partial<Attempt>[];
  /** Keywords that must be among the build's findings. */
  findings?: string[];
}
/** For the default ALLOW_TEST (the configuration's), and for --allow-test network where that differs. */
interface Expected extends Expectation {
  allowTestNetwork?: Expectation;
}

function checkBuild(b: BuildResult | undefined, exp: Expectation, cpv: string): void {
  assert.ok(b, `no build ${cpv} in the report`);
  assert.equal(b.kind, 'ebuild');
  assert.equal(b.verdict, exp.verdict, JSON.stringify(b.findings, null, 1));
  assertAttempts(b.attempts, exp.attempts, cpv);
  for (const k of exp.findings ?? []) assert.ok(b.findings.some((f) => f.keyword === k), `${cpv}: no ${k} finding: ${JSON.stringify(b.findings, null, 1)}`);
  assert.ok(b.phases?.some((p) => p.name === 'src_compile' || p.name === 'pkg_setup'), 'phases recorded');
  assert.ok(b.log && existsSync(b.log), 'the build log is kept and linked');
  assert.equal(b.capture.dropped, 0);
  if (exp.verdict === 'breaks') {
    const quoted = b.findings.flatMap((f) => f.logLines ?? []);
    assert.ok(quoted.length > 0, 'a breaks finding quotes the build log');
  }
  const blocked = b.attempts.filter((a) => !a.allowed);
  for (const a of blocked) assert.ok(a.phase, `attempt without a phase: ${JSON.stringify(a)}`);
}

const REPO = path.join(ROOT, 'fixtures/repo');
const expected = existsSync(path.join(REPO, 'expected.json'))
  ? (JSON.parse(readFileSync(path.join(REPO, 'expected.json'), 'utf8')) as Record<string, Expected | string>)
  : {};

function ebuildPath(cpv: string): string {
  const [cat, pf] = cpv.split('/') as [string, string];
  const pn = pf.replace(/-[0-9][^-]*(-r[0-9]+)?$/, '');
  return path.join(REPO, cat, pn, `${pf}.ebuild`);
}

describe('netaudit ebuild on the fixture repository @privileged @portage', function () {
  // One audit of every fixture in before(): 237 s for the 18 of them on a 2-core machine at load 12.
  this.timeout(600_000);
  let tmp: string;
  let report: Report;
  let run: Awaited<ReturnType<typeof netaudit>>;
  const cpvs = Object.keys(expected).filter((k) => typeof expected[k] !== 'string');

  before(async function () {
    requirePrivileges(this);
    requirePortage(this);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-test-'));
    const json = path.join(tmp, 'report.json');
    // --no-explain: verdicts and attempts are checked here; the intercepted reruns (test/portage/explain.test.ts)
    // would add one Portage run per breaking fixture.
    run = await netaudit(['ebuild', '--no-explain', '--json', json, '--log-dir', path.join(tmp, 'logs'), '--fail-on', 'never', ...cpvs.map(ebuildPath)]);
    assert.equal(run.code, 0, run.stderr);
    report = JSON.parse(readFileSync(json, 'utf8')) as Report;
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  it('has at least 12 fixture ebuilds', () => {
    assert.ok(cpvs.length >= 12, cpvs.join(' '));
    for (const cpv of cpvs) assert.ok(existsSync(ebuildPath(cpv)), ebuildPath(cpv));
  });

  for (const cpv of cpvs) {
    const exp = expected[cpv] as Expected;
    it(`${cpv}: ${exp.verdict}`, function () {
      checkBuild(
        report.builds.find((x) => x.name === cpv),
        exp,
        cpv,
      );
    });
  }

  it('prints pkgcheck-style lines: category/package-version: Keyword: message', function () {
    const breaking = cpvs.filter((c) => (expected[c] as Expected).verdict === 'breaks');
    assert.ok(breaking.length);
    for (const cpv of breaking) {
      assert.match(run.stdout, new RegExp(`^${cpv.replace(/[.+]/g, '\\$&')}: BREAKS`, 'm'));
      assert.match(run.stdout, new RegExp(`^${cpv.replace(/[.+]/g, '\\$&')}: [A-Z][A-Za-z]+: `, 'm'));
    }
  });

  it('distcc: the hint names FEATURES=network-sandbox-proxy', function () {
    const b = report.builds.find((x) => x.name === 'net-test/distcc-1');
    const f = b?.findings.find((x) => x.keyword === 'DistributedCompiler');
    assert.ok(f, JSON.stringify(b?.findings));
    assert.match(f.hint ?? '', /network-sandbox-proxy/);
  });

  it("leaves no Portage build dir behind, failed builds included", function () {
    const dir = path.join(locatePortage().configRoot, 'var/tmp/portage/net-test');
    const left = existsSync(dir) ? readdirSync(dir) : [];
    assert.deepEqual(left.filter((d) => cpvs.some((c) => c.endsWith(`/${d}`))), []);
  });

  it("says what it changed in the user's configuration, and that ALLOW_TEST is the configuration's", function () {
    const b = report.builds[0] as BuildResult;
    assert.ok(b.changes?.some((c) => c.includes('-network-sandbox')));
    assert.ok(b.changes?.some((c) => /^ALLOW_TEST as configured/.test(c)), JSON.stringify(b.changes));
  });
});

describe('netaudit ebuild --allow-test network on the fixtures that declare network tests @privileged @portage', function () {
  this.timeout(300_000);
  let tmp: string;
  let report: Report;
  const cpvs = Object.keys(expected).filter((k) => typeof expected[k] !== 'string' && (expected[k] as Expected).allowTestNetwork);

  before(async function () {
    requirePrivileges(this);
    requirePortage(this);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-test-'));
    const json = path.join(tmp, 'report.json');
    const r = await netaudit(['ebuild', '--no-explain', '--allow-test', 'network', '--json', json, '--log-dir', path.join(tmp, 'logs'), '--fail-on', 'never', ...cpvs.map(ebuildPath)]);
    assert.equal(r.code, 0, r.stderr);
    report = JSON.parse(readFileSync(json, 'utf8')) as Report;
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  it('covers at least one passing and one failing declared suite', () => {
    const verdicts = cpvs.map((c) => (expected[c] as Expected).allowTestNetwork?.verdict);
    assert.ok(verdicts.includes('clean') && verdicts.includes('fails-without-network'), verdicts.join(' '));
  });

  for (const cpv of cpvs) {
    const exp = (expected[cpv] as Expected).allowTestNetwork as Expectation;
    it(`${cpv} with ALLOW_TEST=network: ${exp.verdict}`, function () {
      const b = report.builds.find((x) => x.name === cpv);
      checkBuild(b, exp, cpv);
      assert.ok(b?.changes?.some((c) => c.startsWith('ALLOW_TEST=network (--allow-test')), JSON.stringify(b?.changes));
      if (exp.verdict === 'fails-without-network') {
        assert.ok(!b?.findings.some((f) => f.keyword === 'BuildFailedWithoutNetwork'), 'a failure of declared network tests is not "another cause"');
      }
    });
  }
});

describe("netaudit ebuild keeps the user's own bashrc @privileged @portage", function () {
  this.timeout(120_000);
  let tmp: string;
  before(function () {
    requirePrivileges(this);
    requirePortage(this);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-test-'));
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  it('runs the user bashrc in every phase and their post_src_test hook', async function () {
    const install = locatePortage();
    // A user config root: the install's etc/portage, plus the user's own bashrc with a hook.
    const etc = path.join(tmp, 'root/etc/portage');
    mkdirSync(etc, { recursive: true });
    const theirs = path.join(install.configRoot, 'etc/portage');
    for (const e of readdirSync(theirs)) if (e !== 'bashrc') symlinkSync(path.join(theirs, e), path.join(etc, e));
    const marks = path.join(tmp, 'marks');
    writeFileSync(marks, '');
    chmodSync(marks, 0o666);
    chmodSync(tmp, 0o755);
    writeFileSync(
      path.join(etc, 'bashrc'),
      `[[ \${EBUILD_PHASE} != depend ]] && printf 'user-bashrc %s\\n' "\${EBUILD_PHASE}" >> ${marks}\npost_src_test() { printf 'user-post_src_test\\n' >> ${marks}; }\n`,
    );
    const json = path.join(tmp, 'r.json');
    const r = await netaudit(['ebuild', '--json', json, '--log-dir', path.join(tmp, 'logs'), ebuildPath('net-test/clean-build-1')], {
      env: { ...process.env, NO_COLOR: '1', PORTAGE_CONFIGROOT: path.join(tmp, 'root') },
    });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const seen = readFileSync(marks, 'utf8');
    for (const phase of ['setup', 'compile', 'test', 'install']) assert.match(seen, new RegExp(`user-bashrc ${phase}\\n`));
    assert.match(seen, /user-post_src_test/);
    const b = (JSON.parse(readFileSync(json, 'utf8')) as Report).builds[0];
    assert.equal(b?.verdict, 'clean');
    assert.ok(b?.phases?.some((p) => p.name === 'src_test' && p.exitCode === 0), "netaudit's own markers still work");
  });
});

describe('netaudit ebuild: bad input @portage', function () {
  before(function () {
    requirePrivileges(this);
    requirePortage(this);
  });
  it('no such ebuild: one line, exit 2', async function () {
    const r = await netaudit(['ebuild', '/nonexistent/cat/pkg/pkg-1.ebuild']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^netaudit: .*no such ebuild/);
  });
  it('an atom that matches nothing in --repo', async function () {
    const r = await netaudit(['ebuild', '--repo', REPO, 'net-test/does-not-exist']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^netaudit: net-test\/does-not-exist: no ebuild matches/);
  });
  it('--portage pointing nowhere', async function () {
    const r = await netaudit(['ebuild', '--portage', '/nonexistent/ebuild', ebuildPath('net-test/clean-build-1')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^netaudit: Portage not found at \/nonexistent\/ebuild/);
  });
});
