/**
 * @privileged Safety: while audits run, tcpdump on every host interface sees none of the audited packets, and
 * a service listening on the host's loopback is not reachable from inside.
 *
 * "Audited packets" are told apart exactly, so the check fails for a leak and only for a leak: the host's own
 * traffic may go to the documentation ranges too (192.0.2.0/24 and 203.0.113.0/24 carry real networks, package
 * proxies among them), and a pip or apt run beside the suite must not fail it. Each run of this file picks a
 * fresh marker: one TCP/UDP port that nothing on the host listens on and that the kernel never hands out as a
 * source port (below ip_local_port_range), and one random DNS label. The audited commands are those of
 * fixtures/commands (the same programs, destinations and kinds of attempt), aimed at that port and at names
 * under that label. A leak is a packet to an audited destination address *and* the marker port, or any packet
 * carrying the label (a DNS question, an HTTP Host, a TLS SNI); nothing else counts.
 *
 * Controls: a datagram the host itself sends on its loopback with the same machinery proves the capture and
 * the check see what they should; host-like traffic to the fixtures' own (fixed) destinations, injected on a
 * test-made veth during the audits (its peer sits in a test namespace: nothing leaves the machine), must pass
 * the check while the coarse range check it replaces would have failed it; and the same veth carrying one
 * audited flow and one audited name must fail it.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Report } from '../../src/model/types.js';
import { netaudit } from '../helpers/cli.js';
import { hostInterfaces } from '../helpers/host.js';
import { requirePrivileges } from '../helpers/privileged.js';

/** One destination an audited command aims at. */
interface Flow {
  readonly proto: 'tcp' | 'udp';
  readonly address: string;
  readonly port: number;
}

/** What marks this run's audited traffic. */
interface Marker {
  /** The port every audited TCP/UDP flow goes to. */
  readonly port: number;
  /** The DNS label every audited name starts with. */
  readonly label: string;
}

/** The audited destinations of fixtures/commands, each at the marker port. */
function auditedFlows(m: Marker): Flow[] {
  return [
    { proto: 'tcp', address: '198.51.100.10', port: m.port },
    { proto: 'tcp', address: '2001:db8::10', port: m.port },
    { proto: 'tcp', address: '203.0.113.20', port: m.port },
    { proto: 'tcp', address: '2001:db8::20', port: m.port },
    { proto: 'udp', address: '198.51.100.7', port: m.port },
    { proto: 'tcp', address: '127.0.0.1', port: m.port },
    { proto: 'tcp', address: '10.1.2.3', port: m.port },
  ];
}

/** The fixtures' commands (fixtures/commands/*.sh), aimed at the marker: [name, argv]. */
function auditedCommands(m: Marker): [string, string[]][] {
  const py = (code: string): string[] => ['python3', '-c', code];
  return [
    ['curl-dns', ['curl', '-sS', '--max-time', '10', `http://${m.label}.anything.example.org:${m.port}/`]],
    ['curl-v4', ['curl', '-sS', '--max-time', '10', `http://198.51.100.10:${m.port}/`]],
    ['curl-v6', ['curl', '-sS', '--max-time', '10', `http://[2001:db8::10]:${m.port}/`]],
    [
      'python-connect',
      py(
        'import socket, sys\nfailed = 0\n' +
          `for host in ("203.0.113.20", "2001:db8::20"):\n` +
          `    try:\n        socket.create_connection((host, ${m.port}), timeout=5).close()\n` +
          '    except OSError as e:\n        print(f"{host}: {e}", file=sys.stderr)\n        failed += 1\n' +
          'sys.exit(1 if failed else 0)\n',
      ),
    ],
    ['udp-send', py(`import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.sendto(b"metric:1|c", ("198.51.100.7", ${m.port}))\n`)],
    ['getent', ['getent', 'hosts', `${m.label}.pkg.example`]],
    ['host-postgres', py(`import socket\nsocket.create_connection(("127.0.0.1", ${m.port}), timeout=5)\n`)],
    ['private-net', py(`import socket\nsocket.create_connection(("10.1.2.3", ${m.port}), timeout=5)\n`)],
    ['git-fetch', ['git', 'ls-remote', `https://${m.label}.git.example.org/upstream/lib.git`]],
  ];
}

/** The packets a flow's attempt consists of, as a tcpdump filter: to its address and port. */
function flowFilter(flows: readonly Flow[]): string {
  return flows.map((f) => `(dst host ${f.address} and ${f.proto} dst port ${f.port})`).join(' or ');
}

/**
 * The audited packets in the capture `file`: tcpdump's line for each packet to an audited flow, and a line for
 * each packet whose bytes hold the marker label. Empty: no leak.
 */
function leaks(file: string, flows: readonly Flow[], label: string): string[] {
  const seen = spawnSync('tcpdump', ['-r', file, '-n', flowFilter(flows)], { encoding: 'utf8' });
  assert.equal(seen.status, 0, seen.stderr);
  const found = seen.stdout.split('\n').filter(Boolean);
  const pcap = readFileSync(file);
  let at = pcap.indexOf(label);
  while (at >= 0) {
    found.push(`bytes "${label}" at offset ${at}`);
    at = pcap.indexOf(label, at + 1);
  }
  return found;
}

/** What the check replaced: any packet to the documentation ranges, port 5432 or 10.1.2.0/24 was a leak. */
const COARSE = 'net 198.51.100.0/24 or net 203.0.113.0/24 or net 2001:db8::/32 or port 5432 or net 10.1.2.0/24';

function count(file: string, filter: string): number {
  const r = spawnSync('tcpdump', ['-r', file, '-n', filter], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean).length;
}

/** A port for the marker: below the kernel's ephemeral range (never a source port) and free on the host. */
async function markerPort(): Promise<number> {
  const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  for (let tries = 0; tries < 50; tries++) {
    const port = randomInt(20_000, Math.min(low, 32_768));
    if (await free(port)) return port;
  }
  throw new Error('no free marker port below the ephemeral range');
}

/** Whether nothing on the host has `port` (TCP and UDP, v4 and v6). */
async function free(port: number): Promise<boolean> {
  const tcp = (host: string) =>
    new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen({ port, host, exclusive: true }, () => s.close(() => resolve(true)));
    });
  const udp = (type: 'udp4' | 'udp6', host: string) =>
    new Promise<boolean>((resolve) => {
      const s = dgram.createSocket(type);
      s.once('error', () => resolve(false));
      s.bind(port, host, () => s.close(() => resolve(true)));
    });
  return (await tcp('0.0.0.0')) && (await tcp('::')) && (await udp('udp4', '0.0.0.0')) && (await udp('udp6', '::'));
}

function startCapture(iface: string, file: string, filter: string, netns?: string): Promise<ChildProcess> {
  const argv = ['tcpdump', '-i', iface, '-n', '-U', '--immediate-mode', '-w', file, filter];
  const [cmd, ...args] = netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd as string, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
      if (err.includes('listening on')) resolve(child);
    });
    child.on('error', reject);
    child.on('close', () => reject(new Error(`tcpdump on ${iface}: ${err}`)));
  });
}

async function stopCaptures(children: readonly ChildProcess[]): Promise<void> {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
}

/**
 * A veth whose host end sits in the root namespace (so it is one of the host's interfaces) and whose peer sits
 * in a namespace of its own, with no address and no route anywhere: frames written to the host end reach the
 * peer and nothing else. Named natest-*, never netaudit-* (other tests count those as leftovers).
 */
interface TestVeth {
  readonly iface: string;
  readonly netns: string;
  destroy(): void;
}

function testVeth(): TestVeth {
  const id = randomBytes(3).toString('hex');
  const netns = `natest-iso-${process.pid}-${id}`;
  const iface = `natiso${id}`;
  const ip = (...args: string[]) => {
    const r = spawnSync('ip', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
  };
  ip('netns', 'add', netns);
  const destroy = (): void => {
    spawnSync('ip', ['link', 'del', iface]);
    spawnSync('ip', ['netns', 'del', netns]);
  };
  try {
    // No link-local address or router solicitations of its own: the capture holds only what the test writes.
    ip('link', 'add', iface, 'type', 'veth', 'peer', 'name', 'peer0', 'netns', netns);
    ip('link', 'set', iface, 'addrgenmode', 'none');
    ip('link', 'set', iface, 'up');
    ip('-n', netns, 'link', 'set', 'peer0', 'up');
  } catch (e) {
    destroy();
    throw e;
  }
  return { iface, netns, destroy };
}

/** A packet to write on the veth: from a documentation source to `dst`, a TCP SYN or a UDP datagram. */
interface Frame {
  readonly proto: 'tcp' | 'udp';
  readonly dst: string;
  readonly port: number;
  /** UDP payload (a DNS question, a metric). */
  readonly payload?: Buffer;
}

/** Ethernet + IPv4/IPv6 + TCP SYN/UDP, written with an AF_PACKET socket (python3) on `iface`. */
function inject(iface: string, frames: readonly Frame[]): void {
  const script = `
import json, socket, struct, sys
iface, frames = sys.argv[1], json.loads(sys.stdin.read())
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
def csum(b):
    if len(b) % 2: b += b"\\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16: t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff
for f in frames:
    payload = bytes.fromhex(f["payload"])
    if f["proto"] == "tcp":
        l4 = struct.pack("!HHIIBBHHH", 40000, f["port"], 1, 0, 5 << 4, 0x02, 64240, 0, 0)
        nh = 6
    else:
        l4 = struct.pack("!HHHH", 40000, f["port"], 8 + len(payload), 0) + payload
        nh = 17
    if ":" in f["dst"]:
        src, dst = socket.inet_pton(socket.AF_INET6, "2001:db8:ffff::1"), socket.inet_pton(socket.AF_INET6, f["dst"])
        ip = struct.pack("!IHBB", 6 << 28, len(l4), nh, 64) + src + dst
        eth = b"\\x33\\x33\\x00\\x00\\x00\\x01" + b"\\x02\\x00\\x00\\x00\\x00\\x01" + b"\\x86\\xdd"
    else:
        src, dst = socket.inet_aton("192.0.2.99"), socket.inet_aton(f["dst"])
        h = struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(l4), 0, 0, 64, nh, 0) + src + dst
        ip = h[:10] + struct.pack("!H", csum(h)) + h[12:]
        eth = b"\\xff" * 6 + b"\\x02\\x00\\x00\\x00\\x00\\x01" + b"\\x08\\x00"
    s.send(eth + ip + l4)
`;
  const input = JSON.stringify(frames.map((f) => ({ ...f, payload: (f.payload ?? Buffer.alloc(0)).toString('hex') })));
  const r = spawnSync('python3', ['-c', script, iface], { input, encoding: 'utf8' });
  assert.equal(r.status, 0, `injecting on ${iface}: ${r.stderr}`);
}

/** A DNS question (A, recursion desired) for `name`. */
function dnsQuestion(name: string): Buffer {
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  return Buffer.concat([Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, 1, 0, 1])]);
}

/**
 * The host's own traffic to the fixtures' fixed destinations (the ports and names fixtures/commands use) and
 * to the documentation ranges: a package proxy on 192.0.2.10:3128 or 203.0.113.20:443, a metric sent to
 * 198.51.100.7:8125, DNS for pkg.example. None of it carries the marker.
 */
const HOST_TRAFFIC: readonly Frame[] = [
  { proto: 'tcp', dst: '203.0.113.20', port: 443 },
  { proto: 'tcp', dst: '198.51.100.10', port: 80 },
  { proto: 'tcp', dst: '2001:db8::20', port: 443 },
  { proto: 'tcp', dst: '2001:db8::10', port: 8080 },
  { proto: 'tcp', dst: '192.0.2.10', port: 3128 },
  { proto: 'tcp', dst: '10.1.2.3', port: 80 },
  { proto: 'udp', dst: '198.51.100.7', port: 8125, payload: Buffer.from('metric:1|c') },
  { proto: 'udp', dst: '203.0.113.53', port: 53, payload: dnsQuestion('pkg.example') },
  { proto: 'udp', dst: '203.0.113.53', port: 53, payload: dnsQuestion('anything.example.org') },
];

/** The host's own loopback traffic to a fixture's port: a client of a local PostgreSQL (refused or not). */
async function hostPostgresClient(): Promise<void> {
  await new Promise<void>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port: 5432 });
    s.on('connect', () => s.destroy());
    s.on('error', () => resolve());
    s.on('close', () => resolve());
  });
}

describe('isolation from the host @privileged', function () {
  let tmp: string;
  let marker: Marker;
  before(async function () {
    requirePrivileges(this);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-test-'));
    marker = { port: await markerPort(), label: `leak${randomBytes(8).toString('hex')}` };
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  it('no audited packet reaches any host interface, while the host talks to the same ranges', async function () {
    // 11 audits, each with its own sandbox: about 55 s on these machines.
    this.timeout(240_000);
    const flows = auditedFlows(marker);
    // The positive control: a datagram the host itself sends to its loopback at a second free port.
    const control = await markerPort();
    const controlLabel = `control${randomBytes(8).toString('hex')}`;
    const filter = `${COARSE} or port 53 or port ${marker.port} or port ${control}`;
    const veth = testVeth();
    const captures: { iface: string; file: string; child: ChildProcess }[] = [];
    try {
      const ifaces = hostInterfaces().filter((i) => !i.startsWith('bonding_masters'));
      assert.ok(ifaces.includes('lo') && ifaces.includes(veth.iface));
      for (const iface of ifaces) {
        const file = path.join(tmp, `host-${iface}.pcap`);
        try {
          captures.push({ iface, file, child: await startCapture(iface, file, filter) });
        } catch (e) {
          // An interface that is down or cannot be captured carries nothing either; say which.
          if (!/(not up|No such device|doesn't support)/.test((e as Error).message)) throw e;
        }
      }
      assert.ok(captures.some((c) => c.iface === 'lo'), 'the host lo is watched');
      assert.ok(captures.some((c) => c.iface === veth.iface), 'the test veth is watched');
      // Both sandboxes: with the observer (faithful: nothing reaches a veth) for the first two, on packets alone
      // (every packet crosses the veth: the harder case) for all. The host's own traffic goes on meanwhile.
      const commands = auditedCommands(marker);
      const runs = [...commands.slice(0, 2).map((c) => [c, true] as const), ...commands.map((c) => [c, false] as const)];
      for (const [[name, argv], observe] of runs) {
        inject(veth.iface, HOST_TRAFFIC);
        await hostPostgresClient();
        const r = await netaudit(['run', '-q', ...(observe ? [] : ['--no-observe']), '--', ...argv]);
        assert.equal(r.code, 1, `${name} breaks: ${r.stderr}`);
      }
      await new Promise<void>((resolve, reject) => {
        const s = dgram.createSocket('udp4');
        s.send(Buffer.from(controlLabel), control, '127.0.0.1', (e) => s.close(() => (e ? reject(e) : resolve())));
      });
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      await stopCaptures(captures.map((c) => c.child));
      veth.destroy();
    }
    const lo = captures.find((c) => c.iface === 'lo');
    const seen = leaks(lo?.file as string, [{ proto: 'udp', address: '127.0.0.1', port: control }], controlLabel);
    assert.ok(seen.some((l) => l.includes(`127.0.0.1.${control}: UDP`)), `the control datagram's flow is seen on lo: ${seen.join('; ')}`);
    assert.ok(seen.some((l) => l.startsWith(`bytes "${controlLabel}"`)), `the control datagram's bytes are seen on lo: ${seen.join('; ')}`);
    const hostVeth = captures.find((c) => c.iface === veth.iface)?.file as string;
    assert.ok(count(hostVeth, COARSE) >= 8 * 11, `the host's traffic to the documentation ranges is on the veth (${count(hostVeth, COARSE)} packets)`);
    for (const c of captures) assert.deepEqual(leaks(c.file, flows, marker.label), [], `${c.iface}: audited packets reached the host`);
  });

  it('the check fails for an audited flow or name on a host interface, and only for those', async function () {
    const flows = auditedFlows(marker);
    const veth = testVeth();
    const file = path.join(tmp, 'simulated-leak.pcap');
    let capture: ChildProcess | undefined;
    try {
      capture = await startCapture(veth.iface, file, `${COARSE} or port 53 or port ${marker.port}`);
      inject(veth.iface, HOST_TRAFFIC);
      inject(veth.iface, [
        { proto: 'tcp', dst: '203.0.113.20', port: marker.port },
        { proto: 'udp', dst: '203.0.113.53', port: 53, payload: dnsQuestion(`${marker.label}.pkg.example`) },
      ]);
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      if (capture) await stopCaptures([capture]);
      veth.destroy();
    }
    const found = leaks(file, flows, marker.label);
    assert.equal(found.length, 2, found.join('\n'));
    assert.match(found[0] as string, new RegExp(`> 203\\.0\\.113\\.20\\.${marker.port}: Flags \\[S\\]`));
    assert.match(found[1] as string, /^bytes "leak[0-9a-f]{16}" at offset \d+$/);
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
