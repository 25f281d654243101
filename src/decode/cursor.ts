/**
 * Bounds-checked reading of big-endian fields from a Uint8Array, for the pure decoders.
 *
 * A Cursor reads forward within [offset, end) and checks the bounds before every read: a read past the end
 * throws a DecodeError naming what was being read and where ("truncated IPv4 header at offset 14"), so no
 * decoder ever reads out of bounds or silently gets `undefined`. Reads return plain numbers; nothing is
 * allocated per byte, and subarray() returns views, never copies. Each layer decoder takes a buffer and an
 * offset and returns its fields plus the offset where the next layer starts (dns-packet style).
 */

/** A frame (or a part of one) is malformed or was cut short. The message names the field and offset. */
export class DecodeError extends Error {
  /** Byte offset in the frame where the problem is. */
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = 'DecodeError';
    this.offset = offset;
  }
}

/** Throw unless `length` bytes starting at `offset` lie within `end`. */
export function need(end: number, offset: number, length: number, what: string): void {
  if (offset < 0 || length < 0 || offset + length > end) {
    throw new DecodeError(`truncated ${what} at offset ${offset}`, offset);
  }
}

/** Throw a DecodeError for a field that is present but invalid. */
export function malformed(what: string, offset: number): never {
  throw new DecodeError(`${what} at offset ${offset}`, offset);
}

export class Cursor {
  readonly buf: Uint8Array;
  /** Exclusive end of the readable region (never beyond buf.length). */
  readonly end: number;
  /** Next byte to read. */
  offset: number;

  constructor(buf: Uint8Array, offset = 0, end: number = buf.length) {
    this.buf = buf;
    this.offset = offset;
    this.end = Math.min(end, buf.length);
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  /** Throw (naming `what`) unless `length` more bytes can be read. */
  need(length: number, what: string): void {
    need(this.end, this.offset, length, what);
  }

  u8(what: string): number {
    need(this.end, this.offset, 1, what);
    return this.buf[this.offset++] as number;
  }

  u16(what: string): number {
    need(this.end, this.offset, 2, what);
    const o = this.offset;
    this.offset = o + 2;
    return u16At(this.buf, o);
  }

  u32(what: string): number {
    need(this.end, this.offset, 4, what);
    const o = this.offset;
    this.offset = o + 4;
    return u32At(this.buf, o);
  }

  skip(length: number, what: string): void {
    need(this.end, this.offset, length, what);
    this.offset += length;
  }

  /** The next `length` bytes as a view (no copy). */
  bytes(length: number, what: string): Uint8Array {
    need(this.end, this.offset, length, what);
    const o = this.offset;
    this.offset = o + length;
    return this.buf.subarray(o, o + length);
  }
}

/*
 * Unchecked reads at a position the caller has already checked with need(). They exist so that a decoder
 * can check a whole fixed-size header once and then read its fields without a check per field.
 */

export function u8At(buf: Uint8Array, at: number): number {
  return buf[at] as number;
}

export function u16At(buf: Uint8Array, at: number): number {
  return (((buf[at] as number) << 8) | (buf[at + 1] as number)) >>> 0;
}

export function u32At(buf: Uint8Array, at: number): number {
  return (
    (buf[at] as number) * 0x1000000 +
    (((buf[at + 1] as number) << 16) | ((buf[at + 2] as number) << 8) | (buf[at + 3] as number))
  );
}

/** Little-endian u16 (NFLOG TLV headers and DLT_NULL are in the capturing host's order). */
export function u16LeAt(buf: Uint8Array, at: number): number {
  return ((buf[at] as number) | ((buf[at + 1] as number) << 8)) >>> 0;
}

export function u32LeAt(buf: Uint8Array, at: number): number {
  return (
    (buf[at + 3] as number) * 0x1000000 +
    (((buf[at + 2] as number) << 16) | ((buf[at + 1] as number) << 8) | (buf[at] as number))
  );
}
