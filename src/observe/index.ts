/**
 * observe: the syscall tracer (dist/bpf/netaudit-tracer, built from bpf/), the collecting side only.
 * - availability(): can it run here, and if not, what is missing (never throws); diagnose(): the same for
 *   `netaudit doctor`, which also starts the loader once and names the tools that build it.
 * - Observer.start() / watch(netns) / collect(netns) / stop(): the tracer process, one per netaudit command.
 * Its output is decoded by src/decode/tracer.ts and its events attributed by src/analyze/attribute.ts (pure).
 */
export { availability, diagnose, systemProbe, type Availability, type AvailabilityProbe } from './availability.js';
export { Observer, TRACER_PATH, netnsInodeOf, type CollectOptions, type ObservedNamespace, type ObserverEnd, type ObserverOptions } from './observer.js';
