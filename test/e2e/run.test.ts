/**
 * @privileged End to end through `netaudit run`, each fixture command also run under a plain reference
 * network-sandbox (unshare --net --uts with Portage's loopback setup): the exit status must be the same
 * (fidelity), and the verdict and attempts must be those in fixtures/commands/expected.json; each fixture
 * twice: with the syscall observer (every attempt names its process) and with --no-observe (packets only).
 * The tests of other options use --no-observe: the observer's 2-4 s attach would only add to their time.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Report } from '../../src/model/types.js';
import { ROOT, netaudit, referenceSandbox, run } from '../helpers/cli.js';
import { PACKETS_CHANGE } from '../../src/sandbox/plan.js';
import { requirePrivileges } from '../helpers/privileged.js';
import { requireObserver } from '../observe/ns.js';
import { assertAttempts, wantedIn, type AuditMode, type WantedAttempt } from '../helpers/attempts.js';

type ByMode<T> = T | { observed: T; packets: T };

interface Expected {
  verdict: ByMode<string>;
  exitCode: number;
  attempts: ByMode<WantedAttempt[]>;
}

function inMode<T>(mode: AuditMode, v: ByMode<T>): T {
  return v !== null && typeof v === 'object' && 'observed' in v && 'packets' in v ? v[mode] : (v as T);
}

const FIXTURES = path.join(ROOT, 'fixtures/commands');
/** pcap link types (the global header's last field): Ethernet (lo from a packet socket) and NFLOG. */
const LINKTYPE_EN10MB = 1;
const LINKTYPE_NFLOG = 239;

/** A python3 on the host (root namespace) listening on an abstract UNIX address; resolves once it listens. */
function hostAbstractListener(name: string): Promise<ChildProcess> {
  const code = `import socket\ns=socket.socket(socket.AF_UNIX)\ns.bind(b"\\0${name}")\ns.listen(8)\nprint("ready",flush=True)\nwhile True:\n  c,_=s.accept(); c.close()\n`;
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', code], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.once('data', () => resolve(child));
    child.once('error', reject);
    child.once('exit', (c) => reject(new Error(`listener exited ${c}`)));
  });
}
const expected = JSON.parse(readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8')) as Record<string, Expected | string>;

describe('netaudit run on fixture commands @privileged', function () {
  let tmp: string;
  before(function () {
    requirePrivileges(this);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-test-'));
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  const modes: [AuditMode, string[]][] = [['observed', []], ['packets', ['--no-observe']]];
  for (const [mode, flags] of modes) for (const [file, e] of Object.entries(expected)) {
    if (typeof e === 'string') continue;
    const exp = { ...e, verdict: inMode(mode, e.verdict), attempts: inMode(mode, e.attempts) };
    it(`${file} (${mode}): ${exp.verdict}, exit ${exp.exitCode}, same as under network-sandbox`, async function () {
      if (mode === 'observed') await requireObserver(this);
      const script = path.join(FIXTURES, file);
      const json = path.join(tmp, `${file}.${mode}.json`);
      const [audited, reference] = [
        await netaudit(['run', ...flags, '--json', json, '--', 'sh', script]),
        await referenceSandbox(['sh', script]),
      ];
      assert.equal(reference.code, exp.exitCode, `reference sandbox exit status for ${file}: ${reference.stderr}`);
      assert.ok(existsSync(json), `no report written: ${audited.stderr}`);
      const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
      const build = report.builds[0];
      assert.ok(build);
      assert.equal(build.exitCode, reference.code, `fidelity: exit ${build.exitCode} under netaudit, ${reference.code} under network-sandbox`);
      assert.equal(build.verdict, exp.verdict, audited.stderr);
      assert.equal(audited.code, exp.verdict === 'breaks' ? 1 : 0, `netaudit exit code: ${audited.stderr}`);
      assertAttempts(build.attempts, exp.attempts.map((w) => wantedIn(mode, w)), file);
      assert.equal(build.capture.dropped, 0, 'kernel drops');
      assert.equal(build.observer?.available, mode === 'observed', JSON.stringify(build.observer));
      if (mode === 'observed') {
        assert.equal(build.observer?.lost, 0, 'lost tracer records');
        assert.equal(build.changes, undefined, "the faithful run is Portage's namespace: nothing changed");
        for (const a of build.attempts) {
          assert.ok(a.process && a.process.pid > 1 && a.process.comm && a.process.argv?.length, `${file}: every attempt names its process: ${JSON.stringify(a)}`);
        }
      } else {
        assert.deepEqual(build.observer?.missing, ['turned off (--no-observe)']);
        assert.deepEqual(build.changes, [PACKETS_CHANGE], 'the packets run says that the build saw an extra interface');
        for (const a of build.attempts) assert.equal(a.process, undefined);
      }
      for (const a of build.attempts) assert.ok(a.firstAtMs >= 0 && a.firstAtMs <= build.durationMs + 50, `firstAtMs ${a.firstAtMs} within the build`);
    });
  }

  it('an X11 client while the host has an X server on @/tmp/.X11-unix/X77: connects on the host, breaks in the sandbox as a unix attempt', async function () {
    await requireObserver(this);
    const server = await hostAbstractListener('/tmp/.X11-unix/X77');
    try {
      const script = path.join(FIXTURES, 'x11-abstract.sh');
      const onHost = await run(['sh', script]);
      assert.equal(onHost.code, 0, `the host's X server answers outside the sandbox: ${onHost.stderr}`);
      const reference = await referenceSandbox(['sh', script]);
      assert.equal(reference.code, 1, 'network-sandbox hides the host abstract socket');
      const json = path.join(tmp, 'x11.json');
      const audited = await netaudit(['run', '--json', json, '--', 'sh', script]);
      const build = (JSON.parse(readFileSync(json, 'utf8')) as Report).builds[0];
      assert.ok(build);
      assert.equal(build.exitCode, 1, audited.stderr);
      assert.equal(build.verdict, 'breaks');
      assert.equal(audited.code, 1);
      const [a] = build.attempts;
      assert.equal(build.attempts.length, 1, JSON.stringify(build.attempts));
      assert.equal(a?.kind, 'unix');
      assert.equal(a?.address, '@/tmp/.X11-unix/X77');
      assert.equal(a?.family, undefined);
      assert.equal(a?.process?.comm, 'python3');
      assert.ok(a?.process?.argv?.some((x) => x === '-'), JSON.stringify(a?.process));
      const finding = build.findings.find((f) => f.attempt === 0);
      assert.equal(finding?.keyword, 'HostServiceUnreachable');
      assert.match(finding?.message ?? '', /\(X11 display\)/);
      assert.match(finding?.hint ?? '', /virtx/);
    } finally {
      server.kill();
    }
  });

  it('a forking pipeline: each attempt names the process that made it, with its parent and argv', async function () {
    await requireObserver(this);
    const json = path.join(tmp, 'pipeline.json');
    const connect = (port: number) => `import socket\ntry: socket.create_connection(("203.0.113.50", ${port}), timeout=2)\nexcept OSError: pass`;
    const script = `echo go | (python3 -c '${connect(7001)}'; cat >/dev/null) | sh -c 'exec python3 -c "$1"' inner '${connect(7002)}'; curl -sS -m 2 http://[2001:db8::50]:7003/ || :`;
    const r = await netaudit(['run', '--json', json, '--', 'sh', '-c', script]);
    const build = (JSON.parse(readFileSync(json, 'utf8')) as Report).builds[0];
    assert.ok(build, r.stderr);
    const byPort = new Map(build.attempts.map((a) => [a.port, a]));
    const a1 = byPort.get(7001);
    const a2 = byPort.get(7002);
    const a3 = byPort.get(7003);
    assert.ok(a1 && a2 && a3, JSON.stringify(build.attempts));
    assert.equal(a1.process?.comm, 'python3');
    assert.equal(a2.process?.comm, 'python3');
    assert.equal(a3.process?.comm, 'curl');
    assert.notEqual(a1.process?.pid, a2.process?.pid, 'two processes, two pids');
    assert.ok(a2.process?.argv?.[0]?.endsWith('python3') && a2.process.argv.includes('-c'), JSON.stringify(a2.process));
    assert.ok(a3.process?.argv?.includes('http://[2001:db8::50]:7003/'), JSON.stringify(a3.process));
    for (const a of [a1, a2, a3]) assert.ok((a.process?.ppid ?? 0) > 1, `${a.port}: parent pid`);
    assert.equal(a3.family, 6);
    assert.deepEqual(a3.seenOn, ['syscall']);
  });

  it('the done-when case: curl to a .example name exits 1, breaks, DNS attempt (its cost is measured by npm run bench, not here)', async function () {
    const json = path.join(tmp, 'done.json');
    const r = await netaudit(['run', '--no-observe', '--json', json, '--', 'curl', '-sS', 'http://anything.example.org/']);
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    assert.equal(report.builds[0]?.verdict, 'breaks');
    assert.ok(report.builds[0]?.attempts.some((a) => a.kind === 'dns' && a.hostname === 'anything.example.org'));
    assert.match(r.stderr, /^BREAKS /m, 'the verdict comes first');
    assert.match(r.stderr, /anything\.example\.org/);
  });

  it('`run -- true` exits 0, clean, no attempts', async function () {
    const json = path.join(tmp, 'true.json');
    const r = await netaudit(['run', '--no-observe', '--json', json, '--', 'true']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    assert.equal(report.builds[0]?.verdict, 'clean');
    assert.deepEqual(report.builds[0]?.attempts, []);
    assert.deepEqual(report.summary, { clean: 1, tolerates: 0, breaks: 0, 'fails-without-network': 0 });
  });

  it('passes stdin, stdout and stderr through unchanged and sets the hostname to localhost', async function () {
    const r = await netaudit(['run', '--no-observe', '--quiet', '--', 'sh', '-c', 'cat; hostname; echo err >&2'], { input: 'from stdin\n' });
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'from stdin\nlocalhost\n');
    assert.equal(r.stderr, 'err\n');
  });

  it('--user drops to another user inside', async function () {
    const r = await netaudit(['run', '--no-observe', '--quiet', '--user', 'nobody', '--', 'id', '-un']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'nobody');
  });

  it('--fail-on tolerates and never change the exit code', async function () {
    const tolerant = path.join(FIXTURES, 'tolerant.sh');
    assert.equal((await netaudit(['run', '--no-observe', '-q', '--fail-on', 'tolerates', '--', 'sh', tolerant])).code, 1);
    assert.equal((await netaudit(['run', '--no-observe', '-q', '--', 'sh', tolerant])).code, 0);
    assert.equal((await netaudit(['run', '--no-observe', '-q', '--fail-on', 'never', '--', 'sh', path.join(FIXTURES, 'curl-v4.sh')])).code, 0);
  });

  it('--pcap keeps the raw captures', async function () {
    const dir = path.join(tmp, 'pcaps');
    const r = await netaudit(['run', '--no-observe', '-q', '--pcap', dir, '--', 'sh', path.join(FIXTURES, 'curl-v4.sh')]);
    assert.equal(r.code, 1);
    for (const f of ['veth.pcap', 'lo.pcap', 'nflog.pcap']) assert.ok(existsSync(path.join(dir, f)), f);
    const veth = readFileSync(path.join(dir, 'veth.pcap'));
    assert.equal(veth.readUInt32LE(0), 0xa1b2c3d4, 'pcap magic');
  });

  it("--pcap in the faithful run: lo's capture only (there is no veth and no NFLOG), from a packet socket", async function () {
    await requireObserver(this);
    const dir = path.join(tmp, 'pcaps-faithful');
    const r = await netaudit(['run', '-q', '--pcap', dir, '--', 'sh', path.join(FIXTURES, 'curl-v4.sh')]);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(readdirSync(dir), ['lo.pcap']);
    assert.equal(readFileSync(path.join(dir, 'lo.pcap')).readUInt32LE(20), LINKTYPE_EN10MB, "the faithful namespace has no rule of netaudit's: lo is read from a packet socket");
  });

  it("the packets run's captures are NFLOG groups its rules fill: the veth both ways, lo's SYN/RST, and nothing of the build's data", async function () {
    const dir = path.join(tmp, 'pcaps-nflog');
    const json = path.join(tmp, 'nflog.json');
    // A blocking connect to an external address (SYN out over the veth, the monitor's ICMP back), a refused
    // loopback connect (SYN and RST on lo), and a served loopback exchange whose data must not be kept.
    const script = [
      'import socket, threading',
      'try: socket.create_connection(("192.0.2.61", 7061), timeout=3)',
      'except OSError as e: print("external", e.errno)',
      'try: socket.create_connection(("127.0.0.1", 7062), timeout=3)',
      'except OSError as e: print("loopback", e.errno)',
      'srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen()',
      'threading.Thread(target=lambda: srv.accept()[0].sendall(b"payload-not-kept" * 64), daemon=True).start()',
      'c = socket.create_connection(srv.getsockname()); print("served", len(c.recv(4096)) > 0)',
    ].join('\n');
    const r = await netaudit(['run', '--no-observe', '-q', '--fail-on', 'never', '--pcap', dir, '--json', json, '--', 'python3', '-c', script]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /external 101\nloopback 111\nserved True/, 'ENETUNREACH and ECONNREFUSED, as under network-sandbox');
    for (const f of ['veth.pcap', 'lo.pcap', 'nflog.pcap']) assert.equal(readFileSync(path.join(dir, f)).readUInt32LE(20), LINKTYPE_NFLOG, f);
    const build = (JSON.parse(readFileSync(json, 'utf8')) as Report).builds[0];
    assert.ok(build, r.stderr);
    const at = (port: number) => build.attempts.find((a) => a.port === port);
    assert.deepEqual([at(7061)?.outcome, at(7061)?.seenOn], ['unreachable', ['veth']], JSON.stringify(build.attempts));
    assert.deepEqual([at(7062)?.outcome, at(7062)?.seenOn], ['refused', ['lo']], JSON.stringify(build.attempts));
    assert.equal(build.attempts.length, 2, 'the served exchange is no attempt');
    assert.equal(build.capture.dropped, 0);
    assert.ok(!readFileSync(path.join(dir, 'lo.pcap')).includes('payload-not-kept'), "lo's rules keep connection set-up, not data");
  });
});
