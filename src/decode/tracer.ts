/**
 * The compiled tracer's output (bpf/netaudit-tracer: one JSON object per line, contract at the top of
 * bpf/netaudit-tracer.c) -> typed events. Pure: no I/O; never throws on what the loader prints (a line that
 * is not understood is counted as malformed and skipped).
 *
 * TracerDecoder takes the lines as they come. Control lines (ready, sync, stop, ack, error) are returned to
 * the caller at once; event lines are kept, and events() assembles them:
 * - each call (call, dns, ifenum lines) gets the outcome of its ret line, matched on (tid, entry time);
 * - a process table built from exec and fork gives every event the argv of the exec that started its
 *   process (a forked child keeps its parent's until it execs);
 * - DNS payloads are decoded with decode/dns.ts.
 * The loader prints in the kernel's order (one ring buffer for all CPUs), so no sorting is needed.
 */
import { constants } from 'node:os';
import type { ExecEvent, SocketEvent, SocketProtocol, SocketSyscall } from '../model/events.js';
import type {
  CallOutcome,
  DnsQuestionEvent,
  ForkEvent,
  InterfaceEnumEvent,
  ProcessExitEvent,
  ResolveEvent,
  ResolverFunction,
  TracerControl,
  TracerEvent,
  TracerLoss,
  TracerSyscall,
} from '../model/tracer-events.js';
import { formatIpv4, formatIpv6 } from './addr.js';
import { decodeDns } from './dns.js';

type Json = Record<string, unknown>;

/** Field checks per line kind: n number, s hex string, S text string, b boolean (optional). */
const COMMON = { ts: 'n', pid: 'n', tid: 'n', ppid: 'n', ns: 'n', comm: 's' } as const;
const SHAPES: Record<string, Record<string, 'n' | 's' | 'S' | 'b?'>> = {
  call: { ...COMMON, sys: 'S', fd: 'n', fam: 'n', type: 'n', proto: 'n', i: 'n', sa: 's' },
  ret: { ...COMMON, sys: 'S', enter: 'n', ret: 'n', us: 'n' },
  exec: { ...COMMON, argvLen: 'n', argv: 's' },
  fork: { ...COMMON, child: 'n' },
  exit: { ...COMMON, code: 'n' },
  dns: { ...COMMON, sys: 'S', fd: 'n', i: 'n', peer: 'b?', sa: 's', len: 'n', payload: 's' },
  resolve: { ...COMMON, fn: 'S', name: 's' },
  ifenum: { ...COMMON, how: 'S', sys: 'S', fd: 'n' },
  /** Follow mode (`netaudit watch`): a seed's environment, right after its exec line; no event of its own. */
  env: { ...COMMON, envLen: 'n', env: 's' },
};

const SOCKET_SYSCALLS: ReadonlySet<string> = new Set(['connect', 'sendto', 'sendmsg', 'sendmmsg', 'bind', 'listen']);
const TRACER_SYSCALLS: ReadonlySet<string> = new Set([...SOCKET_SYSCALLS, 'write', 'ioctl']);
const RESOLVERS: ReadonlySet<string> = new Set(['getaddrinfo', 'gethostbyname', 'gethostbyname2', 'gethostbyname_r', 'gethostbyname2_r']);

const NETLINK_REQUESTS: Readonly<Record<number, string>> = { 18: 'RTM_GETLINK', 22: 'RTM_GETADDR' };
const IOCTL_REQUESTS: Readonly<Record<number, string>> = {
  0x8910: 'SIOCGIFNAME',
  0x8912: 'SIOCGIFCONF',
  0x8913: 'SIOCGIFFLAGS',
  0x8915: 'SIOCGIFADDR',
  0x8919: 'SIOCGIFBRDADDR',
  0x891b: 'SIOCGIFNETMASK',
  0x8921: 'SIOCGIFMTU',
  0x8927: 'SIOCGIFHWADDR',
  0x8933: 'SIOCGIFINDEX',
};
const NLM_F_DUMP = 0x300;

/** errno number -> name (Node's table). */
const ERRNO_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name] as [number, string]));

/** Hex text of whole bytes (what the loader prints for byte fields), checked without decoding it. */
const HEX = /^(?:[0-9a-fA-F]{2})*$/;

/** Lowercase/uppercase hex, two digits per byte -> bytes; undefined when it is not that. */
export function hexToBytes(text: string): Uint8Array | undefined {
  if (!HEX.test(text)) return undefined;
  const b = Buffer.from(text, 'hex');
  // A Uint8Array of its own (a Buffer may be a view into node's shared pool), made by one copy.
  return new Uint8Array(b);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes from a traced program as text: UTF-8 when valid, else one char per byte (U+0000-U+00FF): lossless. */
export function bytesText(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return String.fromCharCode(...bytes);
  }
}

/** argv bytes (NUL separated, NUL terminated) -> strings; a block cut short keeps its partial last argument. */
export function splitArgv(bytes: Uint8Array): string[] {
  const args: string[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0) {
      args.push(bytesText(bytes.subarray(start, i)));
      start = i + 1;
    }
  }
  if (start < bytes.length) args.push(bytesText(bytes.subarray(start)));
  return args;
}

export interface TracerSockaddr {
  readonly family: 4 | 6 | 'unix';
  readonly address: string;
  readonly port?: number;
  readonly abstract?: boolean;
}

/**
 * struct sockaddr_in / sockaddr_in6 / sockaddr_un as the program passed it (family in host order, port in
 * network order). AF_UNIX: a first path byte 0 is an abstract name (`@name`, running to the end of the
 * address); a filesystem path ends at its first NUL; no path at all is an unnamed address ('').
 */
export function decodeTracerSockaddr(b: Uint8Array): TracerSockaddr | undefined {
  if (b.length < 2) return undefined;
  const family = (b[0] as number) | ((b[1] as number) << 8);
  const port = (): number => ((b[2] as number) << 8) | (b[3] as number);
  if (family === 2 && b.length >= 8) return { family: 4, address: formatIpv4(b, 4), port: port() };
  if (family === 10 && b.length >= 24) return { family: 6, address: formatIpv6(b, 8), port: port() };
  if (family === 1) {
    const path = b.subarray(2);
    if (path.length === 0) return { family: 'unix', address: '', abstract: false };
    if (path[0] === 0) return { family: 'unix', address: `@${bytesText(path.subarray(1))}`, abstract: true };
    const end = path.indexOf(0);
    return { family: 'unix', address: bytesText(end < 0 ? path : path.subarray(0, end)), abstract: false };
  }
  return undefined;
}

function protocolOf(family: TracerSockaddr['family'], proto: number, type: number): SocketProtocol {
  if (family === 'unix') return type === 1 ? 'unix-stream' : type === 2 ? 'unix-dgram' : type === 5 ? 'unix-seqpacket' : 'other';
  if (proto === 6) return 'tcp';
  if (proto === 17 || proto === 136) return 'udp';
  if (proto === 1 || proto === 58) return 'icmp';
  return 'other';
}

type Want = 'n' | 's' | 'S' | 'b?';
/** Each record kind's fields as an array, made once: the check runs for every line of every build. */
const SHAPE_FIELDS: ReadonlyMap<string, readonly (readonly [string, Want])[]> = new Map(Object.entries(SHAPES).map(([t, shape]) => [t, Object.entries(shape)]));

function hasShape(o: Json, fields: readonly (readonly [string, Want])[]): boolean {
  for (const [k, want] of fields) {
    const v = o[k];
    if (want === 'n') {
      if (!(typeof v === 'number' && Number.isFinite(v))) return false;
    } else if (want === 's') {
      if (!(typeof v === 'string' && HEX.test(v))) return false;
    } else if (want === 'S') {
      if (typeof v !== 'string') return false;
    } else if (v !== undefined && typeof v !== 'boolean') return false;
  }
  return true;
}

function lossOf(o: Json): TracerLoss | undefined {
  const lost = o.lost;
  if (typeof lost !== 'object' || lost === null || typeof o.lostTotal !== 'number' || typeof o.records !== 'number') return undefined;
  const byRecord: Record<string, number> = {};
  for (const [k, v] of Object.entries(lost as Json)) {
    if (typeof v !== 'number') return undefined;
    byRecord[k] = v;
  }
  return { byRecord, total: o.lostTotal, records: o.records };
}

function controlOf(o: Json): TracerControl | undefined {
  switch (o.t) {
    case 'ready': {
      const nums = ['version', 'loadMs', 'attachMs', 'startMs', 'ringKiB', 'argvMax', 'dnsMax', 'nameMax'];
      if (!nums.every((k) => typeof o[k] === 'number') || !Array.isArray(o.probes) || !Array.isArray(o.missing)) return undefined;
      const libc = typeof o.libc === 'string' ? hexToBytes(o.libc) : undefined;
      return {
        kind: 'ready',
        version: o.version as number,
        loadMs: o.loadMs as number,
        attachMs: o.attachMs as number,
        startMs: o.startMs as number,
        probes: (o.probes as unknown[]).filter((p): p is string => typeof p === 'string'),
        missing: (o.missing as unknown[]).flatMap((m) => {
          const x = m as Json | null;
          return x && typeof x.probe === 'string' && typeof x.error === 'string' ? [{ probe: x.probe, error: x.error }] : [];
        }),
        ...(libc && libc.length ? { libc: bytesText(libc) } : {}),
        btf: typeof o.btf === 'string' ? o.btf : 'kernel',
        ringKiB: o.ringKiB as number,
        argvMax: o.argvMax as number,
        dnsMax: o.dnsMax as number,
        nameMax: o.nameMax as number,
      };
    }
    case 'sync': {
      const loss = lossOf(o);
      return loss && typeof o.id === 'string' ? { kind: 'sync', id: o.id, loss } : undefined;
    }
    case 'stop': {
      const loss = lossOf(o);
      return loss && (o.reason === 'eof' || o.reason === 'signal') ? { kind: 'stop', reason: o.reason, loss } : undefined;
    }
    case 'ack':
      return (o.cmd === 'watch' || o.cmd === 'unwatch') && typeof o.ns === 'number' ? { kind: 'ack', command: o.cmd, netns: o.ns } : undefined;
    case 'error':
      return typeof o.message === 'string' ? { kind: 'error', message: o.message } : undefined;
    default:
      return undefined;
  }
}

/** One event line of the loader, checked (fields by kind; hex fields are valid hex). */
export interface TracerRecord extends Json {
  readonly t: 'call' | 'ret' | 'exec' | 'fork' | 'exit' | 'dns' | 'resolve' | 'ifenum' | 'env';
  readonly ts: number;
  readonly pid: number;
  readonly tid: number;
  readonly ppid: number;
  readonly ns: number;
  readonly comm: string;
}

/** What one line of the loader's stdout is. */
export type TracerLine =
  | { readonly type: 'record'; readonly record: TracerRecord }
  | { readonly type: 'control'; readonly control: TracerControl }
  | { readonly type: 'ignored' }
  | { readonly type: 'malformed'; readonly line: string };

export function parseTracerLine(line: string): TracerLine {
  const text = line.trim();
  if (text === '') return { type: 'ignored' };
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return { type: 'malformed', line };
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return { type: 'malformed', line };
  const j = o as Json;
  if (typeof j.t !== 'string') return { type: 'malformed', line };
  // Follow mode's acks (follow/unfollow PID): nothing waits for them.
  if (j.t === 'ack' && (j.cmd === 'follow' || j.cmd === 'unfollow')) return { type: 'ignored' };
  const shape = SHAPE_FIELDS.get(j.t);
  if (shape) return hasShape(j, shape) ? { type: 'record', record: j as TracerRecord } : { type: 'malformed', line };
  const control = controlOf(j);
  return control ? { type: 'control', control } : { type: 'malformed', line };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Pending = Mutable<SocketEvent> | Mutable<DnsQuestionEvent> | Mutable<InterfaceEnumEvent>;

function commText(hex: string): string {
  const b = hexToBytes(hex) ?? new Uint8Array(0);
  const end = b.indexOf(0);
  return bytesText(end < 0 ? b : b.subarray(0, end));
}

function base(r: TracerRecord): { tsMs: number; pid: number; tid: number; ppid: number; netns: number; comm: string } {
  return { tsMs: r.ts, pid: r.pid, tid: r.tid, ppid: r.ppid, netns: r.ns, comm: commText(r.comm) };
}

function outcome(ret: number, us: number): CallOutcome {
  if (ret < 0) {
    const errno = -ret;
    const error = ERRNO_NAMES.get(errno);
    return { errno, ...(error ? { error } : {}), blockedUs: us };
  }
  return { errno: 0, returned: ret, blockedUs: us };
}

/**
 * The loader's lines -> events and control lines. Feed it with push() (a line at a time, or chunks of
 * output with pushChunk()); read events() whenever a sync or stop line came back.
 */
export class TracerDecoder {
  /** Lines that could not be understood (should stay 0). */
  malformed = 0;
  private readonly records: TracerRecord[] = [];
  private partial = '';

  /** One whole line; returns its control object when it is one. */
  push(line: string): TracerControl | undefined {
    const l = parseTracerLine(line);
    if (l.type === 'record') this.records.push(l.record);
    else if (l.type === 'malformed') this.malformed++;
    return l.type === 'control' ? l.control : undefined;
  }

  /** A chunk of the stream (it may end mid-line); returns the control lines it completed. */
  pushChunk(chunk: string): TracerControl[] {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    const out: TracerControl[] = [];
    for (const l of lines) {
      const c = this.push(l);
      if (c) out.push(c);
    }
    return out;
  }

  /** Event records read so far. */
  get recordCount(): number {
    return this.records.length;
  }

  /** Every event so far, in the kernel's order, calls with their outcome, each with its process's argv. */
  events(): TracerEvent[] {
    return assembleTracerEvents(this.records);
  }
}

/** Records -> events (see TracerDecoder.events). */
export function assembleTracerEvents(records: readonly TracerRecord[]): TracerEvent[] {
  const out: TracerEvent[] = [];
  /** Calls waiting for their ret: `${tid}:${enter}` -> the events made at that entry. */
  const open = new Map<string, Pending[]>();
  const procs = new Map<number, { argv: readonly string[]; truncated: boolean }>();

  const withProcess = <T extends { pid: number }>(ev: T): T => {
    const p = procs.get(ev.pid);
    return p ? { ...ev, argv: p.argv, ...(p.truncated ? { argvTruncated: true } : {}) } : ev;
  };
  const hold = (r: TracerRecord, ev: Pending): void => {
    const key = `${r.tid}:${r.ts}`;
    const list = open.get(key);
    if (list) list.push(ev);
    else open.set(key, [ev]);
    out.push(ev);
  };

  for (const r of records) {
    const o = r as Json;
    switch (r.t) {
      case 'exec': {
        const bytes = hexToBytes(o.argv as string) ?? new Uint8Array(0);
        const argv = splitArgv(bytes);
        const truncated = o.trunc === true || (o.argvLen as number) > bytes.length;
        procs.set(r.pid, { argv, truncated });
        const ev: ExecEvent = { kind: 'exec', ...base(r), argv, ...(truncated ? { argvTruncated: true } : {}) };
        out.push(ev);
        break;
      }
      case 'fork': {
        const parent = procs.get(r.pid);
        if (parent) procs.set(o.child as number, parent);
        const ev: ForkEvent = withProcess({ kind: 'fork', ...base(r), child: o.child as number });
        out.push(ev);
        break;
      }
      case 'exit': {
        const status = o.code as number;
        const sig = status & 0x7f;
        const ev: ProcessExitEvent = withProcess({
          kind: 'exit',
          ...base(r),
          status,
          ...(sig === 0 ? { exitCode: (status >> 8) & 0xff } : { signal: sig }),
        });
        out.push(ev);
        procs.delete(r.pid);
        break;
      }
      case 'resolve': {
        if (!RESOLVERS.has(o.fn as string)) break;
        const ev: ResolveEvent = withProcess({
          kind: 'resolve',
          ...base(r),
          function: o.fn as ResolverFunction,
          name: bytesText(hexToBytes(o.name as string) ?? new Uint8Array(0)),
          truncated: o.trunc === true,
        });
        out.push(ev);
        break;
      }
      case 'call': {
        const sys = o.sys as string;
        const addr = decodeTracerSockaddr(hexToBytes(o.sa as string) ?? new Uint8Array(0));
        if (!addr || !SOCKET_SYSCALLS.has(sys)) break;
        const syscall = sys as SocketSyscall;
        const ev: Mutable<SocketEvent> = withProcess({
          kind: syscall === 'sendmmsg' ? 'sendmsg' : syscall,
          syscall,
          ...base(r),
          fd: o.fd as number,
          family: addr.family,
          protocol: protocolOf(addr.family, o.proto as number, o.type as number),
          address: addr.address,
          ...(addr.port !== undefined ? { port: addr.port } : {}),
          ...(addr.abstract !== undefined ? { abstract: addr.abstract } : {}),
        });
        hold(r, ev);
        break;
      }
      case 'dns': {
        const sys = o.sys as string;
        const addr = decodeTracerSockaddr(hexToBytes(o.sa as string) ?? new Uint8Array(0));
        if (!addr || addr.family === 'unix' || addr.port === undefined || !TRACER_SYSCALLS.has(sys)) break;
        const payload = hexToBytes(o.payload as string) ?? new Uint8Array(0);
        const length = o.len as number;
        const truncated = o.trunc === true || length > payload.length;
        const ev: Mutable<DnsQuestionEvent> = withProcess({
          kind: 'dns-question',
          ...base(r),
          syscall: sys as TracerSyscall,
          fd: o.fd as number,
          family: addr.family,
          address: addr.address,
          port: addr.port,
          toPeer: o.peer === true,
          index: o.i as number,
          length,
          payload,
          truncated,
          dns: decodeDns(payload, false, truncated),
        });
        hold(r, ev);
        break;
      }
      case 'ifenum': {
        const sys = o.sys as string;
        if (!TRACER_SYSCALLS.has(sys)) break;
        let ev: Mutable<InterfaceEnumEvent>;
        if (o.how === 'ioctl' && typeof o.cmd === 'number') {
          const name = typeof o.ifname === 'string' ? bytesText(hexToBytes(o.ifname) ?? new Uint8Array(0)) : '';
          ev = withProcess({
            kind: 'interface-enum',
            ...base(r),
            method: 'ioctl',
            syscall: 'ioctl',
            fd: o.fd as number,
            request: IOCTL_REQUESTS[o.cmd] ?? `0x${o.cmd.toString(16)}`,
            ...(name ? { interfaceName: name } : {}),
          });
        } else if (o.how === 'netlink' && typeof o.msg === 'number' && typeof o.flags === 'number') {
          ev = withProcess({
            kind: 'interface-enum',
            ...base(r),
            method: 'netlink',
            syscall: sys as TracerSyscall,
            fd: o.fd as number,
            request: NETLINK_REQUESTS[o.msg] ?? `0x${o.msg.toString(16)}`,
            dump: (o.flags & NLM_F_DUMP) === NLM_F_DUMP,
            ...(typeof o.family === 'number' ? { addressFamily: o.family } : {}),
          });
        } else {
          break;
        }
        hold(r, ev);
        break;
      }
      case 'ret': {
        const key = `${r.tid}:${o.enter as number}`;
        const list = open.get(key);
        if (!list) break; // its call's records were lost (counted by the loader)
        open.delete(key);
        const res = outcome(o.ret as number, o.us as number);
        for (const ev of list) {
          Object.assign(ev, res);
          // A socket event's type has no `returned`; keep it to what SocketEvent declares.
          if (ev.kind !== 'dns-question' && ev.kind !== 'interface-enum') delete (ev as { returned?: number }).returned;
        }
        break;
      }
    }
  }
  return out;
}
