/**
 * Intercept mode's pure half: from what the monitor's responder logged (src/sandbox/responder.py) to each
 * attempt's `wanted`. A TCP record is matched to its attempt by destination (family, address, port) and time:
 * the attempt to that destination that started last before the record (within a small clock slack: the
 * build's packets are timed by tcpdump, the record by the responder, both from the same system clock).
 */
import { decodeHttpRequest, looksLikeHttp } from '../decode/http.js';
import { decodeClientHello, looksLikeTls } from '../decode/tls.js';
import type { Attempt } from '../model/types.js';
import type { ResponderRecord } from '../model/evidence.js';
import { canonicalAddress } from '../decode/addr.js';

/** Milliseconds a record may seem to come before its attempt's first packet. */
const SLACK_MS = 50;
/** First bytes shown of a protocol netaudit does not parse. */
const SHOWN_BYTES = 48;

/** Bytes from the build as printable ASCII: quote and backslash escaped, \r \n \t, others \xHH. */
function escapeBytes(b: Uint8Array): string {
  let s = '';
  for (const x of b) {
    if (x === 0x22 || x === 0x5c) s += `\\${String.fromCharCode(x)}`;
    else if (x === 0x0d) s += '\\r';
    else if (x === 0x0a) s += '\\n';
    else if (x === 0x09) s += '\\t';
    else if (x >= 0x20 && x < 0x7f) s += String.fromCharCode(x);
    else s += `\\x${x.toString(16).padStart(2, '0')}`;
  }
  return s;
}

/** Text from the build (a name, a URL) escaped as escapeBytes does, cut at `cap` bytes. */
function safe(text: string, cap = 255): string {
  const b = Buffer.from(text, 'latin1');
  return escapeBytes(b.subarray(0, cap)) + (b.length > cap ? '…' : '');
}

/** The bytes as a quoted, escaped, capped string: `"SSH-2.0-OpenSSH_9.2\r\n"`. */
export function quoteBytes(b: Uint8Array, cap = SHOWN_BYTES): string {
  return `"${escapeBytes(b.subarray(0, cap))}"${b.length > cap ? `… (${b.length} bytes)` : ''}`;
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * What the client's first bytes say it wanted: `http://HOST/PATH` (a method other than GET in front),
 * `tls sni=NAME alpn=A,B`, `bytes "..."`, or that it sent nothing (a protocol where the server speaks first).
 * `to` is the original destination, for an HTTP request without Host.
 */
export function wantedOf(bytes: Uint8Array, to: { address: string; port: number }): string {
  if (!bytes.length) return 'nothing sent (the client waited for the server to speak first)';
  if (looksLikeTls(bytes)) {
    const r = decodeClientHello(bytes);
    if (r.ok) {
      const { sni, alpn } = r.hello;
      return ['tls', sni !== undefined ? `sni=${safe(sni)}` : 'no sni', alpn?.length ? `alpn=${safe(alpn.join(','))}` : ''].filter(Boolean).join(' ');
    }
  }
  if (looksLikeHttp(bytes)) {
    const r = decodeHttpRequest(bytes);
    if (r.ok) {
      const { method, target, host } = r.request;
      if (method === 'CONNECT') return `http CONNECT ${safe(target)}`;
      const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(target)
        ? target
        : `http://${host ?? hostPort(to.address, to.port)}${target.startsWith('/') ? target : `/${target}`}`;
      return method === 'GET' ? safe(url, 1024) : `${method} ${safe(url, 1024)}`;
    }
  }
  return `bytes ${quoteBytes(bytes)}`;
}

/** Destination key of an address and port, with the address in one spelling. */
function key(family: number, address: string, port: number | null | undefined): string {
  return `${family}|${canonicalAddress(address)}|${port ?? ''}`;
}

/**
 * The attempts with `wanted` set from the responder's TCP records (DNS records are not needed: the DNS
 * attempts carry the name already, from the capture). Several records for one attempt (a retry folded into
 * it) give their distinct texts, in order, joined with ` | `. Records matching no attempt are returned apart.
 */
export function attachWanted(
  attempts: readonly Attempt[],
  records: readonly ResponderRecord[],
  buildStartMs: number,
): { attempts: Attempt[]; unmatched: ResponderRecord[] } {
  const byDest = new Map<string, number[]>();
  attempts.forEach((a, i) => {
    if (a.kind !== 'tcp' || a.family === undefined || a.port === undefined) return;
    const k = key(a.family, a.address, a.port);
    byDest.set(k, [...(byDest.get(k) ?? []), i]);
  });
  const texts = new Map<number, string[]>();
  const unmatched: ResponderRecord[] = [];
  for (const r of [...records].sort((x, y) => x.t - y.t)) {
    if (r.type !== 'tcp' || !r.dst || r.dport === null) continue;
    const at = r.t - buildStartMs;
    const candidates = (byDest.get(key(r.family, r.dst, r.dport)) ?? []).filter((i) => (attempts[i] as Attempt).firstAtMs <= at + SLACK_MS);
    const best = candidates.sort((x, y) => (attempts[y] as Attempt).firstAtMs - (attempts[x] as Attempt).firstAtMs)[0];
    if (best === undefined) {
      unmatched.push(r);
      continue;
    }
    const text = wantedOf(Buffer.from(r.bytes ?? '', 'base64'), { address: r.dst, port: r.dport }) + (r.partial ? ' (cut short: the build ended)' : '');
    const list = texts.get(best) ?? [];
    if (!list.includes(text)) list.push(text);
    texts.set(best, list);
  }
  return {
    attempts: attempts.map((a, i) => {
      const t = texts.get(i);
      return t ? { ...a, wanted: t.join(' | ') } : a;
    }),
    unmatched,
  };
}
