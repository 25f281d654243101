/**
 * The start of an HTTP/1.x request (RFC 9112 §3): request line and the Host header, as far as intercept mode
 * needs them. Pure; never throws: bytes that are no request give a reason.
 */

export interface HttpRequestHead {
  readonly method: string;
  /** The request target as sent: origin form (`/path`), absolute form (`http://h/p`, to a proxy), or `host:port` (CONNECT). */
  readonly target: string;
  readonly version: string;
  readonly host?: string;
}

export type HttpRequestResult = { readonly ok: true; readonly request: HttpRequestHead } | { readonly ok: false; readonly reason: string };

/** METHOD SP target SP HTTP/d.d — a token method, a target without spaces or controls. */
const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}) ([\x21-\x7e]{1,8000}) (HTTP\/\d\.\d)\r?$/;

/** Whether the bytes start like an HTTP request (a token, a space): a quick test before decoding. */
export function looksLikeHttp(b: Uint8Array): boolean {
  const head = Buffer.from(b.buffer, b.byteOffset, Math.min(b.length, 16)).toString('latin1');
  return /^[A-Z]{3,10} [\x21-\x7e]/.test(head);
}

export function decodeHttpRequest(b: Uint8Array): HttpRequestResult {
  const s = Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
  const eol = s.indexOf('\n');
  if (eol < 0) return { ok: false, reason: 'no complete request line' };
  const m = REQUEST_LINE.exec(s.slice(0, eol));
  if (!m) return { ok: false, reason: 'not an HTTP request line' };
  const [, method, target, version] = m as unknown as [string, string, string, string];
  let host: string | undefined;
  const end = s.indexOf('\r\n\r\n');
  for (const line of s.slice(eol + 1, end < 0 ? undefined : end).split('\n')) {
    const h = /^host:[ \t]*([^\r]*?)[ \t]*\r?$/i.exec(line);
    if (h) {
      host = h[1];
      break;
    }
  }
  return { ok: true, request: { method, target, version, ...(host ? { host } : {}) } };
}
