/** Building bpftrace output lines as bpf/observer.bt prints them (with -f json), for the parser's tests. */
import { ARGV_CHUNK_BYTES, ARGV_KERNEL_CAP } from '../../src/decode/argv.js';

export const NS = 4026532999;

export function hex(bytes: Uint8Array | number[]): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** comm[16] as the kernel holds it: the bytes, NUL-padded. */
export function comm(name: string | Uint8Array): string {
  const b = new Uint8Array(16);
  b.set(typeof name === 'string' ? Buffer.from(name, 'latin1').subarray(0, 15) : name.subarray(0, 15));
  return hex(b);
}

export function sin(address: string, port: number): number[] {
  return [2, 0, port >> 8, port & 255, ...address.split('.').map(Number), 0, 0, 0, 0, 0, 0, 0, 0];
}

export function sin6(words: number[], port: number): number[] {
  const b = [10, 0, port >> 8, port & 255, 0, 0, 0, 0];
  for (const w of words) b.push(w >> 8, w & 255);
  return [...b, 0, 0, 0, 0];
}

export function sun(path: string | Uint8Array): number[] {
  return [1, 0, ...(typeof path === 'string' ? Buffer.from(path, 'latin1') : path)];
}

/** One bpftrace JSON line holding the script's record. */
export function line(record: Record<string, unknown>): string {
  return JSON.stringify({ type: 'printf', data: `${JSON.stringify(record)}\n` });
}

export function sock(o: {
  sys?: number;
  ts: number;
  pid: number;
  tid?: number;
  ppid?: number;
  ns?: number;
  fd?: number;
  proto?: number;
  type?: number;
  comm?: string;
  sa: number[];
}): string {
  return line({
    e: 'sock',
    sys: o.sys ?? 1,
    ts: o.ts,
    pid: o.pid,
    tid: o.tid ?? o.pid,
    ppid: o.ppid ?? 1,
    ns: o.ns ?? NS,
    fd: o.fd ?? 3,
    proto: o.proto ?? 6,
    type: o.type ?? 1,
    comm: comm(o.comm ?? 'prog'),
    sa: hex(o.sa),
  });
}

export function ret(o: { ts: number; pid: number; tid?: number; ret: number; us?: number; ns?: number }): string {
  return line({ e: 'ret', ts: o.ts, pid: o.pid, tid: o.tid ?? o.pid, ns: o.ns ?? NS, ret: o.ret, us: o.us ?? 10 });
}

/** An exec record and its argv chunks (ARGV_CHUNK_BYTES each, ARGV_MAX_CHUNKS at most, as the script prints them). */
export function exec(o: { ts: number; pid: number; ppid: number; comm?: string; argv: (string | Uint8Array)[]; ns?: number; len?: number }): string[] {
  const block = Buffer.concat(o.argv.map((a) => Buffer.concat([typeof a === 'string' ? Buffer.from(a) : Buffer.from(a), Buffer.from([0])])));
  const len = o.len ?? block.length;
  const out = [line({ e: 'exec', ts: o.ts, pid: o.pid, ppid: o.ppid, ns: o.ns ?? NS, comm: comm(o.comm ?? 'prog'), len })];
  const shown = block.subarray(0, Math.min(len, ARGV_KERNEL_CAP));
  for (let i = 0; i * ARGV_CHUNK_BYTES < shown.length; i++) {
    out.push(line({ e: 'argv', ts: o.ts, pid: o.pid, ns: o.ns ?? NS, i, b: hex(shown.subarray(i * ARGV_CHUNK_BYTES, (i + 1) * ARGV_CHUNK_BYTES)) }));
  }
  return out;
}

export function fork(o: { ts: number; pid: number; child: number; ns?: number }): string {
  return line({ e: 'fork', ts: o.ts, pid: o.pid, child: o.child, ns: o.ns ?? NS });
}

export function exit(o: { ts: number; pid: number; ns?: number }): string {
  return line({ e: 'exit', ts: o.ts, pid: o.pid, ns: o.ns ?? NS });
}

export const begin = (ts: number): string => line({ e: 'begin', ts });
export const tick = (cpu: number, ts: number): string => line({ e: 'tick', cpu, ts });
export const end = (): string => line({ e: 'end' });
export const lost = (n: number): string => JSON.stringify({ type: 'lost_events', data: { events: n } });
