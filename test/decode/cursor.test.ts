import assert from 'node:assert/strict';
import { Cursor, DecodeError, need, u16At, u16LeAt, u32At, u32LeAt } from '../../src/decode/cursor.js';

describe('decode/cursor', () => {
  const buf = Uint8Array.from([0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0xff]);

  it('reads big-endian fields and advances', () => {
    const c = new Cursor(buf);
    assert.equal(c.u8('a'), 0x12);
    assert.equal(c.u16('b'), 0x3456);
    assert.equal(c.offset, 3);
    assert.equal(c.u32('c'), 0x789abcde);
    assert.equal(c.remaining, 2);
    assert.deepEqual([...c.bytes(2, 'd')], [0xf0, 0xff]);
    assert.equal(c.remaining, 0);
  });

  it('reads u32 above 2^31 as an unsigned number', () => {
    assert.equal(u32At(Uint8Array.from([0xff, 0xff, 0xff, 0xfe]), 0), 0xfffffffe);
    assert.equal(u32LeAt(Uint8Array.from([0xfe, 0xff, 0xff, 0xff]), 0), 0xfffffffe);
    assert.equal(u16At(buf, 7), 0xf0ff);
    assert.equal(u16LeAt(buf, 0), 0x3412);
  });

  it('throws a DecodeError naming the field and offset before reading past the end', () => {
    const c = new Cursor(buf, 6);
    assert.throws(() => c.u32('IPv4 header'), (e: unknown) => {
      assert.ok(e instanceof DecodeError);
      assert.equal(e.message, 'truncated IPv4 header at offset 6');
      assert.equal(e.offset, 6);
      return true;
    });
    assert.equal(c.offset, 6, 'a failed read does not move the cursor');
    assert.throws(() => c.skip(4, 'TCP options'), /truncated TCP options at offset 6/);
  });

  it('honours an end before the buffer end', () => {
    const c = new Cursor(buf, 0, 2);
    assert.equal(c.u16('x'), 0x1234);
    assert.throws(() => c.u8('UDP header'), /truncated UDP header at offset 2/);
  });

  it('bytes() returns a view, not a copy', () => {
    const b = Uint8Array.from([1, 2, 3, 4]);
    const v = new Cursor(b, 1).bytes(2, 'x');
    b[1] = 9;
    assert.equal(v[0], 9);
  });

  it('need() rejects negative offsets and lengths', () => {
    assert.throws(() => need(10, -1, 2, 'x'), DecodeError);
    assert.throws(() => need(10, 0, -1, 'x'), DecodeError);
    assert.doesNotThrow(() => need(10, 8, 2, 'x'));
  });
});
