/**
 * bpf/*.nft are templates: every @NAME@ placeholder gets a value from src/model/network.ts (through
 * loadNftRules, called as sandbox.ts calls it), and no address is written into the files a second time.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { bpfDir, fillPlaceholders, loadFilter } from '../../src/capture/filters.js';
import { loadNftRules } from '../../src/sandbox/rules.js';
import { BUILD_VETH, END_MARKER, INTERCEPT_PORT, MONITOR_LL6, MONITOR_V4, MONITOR_VETH, NFLOG_GROUP, NFLOG_LO_GROUP, NFLOG_VETH_GROUP } from '../../src/model/network.js';

/** As src/sandbox/sandbox.ts loads them. */
const LOADED = {
  build: () => loadNftRules('build', { group: NFLOG_GROUP, veth: BUILD_VETH }),
  monitor: () => loadNftRules('monitor', { veth: MONITOR_VETH }),
  'build-intercept': () => loadNftRules('build-intercept', { group: NFLOG_GROUP, veth: BUILD_VETH }),
  'monitor-intercept': () => loadNftRules('monitor-intercept', { veth: MONITOR_VETH }),
} as const;

/** The rules without their comments, one line each. */
function ruleLines(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}

describe('capture/filters: nftables templates', () => {
  it('loads every bpf/*.nft file, and only those', () => {
    const files = readdirSync(bpfDir()).filter((f) => f.endsWith('.nft')).sort();
    assert.deepEqual(files, Object.keys(LOADED).map((k) => `${k}.nft`).sort());
  });

  for (const [file, load] of Object.entries(LOADED)) {
    it(`${file}.nft: every placeholder is filled in, none is left`, () => {
      const raw = readFileSync(path.join(bpfDir(), `${file}.nft`), 'utf8');
      assert.match(raw, /@[A-Z][A-Z0-9_]*@/, 'the file is a template');
      const text = load();
      assert.doesNotMatch(text, /@[A-Za-z0-9_]+@/);
      assert.equal(ruleLines(text).length, ruleLines(raw).length, 'only placeholders change');
    });
  }

  it('build.nft: the rules name the build veth and log to the NFLOG group', () => {
    const rules = ruleLines(LOADED.build()).filter((l) => l.includes(`log group ${NFLOG_GROUP} `));
    assert.equal(rules.length, 3);
    for (const r of rules) assert.ok(r.startsWith(`oifname "${BUILD_VETH}" `) && r.endsWith(' drop'), r);
  });

  for (const file of ['build', 'build-intercept'] as const) {
    it(`${file}.nft: the lo capture logs what bpf/loopback.bpf keeps, on lo only, without dropping or counting`, () => {
      const rules = ruleLines(LOADED[file]()).filter((l) => l.includes(`log group ${NFLOG_LO_GROUP} `));
      assert.deepEqual(rules, [
        `oifname "lo" tcp flags & (syn | rst) != 0 log group ${NFLOG_LO_GROUP} queue-threshold 1`,
        `oifname "lo" meta l4proto { icmp, ipv6-icmp } log group ${NFLOG_LO_GROUP} queue-threshold 1`,
        `oifname "lo" udp dport 53 log group ${NFLOG_LO_GROUP} queue-threshold 1`,
        `oifname "lo" udp sport 53 log group ${NFLOG_LO_GROUP} queue-threshold 1`,
      ]);
      // The nftables counters are the NFLOG capture's check (sandbox.ts sums every counter of the table).
      assert.equal(ruleLines(LOADED[file]()).filter((l) => l.includes(' counter ')).length, 3);
    });
  }

  it("monitor.nft: the rules name the monitor veth and let the monitor's own addresses through; nothing is logged there", () => {
    const rules = ruleLines(LOADED.monitor()).filter((l) => l.startsWith('iifname'));
    assert.deepEqual(rules, [
      `iifname "${MONITOR_VETH}" ip daddr ${MONITOR_V4} accept`,
      `iifname "${MONITOR_VETH}" ip6 daddr { ${MONITOR_LL6}, ff00::/8 } accept`,
      `iifname "${MONITOR_VETH}" counter reject with icmpx type no-route`,
    ]);
  });

  for (const file of ['build', 'build-intercept'] as const) {
    it(`${file}.nft: the veth capture logs every packet that crosses the build's veth end, both ways: leaving after everything, arriving before anything`, () => {
      const lines = ruleLines(LOADED[file]());
      const chain = (name: string): string[] => lines.slice(lines.indexOf(`chain ${name} {`) + 1, lines.indexOf('}', lines.indexOf(`chain ${name} {`)));
      assert.deepEqual(chain('veth_out'), ['type filter hook postrouting priority 300; policy accept;', `oifname "${BUILD_VETH}" log group ${NFLOG_VETH_GROUP} queue-threshold 1`]);
      assert.deepEqual(chain('veth_in'), ['type filter hook prerouting priority -300; policy accept;', `iifname "${BUILD_VETH}" log group ${NFLOG_VETH_GROUP} queue-threshold 1`]);
    });
  }

  for (const file of ['monitor', 'monitor-intercept'] as const) {
    it(`${file}.nft: logs nothing (the one NFLOG capture reads the build namespace)`, () => {
      assert.equal(ruleLines(LOADED[file]()).filter((l) => / log /.test(l)).length, 0);
    });
  }

  it('intercept rules: DNS passes to the monitor but the NFLOG end marker; TCP is redirected to the responder', () => {
    const build = ruleLines(LOADED['build-intercept']());
    assert.ok(build.includes(`oifname "${BUILD_VETH}" ip daddr != ${END_MARKER.nflog.address} udp dport 53 accept`));
    assert.equal(build.filter((l) => l.includes(`log group ${NFLOG_GROUP} `)).length, 3, 'other UDP and pings are still logged and dropped');
    const monitor = ruleLines(LOADED['monitor-intercept']());
    assert.ok(monitor.includes(`iifname "${MONITOR_VETH}" meta l4proto tcp redirect to :${INTERCEPT_PORT}`));
    assert.equal(monitor.at(-2), '}', 'the chains end');
    assert.ok(monitor.includes(`iifname "${MONITOR_VETH}" counter reject with icmpx type no-route`), 'everything else is still refused');
  });

  it('no file writes a sandbox address or interface itself', () => {
    for (const f of readdirSync(bpfDir()).filter((x) => x.endsWith('.nft'))) {
      const rules = ruleLines(readFileSync(path.join(bpfDir(), f), 'utf8')).join('\n');
      for (const value of [MONITOR_V4, MONITOR_LL6, BUILD_VETH, MONITOR_VETH]) assert.ok(!rules.includes(value), `${f} holds ${value}`);
      assert.doesNotMatch(rules, /log group \d/, `${f} holds a group number`);
    }
  });

  it('a placeholder without a value throws, naming the file and the placeholder', () => {
    assert.equal(fillPlaceholders('a @X@ b @X@ @Y_2@', { X: '1', Y_2: '2' }, 'f'), 'a 1 b 1 2');
    assert.throws(() => fillPlaceholders('ip daddr @MONITOR_V5@', { MONITOR_V4 }, 'bpf/t.nft'), /^Error: bpf\/t\.nft: no value for the placeholder @MONITOR_V5@$/);
    assert.equal(fillPlaceholders('add @seen { ip daddr }', {}, 'f'), 'add @seen { ip daddr }', 'an nft set reference is not a placeholder');
  });

  it('the tcpdump filters load without comments', () => {
    for (const name of ['loopback'] as const) {
      const f = loadFilter(name);
      assert.ok(f.length > 0);
      assert.doesNotMatch(f, /#/);
    }
  });
});
