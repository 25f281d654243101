/**
 * How the tracer hands over a process's argv, in one place: bpf/observer.bt prints the bytes of a new image's
 * argv in "argv" records of ARGV_CHUNK_BYTES each (the record's `i` numbers them), ARGV_MAX_CHUNKS at most, so
 * ARGV_KERNEL_CAP bytes reach netaudit and a longer argv is marked truncated. The script cannot import these
 * (bpftrace's unroll() takes a literal): it names this file beside its numbers, and test/decode/argv.test.ts
 * checks that the two agree.
 */

/** Bytes of argv in one "argv" record; also BPFTRACE_STRLEN, the size of the script's buf() (observer.ts). */
export const ARGV_CHUNK_BYTES = 160;
/** "argv" records per exec at most (the script's unroll count). */
export const ARGV_MAX_CHUNKS = 20;
/** Bytes of argv the script prints at most. */
export const ARGV_KERNEL_CAP = ARGV_CHUNK_BYTES * ARGV_MAX_CHUNKS;
