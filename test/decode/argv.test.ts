/**
 * The argv chunking of the tracer is written twice, once in bpf/observer.bt (bpftrace's unroll() takes only a
 * literal) and once in src/decode/argv.ts, where the parser and the tracer's launcher read it: the two agree.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ARGV_CHUNK_BYTES, ARGV_KERNEL_CAP, ARGV_MAX_CHUNKS } from '../../src/decode/argv.js';
import { ROOT } from '../helpers/cli.js';

describe('decode/argv: the chunking of argv', function () {
  const script = readFileSync(path.join(ROOT, 'bpf/observer.bt'), 'utf8');
  const probe = /tracepoint:sched:sched_process_exec[\s\S]*?\n\}\n/.exec(script)?.[0] ?? '';

  it('bpf/observer.bt prints argv in ARGV_MAX_CHUNKS records of ARGV_CHUNK_BYTES, and says where they live', function () {
    assert.ok(probe.includes(String.raw`\"e\":\"argv\"`), 'the exec probe prints argv records');
    assert.deepEqual([...probe.matchAll(/unroll\((\d+)\)/g)].map((m) => Number(m[1])), [ARGV_MAX_CHUNKS]);
    // The chunk size: the length of a chunk, the chunk's number, the step to the next one.
    const sizes = [...probe.matchAll(/> (\d+) \? (\d+) :|\$off \/ (\d+)|\$off \+= (\d+)/g)].flatMap((m) => m.slice(1).filter(Boolean).map(Number));
    assert.deepEqual(sizes, [ARGV_CHUNK_BYTES, ARGV_CHUNK_BYTES, ARGV_CHUNK_BYTES, ARGV_CHUNK_BYTES]);
    assert.match(script, /BPFTRACE_STRLEN=(\d+)/);
    assert.equal(Number(/BPFTRACE_STRLEN=(\d+)/.exec(script)?.[1]), ARGV_CHUNK_BYTES);
    assert.match(probe, /src\/decode\/argv\.ts/);
    assert.equal(ARGV_KERNEL_CAP, ARGV_CHUNK_BYTES * ARGV_MAX_CHUNKS);
  });

  it('the launcher gives bpftrace ARGV_CHUNK_BYTES as BPFTRACE_STRLEN', function () {
    const launcher = readFileSync(path.join(ROOT, 'src/observe/observer.ts'), 'utf8');
    assert.match(launcher, /const STRLEN = ARGV_CHUNK_BYTES;/);
    assert.match(launcher, /BPFTRACE_STRLEN: String\(STRLEN\)/);
  });
});
