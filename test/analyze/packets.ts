/**
 * A small factory of DecodedPacket records for analyze tests: what the decoders would produce for the
 * frames of each capture point. Times are ms after T0; frame indexes count per capture point.
 */
import type { DecodedPacket, DnsAnswer, IpProto, QuotedPacket } from '../../src/decode/types.js';
import type { CaptureSource, Family } from '../../src/model/types.js';

/** Epoch ms the factory's times count from; use it as buildStartMs. */
export const T0 = 1_700_000_000_000;

/** Sandbox addresses (src/sandbox/names.ts and plan.ts). */
export const BUILD_V4 = '169.254.1.2';
export const MONITOR_V4 = '169.254.1.1';
export const BUILD_V6 = 'fd::1';
export const BUILD_LL6 = 'fe80::2';
export const MONITOR_LL6 = 'fe80::1';

const PROTO_NUMBER: Record<IpProto, number> = { tcp: 6, udp: 17, icmp: 1, icmp6: 58, other: 0 };

function familyOf(address: string): Family {
  return address.includes(':') ? 6 : 4;
}

type Flags = 'S' | 'SA' | 'RA' | 'R' | 'A' | 'FA';

export interface Question {
  readonly id: number;
  readonly name: string;
  readonly type: string;
}

export class Packets {
  readonly list: DecodedPacket[] = [];
  readonly #next: Record<CaptureSource, number> = { veth: 0, lo: 0, nflog: 0 };

  #push(source: CaptureSource, at: number, src: string, dst: string, proto: IpProto, rest: Partial<DecodedPacket>): DecodedPacket {
    const p: DecodedPacket = {
      index: this.#next[source]++,
      tsMs: T0 + at,
      source,
      family: familyOf(dst),
      src,
      dst,
      proto,
      protoNumber: PROTO_NUMBER[proto],
      ...rest,
    };
    this.list.push(p);
    return p;
  }

  tcp(source: CaptureSource, at: number, src: string, srcPort: number, dst: string, dstPort: number, flags: Flags): this {
    this.#push(source, at, src, dst, 'tcp', {
      tcp: {
        srcPort,
        dstPort,
        seq: 1000,
        ack: flags.includes('A') ? 2000 : 0,
        syn: flags.includes('S'),
        ackFlag: flags.includes('A'),
        rst: flags.includes('R'),
        fin: flags.includes('F'),
        payloadLength: 0,
      },
    });
    return this;
  }

  syn(source: CaptureSource, at: number, src: string, srcPort: number, dst: string, dstPort: number): this {
    return this.tcp(source, at, src, srcPort, dst, dstPort, 'S');
  }

  /** The server's SYN-ACK: src/srcPort are the server's. */
  synAck(source: CaptureSource, at: number, src: string, srcPort: number, dst: string, dstPort: number): this {
    return this.tcp(source, at, src, srcPort, dst, dstPort, 'SA');
  }

  /** The refusal (ACK|RST): src/srcPort are the closed port's. */
  rst(source: CaptureSource, at: number, src: string, srcPort: number, dst: string, dstPort: number): this {
    return this.tcp(source, at, src, srcPort, dst, dstPort, 'RA');
  }

  udp(source: CaptureSource, at: number, src: string, srcPort: number, dst: string, dstPort: number, payloadLength = 10): this {
    this.#push(source, at, src, dst, 'udp', { udp: { srcPort, dstPort, payloadLength } });
    return this;
  }

  dnsQuery(source: CaptureSource, at: number, src: string, srcPort: number, dst: string, q: Question, dstPort = 53): this {
    this.#push(source, at, src, dst, 'udp', {
      udp: { srcPort, dstPort, payloadLength: 30 },
      dns: { id: q.id, isResponse: false, rcode: 0, questions: [{ name: q.name, type: q.type }], answers: [] },
    });
    return this;
  }

  /** A response from src:srcPort (the server) to dst:dstPort (the client). */
  dnsResponse(source: CaptureSource, at: number, src: string, srcPort: number, dst: string, dstPort: number, q: Question, answers: DnsAnswer[], rcode = 0): this {
    this.#push(source, at, src, dst, 'udp', {
      udp: { srcPort, dstPort, payloadLength: 60 },
      dns: { id: q.id, isResponse: true, rcode, questions: [{ name: q.name, type: q.type }], answers },
    });
    return this;
  }

  /** An ICMP/ICMPv6 error from src to dst quoting a packet; default type: destination unreachable. */
  icmpError(source: CaptureSource, at: number, src: string, dst: string, code: number, quoted: Omit<QuotedPacket, 'family'>, type?: number): this {
    const v6 = familyOf(dst) === 6;
    this.#push(source, at, src, dst, v6 ? 'icmp6' : 'icmp', {
      icmp: { v6, type: type ?? (v6 ? 1 : 3), code, quoted: { family: familyOf(quoted.dst), ...quoted } },
    });
    return this;
  }

  /** Network unreachable (v4 3/0, v6 1/0), as the monitor answers a SYN crossing the veth. */
  netUnreachable(source: CaptureSource, at: number, src: string, dst: string, quoted: Omit<QuotedPacket, 'family'>): this {
    return this.icmpError(source, at, src, dst, 0, quoted);
  }

  /** Port unreachable (v4 3/3, v6 1/4), as lo answers a datagram to a closed port. */
  portUnreachable(source: CaptureSource, at: number, src: string, dst: string, quoted: Omit<QuotedPacket, 'family'>): this {
    return this.icmpError(source, at, src, dst, familyOf(dst) === 6 ? 4 : 3, quoted);
  }

  echoRequest(source: CaptureSource, at: number, src: string, dst: string, id: number, seq: number): this {
    const v6 = familyOf(dst) === 6;
    this.#push(source, at, src, dst, v6 ? 'icmp6' : 'icmp', { icmp: { v6, type: v6 ? 128 : 8, code: 0, echo: { id, seq } } });
    return this;
  }

  echoReply(source: CaptureSource, at: number, src: string, dst: string, id: number, seq: number): this {
    const v6 = familyOf(dst) === 6;
    this.#push(source, at, src, dst, v6 ? 'icmp6' : 'icmp', { icmp: { v6, type: v6 ? 129 : 0, code: 0, echo: { id, seq } } });
    return this;
  }
}

/** Deterministic Fisher-Yates shuffle (mulberry32), for order-independence tests. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
