/**
 * @privileged src/runner/command.ts buildInSandbox() and the sandbox kinds (src/sandbox/plan.ts). A faithful
 * sandbox is Portage's namespace alone, so a build in it sees exactly what it sees under network-sandbox; one
 * left without a tracer (none attached, or it stopped answering) is replaced by a packets sandbox before the
 * build starts, since without the tracer only packets can carry the evidence. Nothing is left behind.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { buildInSandbox, sandboxChanges } from '../../src/runner/command.js';
import { PACKETS_CHANGE } from '../../src/sandbox/plan.js';
import { ownerOf } from '../../src/sandbox/names.js';
import { Sandbox } from '../../src/sandbox/sandbox.js';
import { runBuild } from '../../src/sandbox/build.js';
import { INTERCEPT_CHANGE } from '../../src/sandbox/intercept.js';
import { requirePrivileges } from '../helpers/privileged.js';
import { referenceSandbox } from '../helpers/cli.js';

/** This process's namespaces in /run/netns. */
function mine(): string[] {
  return existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => ownerOf(n)?.pid === process.pid) : [];
}

/** What the build sees of the network: links, addresses, routes of both families, rules. */
const VIEW = "ip -o link | cut -d: -f2; ip -o addr | awk '{print $2, $4}'; echo routes; ip route; ip -6 route; echo rules; ip rule";

async function viewIn(sandbox: Promise<Sandbox>): Promise<{ out: string; kind: string }> {
  let out = '';
  const built = await buildInSandbox(sandbox, { argv: ['sh', '-c', VIEW], stdio: 'pipe', onOutput: (b) => (out += b.toString()) });
  assert.equal(built.end.exitCode, 0, out);
  assert.deepEqual(await built.teardown, [], 'removed without a problem');
  return { out, kind: built.kind };
}

describe('sandbox kinds @privileged', function () {
  this.timeout(60_000);
  before(function () {
    requirePrivileges(this);
  });

  it("faithful: the build sees lo alone, with Portage's addresses, routes and rules: what the reference network-sandbox shows", async () => {
    // A faithful sandbox is kept only while a tracer watches the build: here the build runs in it directly.
    const sb = await Sandbox.create({ kind: 'faithful' });
    let out = '';
    try {
      const end = await runBuild(sb, { argv: ['sh', '-c', VIEW], stdio: 'pipe', onOutput: (b) => (out += b.toString()) });
      assert.equal(end.exitCode, 0, out);
    } finally {
      assert.deepEqual(await sb.destroy(), []);
    }
    const reference = await referenceSandbox(['sh', '-c', VIEW]);
    assert.equal(reference.code, 0, reference.stderr);
    assert.equal(out, reference.stdout, 'the same view as under network-sandbox');
    assert.match(out, /^ lo\nlo 127\.0\.0\.1\/8\nlo 10\.0\.0\.1\/8\nlo fd::1\/8\nlo ::1\/128\nroutes\n/);
    assert.deepEqual(mine(), []);
  });

  it('a faithful sandbox without a tracer is replaced by a packets sandbox before the build: the build sees na0, the report says so', async () => {
    const before = mine();
    const { out, kind } = await viewIn(Sandbox.create({ kind: 'faithful' }));
    assert.equal(kind, 'packets');
    assert.match(out, /^ na0@/m, 'the packets sandbox has the veth');
    assert.match(out, /^default via 169\.254\.1\.1 dev na0/m);
    assert.deepEqual(mine(), before, 'both sandboxes removed');
    assert.deepEqual(sandboxChanges('packets', false), { changes: [PACKETS_CHANGE] });
    assert.deepEqual(sandboxChanges('faithful', false), {});
    assert.deepEqual(sandboxChanges('packets', true), { intercepted: true, changes: [INTERCEPT_CHANGE] });
  });
});
