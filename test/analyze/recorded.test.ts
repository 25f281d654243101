/**
 * analyzeBuild() on recorded evidence of real runs (test/fixtures/evidence/): curl's lookups, python's connects
 * that only the tracer saw, a pytest suite, an intercepted curl, a Portage ebuild with phases and pytest spans.
 * No root: the recording is the BuildEvidence the live run analysed, and the judges are run as the runners run
 * them, so the attempts, verdict and findings must be the ones the live run reported.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { analyzeBuild } from '../../src/analyze/build.js';
import { evidenceFromJson, evidenceToJson, type BuildEvidence } from '../../src/model/evidence.js';
import type { BuildResult, Report } from '../../src/model/types.js';
import { judgeCommand, judgeEbuild } from '../../src/verdict/index.js';
import { ROOT } from '../helpers/cli.js';

const DIR = path.join(ROOT, 'test/fixtures/evidence');
const NAMES = readdirSync(DIR)
  .filter((f) => f.endsWith('.evidence.json'))
  .map((f) => f.replace(/\.evidence\.json$/, ''))
  .sort();

function recording(name: string): { evidence: BuildEvidence; build: BuildResult } {
  const evidence = evidenceFromJson(JSON.parse(readFileSync(path.join(DIR, `${name}.evidence.json`), 'utf8')));
  const report = JSON.parse(readFileSync(path.join(DIR, `${name}.report.json`), 'utf8')) as Report;
  return { evidence, build: report.builds[0] as BuildResult };
}

/** The build as its runner makes it from the evidence: analyzeBuild, then the judge. */
function judged(evidence: BuildEvidence, build: BuildResult) {
  const analysis = analyzeBuild(evidence);
  const end = { exitCode: evidence.end.exitCode, signal: evidence.end.signal, timedOut: evidence.end.timedOut, capture: analysis.gaps };
  const interfaceQueries = analysis.interfaceQueries;
  if (build.kind === 'command') return { analysis, ...judgeCommand({ attempts: analysis.attempts, end, interfaceQueries }) };
  const policy = { properties: build.ebuild?.properties ?? [], restrict: build.ebuild?.restrict ?? [], allowTest: [] };
  return { analysis, ...judgeEbuild({ attempts: analysis.attempts, phases: evidence.phases ?? [], interfaceQueries, log: evidence.log ?? '', policy, outcome: { stage: 'build', ...end } }) };
}

describe('analyzeBuild on recorded evidence of real runs', () => {
  it('has the recordings: curl (faithful and packets), an external resolver, Open MPI, python, pytest, intercepted, an ebuild', () => {
    assert.deepEqual(NAMES, ['curl-dns', 'curl-dns-packets', 'curl-intercepted', 'ebuild-pytest-internet', 'external-resolver', 'mpi-mixed', 'pytest-internet', 'python-connect']);
  });

  for (const name of NAMES) {
    it(`${name}: the attempts, verdict and findings of the live run`, () => {
      const { evidence, build } = recording(name);
      const out = judged(evidence, build);
      assert.deepEqual(out.attempts, build.attempts);
      assert.equal(out.verdict, build.verdict);
      assert.deepEqual(out.findings, build.findings);
      assert.deepEqual(out.interfaceQueries, build.interfaceQueries ?? [], 'the interface listings (none in these recordings)');
      assert.deepEqual(out.analysis.capture, { packets: build.capture.packets, dropped: build.capture.dropped, undecodable: build.capture.undecodable });
    });
  }

  it('what each recording shows: names, processes, tests, phases, wanted', () => {
    const attempts = (name: string) => analyzeBuild(recording(name).evidence).attempts;
    const curl = attempts('curl-dns');
    assert.ok(curl.length > 0 && curl.every((a) => a.kind === 'dns' && a.hostname === 'anything.example.org' && a.process?.comm === 'curl'), JSON.stringify(curl));

    // The faithful run with an external nameserver: no packet ever existed; the tracer names each lookup.
    const external = attempts('external-resolver');
    assert.deepEqual(external.map((a) => [a.kind, a.hostname, a.address, a.outcome, a.seenOn, a.process?.comm]), [
      ['dns', 'files.example.org', '192.0.2.53', 'unreachable', ['syscall'], 'getent'],
      ['dns', 'py.example.org', '192.0.2.53', 'unreachable', ['syscall'], 'python3'],
      ['dns', 'raw.example.net', '192.0.2.53', 'unreachable', ['syscall'], 'python3'],
    ]);

    const py = attempts('python-connect');
    assert.deepEqual(py.map((a) => [a.kind, a.address, a.port, a.outcome, a.seenOn, a.process?.comm]), [
      ['tcp', '203.0.113.20', 443, 'unreachable', ['syscall'], 'python3'],
      ['tcp', '2001:db8::20', 443, 'unreachable', ['syscall'], 'python3'],
    ]);

    const pytest = attempts('pytest-internet');
    assert.deepEqual(pytest.map((a) => [a.address, a.test]), [['198.51.100.30', 'tests/test_net.py::test_download']]);

    const wanted = attempts('curl-intercepted').filter((a) => a.kind === 'tcp');
    assert.deepEqual(wanted.map((a) => [a.hostname, a.wanted]), [['files.example.org', 'http://files.example.org/data/x.tar.gz']]);

    const ebuild = attempts('ebuild-pytest-internet');
    assert.deepEqual(ebuild.map((a) => [a.address, a.phase, a.test, a.process?.comm]), [['203.0.113.10', 'src_test', 'tests/test_net.py::test_download', 'python3']]);
  });

  it('without the tracer the same evidence still gives the packets\' attempts, without processes', () => {
    const { evidence } = recording('curl-dns');
    const { tracer: _tracer, ...packetsOnly } = evidence;
    const attempts = analyzeBuild(packetsOnly).attempts;
    assert.ok(attempts.length > 0);
    assert.ok(attempts.every((a) => a.process === undefined && a.hostname === 'anything.example.org'));
  });

  it('a recording survives JSON both ways unchanged', () => {
    const { evidence } = recording('ebuild-pytest-internet');
    const again = evidenceFromJson(JSON.parse(JSON.stringify(evidenceToJson(evidence))));
    assert.deepEqual(analyzeBuild(again), analyzeBuild(evidence));
  });
});
