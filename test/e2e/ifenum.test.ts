/**
 * @privileged `netaudit run` on a program that lists its network interfaces (if_nameindex(): an RTM_GETLINK
 * dump) and then fails, as a test suite that finds only lo under network-sandbox does: the tracer's record of
 * the listing, the process's exit and the verdict `breaks` with NoNetworkInterface; the same program told to
 * pass: `clean` with an InterfaceEnumeration note. The program's exit status is also checked against the plain
 * reference network-sandbox (fidelity). Whether it fails is its argument's choice, not the interfaces it
 * finds, so this holds with or without a veth in the build namespace.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Report } from '../../src/model/types.js';
import { ROOT, netaudit, referenceSandbox } from '../helpers/cli.js';
import { requireObserver } from '../observe/ns.js';

const PROGRAM = path.join(ROOT, 'test/fixtures/ifenum/list_interfaces.py');
/** The system's python3 (a version manager's shim would add its own processes to the tree). */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

describe('netaudit run: a program that lists its network interfaces @privileged', function () {
  this.timeout(120_000);
  let tmp: string;
  before(async function () {
    await requireObserver(this);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-ifenum-'));
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  async function audit(choice: 'fail' | 'pass') {
    const json = path.join(tmp, `${choice}.json`);
    const argv = [PYTHON, PROGRAM, choice];
    const [audited, reference] = [await netaudit(['run', '--json', json, '--', ...argv]), await referenceSandbox(argv)];
    assert.ok(existsSync(json), `no report written: ${audited.stderr}`);
    const build = (JSON.parse(readFileSync(json, 'utf8')) as Report).builds[0];
    assert.ok(build, 'one build');
    assert.equal(build.exitCode, reference.code, `fidelity: exit ${build.exitCode} under netaudit, ${reference.code} under network-sandbox (${reference.stderr})`);
    assert.equal(build.observer?.available, true, JSON.stringify(build.observer));
    assert.equal(build.observer?.lost, 0, 'lost tracer records');
    return { audited, build };
  }

  it('told to fail: breaks, NoNetworkInterface, the listing by python3 that exited 1', async () => {
    const { audited, build } = await audit('fail');
    assert.equal(build.exitCode, 1);
    assert.equal(build.verdict, 'breaks', JSON.stringify(build.findings));
    assert.equal(audited.code, 1, `netaudit exits 1 for a breaking build: ${audited.stderr}`);
    assert.deepEqual(build.attempts, [], 'no network attempt: the listing alone breaks it');
    const queries = build.interfaceQueries ?? [];
    assert.equal(queries.length, 1, JSON.stringify(queries));
    const q = queries[0];
    assert.ok(q);
    assert.equal(q.method, 'netlink');
    assert.equal(q.request, 'RTM_GETLINK');
    assert.equal(q.allowed, false);
    assert.ok(q.process && q.process.pid > 1, JSON.stringify(q.process));
    assert.match(q.process.comm, /^python3/);
    assert.ok(q.process.argv?.some((a) => a.endsWith('list_interfaces.py')), JSON.stringify(q.process.argv));
    assert.deepEqual(q.failure, { pid: q.process.pid, comm: q.process.comm, exitCode: 1 });
    const f = build.findings.find((x) => x.keyword === 'NoNetworkInterface');
    assert.ok(f, JSON.stringify(build.findings));
    assert.equal(f.level, 'error');
    assert.equal(f.interfaceQuery, 0);
    assert.match(f.message, new RegExp(`\\[${q.process.pid}\\] listed the network interfaces \\(RTM_GETLINK\\) and then exited with status 1: under network-sandbox the build's only interface is lo`));
    assert.ok(!build.findings.some((x) => x.keyword === 'BuildFailedWithoutNetwork'));
    // The terminal summary (on stderr beside --json: stdout is the program's).
    assert.match(audited.stderr, /BREAKS/);
    assert.match(audited.stderr, /NoNetworkInterface: python3\S*\[\d+\] listed the network interfaces/);
  });

  it('told to pass: clean, with an InterfaceEnumeration note', async () => {
    const { audited, build } = await audit('pass');
    assert.equal(build.exitCode, 0);
    assert.equal(build.verdict, 'clean', JSON.stringify(build.findings));
    assert.equal(audited.code, 0, audited.stderr);
    const queries = build.interfaceQueries ?? [];
    assert.equal(queries.length, 1, JSON.stringify(queries));
    assert.equal(queries[0]?.request, 'RTM_GETLINK');
    assert.equal(queries[0]?.failure, undefined);
    assert.deepEqual(
      build.findings.map((f) => [f.keyword, f.level]),
      [['InterfaceEnumeration', 'info']],
    );
  });
});
