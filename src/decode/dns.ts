/**
 * DNS messages (RFC 1035) on port 53 (and mDNS, 5353), decoded with dns-packet. Never throws: a payload that
 * is not DNS leaves the packet without `dns`. Over TCP each message is preceded by a 2-byte length (RFC 7766).
 * When the capture cut the message short (snapshot length), the header and the questions that were captured
 * are still returned, since the question names what the build wanted.
 */
import dnsPacket from 'dns-packet';
import type { Answer } from 'dns-packet';
import { Cursor } from './cursor.js';
import type { DnsAnswer, DnsInfo, DnsQuestion } from './types.js';

export const DNS_PORT = 53;
export const MDNS_PORT = 5353;

/** True when either port says the payload should be DNS. */
export function isDnsPort(srcPort: number, dstPort: number): boolean {
  return srcPort === DNS_PORT || dstPort === DNS_PORT || srcPort === MDNS_PORT || dstPort === MDNS_PORT;
}

/** dns-packet renders unknown types as UNKNOWN_123; RFC 3597 says TYPE123. */
function typeName(type: string): string {
  return type.startsWith('UNKNOWN_') ? `TYPE${type.slice(8)}` : type;
}

const MAX_TEXT = 200;

function short(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}...` : text;
}

/** A one-line rendering of an answer's data: the address, the target name, or a short summary. */
function renderData(a: Answer): string {
  switch (a.type) {
    case 'A':
    case 'AAAA':
    case 'CNAME':
    case 'DNAME':
    case 'NS':
    case 'PTR':
      return a.data;
    case 'MX':
      return `${a.data.preference ?? 0} ${a.data.exchange}`;
    case 'SRV':
      return `${a.data.priority ?? 0} ${a.data.weight ?? 0} ${a.data.port} ${a.data.target}`;
    case 'SOA':
      return `${a.data.mname} ${a.data.rname} ${a.data.serial ?? 0}`;
    case 'TXT': {
      const parts = Array.isArray(a.data) ? a.data : [a.data];
      return short(parts.map((p) => (typeof p === 'string' ? p : p.toString('latin1'))).join(' '));
    }
    case 'CAA':
      return short(`${a.data.flags ?? 0} ${a.data.tag} "${a.data.value}"`);
    case 'OPT':
      return '';
    default: {
      const data: unknown = (a as { data?: unknown }).data;
      return Buffer.isBuffer(data) ? `${data.length} bytes` : typeName(a.type);
    }
  }
}

function toInfo(p: dnsPacket.DecodedPacket): DnsInfo {
  const questions: DnsQuestion[] = [];
  for (const q of p.questions ?? []) questions.push({ name: q.name, type: typeName(q.type) });
  const answers: DnsAnswer[] = [];
  for (const a of p.answers ?? []) {
    if (a.type === 'OPT') continue;
    answers.push({ name: a.name, type: typeName(a.type), data: renderData(a) });
  }
  return {
    id: p.id ?? 0,
    isResponse: p.flag_qr,
    rcode: (p.flags ?? 0) & 0x0f,
    questions,
    answers,
  };
}

/** dns-packet's question codec (exported at runtime, missing from @types/dns-packet). */
interface QuestionCodec {
  /** Sets decode.bytes to the bytes consumed, dns-packet style. */
  decode: ((buf: Buffer, offset: number) => { name: string; type: string }) & { readonly bytes: number };
}

/** Header and whatever questions were captured of a message the capture cut short. */
function decodeCut(msg: Buffer): DnsInfo | undefined {
  if (msg.length < 12) return undefined;
  const header = new Cursor(msg);
  const id = header.u16('DNS header');
  const flags = header.u16('DNS header');
  const qdcount = header.u16('DNS header');
  if (qdcount === 0) return undefined;
  const codec = (dnsPacket as unknown as { question: QuestionCodec }).question;
  const questions: DnsQuestion[] = [];
  let at = 12;
  try {
    for (let i = 0; i < qdcount; i++) {
      const q = codec.decode(msg, at);
      at += codec.decode.bytes;
      questions.push({ name: q.name, type: typeName(q.type) });
    }
  } catch {
    // The rest was not captured.
  }
  if (questions.length === 0) return undefined;
  return { id, isResponse: (flags & 0x8000) !== 0, rcode: flags & 0x0f, questions, answers: [] };
}

/**
 * Decode the DNS message in `payload` (the captured transport payload). `tcp`: skip the 2-byte length
 * prefix. `cut`: the capture holds less than the whole payload (then a partial decode is accepted).
 */
export function decodeDns(payload: Uint8Array, tcp: boolean, cut: boolean): DnsInfo | undefined {
  let start = 0;
  let length = payload.length;
  if (tcp) {
    if (payload.length < 2) return undefined;
    const declared = new Cursor(payload).u16('DNS message length');
    start = 2;
    if (declared <= payload.length - 2) {
      length = declared;
    } else {
      // The message continues in later segments (or the capture cut it).
      length = payload.length - 2;
      cut = true;
    }
  }
  if (length < 12) return undefined;
  const msg = Buffer.from(payload.buffer, payload.byteOffset + start, length);
  try {
    return toInfo(dnsPacket.decode(msg));
  } catch {
    return cut ? decodeCut(msg) : undefined;
  }
}
