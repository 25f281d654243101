import assert from 'node:assert/strict';
import { Cursor, DecodeError } from '../../src/decode/cursor.js';

describe('decode/cursor', () => {
  const buf = Uint8Array.from([0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0xff]);

  it('reads big-endian fields and advances', () => {
    const c = new Cursor(buf);
    assert.equal(c.u8('a'), 0x12);
    assert.equal(c.u16('b'), 0x3456);
    assert.equal(c.offset, 3);
    assert.equal(c.u32('c'), 0x789abcde);
    assert.equal(c.remaining, 2);
    assert.equal(c.peekU8('d'), 0xf0);
    assert.equal(c.offset, 7, 'peekU8 does not move the cursor');
    c.skip(2, 'e');
    assert.equal(c.remaining, 0);
  });

  it('reads u32 above 2^31 as an unsigned number', () => {
    assert.equal(new Cursor(Uint8Array.from([0xff, 0xff, 0xff, 0xfe])).u32('x'), 0xfffffffe);
    assert.equal(new Cursor(buf, 7).u16('x'), 0xf0ff);
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

  it('need() rejects negative offsets and lengths', () => {
    assert.throws(() => new Cursor(buf, -1).need(2, 'x'), DecodeError);
    assert.throws(() => new Cursor(buf, -1).u8('x'), DecodeError);
    assert.throws(() => new Cursor(buf).need(-1, 'x'), DecodeError);
    assert.throws(() => new Cursor(buf).skip(-1, 'x'), DecodeError);
    assert.doesNotThrow(() => new Cursor(buf, 7).need(2, 'x'));
  });

  it('peekU8() checks the bounds too; the end never lies beyond the buffer', () => {
    assert.throws(() => new Cursor(buf, 9).peekU8('IP header'), /truncated IP header at offset 9/);
    const c = new Cursor(buf, 8, 100);
    assert.equal(c.end, 9);
    assert.throws(() => c.u16('UDP header'), /truncated UDP header at offset 8/);
  });
});
