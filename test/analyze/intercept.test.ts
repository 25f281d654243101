/** From the responder's records to `wanted`: the text per protocol, and matching by destination and time. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { attachWanted, quoteBytes, wantedOf } from '../../src/analyze/intercept.js';
import { attemptOf, type Attempt } from '../../src/model/types.js';
import type { ResponderRecord } from '../../src/model/evidence.js';
import { ROOT } from '../helpers/cli.js';

const curlHello = readFileSync(path.join(ROOT, 'test/fixtures/intercept/curl-clienthello.bin'));
const to = { address: '198.51.100.1', port: 80 };

describe('analyze/intercept wantedOf', () => {
  it('TLS: sni and alpn', () => {
    assert.equal(wantedOf(curlHello, { address: '2001:db8:ffff::1', port: 443 }), 'tls sni=files.example.org alpn=h2,http/1.1');
  });
  it('HTTP: the URL from Host and the target; other methods in front; absolute form as is; no Host: the address', () => {
    assert.equal(wantedOf(Buffer.from('GET /data/x.tar.gz HTTP/1.1\r\nHost: files.example.org\r\n\r\n'), to), 'http://files.example.org/data/x.tar.gz');
    assert.equal(wantedOf(Buffer.from('POST /up HTTP/1.1\r\nHost: a.example.test\r\n\r\n'), to), 'POST http://a.example.test/up');
    assert.equal(wantedOf(Buffer.from('GET http://p.example.test/x HTTP/1.1\r\nHost: p.example.test\r\n\r\n'), to), 'http://p.example.test/x');
    assert.equal(wantedOf(Buffer.from('GET /x HTTP/1.0\r\n\r\n'), { address: '2001:db8:ffff::2', port: 8080 }), 'http://[2001:db8:ffff::2]:8080/x');
    assert.equal(wantedOf(Buffer.from('CONNECT up.example.test:443 HTTP/1.1\r\n\r\n'), to), 'http CONNECT up.example.test:443');
  });
  it('other protocols: the first bytes, escaped and capped; nothing sent says so', () => {
    assert.equal(wantedOf(Buffer.from('SSH-2.0-OpenSSH_9.2\r\n'), to), 'bytes "SSH-2.0-OpenSSH_9.2\\r\\n"');
    assert.equal(quoteBytes(Buffer.from([0, 0x22, 0x5c, 0xff])), '"\\x00\\"\\\\\\xff"');
    assert.match(quoteBytes(Buffer.alloc(100, 0x41)), /^"A{48}"… \(100 bytes\)$/);
    assert.match(wantedOf(Buffer.alloc(0), to), /^nothing sent/);
  });
  it('text from the build is escaped in URLs and names', () => {
    assert.equal(wantedOf(Buffer.from('GET /a"\\ HTTP/1.1\r\nHost: h\x1b.example.test\r\n\r\n', 'latin1'), to), 'http://h\\x1b.example.test/a\\"\\\\');
  });
});

describe('analyze/intercept attachWanted', () => {
  const attempt = (address: string, port: number, firstAtMs: number): Attempt => ({
    kind: 'tcp', scope: 'external', family: address.includes(':') ? 6 : 4, address, port, count: 1, firstAtMs, allowed: false,
  });
  const http = (host: string): string => Buffer.from(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`).toString('base64');
  const record = (dst: string, dport: number, t: number, bytes: string, extra: Partial<ResponderRecord> = {}): ResponderRecord => ({
    type: 'tcp', t, family: dst.includes(':') ? 6 : 4, src: '169.254.1.2', sport: 40000, dst, dport, bytes, ...extra,
  });

  it('matches by destination and time: the latest attempt started before the record', () => {
    const start = 1_000_000;
    const attempts = [attempt('198.51.100.1', 80, 10), attempt('198.51.100.1', 80, 500), attempt('2001:db8:ffff::1', 80, 20), attemptOf({ ...attempt('203.0.113.53', 53, 0), kind: 'dns' })];
    const { attempts: out, unmatched } = attachWanted(attempts, [
      record('198.51.100.1', 80, start + 12, http('one.example.test')),
      record('198.51.100.1', 80, start + 510, http('two.example.test')),
      // the same address in another spelling
      record('2001:0db8:ffff:0:0:0:0:1', 80, start + 30, http('six.example.test')),
      record('198.51.100.9', 80, start + 30, http('nobody.example.test')),
    ], start);
    assert.deepEqual(out.map((a) => a.wanted), ['http://one.example.test/', 'http://two.example.test/', 'http://six.example.test/', undefined]);
    assert.equal(unmatched.length, 1);
  });

  it('a folded retry gives its distinct texts once; a partial record says it was cut', () => {
    const start = 5000;
    const { attempts: out } = attachWanted([attempt('198.51.100.2', 22, 0)], [
      record('198.51.100.2', 22, start + 1, Buffer.from('SSH-2.0-x\r\n').toString('base64')),
      record('198.51.100.2', 22, start + 900, Buffer.from('SSH-2.0-x\r\n').toString('base64')),
      record('198.51.100.2', 22, start + 1900, '', { partial: true }),
    ], start);
    assert.equal(out[0]?.wanted, 'bytes "SSH-2.0-x\\r\\n" | nothing sent (the client waited for the server to speak first) (cut short: the build ended)');
  });
});
