/** src/cli/options.ts: durations for --timeout, and the option groups commands share. */
import assert from 'node:assert/strict';
import yargs from 'yargs';
import { parseDuration, reportOptions, sandboxOptions } from '../../src/cli/options.js';
import { UsageError } from '../../src/model/errors.js';

describe('cli options', () => {
  describe('parseDuration', () => {
    const good: [string, number][] = [
      ['90', 90_000],
      ['90s', 90_000],
      ['15m', 900_000],
      ['2h', 7_200_000],
      ['500ms', 500],
      ['1.5s', 1500],
      ['0.5', 500],
      [' 30s ', 30_000],
    ];
    for (const [text, ms] of good) {
      it(`${JSON.stringify(text)} is ${ms} ms`, () => assert.equal(parseDuration(text), ms));
    }

    it('undefined (no --timeout) is no limit', () => assert.equal(parseDuration(undefined), undefined));

    const notADuration = ['-1', 'abc', '', '1d', '5 m', '1e3', '1.', '.5s', 'ms'];
    for (const text of notADuration) {
      it(`${JSON.stringify(text)} is a UsageError naming --timeout: not a duration`, () => {
        assert.throws(
          () => parseDuration(text),
          (e: unknown) =>
            e instanceof UsageError &&
            e.option === '--timeout' &&
            e.message === `--timeout ${text}: not a duration — use seconds or a suffix, e.g. 90, 90s, 15m, 2h`,
        );
      });
    }

    for (const text of ['0', '0s', '0ms', '0.0001s']) {
      it(`${JSON.stringify(text)} is a UsageError naming --timeout: must be more than zero`, () => {
        assert.throws(
          () => parseDuration(text),
          (e: unknown) => e instanceof UsageError && e.option === '--timeout' && e.message === `--timeout ${text}: must be more than zero`,
        );
      });
    }

    it('names the flag it is given', () => {
      assert.throws(() => parseDuration('soon', '--grace'), (e: unknown) => e instanceof UsageError && e.option === '--grace' && e.message.startsWith('--grace soon:'));
    });
  });

  describe('option groups', () => {
    it('reportOptions: --fail-on defaults to breaks, --quiet to false, -q is --quiet, --color is tri-state', async () => {
      const plain = await reportOptions(yargs()).parseAsync([]);
      assert.equal(plain['fail-on'], 'breaks');
      assert.equal(plain.quiet, false);
      assert.equal(plain.color, undefined);
      const set = await reportOptions(yargs()).parseAsync(['-q', '--fail-on', 'tolerates', '--no-color', '--json', 'r.json']);
      assert.equal(set.quiet, true);
      assert.equal(set['fail-on'], 'tolerates');
      assert.equal(set.color, false);
      assert.equal(set.json, 'r.json');
    });

    it('sandboxOptions: --timeout, --user and --pcap are strings that need a value', async () => {
      const set = await sandboxOptions(yargs()).parseAsync(['--timeout', '90', '--user', 'nobody', '--pcap', 'caps']);
      assert.deepEqual([set.timeout, set.user, set.pcap], ['90', 'nobody', 'caps']);
      assert.throws(() => sandboxOptions(yargs()).exitProcess(false).fail((msg) => { throw new Error(msg); }).parse(['--timeout']), /Not enough arguments following: timeout/);
    });
  });
});
