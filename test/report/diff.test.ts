/**
 * diffReports: one fixture changed gives exactly that change; each kind of change; the text and JSON forms;
 * the exit code.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { attemptOf, type Attempt, type BuildResult, type Report } from '../../src/model/types.js';
import { destination, diffExitCode, diffReports, renderDiffJson, renderDiffText } from '../../src/report/diff.js';
import { summarize } from '../../src/model/report.js';
import { EXAMPLES, readJson } from './helpers.js';

const sweep = readJson(path.join(EXAMPLES, 'sweep-multi.json')) as Report;

const LOOKUP: Attempt = {
  kind: 'dns',
  scope: 'external',
  family: 4,
  address: '10.255.255.53',
  port: 53,
  hostname: 'testdata.example',
  qtype: 'A',
  count: 1,
  firstAtMs: 10,
  phase: 'test',
  allowed: false,
};

/** The sweep with the build called `name` changed by `change`. */
function changed(name: string, change: (b: BuildResult) => BuildResult): Report {
  const builds = sweep.builds.map((b) => (b.name === name ? change(structuredClone(b)) : b));
  return { ...sweep, createdAt: '2025-12-01T00:00:00.000Z', builds, summary: summarize(builds) };
}

describe('diffReports', () => {
  it('the same report twice: no change, exit 0', () => {
    const d = diffReports(sweep, structuredClone(sweep));
    assert.deepEqual(d.changes, []);
    assert.equal(renderDiffText(d), '');
    assert.equal(diffExitCode(d), 0);
  });

  it('one fixture changed (a clean package now looks a name up and fails): exactly that change, exit 1', () => {
    const after = changed('app-misc/quietd-1.0', (b) => ({ ...b, verdict: 'breaks', exitCode: 1, attempts: [LOOKUP, { ...LOOKUP, qtype: 'AAAA' }] }));
    const d = diffReports(sweep, after);
    assert.deepEqual(d.changes, [{ name: 'app-misc/quietd-1.0', change: 'StartedBreaking', from: 'clean', to: 'breaks', added: ['dns testdata.example:53'], removed: [] }]);
    assert.equal(renderDiffText(d), 'app-misc/quietd-1.0: StartedBreaking: clean -> breaks (+dns testdata.example:53)\n');
    assert.equal(diffExitCode(d), 1);
    assert.equal(d.counts.StartedBreaking, 1);
  });

  it('stopped breaking: listed, exit 0', () => {
    const after = changed('dev-go/modfetch-0.3', (b) => ({ ...b, verdict: 'clean', exitCode: 0, attempts: [], findings: [] }));
    const d = diffReports(sweep, after);
    assert.equal(renderDiffText(d), 'dev-go/modfetch-0.3: StoppedBreaking: breaks -> clean (-dns proxy.golang.example:53)\n');
    assert.equal(diffExitCode(d), 0);
  });

  it('another verdict change, and changed destinations with the same verdict', () => {
    const after = changed('dev-python/autoskip-4.2', (b) => ({ ...b, verdict: 'fails-without-network', exitCode: 2 }));
    assert.equal(renderDiffText(diffReports(sweep, after)), 'dev-python/autoskip-4.2: VerdictChanged: tolerates -> fails-without-network\n');
    const moved = changed('dev-python/autoskip-4.2', (b) => ({
      ...b,
      attempts: b.attempts.map((a) => (a.kind === 'udp' ? { ...a, address: '2001:db8::8' } : a)),
    }));
    const d = diffReports(sweep, moved);
    assert.equal(renderDiffText(d), 'dev-python/autoskip-4.2: DestinationsChanged: tolerates -> tolerates (+udp [2001:db8::8]:8125, -udp [2001:db8::7]:8125)\n');
    assert.equal(diffExitCode(d), 0);
  });

  it('allowed attempts, and attempts that only differ in count, time or process, are no change', () => {
    const after = changed('dev-go/modfetch-0.3', (b) => ({
      ...b,
      durationMs: 1,
      attempts: [...b.attempts.map((a) => ({ ...a, count: 9, firstAtMs: 1, process: { pid: 2, comm: 'go' } })), { ...LOOKUP, allowed: true, allowedBy: 'phase pkg_setup is not sandboxed' }],
    }));
    assert.deepEqual(diffReports(sweep, after).changes, []);
  });

  it('new and removed packages', () => {
    const extra: BuildResult = { ...(sweep.builds[1] as BuildResult), name: 'dev-go/modfetch-0.4' };
    const builds = [...sweep.builds.filter((b) => b.name !== 'app-misc/quietd-1.0'), extra];
    const after: Report = { ...sweep, builds, summary: summarize(builds) };
    const d = diffReports(sweep, after);
    assert.equal(
      renderDiffText(d),
      ['app-misc/quietd-1.0: RemovedPackage: removed, was clean', 'dev-go/modfetch-0.4: NewPackage: new, breaks (+dns proxy.golang.example:53)', ''].join('\n'),
    );
    assert.equal(diffExitCode(d), 0, 'a new package that breaks did not start breaking');
    assert.deepEqual(d.changes.map((c) => [c.change, c.from, c.to]), [
      ['RemovedPackage', 'clean', undefined],
      ['NewPackage', undefined, 'breaks'],
    ]);
  });

  it('JSON: the changes, counts per kind, and both sides', () => {
    const after = changed('app-misc/quietd-1.0', (b) => ({ ...b, verdict: 'breaks', attempts: [LOOKUP] }));
    const json = JSON.parse(renderDiffJson(diffReports(sweep, after))) as Record<string, unknown>;
    assert.deepEqual(json.changes, [{ name: 'app-misc/quietd-1.0', change: 'StartedBreaking', from: 'clean', to: 'breaks', added: ['dns testdata.example:53'], removed: [] }]);
    assert.deepEqual(json.counts, { StartedBreaking: 1, StoppedBreaking: 0, VerdictChanged: 0, DestinationsChanged: 0, NewPackage: 0, RemovedPackage: 0 });
    assert.deepEqual(json.old, { createdAt: sweep.createdAt, builds: 4, summary: sweep.summary });
    assert.deepEqual((json.new as { summary: unknown }).summary, { clean: 0, tolerates: 1, breaks: 2, 'fails-without-network': 1 });
  });

  it('destinations: kind host-or-address:port', () => {
    assert.equal(destination(LOOKUP), 'dns testdata.example:53');
    assert.equal(destination(attemptOf({ ...LOOKUP, hostname: undefined })), 'dns 10.255.255.53:53');
    assert.equal(destination(attemptOf({ ...LOOKUP, kind: 'tcp', address: '2001:db8::1', port: 443, hostname: 'x.example' })), 'tcp [2001:db8::1]:443');
    assert.equal(destination(attemptOf({ ...LOOKUP, kind: 'icmp', address: '192.0.2.1' })), 'icmp 192.0.2.1');
  });

  it('destinations are written with the shared endpoint: v6 in brackets before a port only', () => {
    // A v6 resolver without a name: the port must not run into the address (was `dns fd::1:53`).
    assert.equal(destination(attemptOf({ ...LOOKUP, family: 6, address: 'fd::1', hostname: undefined })), 'dns [fd::1]:53');
    assert.equal(destination(attemptOf({ ...LOOKUP, kind: 'icmp', family: 6, address: '2001:db8::9', hostname: undefined })), 'icmp 2001:db8::9');
    assert.equal(destination(attemptOf({ ...LOOKUP, kind: 'unix', scope: 'host-local', address: '/run/a:b.sock', hostname: undefined })), 'unix /run/a:b.sock');
  });
});
