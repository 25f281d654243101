/**
 * observe: the syscall observer (bpf/observer.bt under bpftrace) and what is made of its events.
 * - availability(): can it run here, and if not, what is missing (never throws).
 * - Observer.start({ netnsInode }) / stop(): the tracer process, attached and drained.
 * - parseOutput() / OutputReader: bpftrace output -> SyscallEvent[] (pure).
 * - attribute(), unixAttempts(): events + attempts -> attempts with `process`, abstract UNIX attempts (pure).
 */
export { availability, parseBpftraceVersion, systemProbe, type Availability, type AvailabilityProbe } from './availability.js';
export { ARGV_MAX_ARGS, ARGV_MAX_CHARS, attribute, processOf, reportArgv, unixAttempts, type AttributeOptions, type AttributedAttempt, type Attribution, type UnixAttemptOptions } from './attribute.js';
export { measureOffsetMs, toEpochMs, type ClockSource } from './clock.js';
export { Observer, defaultPerfPages, ensureTracefs, netnsInodeOf, onlineCpus, type ObserverOptions, type ObserverRun, type StopOptions } from './observer.js';
export { ARGV_CHUNK_BYTES, ARGV_KERNEL_CAP, ARGV_MAX_CHUNKS } from './argv.js';
export { OutputReader, assemble, errnoName, parseLine, parseOutput, splitArgv, type NamespacedRecord, type OutputLine, type TraceRecord } from './parse.js';
export { bytesText, cString, decodeSockaddr, hexBytes, type SockAddr } from './sockaddr.js';
export type * from './types.js';
