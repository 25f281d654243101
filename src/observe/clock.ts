/**
 * The observer's clock and the captures' clock. bpftrace's `nsecs` is bpf_ktime_get_ns(): CLOCK_MONOTONIC,
 * the clock of Node's process.hrtime. pcap timestamps are CLOCK_REALTIME (epoch), the clock of Date.now().
 * The offset between the two is measured once when the observer starts: Date.now() is read until its
 * millisecond changes, and the monotonic clock right then gives the offset to a few microseconds (the wait
 * is at most one millisecond). bpftrace's own strftime() is not used: it adds boot time to nsecs, which is
 * off by the time the machine was suspended (CLOCK_BOOTTIME vs CLOCK_MONOTONIC).
 * An NTP step during a run moves the realtime clock but not this offset; stop() measures it again and
 * reports the drift.
 */

export interface ClockSource {
  readonly realtimeMs: () => number;
  readonly monotonicNs: () => bigint;
}

export const systemClock: ClockSource = { realtimeMs: () => Date.now(), monotonicNs: () => process.hrtime.bigint() };

/** realtime - monotonic, in milliseconds (add it to ns / 1e6 to get epoch ms). */
export function measureOffsetMs(clock: ClockSource = systemClock): number {
  const first = clock.realtimeMs();
  let ms = first;
  let mono = clock.monotonicNs();
  // Spin to the next millisecond edge (bounded: a clock that does not move gives a coarse offset).
  for (let i = 0; i < 1_000_000 && ms === first; i++) {
    ms = clock.realtimeMs();
    mono = clock.monotonicNs();
  }
  // ms - mono/1e6 computed without losing the sub-ms digits of mono.
  const monoMs = Number(mono / 1000n) / 1000;
  return ms - monoMs;
}

/** Monotonic ns (bpftrace's nsecs) -> epoch ms. */
export function toEpochMs(ns: number, offsetMs: number): number {
  return ns / 1e6 + offsetMs;
}
