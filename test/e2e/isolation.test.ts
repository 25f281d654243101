/**
 * @privileged Safety: while audits run, tcpdump on every host interface sees none of the audited packets, and
 * a service listening on the host's loopback is not reachable from inside.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Report } from '../../src/model/types.js';
import { ROOT, netaudit } from '../helpers/cli.js';
import { hostInterfaces } from '../helpers/host.js';
import { requirePrivileges } from '../helpers/privileged.js';

/** Everything the audited fixtures aim at: the documentation ranges, and DNS (names checked in the payload). */
// Not 192.0.2.0/24: some machines (this project's CI among them) use TEST-NET-1 for their real uplink, so
// the fixtures aim at TEST-NET-2/3 and the IPv6 documentation prefix only, and the host's own traffic to
// its gateway is not mistaken for a leak.
const TARGETS = 'net 198.51.100.0/24 or net 203.0.113.0/24 or net 2001:db8::/32 or port 5432 or net 10.1.2.0/24';
const FILTER = `${TARGETS} or port 53`;
const NAMES = ['anything.example.org', 'pkg.example', 'mirror.example.net', 'git.example.org', 'registry.example'];

/** A name as it stands in a DNS question: length-prefixed labels. */
function wireName(name: string): Buffer {
  return Buffer.concat(name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])));
}

function startHostCapture(iface: string, file: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn('tcpdump', ['-i', iface, '-n', '-U', '--immediate-mode', '-w', file, FILTER], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
      if (err.includes('listening on')) resolve(child);
    });
    child.on('error', reject);
    child.on('close', () => reject(new Error(`tcpdump on ${iface}: ${err}`)));
  });
}

describe('isolation from the host @privileged', function () {
  let tmp: string;
  before(function () {
    requirePrivileges(this);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-test-'));
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  it('no audited packet reaches any host interface', async function () {
    const ifaces = hostInterfaces().filter((i) => !i.startsWith('bonding_masters'));
    assert.ok(ifaces.includes('lo'));
    const captures: { iface: string; file: string; child: ChildProcess }[] = [];
    try {
      for (const iface of ifaces) {
        const file = path.join(tmp, `host-${iface}.pcap`);
        try {
          captures.push({ iface, file, child: await startHostCapture(iface, file) });
        } catch (e) {
          // An interface that is down or cannot be captured carries nothing either; say which.
          if (!/(not up|No such device|doesn't support)/.test((e as Error).message)) throw e;
        }
      }
      assert.ok(captures.some((c) => c.iface === 'lo'), 'the host lo is watched');
      // Both route modes: with the observer (only DNS reaches the veth) for the first two, on packets alone
      // (every packet crosses the veth: the harder case) for all.
      const fixtures = ['curl-dns.sh', 'curl-v4.sh', 'curl-v6.sh', 'python-connect.sh', 'udp-send.sh', 'getent.sh', 'host-postgres.sh', 'private-net.sh', 'git-fetch.sh'];
      for (const [f, observe] of [...fixtures.slice(0, 2).map((f) => [f, true] as const), ...fixtures.map((f) => [f, false] as const)]) {
        const r = await netaudit(['run', '-q', ...(observe ? [] : ['--no-observe']), '--', 'sh', path.join(ROOT, 'fixtures/commands', f)]);
        assert.equal(r.code, 1, `${f} breaks: ${r.stderr}`);
      }
    } finally {
      for (const c of captures) c.child.kill('SIGTERM');
      await Promise.all(captures.map((c) => new Promise((r) => (c.child.exitCode !== null ? r(null) : c.child.once('exit', r)))));
    }
    for (const c of captures) {
      // Other DNS traffic of the host may be captured on port 53; none of it may ask for an audited name.
      const pcap = readFileSync(c.file);
      for (const name of NAMES) assert.ok(!pcap.includes(wireName(name)), `${c.iface}: saw a query for ${name}`);
      const seen = spawnSync('tcpdump', ['-r', c.file, '-n', TARGETS], { encoding: 'utf8' });
      assert.equal(seen.stdout, '', `${c.iface}: audited packets reached the host:\n${seen.stdout}`);
    }
  });

  it("a service on the host's loopback is not reachable from inside", async function () {
    let connections = 0;
    const server = net.createServer((s) => {
      connections++;
      s.end('hello from the host\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const json = path.join(tmp, 'host-service.json');
      const r = await netaudit(['run', '--json', json, '--', 'python3', '-c', `import socket; socket.create_connection(("127.0.0.1", ${port}), timeout=3)`]);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(connections, 0, 'the host service was reached from inside the sandbox');
      const build = (JSON.parse(readFileSync(json, 'utf8')) as Report).builds[0];
      assert.equal(build?.verdict, 'breaks');
      assert.deepEqual(
        build?.attempts.map((a) => [a.kind, a.scope, a.address, a.port, a.outcome]),
        [['tcp', 'host-local', '127.0.0.1', port, 'refused']],
      );
    } finally {
      server.close();
    }
  });
});
