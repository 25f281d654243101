/**
 * Bounds-checked reading of big-endian fields from a Uint8Array: the one way the pure decoders read bytes.
 *
 * Every decoder has the same shape (dns-packet style): it takes a buffer, the offset where its header starts
 * and the end of the bytes that belong to it, reads through a Cursor over [offset, end), and returns its
 * fields plus the offset where the next layer starts. A Cursor checks the bounds before every read: a read
 * past the end throws a DecodeError naming what was being read and where ("truncated IPv4 header at offset
 * 14"), so no decoder ever reads out of bounds or silently gets `undefined`, and decodeFrame() turns the
 * error into a per-frame reason instead of throwing. A decoder opens its fixed header with Cursor.header(),
 * which checks all of it at once, so that a cut header is reported at its start. Reads return plain
 * numbers; nothing is allocated per field.
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

/** Throw a DecodeError for a field that is present but invalid. */
export function malformed(what: string, offset: number): never {
  throw new DecodeError(`${what} at offset ${offset}`, offset);
}

/** Out of line, so that the reads stay small enough for V8 to inline into the decoders. */
function truncated(what: string, offset: number): never {
  throw new DecodeError(`truncated ${what} at offset ${offset}`, offset);
}

/*
 * Performance (decode is on the hot path): each read checks its own bounds inline, without calling need(),
 * and the fields are `declare`d so that no class-field initializer runs. Both keep the reads within V8's
 * inlining budget, so that a Cursor costs about what hand-written offset arithmetic does (test/decode has
 * no timing test; measure with a loop over the fixture frames before changing this).
 */
export class Cursor {
  declare readonly buf: Uint8Array;
  /** Exclusive end of the readable region (never beyond buf.length). */
  declare readonly end: number;
  /** Next byte to read. */
  declare offset: number;

  constructor(buf: Uint8Array, offset = 0, end: number = buf.length) {
    this.buf = buf;
    this.offset = offset;
    this.end = end < buf.length ? end : buf.length;
  }

  /**
   * A cursor at the start of a header of at least `length` bytes, or a DecodeError "truncated <what> at offset
   * <offset>": the whole fixed part is checked once, at the header's start, before any field is read.
   */
  static header(buf: Uint8Array, offset: number, end: number, length: number, what: string): Cursor {
    const c = new Cursor(buf, offset, end);
    c.need(length, what);
    return c;
  }

  /** Bytes left before the end (negative when the offset was moved past it). */
  get remaining(): number {
    return this.end - this.offset;
  }

  /** Throw (naming `what`, at the current offset) unless `length` more bytes can be read. */
  need(length: number, what: string): void {
    const o = this.offset;
    if (o < 0 || length < 0 || o + length > this.end) truncated(what, o);
  }

  /** The next byte, without moving on (a version nibble or a type that decides what to check next). */
  peekU8(what: string): number {
    const o = this.offset;
    if (o < 0 || o >= this.end) truncated(what, o);
    return this.buf[o] as number;
  }

  u8(what: string): number {
    const o = this.offset;
    if (o < 0 || o >= this.end) truncated(what, o);
    this.offset = o + 1;
    return this.buf[o] as number;
  }

  u16(what: string): number {
    const o = this.offset;
    if (o < 0 || o + 2 > this.end) truncated(what, o);
    this.offset = o + 2;
    const b = this.buf;
    return ((b[o] as number) << 8) | (b[o + 1] as number);
  }

  /** An unsigned 32-bit number (above 2^31 too). */
  u32(what: string): number {
    const o = this.offset;
    if (o < 0 || o + 4 > this.end) truncated(what, o);
    this.offset = o + 4;
    const b = this.buf;
    return (((b[o] as number) << 24) | ((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number)) >>> 0;
  }

  skip(length: number, what: string): void {
    const o = this.offset;
    if (o < 0 || length < 0 || o + length > this.end) truncated(what, o);
    this.offset = o + length;
  }
}
