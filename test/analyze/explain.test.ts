/**
 * --explain's matching (src/analyze/explain.ts) and the explained result (explainResult),
 * pure: on the attempts recorded from a real faithful run and its intercepted rerun, then on made-up pairs for
 * each rule (DNS by name, TCP by literal address and port, same phase, texts joined once each).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EXPLAIN_CHANGE, explainAttempts, explainResult, explains } from '../../src/analyze/explain.js';
import { attemptOf, type Attempt, type AttemptFields, type BuildResult } from '../../src/model/types.js';
import { ROOT } from '../helpers/cli.js';

const recorded = JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/explain/compile-download.json'), 'utf8')) as { faithful: Attempt[]; rerun: Attempt[] };

const tcp = (address: string, port: number, extra: Partial<AttemptFields> = {}): Attempt =>
  attemptOf({ kind: 'tcp', scope: 'external', family: address.includes(':') ? 6 : 4, address, port, count: 1, firstAtMs: 10, allowed: false, phase: 'src_compile', ...extra });
const dns = (hostname: string, extra: Partial<AttemptFields> = {}): Attempt =>
  attemptOf({ kind: 'dns', scope: 'external', family: 4, address: '10.255.255.53', port: 53, hostname, qtype: 'A', count: 1, firstAtMs: 5, outcome: 'refused', allowed: false, phase: 'src_compile', ...extra });

describe('analyze/explain on a recorded faithful run and its intercepted rerun (compile-download)', () => {
  it('both failed lookups of files.example.org get the URL the rerun GET; nothing else of them changes', () => {
    const { attempts, explained } = explainAttempts(recorded.faithful, recorded.rerun);
    assert.equal(explained, 2);
    assert.equal(attempts.length, recorded.faithful.length);
    attempts.forEach((a, i) => {
      assert.equal(a.wanted, 'http://files.example.org/dist/x.tar.gz');
      const { wanted: _w, ...rest } = a;
      assert.deepEqual(rest, recorded.faithful[i]);
    });
  });

  it("the rerun's own DNS attempts explain nothing (only its TCP attempts with wanted do)", () => {
    const onlyDns = recorded.rerun.filter((a) => a.kind === 'dns');
    assert.ok(onlyDns.length >= 2);
    assert.equal(explainAttempts(recorded.faithful, onlyDns).explained, 0);
  });
});

describe('analyze/explain rules', () => {
  it('DNS NAME: by the rerun TCP attempts to NAME, any port, case and a trailing dot aside', () => {
    const r = [tcp('203.0.113.7', 443, { hostname: 'Files.Example.org.', wanted: 'tls sni=files.example.org alpn=h2' }), tcp('203.0.113.7', 80, { hostname: 'files.example.org', wanted: 'http://files.example.org/a' })];
    const { attempts } = explainAttempts([dns('files.example.org')], r);
    assert.equal(attempts[0]?.wanted, 'tls sni=files.example.org alpn=h2 | http://files.example.org/a');
  });

  it('DNS: another name, another phase, or a rerun attempt without wanted explains nothing', () => {
    assert.equal(explains(dns('a.example'), tcp('203.0.113.7', 80, { hostname: 'b.example', wanted: 'x' })), false);
    assert.equal(explains(dns('a.example'), tcp('203.0.113.7', 80, { hostname: 'a.example', wanted: 'x', phase: 'src_test' })), false);
    assert.equal(explains(dns('a.example'), tcp('203.0.113.7', 80, { hostname: 'a.example' })), false);
    assert.equal(explains(dns('a.example', { phase: undefined }), tcp('203.0.113.7', 80, { hostname: 'a.example', wanted: 'x', phase: undefined })), true, 'both phases unknown (run) count as the same');
  });

  it('TCP to a literal address: by the rerun attempt to the same address (any spelling) and port', () => {
    const r = [tcp('2001:db8:0:0::5', 3632, { wanted: 'bytes "DIST00000001"' }), tcp('2001:db8::5', 3633, { wanted: 'other port' }), tcp('198.51.100.5', 3632, { wanted: 'other address' })];
    const { attempts, explained } = explainAttempts([tcp('2001:db8::5', 3632, { outcome: 'unreachable' })], r);
    assert.equal(explained, 1);
    assert.equal(attempts[0]?.wanted, 'bytes "DIST00000001"');
    assert.equal(attempts[0]?.outcome, 'unreachable', 'the faithful outcome stays');
  });

  it('TCP with a hostname (/etc/hosts): also by the rerun attempts to that name and port', () => {
    const f = tcp('192.0.2.10', 443, { hostname: 'mirror.example' });
    assert.equal(explains(f, tcp('203.0.113.9', 443, { hostname: 'mirror.example', wanted: 'tls sni=mirror.example' })), true);
    assert.equal(explains(f, tcp('203.0.113.9', 80, { hostname: 'mirror.example', wanted: 'http://mirror.example/' })), false);
  });

  it("a DNS lookup without a name (Go's resolver, an external nameserver): the names its process looked up in the rerun, with what followed", () => {
    const go = { pid: 7, comm: 'go', argv: ['go', 'mod', 'download'] };
    const nameless = attemptOf({ kind: 'dns', scope: 'external', family: 4, address: '192.0.2.53', port: 53, count: 2, firstAtMs: 5, outcome: 'unreachable', allowed: false, phase: 'src_compile', process: go });
    const r = [
      dns('proxy.golang.org', { address: '203.0.113.53', process: { ...go, pid: 70 } }),
      dns('Sum.Golang.org.', { address: '203.0.113.53', process: { ...go, pid: 70 } }),
      dns('other.example', { address: '203.0.113.53', process: { pid: 71, comm: 'curl', argv: ['curl'] } }),
      dns('late.example', { address: '203.0.113.53', process: { ...go, pid: 70 }, phase: 'src_test' }),
      tcp('198.51.100.1', 443, { hostname: 'proxy.golang.org', wanted: 'tls sni=proxy.golang.org alpn=h2,http/1.1' }),
    ];
    const { attempts, explained } = explainAttempts([nameless], r);
    assert.equal(explained, 1);
    assert.equal(attempts[0]?.wanted, 'tls sni=proxy.golang.org alpn=h2,http/1.1 | lookup sum.golang.org');
    assert.equal(attempts[0]?.hostname, undefined, 'the faithful attempt keeps its own fields: only wanted is added');
    assert.equal(explainAttempts([dns('named.example')], r).explained, 0, 'a lookup with a name is explained by its name only');
  });

  it('the same text from several rerun attempts is given once; UDP, ICMP and UNIX are never explained; a wanted already there stays', () => {
    const r = [tcp('203.0.113.7', 80, { hostname: 'a.example', wanted: 'http://a.example/x' }), tcp('203.0.113.8', 80, { hostname: 'a.example', wanted: 'http://a.example/x' })];
    const udp = tcp('203.0.113.7', 80, { hostname: 'a.example', kind: 'udp' });
    const kept = dns('a.example', { wanted: 'from the faithful run' });
    const { attempts, explained } = explainAttempts([dns('a.example'), udp, kept], r);
    assert.deepEqual(attempts.map((a) => a.wanted), ['http://a.example/x', undefined, 'from the faithful run']);
    assert.equal(explained, 1);
  });
});

describe('analyze explainResult', () => {
  const faithful: BuildResult = {
    name: 'net-test/compile-download-1', kind: 'ebuild', command: ['ebuild', 'x.ebuild', 'clean', 'test', 'install', 'clean'], exitCode: 1, durationMs: 5468,
    verdict: 'breaks', attempts: recorded.faithful,
    findings: [{ keyword: 'DnsLookup', level: 'error', message: 'looked up files.example.org (A)', attempt: 0 }],
    capture: { packets: 8, dropped: 0 }, changes: ['PORTAGE_LOGDIR=/tmp/l'],
    ebuild: { category: 'net-test', package: 'compile-download', version: '1', path: '/r/net-test/compile-download/compile-download-1.ebuild' },
  };
  const rerun: BuildResult = { ...faithful, exitCode: 1, durationMs: 3781, attempts: recorded.rerun, intercepted: true, log: '/tmp/l/rerun.log' };

  it('adds wanted, the explanation and a changes line; verdict, findings, exit code and outcomes are the faithful run\'s', () => {
    const b = explainResult(faithful, rerun);
    assert.equal(b.verdict, 'breaks');
    assert.equal(b.exitCode, 1);
    assert.equal(b.durationMs, 5468);
    assert.deepEqual(b.findings, faithful.findings);
    assert.equal(b.intercepted, undefined, 'the build is not an intercepted one');
    assert.deepEqual(b.attempts.map((a) => a.outcome), faithful.attempts.map((a) => a.outcome));
    assert.deepEqual(b.changes, ['PORTAGE_LOGDIR=/tmp/l', EXPLAIN_CHANGE]);
    const e = b.explanation;
    assert.ok(e);
    assert.equal(e.durationMs, 3781);
    assert.equal(e.exitCode, 1);
    assert.equal(e.explained, 2);
    assert.deepEqual(e.attempts, recorded.rerun);
    assert.equal(e.log, '/tmp/l/rerun.log');
    assert.match(e.note, /observation, not a network-sandbox verdict/);
    assert.match(e.note, /one extra build run \(3\.8 s\)/);
  });

  it('a rerun that passed says so in the note (answered, the build passes); the verdict is still breaks', () => {
    const b = explainResult(faithful, { ...rerun, exitCode: 0 });
    assert.equal(b.verdict, 'breaks');
    assert.equal(b.explanation?.exitCode, 0);
    assert.match(b.explanation?.note ?? '', /Answered, the build passed \(exit 0\)\.$/);
    assert.doesNotMatch(explainResult(faithful, rerun).explanation?.note ?? '', /Answered/);
  });

  it('a rerun that could not be made: the faithful result plus an explanation saying why', () => {
    const b = explainResult(faithful, undefined, { error: 'starting the intercept responder: spawn python3 ENOENT', durationMs: 40 });
    assert.deepEqual(b.attempts, faithful.attempts);
    assert.equal(b.explanation?.error, 'starting the intercept responder: spawn python3 ENOENT');
    assert.equal(b.explanation?.explained, 0);
    assert.equal(b.explanation?.exitCode, null);
  });
});
