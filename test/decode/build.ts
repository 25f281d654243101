/**
 * Hand-built frames for the decoder tests: each builder returns the bytes of one layer around a payload.
 * Checksums are left 0 (the decoders do not check them).
 */
import type { RawFrame } from '../../src/decode/types.js';

export function bytes(...parts: (Uint8Array | number[])[]): Buffer {
  return Buffer.concat(parts.map((p) => (Array.isArray(p) ? Buffer.from(p) : Buffer.from(p.buffer, p.byteOffset, p.byteLength))));
}

export function frame(data: Uint8Array, index = 0, tsMs = 1000): RawFrame {
  return { index, tsMs, data, origLength: data.length };
}

export function v4addr(text: string): Buffer {
  return Buffer.from(text.split('.').map(Number));
}

/** Parse IPv6 text (with at most one "::") into 16 bytes. */
export function v6addr(text: string): Buffer {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = (s: string | undefined): number[] => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

export const ETHERTYPE = { IPV4: 0x0800, IPV6: 0x86dd, ARP: 0x0806, VLAN: 0x8100, QINQ: 0x88a8 } as const;

export function ethernet(type: number, payload: Uint8Array, vlans: number[] = []): Buffer {
  const head = Buffer.alloc(12);
  head.set([0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1]);
  const tags = vlans.map((id, i) => {
    const t = Buffer.alloc(4);
    t.writeUInt16BE(i === 0 && vlans.length > 1 ? ETHERTYPE.QINQ : ETHERTYPE.VLAN, 0);
    t.writeUInt16BE(id, 2);
    return t;
  });
  // Each tag is {TPID, TCI}: the TPID sits where the ethertype would be, the real type comes last.
  const parts: Buffer[] = [head];
  for (const t of tags) parts.push(t);
  const type2 = Buffer.alloc(2);
  type2.writeUInt16BE(type);
  parts.push(type2, Buffer.from(payload));
  return Buffer.concat(parts);
}

export function sll(protocol: number, payload: Uint8Array): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt16BE(4, 0); // sent by us
  h.writeUInt16BE(1, 2); // ARPHRD_ETHER
  h.writeUInt16BE(6, 4);
  h.set([2, 0, 0, 0, 0, 2], 6);
  h.writeUInt16BE(protocol, 14);
  return bytes(h, payload);
}

export function sll2(protocol: number, payload: Uint8Array): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(protocol, 0);
  h.writeUInt32BE(2, 4); // ifindex
  h.writeUInt16BE(1, 8); // ARPHRD_ETHER
  h[10] = 4; // outgoing
  h[11] = 6;
  h.set([2, 0, 0, 0, 0, 2], 12);
  return bytes(h, payload);
}

/** NFLOG: header, a packet-header TLV, a prefix TLV (unpadded length 7), then the payload TLV. */
export function nflog(family: number, payload: Uint8Array, opts: { bigEndian?: boolean; payloadType?: number } = {}): Buffer {
  const tlv = (type: number, value: Uint8Array): Buffer => {
    const h = Buffer.alloc(4);
    if (opts.bigEndian) {
      h.writeUInt16BE(4 + value.length, 0);
      h.writeUInt16BE(type, 2);
    } else {
      h.writeUInt16LE(4 + value.length, 0);
      h.writeUInt16LE(type, 2);
    }
    const pad = Buffer.alloc((4 - (value.length % 4)) % 4);
    return bytes(h, value, pad);
  };
  const head = Buffer.from([family, 0, 0, 5]);
  return bytes(head, tlv(1, Buffer.from([0x08, 0x00, 3, 0])), tlv(10, Buffer.from('nfx')), tlv(opts.payloadType ?? 9, payload));
}

export interface Ipv4Options {
  src?: string;
  dst?: string;
  proto: number;
  options?: Uint8Array;
  /** Fragment offset in bytes (a multiple of 8). */
  fragOffset?: number;
  moreFragments?: boolean;
  totalLength?: number;
}

export function ipv4(o: Ipv4Options, payload: Uint8Array): Buffer {
  const opts = o.options ?? Buffer.alloc(0);
  const hl = 20 + opts.length;
  const h = Buffer.alloc(20);
  h[0] = 0x40 | (hl / 4);
  h.writeUInt16BE(o.totalLength ?? hl + payload.length, 2);
  h.writeUInt16BE(0x1234, 4);
  h.writeUInt16BE(((o.moreFragments ? 1 : 0) << 13) | ((o.fragOffset ?? 0) / 8), 6);
  h[8] = 64;
  h[9] = o.proto;
  v4addr(o.src ?? '10.0.0.1').copy(h, 12);
  v4addr(o.dst ?? '192.0.2.10').copy(h, 16);
  return bytes(h, opts, payload);
}

/** An IPv6 extension header: {next, len, ...body}; body padded to a multiple of 8 with the 2 header bytes. */
export interface Ext {
  type: number;
  body?: Uint8Array;
}

export function ipv6(o: { src?: string; dst?: string; next: number; ext?: Ext[]; payloadLength?: number }, payload: Uint8Array): Buffer {
  const chain: Buffer[] = [];
  const ext = o.ext ?? [];
  for (let i = 0; i < ext.length; i++) {
    const e = ext[i] as Ext;
    const next = i + 1 < ext.length ? (ext[i + 1] as Ext).type : o.next;
    if (e.type === 44) {
      const f = Buffer.alloc(8);
      f[0] = next;
      Buffer.from(e.body ?? [0, 0, 0, 0, 0, 0]).copy(f, 2);
      chain.push(f);
    } else if (e.type === 51) {
      const body = Buffer.from(e.body ?? Buffer.alloc(10));
      const total = 2 + body.length; // multiple of 4
      const a = Buffer.alloc(total);
      a[0] = next;
      a[1] = total / 4 - 2;
      body.copy(a, 2);
      chain.push(a);
    } else {
      const body = Buffer.from(e.body ?? Buffer.alloc(6));
      const total = Math.ceil((2 + body.length) / 8) * 8;
      const x = Buffer.alloc(total);
      x[0] = next;
      x[1] = total / 8 - 1;
      body.copy(x, 2);
      chain.push(x);
    }
  }
  const first = ext.length > 0 ? (ext[0] as Ext).type : o.next;
  const rest = bytes(...chain, payload);
  const h = Buffer.alloc(40);
  h.writeUInt32BE(0x60000000, 0);
  h.writeUInt16BE(o.payloadLength ?? rest.length, 4);
  h[6] = first;
  h[7] = 64;
  v6addr(o.src ?? 'fd::1').copy(h, 8);
  v6addr(o.dst ?? '2001:db8::10').copy(h, 24);
  return bytes(h, rest);
}

export const FLAGS = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16 } as const;

export function tcp(o: { sport: number; dport: number; flags: number; seq?: number; ack?: number; options?: Uint8Array }, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const opts = o.options ?? Buffer.alloc(0);
  const h = Buffer.alloc(20);
  h.writeUInt16BE(o.sport, 0);
  h.writeUInt16BE(o.dport, 2);
  h.writeUInt32BE(o.seq ?? 1000, 4);
  h.writeUInt32BE(o.ack ?? 0, 8);
  h[12] = ((20 + opts.length) / 4) << 4;
  h[13] = o.flags;
  h.writeUInt16BE(65535, 14);
  return bytes(h, opts, payload);
}

export function udp(o: { sport: number; dport: number; length?: number }, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(o.sport, 0);
  h.writeUInt16BE(o.dport, 2);
  h.writeUInt16BE(o.length ?? 8 + payload.length, 4);
  return bytes(h, payload);
}

/** ICMP or ICMPv6: type, code, checksum 0, the 4 "rest of header" bytes, then the body. */
export function icmp(type: number, code: number, rest: number[] = [0, 0, 0, 0], body: Uint8Array = Buffer.alloc(0)): Buffer {
  return bytes([type, code, 0, 0], rest, body);
}

export function echo(type: number, id: number, seq: number): Buffer {
  return icmp(type, 0, [id >> 8, id & 0xff, seq >> 8, seq & 0xff], Buffer.from('abcdefgh'));
}
