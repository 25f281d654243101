/**
 * The XML reporters, JUnit and pkgcheck-xml, on every example report and on hostile ones: well-formed (a strict
 * checker written here; xmllint from Debian's libxml2-utils as well when it is installed), JUnit with one test
 * case per build and the right counts, pkgcheck-xml line for line as pkgcheck's XmlReporter writes it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { attemptOf, type BuildResult, type FindingKeyword, type Report } from '../../src/model/types.js';
// pkgcheck's own keywords, to compare with its reporters' expected output: not netaudit's registry.

import { summarize } from '../../src/model/report.js';
import { attemptLine, renderJunit, roundProperties } from '../../src/report/junit.js';
import { fixFor } from '../../src/model/format.js';
import { renderPkgcheckXml } from '../../src/report/pkgcheck.js';
import { EXAMPLES, jsonFiles, readJson } from './helpers.js';
import { suggestedReport } from './suggested.js';

const examples = jsonFiles(EXAMPLES).map((f) => ({ f, r: readJson(path.join(EXAMPLES, f)) as Report }));

// ---------------------------------------------------------------------------------------------------------------
// A strict XML 1.0 well-formedness checker, enough for what the reporters write: prolog, elements, attributes,
// text, character and the five predefined entity references, comments, CDATA. No DTD (none is ever written).

interface XmlElement {
  readonly name: string;
  readonly attributes: Record<string, string>;
  readonly children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function xmlChar(code: number): boolean {
  return code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
}

/** Decode references in text or an attribute value; throws on a bare '&', an unknown entity or a bad char ref. */
function decode(raw: string, where: string): string {
  return raw.replace(/&([^;]*);|&/g, (m, ref: string | undefined) => {
    if (ref === undefined) throw new Error(`${where}: bare '&'`);
    if (ENTITIES[ref] !== undefined) return ENTITIES[ref];
    const num = /^#(?:x([0-9A-Fa-f]+)|([0-9]+))$/.exec(ref);
    if (!num) throw new Error(`${where}: unknown entity ${m}`);
    const code = num[1] !== undefined ? parseInt(num[1], 16) : parseInt(num[2] as string, 10);
    if (!xmlChar(code)) throw new Error(`${where}: character reference to a forbidden character ${m}`);
    return String.fromCodePoint(code);
  });
}

/** Parse `xml`, throwing an Error that says where it is not well-formed; returns the root element. */
function parseXml(xml: string): XmlElement {
  for (const ch of xml) {
    const code = ch.codePointAt(0) as number;
    if (!xmlChar(code)) throw new Error(`forbidden character U+${code.toString(16).padStart(4, '0')}`);
  }
  let i = 0;
  const at = () => `offset ${i}`;
  const skipSpace = () => {
    while (i < xml.length && /\s/.test(xml[i] as string)) i++;
  };
  const skipMisc = () => {
    for (;;) {
      skipSpace();
      if (xml.startsWith('<!--', i)) {
        const end = xml.indexOf('-->', i + 4);
        if (end < 0 || xml.slice(i + 4, end).includes('--')) throw new Error(`${at()}: bad comment`);
        i = end + 3;
      } else if (xml.startsWith('<?', i) && !xml.startsWith('<?xml', i)) {
        const end = xml.indexOf('?>', i);
        if (end < 0) throw new Error(`${at()}: unterminated processing instruction`);
        i = end + 2;
      } else return;
    }
  };
  if (xml.startsWith('\ufeff')) i = 1;
  if (xml.startsWith('<?xml', i)) {
    const end = xml.indexOf('?>', i);
    if (end < 0) throw new Error('unterminated XML declaration');
    const decl = xml.slice(i, end + 2);
    if (!/^<\?xml\s+version=(["'])1\.[0-9]+\1(\s+encoding=(["'])[A-Za-z][-A-Za-z0-9._]*\3)?(\s+standalone=(["'])(yes|no)\5)?\s*\?>$/.test(decl)) {
      throw new Error(`bad XML declaration ${decl}`);
    }
    i = end + 2;
  }
  skipMisc();
  if (xml.startsWith('<!DOCTYPE', i)) throw new Error('a DOCTYPE is not expected');
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  for (;;) {
    if (i >= xml.length) break;
    if (!stack.length && root) {
      skipMisc();
      if (i < xml.length) throw new Error(`${at()}: content after the root element`);
      break;
    }
    if (xml[i] !== '<') {
      const end = xml.indexOf('<', i);
      const raw = xml.slice(i, end < 0 ? xml.length : end);
      const top = stack[stack.length - 1];
      if (!top) {
        if (raw.trim()) throw new Error(`${at()}: text outside the root element`);
      } else {
        if (raw.includes(']]>')) throw new Error(`${at()}: ']]>' in text`);
        top.text += decode(raw, at());
      }
      i = end < 0 ? xml.length : end;
      continue;
    }
    if (xml.startsWith('<!--', i) || (xml.startsWith('<?', i) && !xml.startsWith('<?xml', i))) {
      if (!stack.length) {
        skipMisc();
        continue;
      }
      const close = xml.startsWith('<!--', i) ? '-->' : '?>';
      const end = xml.indexOf(close, i + 2);
      if (end < 0) throw new Error(`${at()}: unterminated ${close === '-->' ? 'comment' : 'processing instruction'}`);
      i = end + close.length;
      continue;
    }
    if (xml.startsWith('<![CDATA[', i)) {
      const top = stack[stack.length - 1];
      if (!top) throw new Error(`${at()}: CDATA outside the root element`);
      const end = xml.indexOf(']]>', i);
      if (end < 0) throw new Error(`${at()}: unterminated CDATA`);
      top.text += xml.slice(i + 9, end);
      i = end + 3;
      continue;
    }
    if (xml.startsWith('</', i)) {
      i += 2;
      const name = NAME.exec(xml.slice(i))?.[0];
      if (!name) throw new Error(`${at()}: bad end tag`);
      i += name.length;
      skipSpace();
      if (xml[i] !== '>') throw new Error(`${at()}: bad end tag </${name}`);
      i++;
      const open = stack.pop();
      if (!open || open.name !== name) throw new Error(`${at()}: </${name}> does not close <${open?.name ?? '(nothing)'}>`);
      continue;
    }
    // A start tag.
    i++;
    const name = NAME.exec(xml.slice(i))?.[0];
    if (!name) throw new Error(`${at()}: bad start tag`);
    i += name.length;
    const element: XmlElement = { name, attributes: {}, children: [], text: '' };
    for (;;) {
      const before = i;
      skipSpace();
      if (xml.startsWith('/>', i) || xml[i] === '>') break;
      if (i === before) throw new Error(`${at()}: no space before an attribute of <${name}>`);
      const attr = NAME.exec(xml.slice(i))?.[0];
      if (!attr) throw new Error(`${at()}: bad attribute in <${name}>`);
      i += attr.length;
      skipSpace();
      if (xml[i] !== '=') throw new Error(`${at()}: attribute ${attr} without a value`);
      i++;
      skipSpace();
      const quote = xml[i];
      if (quote !== '"' && quote !== "'") throw new Error(`${at()}: attribute ${attr} not quoted`);
      const end = xml.indexOf(quote, i + 1);
      if (end < 0) throw new Error(`${at()}: unterminated attribute ${attr}`);
      const raw = xml.slice(i + 1, end);
      if (raw.includes('<')) throw new Error(`${at()}: '<' in attribute ${attr}`);
      if (attr in element.attributes) throw new Error(`${at()}: attribute ${attr} twice in <${name}>`);
      element.attributes[attr] = decode(raw, at());
      i = end + 1;
    }
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(element);
    else if (root) throw new Error(`${at()}: a second root element <${name}>`);
    else root = element;
    if (xml.startsWith('/>', i)) i += 2;
    else {
      i++;
      stack.push(element);
    }
  }
  if (stack.length) throw new Error(`unclosed <${stack[stack.length - 1]?.name}>`);
  if (!root) throw new Error('no root element');
  return root;
}

function all(e: XmlElement, name: string): XmlElement[] {
  return [...(e.name === name ? [e] : []), ...e.children.flatMap((c) => all(c, name))];
}

const HAVE_XMLLINT = spawnSync('sh', ['-c', 'command -v xmllint'], { encoding: 'utf8' }).status === 0;

/** '' when xmllint accepts the document (or is not installed), its complaint otherwise. */
function xmllint(xml: string): string {
  if (!HAVE_XMLLINT) return '';
  const r = spawnSync('xmllint', ['--noout', '-'], { input: xml, encoding: 'utf8' });
  return r.status === 0 ? '' : r.stderr || `xmllint exited ${r.status}`;
}

// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

/** Builds whose names, hosts and log lines hold markup, quotes, ampersands, ']]>' and characters XML forbids. */
function hostile(): Report {
  const base = examples.find((e) => e.f === 'sweep-multi.json')?.r as Report;
  const breaks = base.builds.find((b) => b.verdict === 'breaks') as BuildResult;
  const evil: BuildResult = {
    ...breaks,
    name: 'net-test/<img src=x onerror=alert(1)>-1',
    ebuild: { ...(breaks.ebuild as NonNullable<BuildResult['ebuild']>), category: 'net-test', package: '<img src=x onerror=alert(1)>', version: '1' },
    command: ['sh', '-c', 'echo "a & b" \'c\' ]]> \u0000\u0001\u0008\u000b\u001f\ufffe'],
    attempts: breaks.attempts.map((a) => ({ ...a, hostname: '</script><script>alert(2)</script>&amp;.example', logLines: ['bell\u0007 & <tag attr="x">'] })),
    findings: breaks.findings.map((f) => ({ ...f, message: `${f.message} "quoted" & <b>bold</b> ]]> \u0002`, logLines: ['<b>bold</b> & </script> \u0000'] })),
    log: '/var/tmp/a&b/<log>.txt',
  };
  const { ebuild: _ebuild, ...notEbuild } = evil;
  const command: BuildResult = { ...notEbuild, name: 'curl "x" & <y>', kind: 'command', verdict: 'fails-without-network', attempts: [], findings: [] };
  const builds = [...base.builds, evil, command];
  return { ...base, builds, summary: summarize(builds) };
}

const REPORTS = (): { f: string; r: Report }[] => [...examples, { f: 'hostile', r: hostile() }];

describe('XML well-formedness checker (used by the tests below)', () => {
  it('accepts well-formed documents and reads text and attributes back', () => {
    const root = parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<a x="1 &amp; &quot;2&quot;"><b/>t &lt;&#65;&#x42;<!-- c --><![CDATA[<raw>]]></a>\n');
    assert.equal(root.attributes.x, '1 & "2"');
    assert.equal(root.text, 't <AB<raw>');
  });

  it('rejects what is not well-formed', () => {
    for (const bad of ['<a>', '<a></b>', '<a>&</a>', '<a>&nbsp;</a>', '<a x=1/>', '<a x="<"/>', '<a x="1" x="2"/>', '<a/><b/>', '<a>\u0001</a>', '<a>&#1;</a>', '<a>]]></a>', 'text', '<a><b></a></b>']) {
      assert.throws(() => parseXml(bad), Error, bad);
    }
  });
});

describe('junit reporter', () => {
  it('is well-formed on every example and on hostile names, log lines and control characters', () => {
    for (const { f, r } of REPORTS()) {
      const xml = renderJunit(r);
      assert.doesNotThrow(() => parseXml(xml), f);
      assert.equal(xmllint(xml), '', f);
    }
  });

  it('one <testsuite name="netaudit"> with one test case per build and correct counts', () => {
    for (const { f, r } of REPORTS()) {
      const root = parseXml(renderJunit(r));
      assert.equal(root.name, 'testsuites', f);
      const suites = all(root, 'testsuite');
      assert.equal(suites.length, 1, f);
      const suite = suites[0] as XmlElement;
      assert.equal(suite.attributes.name, 'netaudit');
      const cases = all(suite, 'testcase');
      assert.equal(cases.length, r.builds.length, f);
      for (const e of [root, suite]) {
        assert.equal(e.attributes.tests, String(r.builds.length), f);
        assert.equal(e.attributes.failures, String(r.summary.breaks), f);
        assert.equal(e.attributes.errors, '0', f);
        assert.equal(e.attributes.skipped, String(r.summary['fails-without-network']), f);
        assert.equal(e.attributes.time, (r.builds.reduce((s, b) => s + b.durationMs, 0) / 1000).toFixed(3), f);
      }
      r.builds.forEach((b, k) => {
        const c = cases[k] as XmlElement;
        const expected = b.kind === 'ebuild' && b.ebuild ? [b.ebuild.category, `${b.ebuild.package}-${b.ebuild.version}`] : ['command', b.name];
        assert.deepEqual([c.attributes.classname, c.attributes.name], expected.map((s) => s.replace(FORBIDDEN, '')), `${f}: ${b.name}`);
        assert.equal(c.attributes.time, (b.durationMs / 1000).toFixed(3));
        // <properties> (verification rounds, roundProperties) come first when there are any.
        const kinds = c.children.map((x) => x.name).filter((n) => n !== 'system-out' && n !== 'properties');
        assert.equal(all(c, 'properties').length, roundProperties(b).length ? 1 : 0, `${f}: ${b.name}`);
        const want = b.verdict === 'breaks' ? ['failure'] : b.verdict === 'fails-without-network' ? ['skipped'] : [];
        assert.deepEqual(kinds, want, `${f}: ${b.name} (${b.verdict})`);
        assert.equal(all(c, 'system-out').length, 1);
      });
    }
  });

  it('breaks: <failure type="breaks"> with the findings, log lines and hints as text', () => {
    const r = examples.find((e) => e.f === 'ebuild-test-network-breaks.json')?.r as Report;
    const b = r.builds[0] as BuildResult;
    const failure = all(parseXml(renderJunit(r)), 'failure')[0] as XmlElement;
    assert.equal(failure.attributes.type, 'breaks');
    assert.match(failure.attributes.message as string, /^breaks under network-sandbox \(test\): 2 blocked attempts, exit status 1$/);
    for (const f of b.findings) {
      assert.ok(failure.text.includes(`${f.keyword} [${f.level}]: ${f.message}`), f.keyword);
      if (f.hint) assert.ok(failure.text.includes(`hint: ${f.hint}`));
      for (const l of f.logLines ?? []) assert.ok(failure.text.includes(`> ${l}`));
    }
  });

  it('breaks with --suggest: the failure text carries each suggestion (summary, verification, the patch line for line)', () => {
    const r = suggestedReport();
    // Hostile text in a summary and a patch line: it must come back as it was.
    const mixed = r.builds[0] as BuildResult;
    const hostile = { ...r, builds: [{ ...mixed, suggestions: mixed.suggestions?.map((s) => ({ ...s, summary: `${s.summary} </failure><x a="&">`, patch: `${s.patch}+# ]]> <!-- \u0001\n` })) }, ...r.builds.slice(1)] };
    const xml = renderJunit(hostile);
    assert.equal(xmllint(xml), '', 'xmllint');
    const cases = all(parseXml(xml), 'testcase');
    const failures = cases.map((c) => c.children.find((x) => x.name === 'failure'));
    assert.deepEqual(failures.map((f) => Boolean(f)), [true, true, true, true, false], 'the four breaking packages fail, clean-build passes');
    const [m, res, distcc] = failures as XmlElement[];
    const ms = hostile.builds[0]?.suggestions?.[0];
    assert.ok(m!.text.includes(`suggestion (deselect-tests, patch): ${ms?.summary}`), m!.text);
    assert.ok(m!.text.includes('  not verified (audit with --verify)\n  patch:\n'));
    for (const line of (ms?.patch ?? '').split('\u0001').join('').replace(/\n$/, '').split('\n')) assert.ok(m!.text.includes(`\n    ${line}`), line);
    assert.match(res!.text, /^suggestion \(test-network, verified\): src_test made 2 blocked attempt\(s\)/m);
    assert.match(res!.text, /^ {2}verified: patched copy audited \(2\.40 s\): verdict clean; src_test passes; no blocked attempt$/m);
    assert.match(res!.text, /^ {4}\+PROPERTIES="test_network"$/m);
    assert.match(distcc!.text, /^suggestion \(distcc-proxy, no patch\): .*network-sandbox-proxy/m);
    assert.doesNotMatch(distcc!.text, /patch:/);
  });

  it('fails-without-network is <skipped message="fails without network: ...">, not a failure or an error', () => {
    const r = examples.find((e) => e.f === 'run-exit-3-fails-without-network.json')?.r as Report;
    const c = all(parseXml(renderJunit(r)), 'testcase')[0] as XmlElement;
    assert.deepEqual(c.children.map((x) => x.name), ['skipped', 'system-out']);
    assert.match(c.children[0]?.attributes.message as string, /^fails without network: BuildFailedWithoutNetwork: the build exited with status 3/);
  });

  it('clean and tolerates pass; <system-out> lists the attempts', () => {
    const r = examples.find((e) => e.f === 'run-python-connect-tolerates.json')?.r as Report;
    const c = all(parseXml(renderJunit(r)), 'testcase')[0] as XmlElement;
    assert.deepEqual(c.children.map((x) => x.name), ['system-out']);
    const out = c.children[0]?.text as string;
    assert.match(out, /^verdict: tolerates \(exit status 0\)$/m);
    assert.match(out, /^attempts \(1\):\n {2}tcp 192\.0\.2\.1:80: unreachable.*, blocked$/m);
    const clean = all(parseXml(renderJunit(examples.find((e) => e.f === 'run-true-clean.json')?.r as Report)), 'system-out')[0] as XmlElement;
    assert.match(clean.text, /^attempts: none$/m);
  });

  it('attempt lines write endpoints as the other reporters do: v6 in brackets before a port only', () => {
    const base = { scope: 'external', family: 6, count: 1, firstAtMs: 0, allowed: false, outcome: 'unreachable' } as const;
    assert.equal(attemptLine({ ...base, kind: 'tcp', address: '2001:db8::1', port: 443, count: 2, phase: 'test' }), 'tcp [2001:db8::1]:443 ×2 in test: unreachable, blocked');
    assert.equal(attemptLine({ ...base, kind: 'dns', address: 'fd::1', port: 53, hostname: 'h.example', qtype: 'AAAA' }), 'dns h.example (AAAA) via [fd::1]:53: unreachable, blocked');
    const { outcome: _answered, ...noOutcome } = base;
    assert.equal(
      attemptLine({ ...noOutcome, kind: 'tcp', address: '198.51.100.1', port: 443, hostname: 'files.example.org', wanted: 'tls sni=files.example.org alpn=h2' }),
      'tcp 198.51.100.1:443 (files.example.org): wanted tls sni=files.example.org alpn=h2, blocked',
    );
    // No port, no brackets (were `icmp [2001:db8::9]` and `unix [/run/a:b.sock]`).
    assert.equal(attemptLine(attemptOf({ ...base, kind: 'icmp', address: '2001:db8::9' })), 'icmp 2001:db8::9: unreachable, blocked');
    assert.equal(attemptLine(attemptOf({ ...base, kind: 'unix', scope: 'host-local', address: '/run/a:b.sock', allowed: true, allowedBy: 'RESTRICT=network-sandbox' })), 'unix /run/a:b.sock: unreachable, allowed (RESTRICT=network-sandbox)');
  });

  it('hostile values come back as they were, minus the characters XML forbids', () => {
    const root = parseXml(renderJunit(hostile()));
    const evil = all(root, 'testcase').find((c) => c.attributes.name?.includes('onerror')) as XmlElement;
    assert.deepEqual([evil.attributes.classname, evil.attributes.name], ['net-test', '<img src=x onerror=alert(1)>-1']);
    const out = all(evil, 'system-out')[0]?.text as string;
    assert.ok(out.includes('command: sh -c echo "a & b" \'c\' ]]> '), out);
    assert.ok(out.includes('</script><script>alert(2)</script>&amp;.example'));
    assert.doesNotMatch(out, new RegExp(FORBIDDEN.source), 'forbidden characters dropped');
    const cmd = all(root, 'testcase').find((c) => c.attributes.classname === 'command' && c.attributes.name?.startsWith('curl')) as XmlElement;
    assert.equal(cmd.attributes.name, 'curl "x" & <y>');
  });
});

describe('pkgcheck-xml reporter', () => {
  /** A report whose findings are the version-scope results of pkgcheck's own reporter tests. */
  function likePkgcheckTests(): Report {
    const base = examples.find((e) => e.f === 'ebuild-test-network-breaks.json')?.r as Report;
    const b = base.builds[0] as BuildResult;
    const foo: BuildResult = {
      ...b,
      name: 'dev-libs/foo-0',
      ebuild: { ...(b.ebuild as NonNullable<BuildResult['ebuild']>), category: 'dev-libs', package: 'foo', version: '0' },
      findings: [
        { keyword: 'BadFilename' as FindingKeyword, level: 'warning', message: 'bad filenames: [ 0.tar.gz, foo.tar.gz ]' },
        { keyword: 'ReadonlyVariable' as FindingKeyword, level: 'warning', message: "read-only variable 'P' assigned, line 7: P=6" },
        { keyword: 'UnquotedVariable' as FindingKeyword, level: 'warning', message: 'unquoted variable D on lines: 5, 7' },
      ],
    };
    return { ...base, builds: [foo], summary: summarize([foo]) };
  }

  it("writes pkgcheck's XmlReporter lines (tests/test_reporters.py, version scope)", () => {
    // Expected lines from pkgcore/pkgcheck tests/test_reporters.py TestXmlReporter (commit 7e2120a7).
    assert.equal(
      renderPkgcheckXml(likePkgcheckTests()),
      [
        '<checks>',
        '<result><category>dev-libs</category><package>foo</package><version>0</version><class>BadFilename</class><msg>bad filenames: [ 0.tar.gz, foo.tar.gz ]</msg></result>',
        "<result><category>dev-libs</category><package>foo</package><version>0</version><class>ReadonlyVariable</class><msg>read-only variable 'P' assigned, line 7: P=6</msg></result>",
        '<result><category>dev-libs</category><package>foo</package><version>0</version><class>UnquotedVariable</class><msg>unquoted variable D on lines: 5, 7</msg></result>',
        '</checks>',
        '',
      ].join('\n'),
    );
  });

  it('well-formed on every example and hostile names; one <result> per finding; commands under category "command"', () => {
    for (const { f, r } of REPORTS()) {
      const xml = renderPkgcheckXml(r);
      const root = parseXml(xml);
      assert.equal(xmllint(xml), '', f);
      assert.equal(root.name, 'checks');
      const results = all(root, 'result');
      const findings = r.builds.flatMap((b) => b.findings.map((x) => ({ b, x })));
      assert.equal(results.length, findings.length, f);
      results.forEach((res, k) => {
        const { b, x } = findings[k] as (typeof findings)[number];
        const fields = Object.fromEntries(res.children.map((c) => [c.name, c.text]));
        const where =
          b.kind === 'ebuild' && b.ebuild ? { category: b.ebuild.category, package: b.ebuild.package, version: b.ebuild.version } : { category: 'command', package: b.name };
        assert.deepEqual(
          res.children.map((c) => c.name),
          [...Object.keys(where), 'class', 'msg'],
        );
        const fix = fixFor(b, x.attempt)?.replace(/\s+/g, ' ').trim();
        const msg = x.message.replace(/\s+/g, ' ').trim();
        assert.deepEqual(fields, { ...where, class: x.keyword, msg: (fix ? `${msg} (fix: ${fix})` : msg).replace(FORBIDDEN, '') });
      });
      assert.equal(xml.split('\n')[0], '<checks>');
      assert.ok(xml.endsWith('</checks>\n'));
    }
  });

  it('escapes text as pkgcheck does (xml.sax.saxutils.escape: & < > only; quotes stay)', () => {
    const line = renderPkgcheckXml(hostile())
      .split('\n')
      .find((l) => l.includes('onerror')) as string;
    assert.ok(line.includes('<category>net-test</category><package>&lt;img src=x onerror=alert(1)&gt;</package><version>1</version>'), line);
    assert.ok(line.includes('"quoted" &amp; &lt;b&gt;bold&lt;/b&gt; ]]&gt;'), line);
  });
});
