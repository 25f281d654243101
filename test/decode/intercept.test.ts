/**
 * The intercept parsers on byte fixtures: a real ClientHello from curl (test/fixtures/intercept, recorded from
 * curl 7.88/OpenSSL 3.0 against a local listener), hand-built hellos for the edge cases, HTTP request heads.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeClientHello, looksLikeTls } from '../../src/decode/tls.js';
import { decodeHttpRequest, looksLikeHttp } from '../../src/decode/http.js';
import { ROOT } from '../helpers/cli.js';

const curlHello = readFileSync(path.join(ROOT, 'test/fixtures/intercept/curl-clienthello.bin'));

const u16 = (n: number): number[] => [n >> 8, n & 0xff];
const bytes = (s: string): number[] => [...Buffer.from(s, 'latin1')];

/** A minimal ClientHello record with the given extensions (type, data). */
function hello(extensions: [number, number[]][], options: { sessionId?: number } = {}): Buffer {
  const ext = extensions.flatMap(([t, d]) => [...u16(t), ...u16(d.length), ...d]);
  const sid = new Array<number>(options.sessionId ?? 32).fill(7);
  const body = [3, 3, ...new Array<number>(32).fill(1), sid.length, ...sid, ...u16(4), 0x13, 0x01, 0x13, 0x02, 1, 0, ...u16(ext.length), ...ext];
  const hs = [1, 0, body.length >> 8, body.length & 0xff, ...body];
  return Buffer.from([0x16, 3, 1, ...u16(hs.length), ...hs]);
}
const sniExt = (name: string): [number, number[]] => [0, [...u16(name.length + 3), 0, ...u16(name.length), ...bytes(name)]];
const alpnExt = (protos: string[]): [number, number[]] => {
  const list = protos.flatMap((p) => [p.length, ...bytes(p)]);
  return [16, [...u16(list.length), ...list]];
};

describe('decode/tls ClientHello', () => {
  it('reads SNI and ALPN from curl’s real hello', () => {
    assert.ok(looksLikeTls(curlHello));
    const r = decodeClientHello(curlHello);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.hello.sni, 'files.example.org');
    assert.deepEqual(r.hello.alpn, ['h2', 'http/1.1']);
    assert.equal(r.hello.truncated, undefined);
  });

  it('reads a hand-built hello, extensions in either order', () => {
    for (const ext of [[sniExt('api.example.test'), alpnExt(['h2'])], [alpnExt(['h2']), sniExt('api.example.test')]] as [number, number[]][][]) {
      const r = decodeClientHello(hello([[10, [0, 2, 0, 29]], ...ext]));
      assert.ok(r.ok);
      assert.equal(r.hello.sni, 'api.example.test');
      assert.deepEqual(r.hello.alpn, ['h2']);
    }
  });

  it('a hello without SNI (a connect by address) has none', () => {
    const r = decodeClientHello(hello([alpnExt(['http/1.1'])]));
    assert.ok(r.ok);
    assert.equal(r.hello.sni, undefined);
  });

  it('a hello cut after the SNI still gives the SNI, marked truncated; cut before it gives none', () => {
    const full = hello([sniExt('cut.example.test'), alpnExt(['h2']), [21, new Array<number>(300).fill(0)]]);
    const cut = decodeClientHello(full.subarray(0, full.length - 200));
    assert.ok(cut.ok);
    assert.equal(cut.hello.sni, 'cut.example.test');
    assert.equal(cut.hello.truncated, true);
    const early = decodeClientHello(curlHello.subarray(0, 60));
    assert.ok(early.ok);
    assert.equal(early.hello.sni, undefined);
    assert.equal(early.hello.truncated, true);
  });

  it('a hello split over two records is joined', () => {
    const one = hello([sniExt('split.example.test')]);
    const hs = one.subarray(5);
    const a = hs.subarray(0, 40);
    const b = hs.subarray(40);
    const two = Buffer.concat([Buffer.from([0x16, 3, 1, ...u16(a.length)]), a, Buffer.from([0x16, 3, 1, ...u16(b.length)]), b]);
    const r = decodeClientHello(two);
    assert.ok(r.ok);
    assert.equal(r.hello.sni, 'split.example.test');
  });

  it('never throws on other bytes: a reason instead', () => {
    assert.equal(looksLikeTls(Buffer.from('GET / HTTP/1.1\r\n')), false);
    const notHello = decodeClientHello(Buffer.from([0x16, 3, 3, 0, 4, 2, 0, 0, 0]));
    assert.equal(notHello.ok, false);
    for (let n = 0; n < curlHello.length; n += 7) decodeClientHello(curlHello.subarray(0, n));
    const garbage = Buffer.from(curlHello);
    for (let i = 5; i < garbage.length; i += 3) garbage[i] = 0xff;
    decodeClientHello(garbage);
  });
});

describe('decode/http request head', () => {
  it('reads the request line and Host', () => {
    const r = decodeHttpRequest(Buffer.from('GET /data/x.tar.gz HTTP/1.1\r\nHost: files.example.org\r\nUser-Agent: curl/7.88.1\r\n\r\n'));
    assert.ok(r.ok);
    assert.deepEqual(r.request, { method: 'GET', target: '/data/x.tar.gz', version: 'HTTP/1.1', host: 'files.example.org' });
  });

  it('Host is case-insensitive and may come late; absent Host is absent', () => {
    const r = decodeHttpRequest(Buffer.from('POST /api HTTP/1.0\r\nAccept: */*\r\nhOsT:   h.example.test:8080 \r\n\r\n'));
    assert.ok(r.ok);
    assert.equal(r.request.host, 'h.example.test:8080');
    const none = decodeHttpRequest(Buffer.from('GET / HTTP/1.0\r\n\r\n'));
    assert.ok(none.ok);
    assert.equal(none.request.host, undefined);
  });

  it('other bytes give a reason', () => {
    assert.equal(looksLikeHttp(Buffer.from('SSH-2.0-OpenSSH_9.2\r\n')), false);
    assert.equal(decodeHttpRequest(Buffer.from('SSH-2.0-OpenSSH_9.2\r\n')).ok, false);
    assert.equal(decodeHttpRequest(Buffer.from('GET /no-end-of-line')).ok, false);
    assert.equal(decodeHttpRequest(Buffer.from('GET /a b HTTP/1.1\r\n')).ok, false);
  });
});
