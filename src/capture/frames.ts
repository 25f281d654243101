/**
 * The captures' part of a build's evidence: each capture point's pcap (held in memory by src/capture/tcpdump.ts)
 * read into frames and cut at the end-of-capture sentinel, so the evidence holds what the build produced and
 * nothing of netaudit's own end markers.
 */
import { framesBeforeSentinel, readPcapBuffer } from '../decode/pcap.js';
import type { CapturedFrames } from '../model/evidence.js';
import type { CaptureResult } from './tcpdump.js';

/**
 * `nftLogged`: the sends the build namespace's nftables rules dropped and logged (their counters), for the
 * nflog capture: more than its frames means NFLOG lost some on the way.
 */
export async function capturedFrames(results: readonly CaptureResult[], sentinel: Uint8Array, nftLogged?: number): Promise<CapturedFrames[]> {
  return Promise.all(
    results.map(async (c) => {
      const pcap = await readPcapBuffer(c.pcap);
      return {
        source: c.source,
        linkType: pcap.linkType,
        frames: framesBeforeSentinel(pcap.frames, sentinel),
        incomplete: c.incomplete || pcap.incomplete,
        droppedByKernel: c.droppedByKernel,
        ...(c.source === 'nflog' && nftLogged !== undefined ? { logged: nftLogged } : {}),
      };
    }),
  );
}
