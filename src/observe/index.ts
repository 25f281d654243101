/**
 * observe: the syscall tracer (bpf/observer.bt under bpftrace), the collecting side only.
 * - availability(): can it run here, and if not, what is missing (never throws).
 * - Observer.start({ netnsInode }) / stop(): the tracer process, attached and drained.
 * Its output is decoded by src/decode/bpftrace.ts and its events attributed by src/analyze/attribute.ts (pure).
 */
export { availability, parseBpftraceVersion, systemProbe, type Availability, type AvailabilityProbe } from './availability.js';
export { measureOffsetMs, toEpochMs, type ClockSource } from './clock.js';
export { Observer, defaultPerfPages, ensureTracefs, netnsInodeOf, onlineCpus, type ObserverOptions, type ObserverRun, type StopOptions } from './observer.js';
