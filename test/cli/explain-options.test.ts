/** --explain's defaults: on for `netaudit ebuild` (off with --no-explain), off for `netaudit sweep`; --intercept off. */
import assert from 'node:assert/strict';
import yargs, { type Argv } from 'yargs';
import { ebuildCommand } from '../../src/cli/commands/ebuild.js';
import { sweepCommand } from '../../src/cli/commands/sweep.js';

function parse(command: { builder?: unknown }, args: string[]): Promise<Record<string, unknown>> {
  const build = command.builder as (y: Argv) => Argv;
  return build(yargs()).parseAsync(args) as Promise<Record<string, unknown>>;
}

describe('cli: --explain and --intercept options', () => {
  it('ebuild: --explain defaults to true, --no-explain turns it off; --intercept defaults to false', async () => {
    const plain = await parse(ebuildCommand, ['x.ebuild']);
    assert.equal(plain.explain, true);
    assert.equal(plain.intercept, false);
    assert.equal((await parse(ebuildCommand, ['--no-explain', 'x.ebuild'])).explain, false);
    assert.equal((await parse(ebuildCommand, ['--intercept', 'x.ebuild'])).intercept, true);
  });

  it('sweep: --explain defaults to false (one extra run per breaking package only when asked)', async () => {
    assert.equal((await parse(sweepCommand, ['repo', '--out', 'o'])).explain, false);
    assert.equal((await parse(sweepCommand, ['repo', '--out', 'o', '--explain'])).explain, true);
  });
});
