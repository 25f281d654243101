/** The fixture captures under fixtures/pcap/ and the summary their packets.json files hold. */
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { CaptureSource } from '../../src/model/types.js';
import { decodeFrame } from '../../src/decode/index.js';
import type { DecodedPacket, NoiseKind, RawFrame } from '../../src/decode/types.js';

/** fixtures/pcap, from dist/test/decode/. */
export const PCAP_DIR = fileURLToPath(new URL('../../../fixtures/pcap/', import.meta.url));

/** Capture source by file name; the cooked any-*.pcap captures of the build namespace count as veth. */
export function sourceOf(file: string): CaptureSource {
  if (file === 'lo.pcap') return 'lo';
  if (file === 'nflog.pcap') return 'nflog';
  return 'veth';
}

/** Scenario directories (all but broken/) and the pcap files in each. */
export function scenarios(): { name: string; dir: string; files: string[] }[] {
  return readdirSync(PCAP_DIR)
    .filter((n) => n !== 'broken' && statSync(join(PCAP_DIR, n)).isDirectory())
    .sort()
    .map((name) => {
      const dir = join(PCAP_DIR, name);
      return { name, dir, files: readdirSync(dir).filter((f) => f.endsWith('.pcap')).sort() };
    });
}

/** One frame as packets.json records it: the decoded packet, or its noise kind, or why it is undecodable. */
export type FrameSummary = DecodedPacket | { index: number; noise: NoiseKind } | { index: number; undecodable: string };

export interface FileSummary {
  source: CaptureSource;
  linkType: number;
  snapLength: number;
  frames: number;
  packets: number;
  noise: Partial<Record<NoiseKind, number>>;
  undecodable: number;
  /** One tcpdump-like line per packet, for reading by eye next to `tcpdump -nr`. */
  lines: string[];
  decoded: FrameSummary[];
}

/** addr.port, as tcpdump -n writes it (for IPv6 too). */
function endpoint(addr: string, port: number | undefined): string {
  return port === undefined ? addr : `${addr}.${port}`;
}

/** A short tcpdump-like rendering of a packet. */
export function line(p: DecodedPacket): string {
  const sport = p.tcp?.srcPort ?? p.udp?.srcPort;
  const dport = p.tcp?.dstPort ?? p.udp?.dstPort;
  let s = `#${p.index} IP${p.family === 6 ? '6' : ''} ${endpoint(p.src, sport)} > ${endpoint(p.dst, dport)}: ${p.proto}`;
  if (p.tcp) {
    const f = `${p.tcp.syn ? 'S' : ''}${p.tcp.fin ? 'F' : ''}${p.tcp.rst ? 'R' : ''}${p.tcp.ackFlag ? '.' : ''}`;
    s += ` [${f}] length ${p.tcp.payloadLength}`;
  }
  if (p.udp) s += ` length ${p.udp.payloadLength}`;
  if (p.icmp) {
    s += ` type ${p.icmp.type} code ${p.icmp.code}`;
    if (p.icmp.echo) s += ` echo id ${p.icmp.echo.id} seq ${p.icmp.echo.seq}`;
    const q = p.icmp.quoted;
    if (q) s += ` quoting ${endpoint(q.src, q.srcPort)} > ${endpoint(q.dst, q.dstPort)} ${q.proto}`;
  }
  if (p.dns) {
    s += ` dns ${p.dns.id}${p.dns.isResponse ? ' response' : ''} ${p.dns.questions.map((q) => `${q.type}? ${q.name}`).join(', ')}`;
    for (const a of p.dns.answers) s += ` ${a.type} ${a.data}`;
  }
  return s;
}

export function summarize(linkType: number, snapLength: number, frames: readonly RawFrame[], source: CaptureSource): FileSummary {
  const out: FileSummary = { source, linkType, snapLength, frames: frames.length, packets: 0, noise: {}, undecodable: 0, lines: [], decoded: [] };
  for (const f of frames) {
    const r = decodeFrame(linkType, f, source);
    if (r.kind === 'packet') {
      out.packets++;
      out.lines.push(line(r.packet));
      out.decoded.push(r.packet);
    } else if (r.kind === 'noise') {
      out.noise[r.noise] = (out.noise[r.noise] ?? 0) + 1;
      out.decoded.push({ index: f.index, noise: r.noise });
    } else {
      out.undecodable++;
      out.decoded.push({ index: f.index, undecodable: r.reason });
    }
  }
  return out;
}
