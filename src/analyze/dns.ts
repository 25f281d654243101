/**
 * DNS: question names as attempts carry them, and the answers seen in any capture, so that a later
 * connection to an address a lookup returned gets that lookup's name (possible only when something answers
 * DNS, e.g. a sinkhole mode, or a resolver the build runs itself).
 */
import type { DecodedPacket, DnsQuestion } from '../decode/types.js';
import type { AddressBook } from './book.js';

/**
 * Question name as attempts carry it: ASCII letters lowercased (DNS compares names so; other bytes are left
 * alone, nothing is interpreted), one trailing dot removed; the root stays '.'.
 */
export function normalizeName(name: string): string {
  const lower = name.replace(/[A-Z]+/g, (s) => s.toLowerCase());
  if (lower === '' || lower === '.') return '.';
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** The questions of a DNS query (QR=0), or undefined when the packet is not one. */
export function queryQuestions(p: DecodedPacket): DnsQuestion[] | undefined {
  const dns = p.dns;
  if (!dns || dns.isResponse || dns.questions.length === 0) return undefined;
  return dns.questions;
}

interface Answered {
  readonly ts: number;
  readonly name: string;
}

/** address -> names that DNS answers gave for it, in time order. */
export class AnswerIndex {
  readonly #byAddress = new Map<string, Answered[]>();

  /** Index every A/AAAA answer of every DNS response; the name is the question asked (before any CNAME). */
  static from(packets: readonly DecodedPacket[], book: AddressBook): AnswerIndex {
    const index = new AnswerIndex();
    for (const p of packets) {
      const dns = p.dns;
      if (!dns?.isResponse) continue;
      const asked = dns.questions[0]?.name;
      for (const a of dns.answers) {
        if (a.type !== 'A' && a.type !== 'AAAA') continue;
        const address = book.canon(a.data);
        let list = index.#byAddress.get(address);
        if (!list) index.#byAddress.set(address, (list = []));
        list.push({ ts: p.tsMs, name: normalizeName(asked ?? a.name) });
      }
    }
    for (const list of index.#byAddress.values()) {
      list.sort((x, y) => x.ts - y.ts || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
    }
    return index;
  }

  /** The name of the latest answer for this address at or before ts. */
  nameFor(address: string, ts: number): string | undefined {
    const list = this.#byAddress.get(address);
    if (!list) return undefined;
    let lo = 0;
    let hi = list.length; // first entry with ts > given
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((list[mid] as Answered).ts <= ts) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 ? list[lo - 1]?.name : undefined;
  }
}
