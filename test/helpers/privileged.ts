/**
 * Privileged tests need root, iproute2, tcpdump and nftables. Outside CI they are skipped with a reason when
 * those are missing; with CI=true a missing prerequisite fails loudly, so CI can never pass by skipping.
 */
import { findProblems } from '../../src/sandbox/prereq.js';

export function requirePrivileges(ctx: Mocha.Context): void {
  const problems = findProblems();
  if (!problems.length) return;
  const why = problems.map((p) => `${p.what} (${p.fix})`).join('; ');
  if (process.env.CI === 'true') throw new Error(`privileged tests cannot run in CI: ${why}`);
  ctx.skip();
}
