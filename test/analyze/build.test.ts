/**
 * Real captures (fixtures/pcap/<scenario>/{veth,lo,nflog}.pcap) through the whole pure pipeline — the
 * captures' part of the evidence (src/capture/frames.ts), then analyzeBuild(): decode, analyze — against the
 * attempts written beside them (attempts.json). Regenerate after re-capturing
 * with NETAUDIT_UPDATE_FIXTURES=1 and read the diff.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { framesBeforeSentinel, readPcapBuffer } from '../../src/decode/pcap.js';
import { analyzeBuild } from '../../src/analyze/build.js';
import { capturedFrames } from '../../src/capture/frames.js';
import type { BuildEvidence } from '../../src/model/evidence.js';
import type { CaptureResult } from '../../src/capture/tcpdump.js';
import type { CaptureSource } from '../../src/model/types.js';
import { ROOT } from '../helpers/cli.js';

const DIR = path.join(ROOT, 'fixtures/pcap');
const SOURCES: CaptureSource[] = ['veth', 'lo', 'nflog'];
const scenarios = readdirSync(DIR).filter((d) => SOURCES.every((s) => existsSync(path.join(DIR, d, `${s}.pcap`))));

async function evidenceOf(captures: readonly CaptureResult[], startMs: number, sentinel: Buffer, nftLogged?: number): Promise<BuildEvidence> {
  return {
    end: { exitCode: 0, signal: null, timedOut: false, interrupted: false, startMs, durationMs: 1000 },
    captures: await capturedFrames(captures, sentinel, nftLogged),
    tests: [],
  };
}

async function capturesOf(scenario: string): Promise<{ captures: CaptureResult[]; startMs: number }> {
  const captures: CaptureResult[] = [];
  let startMs = Infinity;
  for (const source of SOURCES) {
    const pcap = readFileSync(path.join(DIR, scenario, `${source}.pcap`));
    const contents = await readPcapBuffer(pcap);
    for (const f of contents.frames) startMs = Math.min(startMs, f.tsMs);
    captures.push({ source, pcap, captured: contents.frames.length, receivedByFilter: contents.frames.length, droppedByKernel: 0, incomplete: false });
  }
  return { captures, startMs: Math.floor(startMs) };
}

describe('fixture captures -> attempts', function () {
  it('has the scenarios', () => {
    assert.ok(scenarios.length >= 8, scenarios.join(', '));
  });

  for (const scenario of scenarios) {
    it(`${scenario}: attempts as in attempts.json`, async function () {
      const { captures, startMs } = await capturesOf(scenario);
      const analysis = analyzeBuild(await evidenceOf(captures, startMs, Buffer.from('no-sentinel-in-fixtures')));
      const file = path.join(DIR, scenario, 'attempts.json');
      const actual = { buildStartMs: startMs, packets: analysis.capture.packets, undecodable: analysis.capture.undecodable, attempts: analysis.attempts };
      if (process.env.NETAUDIT_UPDATE_FIXTURES) writeFileSync(file, JSON.stringify(actual, null, 2) + '\n');
      assert.deepEqual(actual, JSON.parse(readFileSync(file, 'utf8')));
    });
  }

  it('a capture is cut at the end-of-capture sentinel', async function () {
    const pcap = await readPcapBuffer(readFileSync(path.join(DIR, 'curl-dns', 'lo.pcap')));
    const marker = Buffer.from(pcap.frames[2]?.data.subarray(-6) ?? []);
    assert.equal(framesBeforeSentinel(pcap.frames, marker).length, 2);
    assert.equal(framesBeforeSentinel(pcap.frames, Buffer.from('absent')).length, pcap.frames.length);
  });

  it('kernel drops and NFLOG losses are counted', async function () {
    const { captures, startMs } = await capturesOf('udp-send');
    const withDrops = captures.map((c) => (c.source === 'lo' ? { ...c, droppedByKernel: 3 } : c));
    const e = analyzeBuild(await evidenceOf(withDrops, startMs, Buffer.from('x-none-x'), 5));
    const nflogFrames = (await readPcapBuffer(captures[2]?.pcap as Buffer)).frames.length;
    assert.equal(e.capture.dropped, 3 + (5 - nflogFrames));
    assert.equal(e.gaps.dropped, e.capture.dropped);
  });
});
