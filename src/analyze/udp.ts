/**
 * UDP: DNS queries become one try per question (a retry with the same id and question is counted on it),
 * other datagrams one try per 5-tuple. A DNS response closes the query it answers (same id, reversed
 * 5-tuple); a datagram coming back on a known flow answers it.
 */
import { normalizeName, queryQuestions } from './dns.js';
import { tupleKey, type FlowTable, type PacketView } from './flows.js';

export function onUdp(v: PacketView, table: FlowTable): void {
  const udp = v.p.udp;
  if (!udp) return;
  const { family, tsMs } = v.p;
  const tuple = tupleKey('udp', family, v.src, udp.srcPort, v.dst, udp.dstPort);
  const back = tupleKey('udp', family, v.dst, udp.dstPort, v.src, udp.srcPort);
  const questions = queryQuestions(v.p);
  if (questions && v.fromBuild) {
    const group = `dns:${v.p.dns?.id ?? ''}`;
    for (const q of questions) {
      const qname = normalizeName(q.name);
      table.send(tuple, group, `${qname}\u0000${q.type}`, tsMs, {
        kind: 'dns',
        family,
        address: v.dst,
        port: udp.dstPort,
        qname,
        qtype: q.type,
      });
    }
    return;
  }
  if (v.p.dns?.isResponse && table.source !== 'nflog') {
    table.answer(back, `dns:${v.p.dns.id}`, 'served');
    table.answer(back, '', 'served');
    return;
  }
  if (table.source !== 'nflog' && table.hasFlow(back)) {
    table.answer(back, '', 'served');
    return;
  }
  if (v.fromBuild) table.send(tuple, '', '', tsMs, { kind: 'udp', family, address: v.dst, port: udp.dstPort });
}
