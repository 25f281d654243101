/**
 * fixtures/pcap/broken/ (made by fixtures/pcap/make-broken.mjs): damaged frames decode to exactly the result
 * broken/manifest.json says they must (known by construction), never to an exception.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPcapFile } from '../../src/capture/pcap.js';
import { decodeFrame, decodeFrames } from '../../src/decode/index.js';
import type { DecodedPacket } from '../../src/decode/types.js';
import { PCAP_DIR } from './fixtures.js';

interface FrameExpectation {
  index: number;
  what: string;
  kind: 'packet' | 'noise' | 'undecodable';
  reason?: string;
  reasonIncludes?: string;
  noise?: string;
  proto?: string;
  dns?: boolean;
  dnsName?: string;
  icmpType?: number;
  quoted?: boolean;
  quotedPorts?: boolean;
}

interface Manifest {
  [file: string]: { description: string; expect: { frames?: number; linkType?: number; results?: FrameExpectation[]; flips?: unknown[] } };
}

const BROKEN = join(PCAP_DIR, 'broken');
const manifest = JSON.parse(readFileSync(join(BROKEN, 'manifest.json'), 'utf8')) as Manifest;

describe('decode: damaged frames (fixtures/pcap/broken)', () => {
  for (const file of ['corrupt-frames.pcap', 'nflog-corrupt.pcap']) {
    const entry = manifest[file];
    it(`${file}: each frame decodes as the manifest says`, async () => {
      assert.ok(entry?.expect.results, `${file} missing from the manifest`);
      const pcap = await readPcapFile(join(BROKEN, file));
      assert.equal(pcap.linkType, entry.expect.linkType);
      assert.equal(pcap.frames.length, entry.expect.frames);
      for (const e of entry.expect.results) {
        const f = pcap.frames[e.index];
        assert.ok(f);
        const r = decodeFrame(pcap.linkType, f, 'veth');
        const label = `frame ${e.index} (${e.what}): ${JSON.stringify(r)}`;
        assert.equal(r.kind, e.kind, label);
        if (r.kind === 'undecodable') {
          if (e.reason !== undefined) assert.equal(r.reason, e.reason, label);
          if (e.reasonIncludes !== undefined) assert.ok(r.reason.includes(e.reasonIncludes), label);
        } else if (r.kind === 'noise') {
          assert.equal(r.noise, e.noise, label);
        } else {
          const p: DecodedPacket = r.packet;
          if (e.proto !== undefined) assert.equal(p.proto, e.proto, label);
          if (e.dns !== undefined) assert.equal(p.dns !== undefined, e.dns, label);
          if (e.dnsName !== undefined) assert.equal(p.dns?.questions[0]?.name, e.dnsName, label);
          if (e.icmpType !== undefined) assert.equal(p.icmp?.type, e.icmpType, label);
          if (e.quoted !== undefined) assert.equal(p.icmp?.quoted !== undefined, e.quoted, label);
          if (e.quotedPorts !== undefined) assert.equal(p.icmp?.quoted?.dstPort !== undefined, e.quotedPorts, label);
        }
      }
    });
  }

  it('decodeFrames counts the damaged frames and keeps the packets', async () => {
    const pcap = await readPcapFile(join(BROKEN, 'corrupt-frames.pcap'));
    const results = manifest['corrupt-frames.pcap']?.expect.results ?? [];
    const d = decodeFrames(pcap.linkType, pcap.frames, 'veth');
    assert.equal(d.undecodable, results.filter((r) => r.kind === 'undecodable').length);
    assert.equal(d.packets.length, results.filter((r) => r.kind === 'packet').length);
  });

  it('random-flips.pcap: every frame is a packet, noise or undecodable with a decoder reason', async () => {
    const pcap = await readPcapFile(join(BROKEN, 'random-flips.pcap'));
    assert.equal(pcap.frames.length, manifest['random-flips.pcap']?.expect.frames);
    const results = pcap.frames.map((f) => decodeFrame(pcap.linkType, f, 'veth'));
    const d = decodeFrames(pcap.linkType, pcap.frames, 'veth');
    assert.equal(d.packets.length, results.filter((r) => r.kind === 'packet').length);
    assert.equal(d.undecodable, results.filter((r) => r.kind === 'undecodable').length);
    assert.ok(d.undecodable > 0, 'some flips must break a header');
    assert.ok(d.packets.length > 0, 'some flips leave the packet readable');
    for (const r of results) {
      if (r.kind === 'undecodable') assert.doesNotMatch(r.reason, /decoder error/, 'every failure is a DecodeError, never a bug');
    }
  });
});
