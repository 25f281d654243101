/**
 * @privileged `netaudit run --intercept` with real clients: curl over https and http, python3 urllib, git over
 * https, pip, and a raw TCP hello. Each attempt must say what it wanted (SNI, URL, first bytes), the run must
 * be labelled an observation, and nothing may leave the monitor: a capture on every host interface (tcpdump
 * -i any in the root namespace) during the run sees none of the sinkhole or target addresses, nor the names.
 * Only reserved targets: 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32, names under .example.org/.test.
 * --no-observe except in the one test of the observer: its 2-4 s attach adds nothing here.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Attempt, BuildResult, Report } from '../../src/model/types.js';
import { netaudit, type Ran } from '../helpers/cli.js';
import { requirePrivileges } from '../helpers/privileged.js';
import { requireObserver } from '../observe/ns.js';

/**
 * A tcpdump on every interface of the root namespace, writing to `file`; stop() ends it by pid. --immediate-mode:
 * without it, packets still in the kernel's ring when tcpdump is stopped are lost (measured: 0 of 4 written).
 */
async function hostCapture(file: string): Promise<{ stop(): Promise<void> }> {
  const child = spawn('tcpdump', ['-i', 'any', '-n', '-U', '--immediate-mode', '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
      if (err.includes('listening on')) resolve();
    });
    child.once('close', (c) => reject(new Error(`tcpdump exited ${c}: ${err}`)));
  });
  return {
    stop: async () => {
      const closed = new Promise((r) => child.once('close', r));
      child.kill('SIGINT');
      await closed;
    },
  };
}

function tcp(b: BuildResult): Attempt[] {
  return b.attempts.filter((a) => a.kind === 'tcp');
}

describe('netaudit run --intercept with real clients @privileged', function () {
  let tmp: string;
  let build: BuildResult;
  let audited: Ran;
  let hostPcap: string;
  const nonce = `n${randomBytes(6).toString('hex')}.example.test`;
  const control = `control-${randomBytes(6).toString('hex')}`;

  before(async function () {
    requirePrivileges(this);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-test-'));
    hostPcap = path.join(tmp, 'host.pcap');
    // One build, many clients: each failing client is fine (the monitor closes after reading), `true` ends it.
    const script = [
      'curl -sS -m 5 https://files.example.org/x.tar.gz',
      'curl -sS -m 5 http://files.example.org/data/x.tar.gz',
      `python3 -c "import urllib.request; urllib.request.urlopen('http://py.example.org/simple/x/', timeout=5)"`,
      'git ls-remote https://git.example.org/repo.git',
      `python3 -m pip download --no-deps --retries 0 --timeout 5 -d ${tmp}/pip --index-url https://pypi.example.org/simple x`,
      // A client that speaks first in a protocol netaudit does not parse (bash's /dev/tcp, over getaddrinfo).
      `exec 3<>/dev/tcp/${nonce}/2222 && printf 'SSH-2.0-netaudit_test\\r\\n' >&3 && sleep 0.3; exec 3>&-`,
      'true',
    ].join('\n');
    const capture = await hostCapture(hostPcap);
    try {
      const json = path.join(tmp, 'r.json');
      audited = await netaudit(['run', '--intercept', '--no-observe', '--json', json, '--', 'bash', '-c', script]);
      build = (JSON.parse(readFileSync(json, 'utf8')) as Report).builds[0] as BuildResult;
      // A positive control: a datagram on the host's lo that the capture must hold (else it saw nothing at all).
      spawnSync('bash', ['-c', `printf %s '${control}' >/dev/udp/127.0.0.1/9`]);
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      await capture.stop();
    }
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  it('is labelled an observation: intercepted, a note, no outcome on answered attempts, the terminal header says so', () => {
    assert.equal(build.intercepted, true);
    assert.ok(build.changes?.some((c) => c.startsWith('intercepted (observation, not a network-sandbox verdict)')));
    for (const a of build.attempts.filter((x) => x.kind === 'tcp' || x.kind === 'dns')) assert.equal(a.outcome, undefined, JSON.stringify(a));
    assert.match(audited.stderr, /^INTERCEPTED \(observation, not a network-sandbox verdict; as judged: \S+\)/m);
  });

  it('names resolve to sinkholes: A in 198.51.100.0/24, AAAA in 2001:db8:ffff::/48, asked of the private resolver', () => {
    const dns = build.attempts.filter((a) => a.kind === 'dns');
    assert.ok(dns.some((a) => a.hostname === 'files.example.org' && a.qtype === 'A'), JSON.stringify(dns));
    assert.ok(dns.every((a) => a.address === '203.0.113.53'), JSON.stringify(dns));
    for (const a of tcp(build)) assert.match(a.address, /^(198\.51\.100\.\d+|2001:db8:ffff::[0-9a-f]+)$/, JSON.stringify(a));
  });

  it('curl https: the SNI and ALPN', () => {
    assert.ok(tcp(build).some((a) => a.port === 443 && a.hostname === 'files.example.org' && a.wanted === 'tls sni=files.example.org alpn=h2,http/1.1'), JSON.stringify(tcp(build)));
  });

  it('curl http: the URL', () => {
    assert.ok(tcp(build).some((a) => a.port === 80 && a.wanted === 'http://files.example.org/data/x.tar.gz'), JSON.stringify(tcp(build)));
  });

  it('python3 urllib: the URL', () => {
    assert.ok(tcp(build).some((a) => a.wanted === 'http://py.example.org/simple/x/'), JSON.stringify(tcp(build)));
  });

  it('git ls-remote over https: the SNI', () => {
    assert.ok(tcp(build).some((a) => a.port === 443 && a.wanted?.startsWith('tls sni=git.example.org')), JSON.stringify(tcp(build)));
  });

  it('pip download: the SNI of the index', () => {
    assert.ok(tcp(build).some((a) => a.port === 443 && a.wanted?.startsWith('tls sni=pypi.example.org')), JSON.stringify(tcp(build)));
  });

  it('another protocol: its first bytes, escaped', () => {
    assert.ok(tcp(build).some((a) => a.port === 2222 && a.hostname === nonce && a.wanted === 'bytes "SSH-2.0-netaudit_test\\r\\n"'), JSON.stringify(tcp(build)));
  });

  it('the terminal summary (stderr) shows wanted', () => {
    assert.match(audited.stderr, /wanted tls sni=files\.example\.org/);
    assert.match(audited.stderr, /wanted http:\/\/files\.example\.org\/data\/x\.tar\.gz/);
  });

  it('nothing left the monitor: the host capture holds none of the addresses or names', () => {
    const filter = 'net 198.51.100.0/24 or net 203.0.113.0/24 or net 2001:db8::/32';
    const r = spawnSync('tcpdump', ['-r', hostPcap, '-n', filter], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '', `packets to reserved targets on the host:\n${r.stdout}`);
    const raw = readFileSync(hostPcap);
    assert.ok(raw.includes(control), 'the host capture did not see the control datagram: it saw nothing');
    for (const name of ['files.example.org', 'git.example.org', 'pypi.example.org', 'py.example.org', nonce]) {
      assert.ok(!raw.includes(name), `${name} appears in the host capture`);
      // DNS wire form: labels with length bytes.
      const wire = Buffer.concat(name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])));
      assert.ok(!raw.includes(wire), `${name} (DNS wire form) appears in the host capture`);
    }
  });

  it('leaves nothing behind: no responder, no resolv.conf temp dir (namespaces: test/e2e/cleanup.test.ts)', () => {
    assert.deepEqual(readdirSync(os.tmpdir()).filter((n) => /^netaudit-\d+\..*-resolv-/.test(n)), []);
    const ps = spawnSync('pgrep', ['-f', 'sandbox/responder.py'], { encoding: 'utf8' });
    assert.equal(ps.stdout.trim(), '', 'responder still running');
  });

  it('with the syscall observer: wanted and the process', async function () {
    await requireObserver(this);
    const json = path.join(tmp, 'observed.json');
    await netaudit(['run', '--intercept', '--json', json, '--', 'curl', '-sS', '-m', '5', 'https://files.example.org/x.tar.gz']);
    const b = (JSON.parse(readFileSync(json, 'utf8')) as Report).builds[0] as BuildResult;
    const a = tcp(b).find((x) => x.port === 443);
    assert.equal(a?.wanted, 'tls sni=files.example.org alpn=h2,http/1.1', JSON.stringify(b.attempts));
    assert.equal(a?.process?.comm, 'curl');
    assert.equal(b.observer?.available, true);
  });
});
