/**
 * Reading classic libpcap files (what tcpdump -w writes) into raw frames, with pcap-parser.
 *
 * pcap-parser knows only the microsecond magic, checks the version loosely and drops a partial record at the
 * end without a word; so the file header is checked here first (a nanosecond file is read by handing the
 * parser a copy with the microsecond magic), and the bytes the records account for are compared with the
 * file size to tell a cut-off file. A file cut inside a record yields the frames before it and
 * `incomplete: true`; a record header claiming more bytes than any capture could hold ends the read the same
 * way. A file that is not a pcap at all is E_BAD_PCAP.
 *
 * Pure: bytes in, frames out (src/capture/pcap.ts reads files).
 */
import { EventEmitter } from 'node:events';
import pcapParser from 'pcap-parser';
import type { RawFrame } from './types.js';
import { BadPcapError } from '../model/errors.js';

export interface PcapContents {
  /** pcap link type (LINKTYPE_*, the low 28 bits of the header field). */
  linkType: number;
  snapLength: number;
  frames: RawFrame[];
  /**
   * The capture did not finish: the file ends inside a record, or a record header is bogus; `frames` holds
   * the records before it. (The one name netaudit uses for a capture that did not finish, also in
   * CaptureResult and the verdict's input.)
   */
  incomplete: boolean;
  /** What was wrong at the end, when incomplete ("record 7 cut after 20 of 74 bytes"). */
  truncation?: string;
  /** Timestamps were in nanoseconds (magic a1b23c4d). */
  nanosecond: boolean;
}

const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;
/** libpcap's MAXIMUM_SNAPLEN: no capture record is larger. */
const MAX_RECORD = 262144;

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_US_SWAPPED = 0xd4c3b2a1;
const MAGIC_NS = 0xa1b23c4d;
const MAGIC_NS_SWAPPED = 0x4d3cb2a1;
const MAGIC_PCAPNG = 0x0a0d0d0a;

function badPcap(file: string, what: string, cause?: unknown): BadPcapError {
  return new BadPcapError(file, what, { cause });
}

export interface FileHeader {
  nanosecond: boolean;
  littleEndian: boolean;
}

/** Check the 24-byte file header the way libpcap does; throws E_BAD_PCAP naming the problem. */
export function checkHeader(buf: Buffer, file: string): FileHeader {
  if (buf.length === 0) throw badPcap(file, 'the file is empty');
  if (buf.length < 4) throw badPcap(file, `file header cut short (${buf.length} of ${GLOBAL_HEADER} bytes)`);
  const magic = buf.readUInt32BE(0);
  let nanosecond: boolean;
  let littleEndian: boolean;
  switch (magic) {
    case MAGIC_US:
    case MAGIC_US_SWAPPED:
      nanosecond = false;
      littleEndian = magic === MAGIC_US_SWAPPED;
      break;
    case MAGIC_NS:
    case MAGIC_NS_SWAPPED:
      nanosecond = true;
      littleEndian = magic === MAGIC_NS_SWAPPED;
      break;
    case MAGIC_PCAPNG:
      throw badPcap(file, 'pcapng format, not pcap (write it with tcpdump -w, or convert it with editcap -F pcap)');
    default:
      throw badPcap(file, `bad magic number 0x${magic.toString(16).padStart(8, '0')} (not a pcap file)`);
  }
  if (buf.length < GLOBAL_HEADER) throw badPcap(file, `file header cut short (${buf.length} of ${GLOBAL_HEADER} bytes)`);
  const major = littleEndian ? buf.readUInt16LE(4) : buf.readUInt16BE(4);
  const minor = littleEndian ? buf.readUInt16LE(6) : buf.readUInt16BE(6);
  if (major !== 2) throw badPcap(file, `unsupported pcap version ${major}.${minor} (expected 2.4)`);
  return { nanosecond, littleEndian };
}

/**
 * The bytes as pcap-parser's source, in one piece: it resumes the source on the next tick, and resume() hands
 * over the bytes and the end at once. A Readable of one buffer cost node's stream machinery and several turns
 * for the same (~2 ms a capture, the first time, on every audit's way to its report).
 */
function oneChunk(buf: Buffer): pcapParser.Source {
  let given = false;
  const source = Object.assign(new EventEmitter(), {
    pause: () => source,
    resume: () => {
      if (given) return source;
      given = true;
      source.emit('data', buf);
      source.emit('end');
      return source;
    },
  });
  return source;
}

function asBuffer(buf: Uint8Array): Buffer {
  return Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Read a pcap held in memory. `file` names it in error messages. The frames' data are views into `buf`
 * (into a copy for a nanosecond file), not copies.
 */
export function readPcapBuffer(input: Uint8Array, file = '(capture in memory)'): Promise<PcapContents> {
  let buf = asBuffer(input);
  let header: FileHeader;
  try {
    header = checkHeader(buf, file);
  } catch (e) {
    return Promise.reject(e);
  }
  if (header.nanosecond) {
    // pcap-parser rejects the nanosecond magic; the records are laid out the same.
    buf = Buffer.from(buf);
    if (header.littleEndian) buf.writeUInt32LE(MAGIC_US, 0);
    else buf.writeUInt32BE(MAGIC_US, 0);
  }
  const fracPerMs = header.nanosecond ? 1e6 : 1e3;
  const total = buf.length;

  return new Promise<PcapContents>((resolve, reject) => {
    const frames: RawFrame[] = [];
    let linkType = -1;
    let snapLength = 0;
    let consumed = GLOBAL_HEADER;
    let bogus: string | undefined;
    let pendingLength = 0;
    let settled = false;

    const parser = pcapParser.parse(oneChunk(buf));
    parser.on('globalHeader', (h) => {
      linkType = h.linkLayerType & 0x0fffffff;
      snapLength = h.snapshotLength;
    });
    parser.on('packetHeader', (h) => {
      if (bogus !== undefined) return;
      pendingLength = h.capturedLength;
      const limit = Math.max(snapLength, MAX_RECORD);
      // A capture length beyond any snapshot length: the record header is corrupt, nothing after it can be trusted.
      if (h.capturedLength > limit || (h.capturedLength > snapLength && h.capturedLength > h.originalLength)) {
        bogus = `record ${frames.length} claims ${h.capturedLength} bytes (snapshot length ${snapLength}, on the wire ${h.originalLength})`;
      }
    });
    parser.on('packet', (p) => {
      if (bogus !== undefined) return;
      const h = p.header;
      frames.push({
        index: frames.length,
        tsMs: h.timestampSeconds * 1000 + h.timestampMicroseconds / fracPerMs,
        data: p.data,
        origLength: h.originalLength,
      });
      consumed += RECORD_HEADER + p.data.length;
    });
    parser.on('error', (e) => {
      if (settled) return;
      settled = true;
      reject(badPcap(file, e.message, e));
    });
    parser.on('end', () => {
      if (settled) return;
      settled = true;
      if (linkType < 0) {
        reject(badPcap(file, 'no file header'));
        return;
      }
      const contents: PcapContents = { linkType, snapLength, frames, incomplete: false, nanosecond: header.nanosecond };
      if (bogus !== undefined) {
        contents.incomplete = true;
        contents.truncation = bogus;
      } else if (consumed < total) {
        const left = total - consumed;
        contents.incomplete = true;
        contents.truncation =
          left < RECORD_HEADER
            ? `record ${frames.length} header cut after ${left} of ${RECORD_HEADER} bytes`
            : `record ${frames.length} cut after ${left - RECORD_HEADER} of ${pendingLength} bytes`;
      }
      resolve(contents);
    });
  });
}

/** Frames before the first one holding `sentinel` (the end-of-capture marker): what the build produced. */
export function framesBeforeSentinel(frames: readonly RawFrame[], sentinel: Uint8Array): RawFrame[] {
  const out: RawFrame[] = [];
  const needle = asBuffer(sentinel);
  for (const f of frames) {
    if (asBuffer(f.data).includes(needle)) break;
    out.push(f);
  }
  return out;
}
