/**
 * Fuzz-ish: every frame of every fixture capture, flipped and cut 2,000 times with a seeded PRNG (the same
 * bytes on every run), and decoded under its own link type and the others. decodeFrame must never throw,
 * every failure must be a DecodeError (no "decoder error"), and what it returns must be well-formed.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readPcapFile } from '../../src/capture/pcap.js';
import { decodeFrame } from '../../src/decode/index.js';
import { LINKTYPE, type DecodeResult, type RawFrame } from '../../src/decode/types.js';
import { scenarios, sourceOf } from './fixtures.js';
import { seededRandom } from '../helpers/random.js';

const prng = seededRandom;

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const IPV6 = /^[0-9a-f:.]+$/;
const NOISE = new Set(['arp', 'ndp', 'mld', 'router-solicitation', 'other-link', 'other-ip']);
const LINK_TYPES = [LINKTYPE.ETHERNET, LINKTYPE.LINUX_SLL, LINKTYPE.LINUX_SLL2, LINKTYPE.RAW, LINKTYPE.NULL, LINKTYPE.NFLOG];

function port(n: number | undefined): void {
  if (n !== undefined) assert.ok(Number.isInteger(n) && n >= 0 && n <= 65535, `port ${n}`);
}

/** The invariants of a decode result, whatever the input. */
function wellFormed(r: DecodeResult, f: RawFrame): void {
  if (r.kind === 'undecodable') {
    assert.ok(r.reason.length > 0);
    assert.doesNotMatch(r.reason, /^decoder error/, r.reason);
    return;
  }
  if (r.kind === 'noise') {
    assert.ok(NOISE.has(r.noise), r.noise);
    return;
  }
  const p = r.packet;
  assert.equal(p.index, f.index);
  assert.ok(p.family === 4 || p.family === 6);
  for (const a of [p.src, p.dst]) assert.match(a, p.family === 4 ? IPV4 : IPV6);
  assert.ok(p.protoNumber >= 0 && p.protoNumber <= 255);
  port(p.tcp?.srcPort);
  port(p.tcp?.dstPort);
  port(p.udp?.srcPort);
  port(p.udp?.dstPort);
  if (p.tcp) assert.ok(p.tcp.payloadLength >= 0, `tcp payload ${p.tcp.payloadLength}`);
  if (p.udp) assert.ok(p.udp.payloadLength >= 0, `udp payload ${p.udp.payloadLength}`);
  if (p.icmp?.quoted) {
    port(p.icmp.quoted.srcPort);
    port(p.icmp.quoted.dstPort);
  }
  if (p.dns) for (const q of p.dns.questions) assert.equal(typeof q.name, 'string');
}

describe('decode: fuzz (2,000 mutations of every fixture frame)', function () {
  this.timeout(120000);

  it('never throws and always returns a well-formed result', async () => {
    const rand = prng(20240611);
    const frames: { linkType: number; frame: RawFrame; file: string }[] = [];
    for (const s of scenarios()) {
      for (const file of s.files) {
        const pcap = await readPcapFile(join(s.dir, file));
        for (const frame of pcap.frames) frames.push({ linkType: pcap.linkType, frame, file: `${s.name}/${file}` });
      }
    }
    assert.ok(frames.length > 100, `only ${frames.length} fixture frames`);
    const counts = { packet: 0, noise: 0, undecodable: 0 };
    let runs = 0;
    for (const { linkType, frame, file } of frames) {
      const src = frame.data;
      const buf = new Uint8Array(src.length);
      for (let i = 0; i < 2000; i++) {
        buf.set(src);
        let data: Uint8Array = buf;
        const op = rand();
        // Flip 1-4 bytes anywhere (half the time), cut at a random length (a quarter), or both.
        if (op < 0.75) {
          const flips = 1 + Math.floor(rand() * 4);
          for (let k = 0; k < flips; k++) {
            const at = Math.floor(rand() * buf.length);
            buf[at] = (buf[at] as number) ^ (1 + Math.floor(rand() * 255));
          }
        }
        if (op >= 0.5) data = buf.subarray(0, Math.floor(rand() * (buf.length + 1)));
        // Mostly its own link type; sometimes another, to feed each link decoder foreign bytes.
        const lt = rand() < 0.9 ? linkType : (LINK_TYPES[Math.floor(rand() * LINK_TYPES.length)] as number);
        const f: RawFrame = { index: frame.index, tsMs: frame.tsMs, data, origLength: frame.origLength };
        let r: DecodeResult;
        try {
          r = decodeFrame(lt, f, sourceOf(file.split('/')[1] ?? ''));
        } catch (e) {
          assert.fail(`decodeFrame threw on ${file} frame ${frame.index} mutation ${i}: ${String(e)}`);
        }
        wellFormed(r, f);
        counts[r.kind]++;
        runs++;
      }
    }
    assert.equal(runs, frames.length * 2000);
    // The mutations must exercise all three outcomes, or the test proves little.
    assert.ok(counts.packet > runs / 10, JSON.stringify(counts));
    assert.ok(counts.undecodable > runs / 20, JSON.stringify(counts));
    assert.ok(counts.noise > runs / 20, JSON.stringify(counts));
  });
});
