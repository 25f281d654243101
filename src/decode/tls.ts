/**
 * The TLS ClientHello (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2), as far as intercept mode needs it: the server name
 * (SNI, RFC 6066 §3) and the offered application protocols (ALPN, RFC 7301). Pure; never throws: bytes that
 * are no ClientHello give a reason, and a hello cut short still gives what was complete before the cut.
 */
import { Cursor, DecodeError } from './cursor.js';

export interface ClientHello {
  /** The legacy_version field of the hello, e.g. 0x0303. */
  readonly version: number;
  /** server_name of type host_name, when sent. */
  readonly sni?: string;
  /** ALPN protocol names, in the client's order. */
  readonly alpn?: readonly string[];
  /** The bytes ended before the hello did (what is here was complete). */
  readonly truncated?: boolean;
}

export type ClientHelloResult = { readonly ok: true; readonly hello: ClientHello } | { readonly ok: false; readonly reason: string };

const HANDSHAKE = 0x16;
const CLIENT_HELLO = 1;
const EXT_SERVER_NAME = 0;
const EXT_ALPN = 16;

/** Whether the bytes start like a TLS handshake record (a quick test before decoding). */
export function looksLikeTls(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === HANDSHAKE && b[1] === 3 && (b[2] as number) <= 4;
}

/** The handshake bytes carried by the leading handshake records (a hello may span records). */
function handshakeBytes(b: Uint8Array): { bytes: Uint8Array; cut: boolean } {
  const parts: Uint8Array[] = [];
  let o = 0;
  let cut = false;
  while (o + 5 <= b.length && b[o] === HANDSHAKE) {
    const len = ((b[o + 3] as number) << 8) | (b[o + 4] as number);
    const end = o + 5 + len;
    parts.push(b.subarray(o + 5, Math.min(end, b.length)));
    if (end > b.length) {
      cut = true;
      break;
    }
    o = end;
  }
  if (o < b.length && o + 5 > b.length && b[o] === HANDSHAKE) cut = true;
  const bytes = parts.length === 1 ? (parts[0] as Uint8Array) : Uint8Array.from(parts.flatMap((p) => [...p]));
  return { bytes, cut };
}

function text(c: Cursor, length: number, what: string): string {
  c.need(length, what);
  const s = Buffer.from(c.buf.buffer, c.buf.byteOffset + c.offset, length).toString('latin1');
  c.offset += length;
  return s;
}

export function decodeClientHello(b: Uint8Array): ClientHelloResult {
  if (!looksLikeTls(b)) return { ok: false, reason: 'not a TLS handshake record' };
  const { bytes, cut } = handshakeBytes(b);
  let version = 0;
  let sni: string | undefined;
  let alpn: string[] | undefined;
  const result = (truncated: boolean): ClientHelloResult => ({
    ok: true,
    hello: { version, ...(sni !== undefined ? { sni } : {}), ...(alpn ? { alpn } : {}), ...(truncated ? { truncated } : {}) },
  });
  try {
    const c = Cursor.header(bytes, 0, bytes.length, 4, 'handshake header');
    const type = c.u8('handshake type');
    if (type !== CLIENT_HELLO) return { ok: false, reason: `handshake type ${type}, not a ClientHello` };
    c.skip(3, 'handshake length');
    version = c.u16('client version');
    c.skip(32, 'random');
    c.skip(c.u8('session id length'), 'session id');
    c.skip(c.u16('cipher suites length'), 'cipher suites');
    c.skip(c.u8('compression methods length'), 'compression methods');
    if (c.remaining === 0) return result(cut);
    const extEnd = Math.min(c.offset + 2 + c.u16('extensions length'), bytes.length);
    while (c.offset + 4 <= extEnd) {
      const ext = c.u16('extension type');
      const len = c.u16('extension length');
      const next = c.offset + len;
      if (ext === EXT_SERVER_NAME) {
        const e = new Cursor(bytes, c.offset, next);
        const listEnd = e.offset + 2 + e.u16('server name list length');
        while (e.offset < listEnd && sni === undefined) {
          const nameType = e.u8('server name type');
          const n = e.u16('server name length');
          const name = text(e, n, 'server name');
          if (nameType === 0) sni = name;
        }
      } else if (ext === EXT_ALPN) {
        const e = new Cursor(bytes, c.offset, next);
        const listEnd = e.offset + 2 + e.u16('ALPN list length');
        const protocols: string[] = [];
        while (e.offset < listEnd) protocols.push(text(e, e.u8('ALPN protocol length'), 'ALPN protocol'));
        alpn = protocols;
      }
      if (next > bytes.length) return result(true);
      c.offset = next;
    }
    return result(cut || extEnd < c.offset);
  } catch (e) {
    if (e instanceof DecodeError) return version ? result(true) : { ok: false, reason: e.message };
    throw e;
  }
}
