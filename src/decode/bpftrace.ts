/**
 * bpftrace output (bpf/observer.bt run with -f json) -> typed events. Pure, no I/O; never throws on what
 * the tracer prints: a line that is not understood is counted as malformed and skipped.
 *
 * Two steps: OutputReader takes the stream line by line (what Observer feeds it while bpftrace runs; it also
 * tracks the per-CPU heartbeat that tells when everything up to a time has been read), and assemble() turns
 * the records into events once the run is over:
 * - records are put in time order (each CPU has its own perf buffer; they are read in no fixed order);
 * - each socket call is paired with its return by thread id (errno, time blocked);
 * - a process table built from exec, fork and exit gives every event the argv of the exec that started its
 *   process (a forked child keeps its parent's until it execs itself).
 */
import { constants } from 'node:os';
import { canonicalAddress } from './addr.js';
import { ARGV_CHUNK_BYTES, ARGV_KERNEL_CAP } from './argv.js';
import { bytesText, cString, decodeSockaddr, hexBytes } from './sockaddr.js';
import type { ExecEvent, ObserverResult, SocketEvent, SocketProtocol, SocketSyscall, SyscallEvent } from '../model/events.js';


const SYSCALLS: Record<number, SocketSyscall> = { 1: 'connect', 2: 'sendto', 3: 'sendmsg', 4: 'sendmmsg', 5: 'bind' };

/** One line of the script's own output (the "data" of a bpftrace printf record), as printed. */
/** What bpf/observer.bt prints for every socket call it records (the "sock" and "listen" lines). */
interface SocketRecordFields {
  readonly ts: number;
  readonly pid: number;
  readonly tid: number;
  readonly ppid: number;
  readonly ns: number;
  readonly fd: number;
  readonly proto: number;
  readonly type: number;
  readonly comm: string;
}

export type TraceRecord =
  | { readonly e: 'begin'; readonly ts: number }
  | { readonly e: 'end' }
  | { readonly e: 'tick'; readonly cpu: number; readonly ts: number }
  | (SocketRecordFields & { readonly e: 'sock'; readonly sys: number; readonly sa: string })
  | (SocketRecordFields & {
      readonly e: 'listen';
      readonly fam: number;
      readonly port?: number;
      readonly addr?: string;
      readonly sa?: string;
    })
  | { readonly e: 'ret'; readonly ts: number; readonly pid: number; readonly tid: number; readonly ns: number; readonly ret: number; readonly us: number }
  | { readonly e: 'exec'; readonly ts: number; readonly pid: number; readonly ppid: number; readonly ns: number; readonly comm: string; readonly len: number }
  | { readonly e: 'argv'; readonly ts: number; readonly pid: number; readonly ns: number; readonly i: number; readonly b: string }
  | { readonly e: 'fork'; readonly ts: number; readonly pid: number; readonly child: number; readonly ns: number }
  | { readonly e: 'exit'; readonly ts: number; readonly pid: number; readonly ns: number };

/** What one line of bpftrace's JSON output is. */
export type OutputLine =
  | { readonly type: 'record'; readonly record: TraceRecord }
  | { readonly type: 'lost'; readonly events: number }
  | { readonly type: 'attached'; readonly probes: number }
  | { readonly type: 'ignored' }
  | { readonly type: 'malformed'; readonly line: string };

const NUMBER_FIELDS: Record<TraceRecord['e'], readonly string[]> = {
  begin: ['ts'],
  end: [],
  tick: ['cpu', 'ts'],
  sock: ['sys', 'ts', 'pid', 'tid', 'ppid', 'ns', 'fd', 'proto', 'type'],
  listen: ['ts', 'pid', 'tid', 'ppid', 'ns', 'fd', 'proto', 'type', 'fam'],
  ret: ['ts', 'pid', 'tid', 'ns', 'ret', 'us'],
  exec: ['ts', 'pid', 'ppid', 'ns', 'len'],
  argv: ['ts', 'pid', 'ns', 'i'],
  fork: ['ts', 'pid', 'child', 'ns'],
  exit: ['ts', 'pid', 'ns'],
};
const STRING_FIELDS: Partial<Record<TraceRecord['e'], readonly string[]>> = { sock: ['comm', 'sa'], listen: ['comm'], exec: ['comm'], argv: ['b'] };

function isRecord(v: unknown): v is TraceRecord {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  const e = o.e;
  if (typeof e !== 'string' || !Object.hasOwn(NUMBER_FIELDS, e)) return false;
  const kind = e as TraceRecord['e'];
  if (!NUMBER_FIELDS[kind].every((f) => typeof o[f] === 'number' && Number.isFinite(o[f]))) return false;
  return (STRING_FIELDS[kind] ?? []).every((f) => typeof o[f] === 'string');
}

/** One line of `bpftrace -f json` output. */
export function parseLine(line: string): OutputLine {
  const text = line.trim();
  if (text === '') return { type: 'ignored' };
  let outer: unknown;
  try {
    outer = JSON.parse(text);
  } catch {
    return { type: 'malformed', line };
  }
  if (typeof outer !== 'object' || outer === null) return { type: 'malformed', line };
  const { type, data } = outer as { type?: unknown; data?: unknown };
  if (typeof type !== 'string') return { type: 'malformed', line };
  if (type === 'lost_events') {
    const n = (data as { events?: unknown } | null)?.events;
    return typeof n === 'number' && n >= 0 ? { type: 'lost', events: n } : { type: 'malformed', line };
  }
  if (type === 'attached_probes') {
    const n = (data as { probes?: unknown } | null)?.probes;
    return { type: 'attached', probes: typeof n === 'number' ? n : 0 };
  }
  if (type !== 'printf') return { type: 'ignored' };
  if (typeof data !== 'string') return { type: 'malformed', line };
  let inner: unknown;
  try {
    inner = JSON.parse(data);
  } catch {
    return { type: 'malformed', line };
  }
  return isRecord(inner) ? { type: 'record', record: inner } : { type: 'malformed', line };
}

/** Records that belong to a namespace (all but begin, end and tick). */
export type NamespacedRecord = Exclude<TraceRecord, { e: 'begin' | 'end' | 'tick' }>;

/**
 * The tracer's output as it arrives: split into lines (a chunk may end mid-line), parsed, kept. Also knows
 * the newest heartbeat per CPU, for "has everything emitted before T been read?".
 */
export class OutputReader {
  records: NamespacedRecord[] = [];
  /** Which namespaces' records to keep (default all): a shared tracer keeps only the builds being watched. */
  keep: ((netns: number) => boolean) | undefined;
  lost = 0;
  malformed = 0;
  probes: number | undefined;
  /** Monotonic ns of the BEGIN record, once seen: the script is loaded (its probes are attached after it). */
  beganAtNs: number | undefined;
  ended = false;
  private readonly lastTick = new Map<number, number>();
  private partial = '';

  push(chunk: string): void {
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const l of lines) this.take(l);
  }

  /** The unterminated last line, if any (call once the stream ended). */
  flush(): void {
    if (this.partial) this.take(this.partial);
    this.partial = '';
  }

  private take(line: string): void {
    const r = parseLine(line);
    switch (r.type) {
      case 'lost':
        this.lost += r.events;
        break;
      case 'attached':
        this.probes = r.probes;
        break;
      case 'malformed':
        this.malformed++;
        break;
      case 'record': {
        const rec = r.record;
        if (rec.e === 'tick') this.lastTick.set(rec.cpu, Math.max(rec.ts, this.lastTick.get(rec.cpu) ?? 0));
        else if (rec.e === 'begin') this.beganAtNs ??= rec.ts;
        else if (rec.e === 'end') this.ended = true;
        else if (!this.keep || this.keep(rec.ns)) this.records.push(rec);
        break;
      }
      case 'ignored':
        break;
    }
  }

  /**
   * Remove and return the records of one namespace read so far (a tracer shared by several builds hands
   * each build its own). Nothing is dropped for later: namespace inodes are reused once a namespace is gone.
   */
  takeNamespace(netns: number): NamespacedRecord[] {
    const mine: NamespacedRecord[] = [];
    const rest: NamespacedRecord[] = [];
    for (const r of this.records) (r.ns === netns ? mine : rest).push(r);
    this.records = rest;
    return mine;
  }

  /** Monotonic ns of the newest heartbeat read from `cpu`, if any. */
  lastTickNs(cpu: number): number | undefined {
    return this.lastTick.get(cpu);
  }

  /** True when a heartbeat later than `ns` (monotonic) has been read from each of `cpus`. */
  drainedPast(ns: number, cpus: readonly number[]): boolean {
    return cpus.every((c) => (this.lastTick.get(c) ?? -1) > ns);
  }

  /** The run's events (assemble()), with `complete` as the caller determined it. */
  result(offsetMs: number, complete: boolean): ObserverResult {
    return { events: assemble(this.records, offsetMs), lost: this.lost, complete, malformed: this.malformed };
  }
}

/** Parse a whole captured output at once (tests, replay). */
export function parseOutput(text: string, offsetMs: number): ObserverResult & { readonly probes: number | undefined } {
  const reader = new OutputReader();
  reader.push(text);
  reader.flush();
  return { ...reader.result(offsetMs, reader.ended), probes: reader.probes };
}

/** errno number -> name, from Node's table plus the kernel-internal restart codes a signal can leave. */
const ERRNO_NAMES: ReadonlyMap<number, string> = new Map([
  ...Object.entries(constants.errno).map(([name, n]) => [n, name] as [number, string]),
  [512, 'ERESTARTSYS'],
  [513, 'ERESTARTNOINTR'],
  [514, 'ERESTARTNOHAND'],
  [516, 'ERESTART_RESTARTBLOCK'],
]);

export function errnoName(errno: number): string | undefined {
  return ERRNO_NAMES.get(errno);
}

function protocolOf(family: SocketEvent['family'], proto: number, type: number): SocketProtocol {
  if (family === 'unix') return type === 1 ? 'unix-stream' : type === 2 ? 'unix-dgram' : type === 5 ? 'unix-seqpacket' : 'other';
  if (proto === 6) return 'tcp';
  if (proto === 17 || proto === 136) return 'udp';
  if (proto === 1 || proto === 58) return 'icmp';
  return 'other';
}

interface ProcEntry {
  readonly argv: readonly string[];
  readonly truncated: boolean;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** argv bytes (NUL-separated, NUL-terminated) -> strings; a block cut short keeps its partial last argument. */
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

/** Records of one run -> events in time order. `offsetMs` turns monotonic ns into epoch ms. */
export function assemble(records: readonly TraceRecord[], offsetMs: number): SyscallEvent[] {
  const toMs = (ns: number): number => Math.round((ns / 1e6 + offsetMs) * 1000) / 1000;

  // argv chunks belong to the exec record with the same pid and ts (printed by the same probe run).
  const chunks = new Map<string, Map<number, Uint8Array>>();
  const timed: (TraceRecord & { ts: number })[] = [];
  for (const r of records) {
    if (r.e === 'argv') {
      const bytes = hexBytes(r.b);
      if (!bytes) continue;
      const key = `${r.pid}:${r.ts}`;
      let m = chunks.get(key);
      if (!m) chunks.set(key, (m = new Map()));
      m.set(r.i, bytes);
    } else if ('ts' in r) {
      timed.push(r);
    }
  }
  timed.sort((a, b) => a.ts - b.ts);

  const procs = new Map<number, ProcEntry>();
  const pending = new Map<number, Mutable<SocketEvent>[]>();
  const events: SyscallEvent[] = [];
  const withProc = (pid: number): { argv?: readonly string[]; argvTruncated?: boolean } => {
    const p = procs.get(pid);
    if (!p) return {};
    return p.truncated ? { argv: p.argv, argvTruncated: true } : { argv: p.argv };
  };

  for (const r of timed) {
    switch (r.e) {
      case 'exec': {
        const parts = chunks.get(`${r.pid}:${r.ts}`) ?? new Map<number, Uint8Array>();
        const want = Math.min(r.len, ARGV_KERNEL_CAP);
        const pieces: Uint8Array[] = [];
        let gap = false;
        for (let i = 0; i * ARGV_CHUNK_BYTES < want; i++) {
          const c = parts.get(i);
          if (!c) {
            gap = true;
            break;
          }
          pieces.push(c);
        }
        const bytes = Buffer.concat(pieces);
        const truncated = gap || r.len > ARGV_KERNEL_CAP || bytes.length < want;
        const argv = splitArgv(bytes);
        procs.set(r.pid, { argv, truncated });
        const ev: ExecEvent = {
          kind: 'exec',
          tsMs: toMs(r.ts),
          pid: r.pid,
          ppid: r.ppid,
          comm: cString(hexBytes(r.comm) ?? new Uint8Array(0)),
          argv,
          ...(truncated ? { argvTruncated: true } : {}),
          netns: r.ns,
        };
        events.push(ev);
        break;
      }
      case 'fork': {
        const parent = procs.get(r.pid);
        if (parent) procs.set(r.child, parent);
        break;
      }
      case 'exit':
        procs.delete(r.pid);
        break;
      case 'sock':
      case 'listen': {
        const ev = socketEvent(r, toMs(r.ts), withProc(r.pid));
        if (!ev) break;
        events.push(ev);
        // The messages of one sendmmsg share its entry time and its return; any other call on the thread
        // means the return of the previous one was lost (it stays without errno).
        const list = pending.get(r.tid);
        if (list && ev.syscall === 'sendmmsg' && list[0]?.syscall === 'sendmmsg' && list[0].tsMs === ev.tsMs) list.push(ev);
        else pending.set(r.tid, [ev]);
        break;
      }
      case 'ret': {
        const list = pending.get(r.tid);
        if (!list) break;
        pending.delete(r.tid);
        const errno = r.ret < 0 ? -r.ret : 0;
        const error = errno ? errnoName(errno) : undefined;
        for (const ev of list) {
          ev.errno = errno;
          if (error) ev.error = error;
          ev.blockedUs = r.us;
        }
        break;
      }
      default:
        break;
    }
  }
  return events;
}

function socketEvent(
  r: Extract<TraceRecord, { e: 'sock' | 'listen' }>,
  tsMs: number,
  proc: { argv?: readonly string[]; argvTruncated?: boolean },
): Mutable<SocketEvent> | undefined {
  let syscall: SocketSyscall | undefined;
  let addr: { family: SocketEvent['family']; address: string; port?: number; abstract?: boolean } | undefined;
  if (r.e === 'sock') {
    syscall = SYSCALLS[r.sys];
    const bytes = hexBytes(r.sa);
    addr = bytes && decodeSockaddr(bytes);
  } else {
    syscall = 'listen';
    if (r.fam === 1) {
      const bytes = hexBytes(r.sa ?? '');
      addr = bytes && decodeSockaddr(bytes);
    } else if ((r.fam === 2 || r.fam === 10) && typeof r.addr === 'string' && typeof r.port === 'number') {
      addr = { family: r.fam === 2 ? 4 : 6, address: canonicalAddress(r.addr), port: r.port };
    }
  }
  if (!syscall || !addr) return undefined;
  const kind: SocketEvent['kind'] = syscall === 'sendmmsg' ? 'sendmsg' : syscall;
  return {
    kind,
    syscall,
    tsMs,
    pid: r.pid,
    tid: r.tid,
    ppid: r.ppid,
    comm: cString(hexBytes(r.comm) ?? new Uint8Array(0)),
    ...proc,
    netns: r.ns,
    fd: r.fd,
    family: addr.family,
    protocol: protocolOf(addr.family, r.proto, r.type),
    address: addr.address,
    ...(addr.port !== undefined ? { port: addr.port } : {}),
    ...(addr.abstract !== undefined ? { abstract: addr.abstract } : {}),
  };
}
