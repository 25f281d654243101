/**
 * What the syscall tracer reports about socket calls and execs, as typed events (decoded by
 * src/decode/tracer.ts, attributed by src/analyze/attribute.ts). Part of a build's evidence (src/model/evidence.ts).
 */
import type { Family, ProcessInfo, UnixAttempt as ModelUnixAttempt } from './types.js';

/** Address family of a socket event: IPv4, IPv6, or AF_UNIX. */
export type SocketFamily = Family | 'unix';

/** The syscall that produced a socket event (sendmmsg is reported as kind sendmsg, once per named message). */
export type SocketSyscall = 'connect' | 'sendto' | 'sendmsg' | 'sendmmsg' | 'bind' | 'listen';

/** Transport of the socket, from the kernel socket (sk_protocol, sk_type). */
export type SocketProtocol = 'tcp' | 'udp' | 'icmp' | 'unix-stream' | 'unix-dgram' | 'unix-seqpacket' | 'other';

interface EventBase {
  /** Epoch milliseconds (CLOCK_REALTIME, the clock of pcap timestamps), with microsecond precision. */
  readonly tsMs: number;
  /** Process id (tgid) and the id of its parent process at the time of the event. */
  readonly pid: number;
  readonly ppid: number;
  /** The task's comm at the time of the event (at most 15 bytes, as the kernel keeps it). Raw: escape before showing. */
  readonly comm: string;
  /**
   * argv of the exec that started the process (inherited over fork without exec), when the observer saw
   * that exec. Raw text (invalid UTF-8 is kept byte by byte as U+0000-U+00FF): escape before showing.
   */
  readonly argv?: readonly string[];
  /** True when the kernel-side cap (ARGV_KERNEL_CAP bytes of argv, decode/argv.ts) cut it short. */
  readonly argvTruncated?: boolean;
  /** Inode of the network namespace the event happened in. */
  readonly netns: number;
}

export interface SocketEvent extends EventBase {
  readonly kind: 'connect' | 'sendto' | 'sendmsg' | 'bind' | 'listen';
  readonly syscall: SocketSyscall;
  /** Thread that made the call. */
  readonly tid: number;
  readonly fd: number;
  readonly family: SocketFamily;
  readonly protocol: SocketProtocol;
  /**
   * IPv4/IPv6 text (RFC 5952 for v6, as packets are decoded), or for AF_UNIX the path: `@name` for an
   * abstract address (first byte 0; later NULs kept as U+0000), the filesystem path otherwise, '' unnamed.
   */
  readonly address: string;
  /** Host byte order; absent for AF_UNIX. */
  readonly port?: number;
  /** AF_UNIX only: true for an abstract address (per network namespace, invisible across namespaces). */
  readonly abstract?: boolean;
  /**
   * errno the call returned (0 on success; EINPROGRESS 115 for a non-blocking connect). Absent when the
   * call had not returned when the observer stopped, or its exit record was lost.
   */
  readonly errno?: number;
  /** Symbolic errno ('ENETUNREACH'), when errno is known and not 0. */
  readonly error?: string;
  /** Microseconds between entry and exit of the call (how long it blocked); absent with errno. */
  readonly blockedUs?: number;
}

export interface ExecEvent extends EventBase {
  readonly kind: 'exec';
  /** argv of the new image (always set for an exec event, possibly empty). */
  readonly argv: readonly string[];
}

export type SyscallEvent = SocketEvent | ExecEvent;
export type SyscallKind = SyscallEvent['kind'];


/** `process` as the model should have it: ProcessInfo plus the parent. */
export interface ObservedProcess extends ProcessInfo {
  readonly ppid: number;
}

/** A connect to an abstract AF_UNIX address, as an attempt, with the process that made it (its parent always known). */
export type UnixAttempt = ModelUnixAttempt & { readonly process?: ObservedProcess };

/** A DNS message as src/decode/dns.ts decodes it (from a packet, or from a payload the tracer saw sent). */
export interface DnsQuestion {
  name: string;
  /** 'A', 'AAAA', 'MX', ... or 'TYPE123' */
  type: string;
}

export interface DnsAnswer {
  name: string;
  type: string;
  /** Address for A/AAAA, target name for CNAME, else a short rendering. */
  data: string;
}

export interface DnsInfo {
  id: number;
  isResponse: boolean;
  rcode: number;
  questions: DnsQuestion[];
  answers: DnsAnswer[];
}
