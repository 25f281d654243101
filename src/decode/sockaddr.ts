/**
 * Decoding what bpf/observer.bt prints: hex byte strings ("02 00 01 bb") and the raw sockaddr a syscall was
 * given. Pure; never throws: malformed input gives undefined.
 */
import { formatV6 } from './addr.js';
import type { SocketFamily } from '../model/events.js';

const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;

/** "2f 74 00" -> bytes; undefined unless every token is one or two hex digits. */
export function hexBytes(text: string): Uint8Array | undefined {
  const t = text.trim();
  if (t === '') return new Uint8Array(0);
  const parts = t.split(/\s+/);
  const out = new Uint8Array(parts.length);
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as string;
    if (!/^[0-9a-fA-F]{1,2}$/.test(p)) return undefined;
    out[i] = parseInt(p, 16);
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Bytes from a traced program as text: UTF-8 when they are valid UTF-8, else one char per byte
 * (U+0000-U+00FF), so that safeText() later shows each odd byte as \xHH and nothing is lost.
 */
export function bytesText(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return String.fromCharCode(...bytes);
  }
}

/** A C string of a fixed-size field (comm[16]): up to the first NUL. */
export function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return bytesText(end < 0 ? bytes : bytes.subarray(0, end));
}

export interface SockAddr {
  readonly family: SocketFamily;
  readonly address: string;
  readonly port?: number;
  readonly abstract?: boolean;
}

/**
 * struct sockaddr_in / sockaddr_in6 / sockaddr_un, as the program passed it (family in host byte order,
 * port in network byte order). AF_UNIX: `len` bytes after the family are the path; a first byte 0 makes it
 * abstract, shown as `@name` (the name runs to the end of the address and may hold NULs); a filesystem path
 * ends at its first NUL; no path bytes at all is an unnamed (autobind) address, ''.
 */
export function decodeSockaddr(b: Uint8Array): SockAddr | undefined {
  if (b.length < 2) return undefined;
  const family = (b[0] as number) | ((b[1] as number) << 8);
  const port = (): number => ((b[2] as number) << 8) | (b[3] as number);
  if (family === AF_INET) {
    if (b.length < 8) return undefined;
    return { family: 4, address: `${b[4]}.${b[5]}.${b[6]}.${b[7]}`, port: port() };
  }
  if (family === AF_INET6) {
    if (b.length < 24) return undefined;
    const words: number[] = [];
    for (let i = 0; i < 8; i++) words.push(((b[8 + 2 * i] as number) << 8) | (b[9 + 2 * i] as number));
    return { family: 6, address: formatV6(words), port: port() };
  }
  if (family === AF_UNIX) {
    const path = b.subarray(2);
    if (path.length === 0) return { family: 'unix', address: '', abstract: false };
    if (path[0] === 0) return { family: 'unix', address: `@${bytesText(path.subarray(1))}`, abstract: true };
    return { family: 'unix', address: cString(path), abstract: false };
  }
  return undefined;
}
