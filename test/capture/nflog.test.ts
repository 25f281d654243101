/**
 * One NFLOG capture of several groups split into a capture per group (src/capture/nflog.ts): each record goes
 * to the file of its group (the NFLOG header's resource ID), in order, behind the same file header, in either
 * byte order; a record cut short at the end is left out and said.
 */
import assert from 'node:assert/strict';
import { splitNflogPcap } from '../../src/capture/nflog.js';
import { LINKTYPE } from '../../src/decode/types.js';

/** A pcap file header of link type `linkType` in the given byte order (microsecond magic). */
function fileHeader(le: boolean, linkType: number = LINKTYPE.NFLOG): Buffer {
  const h = Buffer.alloc(24);
  const w32 = (v: number, at: number): number => (le ? h.writeUInt32LE(v, at) : h.writeUInt32BE(v, at));
  const w16 = (v: number, at: number): number => (le ? h.writeUInt16LE(v, at) : h.writeUInt16BE(v, at));
  w32(0xa1b2c3d4, 0);
  w16(2, 4);
  w16(4, 6);
  w32(65535, 16);
  w32(linkType, 20);
  return h;
}

/** One record: an NFLOG header of `group` (resource ID, network order) and a payload naming it. */
function record(le: boolean, group: number, payload: string, second: number): Buffer {
  const data = Buffer.concat([Buffer.from([2, 0, group >> 8, group & 0xff]), Buffer.from(payload)]);
  const h = Buffer.alloc(16);
  const w32 = (v: number, at: number): number => (le ? h.writeUInt32LE(v, at) : h.writeUInt32BE(v, at));
  w32(second, 0);
  w32(0, 4);
  w32(data.length, 8);
  w32(data.length, 12);
  return Buffer.concat([h, data]);
}

describe('capture/nflog: one NFLOG capture split by group', () => {
  for (const le of [true, false]) {
    it(`each record goes to its group's file, in order, behind the same header (${le ? 'little' : 'big'}-endian file)`, () => {
      const recs = [record(le, 8, 'lo-1', 1), record(le, 9, 'veth-1', 2), record(le, 7, 'drop-1', 3), record(le, 8, 'lo-2', 4), record(le, 300, 'other', 5), record(le, 9, 'veth-2', 6)];
      const pcap = Buffer.concat([fileHeader(le), ...recs]);
      const split = splitNflogPcap(pcap, [8, 9, 7]);
      const head = fileHeader(le);
      assert.deepEqual(split.byGroup.get(8), Buffer.concat([head, recs[0]!, recs[3]!]));
      assert.deepEqual(split.byGroup.get(9), Buffer.concat([head, recs[1]!, recs[5]!]));
      assert.deepEqual(split.byGroup.get(7), Buffer.concat([head, recs[2]!]));
      assert.deepEqual([...split.records], [[8, 2], [9, 2], [7, 1]]);
      assert.equal(split.other, 1, 'the record of a group not asked for is counted, not kept');
      assert.equal(split.truncated, false);
    });
  }

  it('a record cut short at the end is left out and the split says so; a group without records gets the header alone', () => {
    const whole = record(true, 8, 'lo-1', 1);
    const cut = record(true, 9, 'veth-cut', 2).subarray(0, 20);
    const split = splitNflogPcap(Buffer.concat([fileHeader(true), whole, cut]), [8, 9]);
    assert.equal(split.truncated, true);
    assert.deepEqual(split.byGroup.get(8), Buffer.concat([fileHeader(true), whole]));
    assert.deepEqual(split.byGroup.get(9), fileHeader(true));
    assert.equal(split.records.get(9), 0);
  });

  it('an empty capture (tcpdump wrote nothing) splits into empty files; anything else that is not NFLOG pcap throws', () => {
    const empty = splitNflogPcap(Buffer.alloc(0), [8, 9]);
    assert.deepEqual([...empty.byGroup.values()].map((b) => b.length), [0, 0]);
    assert.throws(() => splitNflogPcap(Buffer.concat([fileHeader(true, 1), record(true, 8, 'x', 1)]), [8]), /not an NFLOG capture \(link type 1\)/);
    assert.throws(() => splitNflogPcap(Buffer.from('not a pcap file at all, really'), [8]), /not a pcap file/);
  });
});
