/**
 * Which phase a moment belongs to. Intervals are [startMs, endMs); a phase without endMs lasts until the
 * next phase starts (or for ever). When intervals overlap, the one that started last (innermost) wins; on
 * equal starts, the one given last. Phases count from the build's start (model Phase); `at()` takes epoch
 * ms, the packets' clock, and `originMs` (the build's start in epoch ms) joins the two.
 */
import type { Phase } from '../model/types.js';

interface Segment {
  readonly start: number;
  readonly name: string | undefined;
}

export class PhaseClock {
  /** Elementary segments in time order: from `start` to the next segment's start, phase `name`. */
  readonly #segments: Segment[] = [];

  readonly #originMs: number;

  constructor(phases: readonly Phase[] = [], originMs = 0) {
    this.#originMs = originMs;
    for (const ph of phases) {
      if (!Number.isFinite(ph.startMs)) throw new RangeError(`phase ${JSON.stringify(ph.name)}: startMs must be a finite number of epoch ms (got ${ph.startMs})`);
      if (ph.endMs !== undefined && !(ph.endMs >= ph.startMs)) {
        throw new RangeError(`phase ${JSON.stringify(ph.name)}: endMs must be a number not before startMs ${ph.startMs} (got ${ph.endMs})`);
      }
    }
    const order = phases.map((ph, i) => ({ ph, i })).sort((a, b) => a.ph.startMs - b.ph.startMs || a.i - b.i);
    const intervals = order.map(({ ph }, k) => ({
      name: ph.name,
      start: ph.startMs,
      end: ph.endMs ?? order.slice(k + 1).find((n) => n.ph.startMs > ph.startMs)?.ph.startMs ?? Infinity,
    }));
    const bounds = [...new Set(intervals.flatMap((iv) => [iv.start, iv.end]))].filter(Number.isFinite).sort((a, b) => a - b);
    for (const b of bounds) {
      let name: string | undefined;
      for (const iv of intervals) if (iv.start <= b && b < iv.end) name = iv.name; // sorted: last match started last
      this.#segments.push({ start: b, name });
    }
  }

  /** Name of the phase containing epoch time ts, if any. */
  at(epochMs: number): string | undefined {
    const ts = epochMs - this.#originMs;
    const s = this.#segments;
    let lo = 0;
    let hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((s[mid] as Segment).start <= ts) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 ? s[lo - 1]?.name : undefined;
  }
}
