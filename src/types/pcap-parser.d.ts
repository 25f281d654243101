/**
 * Minimal types for pcap-parser 0.2 (CommonJS, no bundled types), from its lib/pcap-parser.js.
 * It reads classic libpcap files (version 2.4, microsecond magic a1b2c3d4 in either byte order) from a path
 * or a readable stream, and emits: 'globalHeader' once, then 'packetHeader' and 'packet' per record, then
 * 'end'. A bad magic (including the nanosecond magic a1b23c4d and pcapng) or version emits 'error' and then
 * 'end'. A stream that ends in the middle of a record just emits 'end': the partial record is dropped silently.
 */
declare module 'pcap-parser' {
  import type { EventEmitter } from 'node:events';

  namespace pcapParser {
    interface GlobalHeader {
      magicNumber: number;
      majorVersion: number;
      minorVersion: number;
      gmtOffset: number;
      timestampAccuracy: number;
      snapshotLength: number;
      /** The whole 32-bit field: link type in the low 28 bits, FCS information above. */
      linkLayerType: number;
    }

    interface PacketHeader {
      timestampSeconds: number;
      /** Microseconds (nanoseconds in a nanosecond-magic file, which pcap-parser itself rejects). */
      timestampMicroseconds: number;
      capturedLength: number;
      originalLength: number;
    }

    interface Packet {
      header: PacketHeader;
      /** A slice of the parser's buffer (no copy). */
      data: Buffer;
    }

    interface Parser extends EventEmitter {
      on(event: 'globalHeader', listener: (header: GlobalHeader) => void): this;
      on(event: 'packetHeader', listener: (header: PacketHeader) => void): this;
      on(event: 'packetData', listener: (data: Buffer) => void): this;
      on(event: 'packet', listener: (packet: Packet) => void): this;
      on(event: 'end', listener: () => void): this;
      on(event: 'error', listener: (error: Error) => void): this;
    }

    /**
     * What it reads from: it calls pause(), listens for 'data' (Buffers), 'error' and 'end', and calls
     * resume() on the next tick; on a bad header it calls pause() again.
     */
    interface Source extends EventEmitter {
      pause(): unknown;
      resume(): unknown;
    }

    /** A path (read with fs.createReadStream) or a readable stream of Buffers (any Source). */
    function parse(input: string | NodeJS.ReadableStream | Source): Parser;
  }

  export = pcapParser;
}
