import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPcapFile } from '../../src/capture/pcap.js';
import { readPcapBuffer } from '../../src/decode/pcap.js';
import { decodeFrames } from '../../src/decode/index.js';
import { LINKTYPE } from '../../src/decode/types.js';
import { exitCodeFor, NetauditError } from '../../src/model/errors.js';

const PCAP_DIR = fileURLToPath(new URL('../../../fixtures/pcap/', import.meta.url));
const BROKEN = join(PCAP_DIR, 'broken');

interface Expect {
  error?: string;
  messageIncludes?: string;
  frames?: number;
  incomplete?: boolean;
  linkType?: number;
  nanosecond?: boolean;
  sameFramesAs?: string;
  tsOffsetMs?: number;
}
const manifest = JSON.parse(readFileSync(join(BROKEN, 'manifest.json'), 'utf8')) as Record<string, { description: string; expect: Expect }>;

/** A classic little-endian microsecond pcap built by hand. */
function pcap(linkType: number, records: { sec: number; frac: number; data: Buffer; orig?: number }[], magic = 0xa1b2c3d4, snap = 65535): Buffer {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(magic, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(snap, 16);
  h.writeUInt32LE(linkType, 20);
  const parts: Buffer[] = [h];
  for (const r of records) {
    const rh = Buffer.alloc(16);
    rh.writeUInt32LE(r.sec, 0);
    rh.writeUInt32LE(r.frac, 4);
    rh.writeUInt32LE(r.data.length, 8);
    rh.writeUInt32LE(r.orig ?? r.data.length, 12);
    parts.push(rh, r.data);
  }
  return Buffer.concat(parts);
}

async function rejectsWith(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof NetauditError, String(e));
    assert.equal(e.code, code);
    assert.equal(exitCodeFor(e), 2);
    assert.match(e.message, message);
    return true;
  });
}

describe('capture/pcap', () => {
  it('reads a real capture: link type, snapshot length, frames with timestamps', async () => {
    const path = join(PCAP_DIR, 'curl-v4', 'veth.pcap');
    const raw = readFileSync(path);
    const p = await readPcapFile(path);
    assert.equal(p.linkType, LINKTYPE.ETHERNET);
    assert.equal(p.snapLength, 1600);
    assert.equal(p.incomplete, false);
    assert.equal(p.nanosecond, false);
    assert.equal(p.truncation, undefined);
    // Walk the records by hand and compare.
    let at = 24;
    let i = 0;
    while (at < raw.length) {
      const sec = raw.readUInt32LE(at);
      const usec = raw.readUInt32LE(at + 4);
      const caplen = raw.readUInt32LE(at + 8);
      const f = p.frames[i];
      assert.ok(f);
      assert.equal(f.index, i);
      assert.equal(f.tsMs, sec * 1000 + usec / 1000);
      assert.equal(f.origLength, raw.readUInt32LE(at + 12));
      assert.deepEqual(Buffer.from(f.data), raw.subarray(at + 16, at + 16 + caplen));
      at += 16 + caplen;
      i++;
    }
    assert.equal(p.frames.length, i);
    assert.equal(i, 16);
  });

  it('reads NFLOG and cooked captures with their link types', async () => {
    assert.equal((await readPcapFile(join(PCAP_DIR, 'dns-nflog', 'nflog.pcap'))).linkType, LINKTYPE.NFLOG);
    assert.equal((await readPcapFile(join(PCAP_DIR, 'cooked', 'any-sll.pcap'))).linkType, LINKTYPE.LINUX_SLL);
    assert.equal((await readPcapFile(join(PCAP_DIR, 'cooked', 'any-sll2.pcap'))).linkType, LINKTYPE.LINUX_SLL2);
  });

  it('a header-only capture has no frames and is not incomplete', async () => {
    const p = await readPcapFile(join(PCAP_DIR, 'curl-v4', 'lo.pcap'));
    assert.deepEqual([p.frames.length, p.incomplete, p.linkType], [0, false, LINKTYPE.ETHERNET]);
  });

  it('readPcapBuffer takes a plain Uint8Array; frames are views, not copies', async () => {
    const buf = pcap(LINKTYPE.RAW, [
      { sec: 10, frac: 500, data: Buffer.from([0x45, 1, 2]) },
      { sec: 11, frac: 999999, data: Buffer.from([0x60]), orig: 1500 },
    ]);
    const u8 = new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
    const p = await readPcapBuffer(u8);
    assert.equal(p.linkType, LINKTYPE.RAW);
    assert.equal(p.snapLength, 65535);
    assert.deepEqual(
      p.frames.map((f) => [f.index, f.tsMs, [...f.data], f.origLength]),
      [
        [0, 10000.5, [0x45, 1, 2], 3],
        [1, 11999.999, [0x60], 1500],
      ],
    );
    assert.equal(p.frames[0]?.data.buffer, u8.buffer, 'a view into the input');
  });

  it('masks the FCS bits out of the link type field', async () => {
    const buf = pcap(LINKTYPE.ETHERNET, []);
    buf.writeUInt32LE(0x10000000 | LINKTYPE.ETHERNET, 20);
    assert.equal((await readPcapBuffer(buf)).linkType, LINKTYPE.ETHERNET);
  });

  it('a missing file is E_NO_SUCH_FILE; a directory is E_BAD_PCAP', async () => {
    await rejectsWith(readPcapFile('/nonexistent/netaudit/x.pcap'), 'E_NO_SUCH_FILE', /no such pcap file: \/nonexistent\/netaudit\/x\.pcap/);
    const dir = mkdtempSync(join(tmpdir(), 'netaudit-pcap-'));
    try {
      await rejectsWith(readPcapFile(dir), 'E_BAD_PCAP', /^malformed pcap .*: it is a directory — re-capture it or check the path$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the in-memory capture in errors', async () => {
    await rejectsWith(readPcapBuffer(Buffer.from('not a pcap file at all, no'), 'veth capture'), 'E_BAD_PCAP', /^malformed pcap veth capture: bad magic number 0x6e6f7420 \(not a pcap file\) — re-capture it or check the path$/);
  });

  it('a record cut short at the end: the frames before it, incomplete', async () => {
    const full = pcap(LINKTYPE.RAW, [
      { sec: 1, frac: 0, data: Buffer.alloc(40, 0x45) },
      { sec: 2, frac: 0, data: Buffer.alloc(40, 0x45) },
    ]);
    const midData = await readPcapBuffer(full.subarray(0, full.length - 10));
    assert.deepEqual([midData.frames.length, midData.incomplete, midData.truncation], [1, true, 'record 1 cut after 30 of 40 bytes']);
    const midHeader = await readPcapBuffer(full.subarray(0, 24 + 56 + 5));
    assert.deepEqual([midHeader.frames.length, midHeader.incomplete, midHeader.truncation], [1, true, 'record 1 header cut after 5 of 16 bytes']);
    const exact = await readPcapBuffer(full.subarray(0, 24 + 56));
    assert.deepEqual([exact.frames.length, exact.incomplete], [1, false]);
  });

  it('nanosecond magic: fractions are nanoseconds', async () => {
    const p = await readPcapBuffer(pcap(LINKTYPE.RAW, [{ sec: 3, frac: 123456789, data: Buffer.from([0x45]) }], 0xa1b23c4d));
    assert.equal(p.nanosecond, true);
    assert.equal(p.frames[0]?.tsMs, 3123.456789);
  });

  for (const [file, { description, expect }] of Object.entries(manifest)) {
    if (expect.error === undefined && expect.incomplete === undefined) continue;
    it(`broken/${file}: ${description}`, async () => {
      const path = join(BROKEN, file);
      if (expect.error !== undefined) {
        await rejectsWith(readPcapFile(path), expect.error, new RegExp(`^malformed pcap ${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: .*${(expect.messageIncludes ?? '').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}.* — re-capture it or check the path$`));
        return;
      }
      const p = await readPcapFile(path);
      assert.equal(p.frames.length, expect.frames);
      assert.equal(p.incomplete, expect.incomplete);
      if (expect.linkType !== undefined) assert.equal(p.linkType, expect.linkType);
      if (expect.incomplete) assert.ok(p.truncation, 'says why');
      if (expect.messageIncludes) assert.ok(p.truncation?.includes(expect.messageIncludes), p.truncation);
      if (expect.nanosecond !== undefined) assert.equal(p.nanosecond, expect.nanosecond);
      // Files that are a cut or re-encoded copy of a capture: the frames before the damage are intact.
      if (!expect.incomplete && expect.sameFramesAs === undefined) return;
      const source = await readPcapFile(join(PCAP_DIR, expect.sameFramesAs ?? 'curl-v4/veth.pcap'));
      for (const f of p.frames) {
        const o = source.frames[f.index];
        assert.ok(o);
        assert.deepEqual(Buffer.from(f.data), Buffer.from(o.data));
        assert.equal(f.origLength, o.origLength);
        // A double near 1.8e12 ms resolves about 0.25 us: compare to the microsecond.
        assert.ok(Math.abs(f.tsMs - (o.tsMs + (expect.tsOffsetMs ?? 0))) < 1e-3, `${f.tsMs} vs ${o.tsMs}`);
      }
      if (expect.sameFramesAs) {
        assert.equal(p.frames.length, source.frames.length);
        const a = decodeFrames(p.linkType, p.frames, 'veth').packets.map(({ tsMs: _t, ...rest }) => rest);
        const b = decodeFrames(source.linkType, source.frames, 'veth').packets.map(({ tsMs: _t, ...rest }) => rest);
        assert.deepStrictEqual(a, b);
      }
    });
  }

  it('reads 100,000 frames and decodes them quickly', async function () {
    this.timeout(20000);
    const syn = readFileSync(join(PCAP_DIR, 'curl-v4', 'veth.pcap'));
    const source = await readPcapBuffer(syn);
    const frame = Buffer.from(source.frames[8]?.data ?? []);
    const n = 100000;
    const records = Array.from({ length: n }, (_, i) => ({ sec: 1_700_000_000 + (i >> 10), frac: i & 1023, data: frame }));
    const buf = pcap(LINKTYPE.ETHERNET, records);
    const t0 = performance.now();
    const p = await readPcapBuffer(buf);
    const d = decodeFrames(p.linkType, p.frames, 'veth');
    const ms = performance.now() - t0;
    assert.equal(d.packets.length, n);
    assert.equal(d.packets[n - 1]?.tcp?.dstPort, 80);
    // About 0.2 s on the 2-core CI machines; the bound leaves room for a slow run.
    assert.ok(ms < 5000, `${ms.toFixed(0)} ms for ${n} frames`);
  });
});
