/**
 * The cost of `netaudit ebuild --suggest DIR --verify` (with --explain, on by default) per fixture ebuild, as a
 * ratio to a plain `ebuild FILE clean test install clean` with Portage's own FEATURES=network-sandbox measured
 * in the same run (median of K, interleaved). Goal (issue 17): a breaking ebuild at most 2.2x (one audit and one
 * verify run; the explain rerun only where it adds what a suggestion needs: src/runner/ebuild.ts explainAdds).
 * Part of `npm run bench` (bench/run.ts); alone: `node dist/bench/suggest-cost.js` after `npm run build` (root).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Report } from '../src/model/types.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'dist/src/cli/main.cjs');
/** Breaking fixtures whose suggestion has a patch (test deselection, test_network) and a clean one. */
export const COST_FIXTURES = ['pytest-mixed', 'pytest-baseline', 'test-resolve', 'clean-build'] as const;
export const COST_GOAL = 2.2;

export interface SuggestCost {
  readonly ebuild: string;
  readonly verdict: string;
  readonly runs: number;
  readonly plainMs: number;
  readonly suggestVerifyMs: number;
  readonly ratio: number;
  /** Portage runs the audit made: 1 + the explain rerun (0/1) + the verify runs. */
  readonly portageRuns: number;
  readonly verified?: boolean;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function timed(argv: string[], env: NodeJS.ProcessEnv, okCodes: readonly number[] = [0]): number {
  const t0 = performance.now();
  const r = spawnSync(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env });
  const ms = performance.now() - t0;
  if (r.status === null || !okCodes.includes(r.status)) throw new Error(`${argv.join(' ')}: exit ${r.status}: ${String(r.stderr).slice(-400)}`);
  return ms;
}

/** Each fixture of `names`: plain Portage with network-sandbox vs netaudit --suggest --verify, median of `runs`. */
export async function measureSuggestCost(names: readonly string[] = COST_FIXTURES, runs = Number(process.env.BENCH_V ?? 3)): Promise<SuggestCost[]> {
  const { locatePortage } = await import('../src/portage/locate.js');
  const install = locatePortage();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-bench-'));
  const userFeatures = process.env.FEATURES ? `${process.env.FEATURES} ` : '';
  const plainEnv = {
    ...process.env,
    ...install.env,
    NOCOLOR: 'true',
    FEATURES: `${userFeatures}network-sandbox`,
    PORTAGE_LOGDIR: tmp,
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  };
  const out: SuggestCost[] = [];
  try {
    for (const pn of names) {
      const file = path.join(ROOT, 'fixtures/repo/net-test', pn, `${pn}-1.ebuild`);
      const plain: number[] = [];
      const audited: number[] = [];
      let report: Report | undefined;
      spawnSync(install.ebuild, [file, 'clean'], { env: plainEnv, stdio: 'ignore' }); // warm the caches
      for (let i = 0; i < runs; i++) {
        // A breaking ebuild's plain run fails (exit 1); Portage's build dir is then left: clean it, untimed.
        plain.push(timed([install.ebuild, file, 'clean', 'test', 'install', 'clean'], plainEnv, [0, 1]));
        spawnSync(install.ebuild, [file, 'clean'], { env: plainEnv, stdio: 'ignore' });
        const json = path.join(tmp, `${pn}-${i}.json`);
        audited.push(timed([process.execPath, CLI, 'ebuild', '-q', '--suggest', path.join(tmp, 'patches'), '--verify', '--json', json, '--log-dir', tmp, '--fail-on', 'never', file], { ...process.env, NO_COLOR: '1' }));
        report = JSON.parse(readFileSync(json, 'utf8')) as Report;
      }
      const b = report?.builds[0];
      const suggestions = b?.suggestions ?? [];
      const verifyRuns = suggestions.reduce((n, s) => n + (s.rounds?.length ?? (s.verified !== undefined ? 1 : 0)), 0);
      const r = { plainMs: median(plain), suggestVerifyMs: median(audited) };
      const verified = suggestions.find((s) => s.verified !== undefined)?.verified;
      out.push({
        ebuild: `net-test/${pn}-1`,
        verdict: b?.verdict ?? 'unknown',
        runs,
        ...r,
        ratio: r.suggestVerifyMs / r.plainMs,
        portageRuns: 1 + (b?.explanation ? 1 : 0) + verifyRuns,
        ...(verified !== undefined ? { verified } : {}),
      });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}

/** The bench's lines for `costs`. */
export function suggestCostLines(costs: readonly SuggestCost[]): string[] {
  return costs.map((c) => {
    const goal = c.verdict === 'breaks' ? ` (goal <= ${COST_GOAL}x: ${c.ratio <= COST_GOAL ? 'met' : 'not met'})` : '';
    return (
      `ebuild --suggest --verify ${c.ebuild} [${c.verdict}${c.verified !== undefined ? `, verified ${c.verified}` : ''}] (median of ${c.runs}): ` +
      `${c.suggestVerifyMs.toFixed(0)} ms vs plain ebuild with FEATURES=network-sandbox ${c.plainMs.toFixed(0)} ms: ${c.ratio.toFixed(2)}x${goal}, ${c.portageRuns} Portage run(s)`
    );
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const costs = await measureSuggestCost(process.argv.slice(2).length ? process.argv.slice(2) : COST_FIXTURES);
  process.stdout.write(suggestCostLines(costs).join('\n') + '\n');
}
