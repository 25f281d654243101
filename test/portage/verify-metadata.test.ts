/**
 * @privileged @portage --verify takes the patched copy's PROPERTIES/RESTRICT from the original's metadata and the
 * tokens a `test-network`/`declare` patch adds (src/runner/verify.ts declaredMetadata) instead of asking Portage
 * again: here real Portage reads each patched scratch copy, and what it says is what declaredMetadata derived —
 * for the fixtures that get such a patch, and for an ebuild whose own PROPERTIES/RESTRICT already hold plain
 * tokens. An ebuild with a USE conditional in RESTRICT is left to Portage (undefined).
 */
import assert from 'node:assert/strict';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BuildResult, Suggestion } from '../../src/model/types.js';
import { readMetadata, type EbuildMeta } from '../../src/portage/metadata.js';
import type { PortageInstall } from '../../src/portage/locate.js';
import { declaredMetadata, REPO_PARTS, scratchCopy } from '../../src/runner/verify.js';
import { suggest } from '../../src/suggest/index.js';
import { REPO, suggestedBuild } from '../report/suggested.js';
import { requirePortage } from '../helpers/portage.js';
import { requirePrivileges } from '../helpers/privileged.js';

const FIELDS = ['properties', 'restrict', 'rawProperties', 'rawRestrict'] as const;

describe('verify: PROPERTIES/RESTRICT of a declare patch derived, as Portage reads the patched copy @privileged @portage', function () {
  this.timeout(120_000);
  let install: PortageInstall;
  let tmp: string;

  before(function () {
    requirePrivileges(this);
    install = requirePortage(this);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-test-'));
    chmodSync(tmp, 0o755);
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  /** The original's metadata, the patched copy's as Portage reads it, and what declaredMetadata derives. */
  async function compare(ebuild: string, s: Suggestion, name: string): Promise<{ portage: EbuildMeta; derived: ReturnType<typeof declaredMetadata> }> {
    const [meta] = await readMetadata(install, [ebuild]);
    assert.ok(meta, ebuild);
    const scratch = mkdtempSync(path.join(tmp, `${name}-`));
    // Portage's metadata phase runs as the portage user: it must read the copy (as verify's scratch directory).
    chmodSync(scratch, 0o755);
    const copy = scratchCopy(meta, scratch, s.patch as string);
    const [portage] = await readMetadata(install, [copy]);
    assert.ok(portage, copy);
    return { portage, derived: declaredMetadata(meta, s) };
  }
  const sorted = (m: Partial<Record<(typeof FIELDS)[number], string | string[]>>) =>
    Object.fromEntries(FIELDS.map((k) => [k, Array.isArray(m[k]) ? [...(m[k] as string[])].sort() : m[k]]));

  for (const pn of ['test-resolve', 'test-ipv6', 'udp-sender']) {
    it(`${pn}: PROPERTIES="test_network" + RESTRICT="test" added to none`, async () => {
      const s = suggestedBuild(pn).suggestions?.find((x) => x.cause === 'test-network' && x.patch);
      assert.ok(s, `${pn} gets a test-network patch`);
      const { portage, derived } = await compare(path.join(REPO, 'net-test', pn, `${pn}-1.ebuild`), s, pn);
      assert.ok(derived, 'derived, not asked');
      assert.deepEqual(sorted(derived), sorted(portage));
      assert.deepEqual([...portage.properties].sort(), ['test_network']);
      assert.ok(portage.restrict.includes('test'));
    });
  }

  /** A copy of fixtures/repo with test-resolve's ebuild rewritten by `edit`; its path and the test-network suggestion. */
  function variant(name: string, edit: (text: string) => string): { ebuild: string; s: Suggestion | undefined } {
    const repo = path.join(tmp, name, 'repo');
    for (const part of REPO_PARTS) if (existsSync(path.join(REPO, part))) cpSync(path.join(REPO, part), path.join(repo, part), { recursive: true });
    const dir = path.join(repo, 'net-test/test-resolve');
    cpSync(path.join(REPO, 'net-test/test-resolve'), dir, { recursive: true });
    const ebuild = path.join(dir, 'test-resolve-1.ebuild');
    const text = edit(readFileSync(ebuild, 'utf8'));
    writeFileSync(ebuild, text);
    const b: BuildResult = suggestedBuild('test-resolve');
    return { ebuild, s: suggest(b, text).find((x) => x.cause === 'test-network' && x.patch) };
  }

  it('an ebuild with plain PROPERTIES and RESTRICT of its own: the tokens added to them, as Portage reads it', async () => {
    const { ebuild, s } = variant('plain', (t) => t.replace('IUSE="test"\n', 'IUSE="test"\nPROPERTIES="interactive"\nRESTRICT="strip mirror"\n'));
    assert.ok(s);
    assert.match(s.patch as string, /^-RESTRICT="strip mirror"$/m);
    assert.match(s.patch as string, /^\+RESTRICT="strip mirror test"$/m);
    assert.match(s.patch as string, /^\+PROPERTIES="interactive test_network"$/m);
    const { portage, derived } = await compare(ebuild, s, 'plain');
    assert.ok(derived);
    assert.deepEqual(sorted(derived), sorted(portage));
    assert.deepEqual([...portage.restrict].sort(), ['mirror', 'strip', 'test']);
    assert.deepEqual([...portage.properties].sort(), ['interactive', 'test_network']);
  });

  it('a USE conditional in RESTRICT: not derived (USE=test may flip with RESTRICT=test): Portage is asked', async () => {
    const { ebuild, s } = variant('conditional', (t) => t.replace('IUSE="test"\n', 'IUSE="test"\nRESTRICT="!test? ( test )"\n'));
    assert.ok(s);
    const [meta] = await readMetadata(install, [ebuild]);
    assert.equal(declaredMetadata(meta as EbuildMeta, s), undefined);
  });
});
