import assert from 'node:assert/strict';
import path from 'node:path';
import type { Report } from '../../src/model/types.js';
import { makeReport } from '../../src/model/report.js';
import { colorEnabled, renderPkgcheckLines, renderTerminal } from '../../src/report/terminal.js';
import { validateReport } from '../../src/report/validate.js';
import { EXAMPLES, readJson } from './helpers.js';

const ESC = '\u001b[';

/** A small fixed report: one command build with a DNS lookup and an IPv6 connect. */
function fixed(): Report {
  return makeReport(
    'run',
    [
      {
        name: 'fetch-deps',
        kind: 'command',
        command: ['sh', 'fetch-deps.sh'],
        exitCode: 7,
        durationMs: 1234,
        verdict: 'breaks',
        attempts: [
          {
            kind: 'dns',
            scope: 'external',
            family: 4,
            address: '10.255.255.53',
            port: 53,
            hostname: 'anything.example.org',
            qtype: 'AAAA',
            count: 2,
            firstAtMs: 3,
            outcome: 'refused',
            allowed: false,
          },
          {
            kind: 'tcp',
            scope: 'external',
            family: 6,
            address: '2001:db8::1',
            port: 443,
            count: 1,
            firstAtMs: 9,
            outcome: 'unreachable',
            process: { pid: 42, comm: 'curl' },
            allowed: false,
          },
        ],
        findings: [
          {
            keyword: 'DnsLookup',
            level: 'error',
            message: 'looked up anything.example.org (AAAA) ×2 via 10.255.255.53:53',
            hint: 'tests that need the internet must be skipped under network-sandbox',
            attempt: 0,
          },
          { keyword: 'ExternalConnect', level: 'error', message: 'connected to [2001:db8::1]:443 (tcp)', attempt: 1 },
        ],
        capture: { packets: 6, dropped: 0 },
      },
    ],
    '0.1.0',
    new Date(Date.UTC(2025, 10, 28)),
  );
}

const FIXED_TEXT = [
  'BREAKS  fetch-deps  (exit 7, 1.23 s)',
  '  dns  anything.example.org AAAA  via 10.255.255.53:53  ×2               refused',
  '  tcp  [2001:db8::1]:443          external              ×1  by curl[42]  unreachable',
  '  DnsLookup: looked up anything.example.org (AAAA) ×2 via 10.255.255.53:53',
  '    hint: tests that need the internet must be skipped under network-sandbox',
  '  ExternalConnect: connected to [2001:db8::1]:443 (tcp)',
  '  capture: 6 packets, 0 dropped',
  '',
].join('\n');

function example(name: string): Report {
  return readJson(path.join(EXAMPLES, name)) as Report;
}

describe('terminal reporter', () => {
  it('the fixed report is valid', async () => {
    assert.deepEqual(await validateReport(fixed()), { ok: true });
  });

  it('renders the fixed report exactly (no colour)', () => {
    assert.equal(renderTerminal(fixed(), { color: false }), FIXED_TEXT);
  });

  it('with colour, the same text wrapped in ANSI escapes', () => {
    const text = renderTerminal(fixed(), { color: true });
    assert.ok(text.includes(`${ESC}31m${ESC}1mBREAKS`), JSON.stringify(text.slice(0, 40)));
    // eslint-disable-next-line no-control-regex
    assert.equal(text.replace(/\u001b\[[0-9;]*m/g, ''), FIXED_TEXT);
  });

  it('the curl example: verdict first, the name, ×2, no ANSI without colour', () => {
    const text = renderTerminal(example('run-curl-dns-breaks.json'), { color: false });
    assert.ok(text.startsWith('BREAKS  curl -sS http://anything.example.org/  (exit 6, 0.02 s)\n'), text);
    assert.ok(text.includes('anything.example.org A     via 10.255.255.53:53  ×2'), text);
    assert.ok(text.includes('anything.example.org AAAA  via 10.255.255.53:53  ×2'), text);
    assert.ok(!text.includes(ESC));
  });

  it('colours each verdict its own way', () => {
    const text = renderTerminal(example('sweep-multi.json'), { color: true });
    assert.ok(text.includes(`${ESC}32mCLEAN${ESC}39m`));
    assert.ok(text.includes(`${ESC}33mTOLERATES${ESC}39m`));
    assert.ok(text.includes(`${ESC}31m${ESC}1mBREAKS`));
    assert.ok(text.includes(`${ESC}35mFAILS-WITHOUT-NETWORK${ESC}39m`));
  });

  it('multi-build reports: blank lines between builds and a total line', () => {
    const text = renderTerminal(example('sweep-multi.json'), { color: false });
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.at(-1), '4 builds: 1 breaks, 1 tolerates, 1 fails-without-network, 1 clean');
    assert.equal(text.split('\n\n').length, 5);
    assert.ok(text.includes('FAILS-WITHOUT-NETWORK  sys-devel/slowcc-2.0  (timed out, killed by SIGKILL, 15 min 00 s)'));
    assert.ok(text.includes('  udp  [2001:db8::7]:8125  external              ×5  in test  dropped'), text);
    assert.ok(text.includes('  capture: 9 packets, 2 dropped by the kernel — attempts may be missing'));
  });

  it('single-build reports have no total line', () => {
    const text = renderTerminal(example('run-true-clean.json'), { color: false });
    assert.equal(text, 'CLEAN  true  (exit 0, <0.01 s)\n  capture: 0 packets, 0 dropped\n');
  });

  it("the observer's line: events and losses, its notes, or why it did not run", () => {
    const base = fixed();
    const b0 = base.builds[0] as Report['builds'][number];
    const withObserver = (observer: NonNullable<typeof b0.observer>): string => renderTerminal({ ...base, builds: [{ ...b0, observer }] }, { color: false });
    assert.ok(withObserver({ available: true, missing: [], events: 54, lost: 0 }).includes('\n  observer: 54 syscall events, 0 lost\n'));
    const lossy = withObserver({ available: true, missing: [], events: 9, lost: 3, notes: ['1 DNS question got EPERM'] });
    assert.ok(lossy.includes('  observer: 9 syscall events, 3 lost — attempts may be missing\n    note: 1 DNS question got EPERM\n'), lossy);
    const off = withObserver({ available: false, missing: ['turned off (--no-observe)'] });
    assert.ok(off.includes('  observer: not used — turned off (--no-observe)\n'), off);
    assert.ok(renderTerminal({ ...base, builds: [{ ...b0, observer: { available: true, missing: [], events: 1, lost: 2 } }] }, { color: true }).includes(`${ESC}33m${ESC}1m2 lost`));
  });

  it('kernel drops are highlighted', () => {
    const text = renderTerminal(example('sweep-multi.json'), { color: true });
    assert.ok(text.includes(`${ESC}33m${ESC}1m2 dropped by the kernel`));
  });

  it('allowed attempts say why; phase and process when known', () => {
    const text = renderTerminal(example('ebuild-test-network-breaks.json'), { color: false });
    assert.ok(
      text.includes(
        '  tcp  203.0.113.5:443 (licenses.example)  external              ×1  in setup  by curl[20417]        unreachable  allowed (phase pkg_setup is not sandboxed)\n',
      ),
      text,
    );
    assert.ok(text.includes('  tcp  127.0.0.1:6379                      host-local            ×1  in test   by python3.12[20980]  refused\n'), text);
  });

  it('wraps findings and hints to the width with a hanging indent', () => {
    const text = renderTerminal(example('ebuild-test-network-breaks.json'), { color: false, width: 60 });
    const lines = text.split('\n');
    const hint = lines.findIndex((l) => l.startsWith('    hint: a name lookup'));
    assert.ok(hint > 0, text);
    assert.ok(lines[hint]!.length <= 60);
    assert.ok(lines[hint + 1]!.startsWith('      '), lines[hint + 1]);
  });

  it('an empty report says so', () => {
    assert.equal(renderTerminal(makeReport('sweep', [], '0.1.0'), { color: false }), 'no builds\n');
  });

  describe('colorEnabled', () => {
    const tty = { isTTY: true };
    const pipe = { isTTY: false };
    it('on for a TTY, off for a pipe', () => {
      assert.equal(colorEnabled(tty, {}), true);
      assert.equal(colorEnabled(pipe, {}), false);
      assert.equal(colorEnabled({}, {}), false);
    });
    it('NO_COLOR (not empty) turns it off', () => {
      assert.equal(colorEnabled(tty, { NO_COLOR: '1' }), false);
      assert.equal(colorEnabled(tty, { NO_COLOR: '' }), true);
    });
    it('TERM=dumb turns it off', () => {
      assert.equal(colorEnabled(tty, { TERM: 'dumb' }), false);
    });
    it('FORCE_COLOR wins, 0 and false turn it off', () => {
      assert.equal(colorEnabled(pipe, { FORCE_COLOR: '1' }), true);
      assert.equal(colorEnabled(pipe, { FORCE_COLOR: '' }), true);
      assert.equal(colorEnabled(pipe, { FORCE_COLOR: '1', NO_COLOR: '1' }), true);
      assert.equal(colorEnabled(tty, { FORCE_COLOR: '0' }), false);
      assert.equal(colorEnabled(tty, { FORCE_COLOR: 'false' }), false);
    });
  });

  describe('pkgcheck lines', () => {
    it('category/package-version: Keyword: message for ebuilds', () => {
      assert.equal(
        renderPkgcheckLines(example('ebuild-test-network-breaks.json')),
        [
          'dev-python/mirrorlist-2.1: AllowedNetworkUse: connect to 203.0.113.5:443 (HTTPS) for licenses.example in setup: allowed by Portage (phase pkg_setup is not sandboxed)',
          'dev-python/mirrorlist-2.1: DnsLookup: looked up pypi.example (A) via 10.255.255.53:53 ×3 in test: refused (ECONNREFUSED)',
          'dev-python/mirrorlist-2.1: HostServiceUnreachable: connect to 127.0.0.1:6379 (Redis) in test: refused (ECONNREFUSED)',
          '',
        ].join('\n'),
      );
    });

    it('the name for commands', () => {
      assert.equal(
        renderPkgcheckLines(fixed()),
        'fetch-deps: DnsLookup: looked up anything.example.org (AAAA) ×2 via 10.255.255.53:53\nfetch-deps: ExternalConnect: connected to [2001:db8::1]:443 (tcp)\n',
      );
    });

    it('nothing for builds without findings', () => {
      assert.equal(renderPkgcheckLines(example('run-true-clean.json')), '');
    });
  });
});
