/**
 * `--explain`'s pure half: which attempts of the faithful run an intercepted rerun of the same build explains,
 * and with what `wanted`. The two runs are separate builds (their clocks, pids and sinkhole addresses differ),
 * so attempts are matched by what they were for, never by time:
 * - a faithful DNS lookup of NAME failed, so nothing followed it; in the rerun the lookup succeeded and the
 *   connect came next: it is explained by the rerun's TCP attempts whose hostname is NAME (any port);
 * - a faithful TCP attempt to a literal address is explained by the rerun's TCP attempt to the same family,
 *   address and port; one that carries a hostname (an /etc/hosts entry) also by the rerun's TCP attempts to that
 *   hostname and port;
 * - always within the same phase (both unknown counts as the same: `netaudit run` has no phases).
 * Only rerun attempts with `wanted` explain anything. Several texts for one faithful attempt are given in the
 * rerun's order, each once, joined with ` | ` as attachWanted does (src/analyze/intercept.ts). UDP, ICMP and
 * UNIX attempts are never explained (the responder answers DNS and TCP only).
 */
import type { Attempt } from '../model/types.js';
import { canonicalAddress } from '../decode/addr.js';

/** A host name in one spelling: lower case, no trailing dot. */
function nameKey(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** Whether the rerun's attempt `r` (TCP, with wanted) explains the faithful attempt `f`. */
export function explains(f: Attempt, r: Attempt): boolean {
  if (r.kind !== 'tcp' || r.wanted === undefined) return false;
  if ((f.phase ?? '') !== (r.phase ?? '')) return false;
  const sameName = f.hostname !== undefined && r.hostname !== undefined && nameKey(f.hostname) === nameKey(r.hostname);
  if (f.kind === 'dns') return sameName;
  if (f.kind !== 'tcp' || f.port !== r.port) return false;
  if (f.family === r.family && canonicalAddress(f.address) === canonicalAddress(r.address)) return true;
  return sameName;
}

/**
 * The faithful attempts with `wanted` set where the rerun explains them (an attempt that has one already, from
 * an intercepted faithful run, is left as it is), and how many got one. Order and every other field unchanged.
 */
export function explainAttempts(faithful: readonly Attempt[], rerun: readonly Attempt[]): { attempts: Attempt[]; explained: number } {
  let explained = 0;
  const attempts = faithful.map((f) => {
    if (f.wanted !== undefined) return f;
    const texts: string[] = [];
    for (const r of rerun) {
      if (!explains(f, r)) continue;
      if (!texts.includes(r.wanted as string)) texts.push(r.wanted as string);
    }
    if (!texts.length) return f;
    explained++;
    return { ...f, wanted: texts.join(' | ') };
  });
  return { attempts, explained };
}
