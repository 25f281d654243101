/** Option groups shared by commands, chained onto yargs builders (release-please style). */
import type { Argv } from 'yargs';
import { UsageError } from '../model/errors.js';
import { FAIL_ON, type FailOn } from '../model/types.js';


/** What reportOptions() and sandboxOptions() add to a command's arguments. */
export interface AuditArgs {
  json?: string;
  'fail-on': FailOn;
  quiet: boolean;
  color?: boolean;
  timeout?: string;
  user?: string;
  pcap?: string;
  observe: boolean;
}

export function reportOptions<T>(y: Argv<T>) {
  return y
    .option('json', { type: 'string', describe: 'write the JSON report (validated against reports/report.schema.json) to FILE', requiresArg: true })
    .option('fail-on', {
      choices: FAIL_ON,
      default: 'breaks' as FailOn,
      describe: 'exit 1 when a build is at or above this verdict (clean < fails-without-network < tolerates < breaks)',
    })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print no summary (the JSON report is still written)' })
    .option('color', { type: 'boolean', describe: 'force colours on or off (default: on for a terminal; NO_COLOR turns them off)' });
}

export function sandboxOptions<T>(y: Argv<T>) {
  return y
    .option('timeout', { type: 'string', describe: 'kill the whole build after this long (e.g. 90, 90s, 15m, 2h)', requiresArg: true })
    .option('user', { type: 'string', describe: 'run the build as this user (real builds run as portage)', requiresArg: true })
    .option('pcap', { type: 'string', describe: 'keep the raw captures (lo.pcap; without the tracer also veth.pcap, nflog.pcap) in DIR for Wireshark', requiresArg: true })
    .option(...OBSERVE_OPTION);
}

/** What portageOptions() adds: the options of the commands that audit ebuilds through Portage one by one (ebuild, changed). */
export interface PortageArgs {
  portage?: string;
  'log-dir': string;
  'allow-test'?: string;
  'keep-workdir': boolean;
  explain: boolean;
  verbose: boolean;
}

export function portageOptions<T>(y: Argv<T>) {
  return y
    .option('portage', { type: 'string', describe: "Portage's ebuild program (default: ebuild on PATH, else /opt/netaudit; env NETAUDIT_PORTAGE)", requiresArg: true })
    .option('log-dir', { type: 'string', default: '/var/tmp/netaudit/logs', describe: "keep Portage's build logs here (linked from the report)" })
    .option('allow-test', {
      type: 'string',
      describe: "ALLOW_TEST for the builds instead of your Portage configuration's (network: tests declaring PROPERTIES=test_network run, with the network)",
      requiresArg: true,
    })
    .option('keep-workdir', { type: 'boolean', default: false, describe: "keep Portage's build dir of a failed build for inspection" })
    .option('explain', {
      type: 'boolean',
      default: true,
      describe:
        "after a build that breaks, run it once more intercepted and add what it wanted to the report (attempts' `wanted`, the `explanation` block); the verdict stays the faithful run's. Costs one extra build run per breaking ebuild, made only where it adds what a fix needs (not when every blocked attempt is a test's, named); --no-explain: none",
    })
    .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: "stream Portage's output to stderr" });
}

/** What the options of portageOptions() mean for the audits (src/runner/ebuild.ts auditEbuilds). */
export function portageAuditOptions(args: PortageArgs) {
  return {
    logDir: args['log-dir'],
    allowTest: args['allow-test'],
    keepWorkdir: args['keep-workdir'],
    explain: args.explain,
    onOutput: args.verbose ? (b: Buffer) => void process.stderr.write(b) : undefined,
  };
}

/** --observe / --no-observe, for every command that builds. */
export const OBSERVE_OPTION = [
  'observe',
  {
    type: 'boolean',
    default: true,
    describe: "trace the build's socket calls with netaudit's eBPF tracer where it can run (who made each attempt; network-sandbox's errnos); --no-observe: packets only",
  },
] as const;

/** "90", "90s", "15m", "2h", "500ms" -> milliseconds. */
export function parseDuration(text: string | undefined, flag = '--timeout'): number | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${flag} ${text}: not a duration — use seconds or a suffix, e.g. 90, 90s, 15m, 2h`, { option: flag });
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  const ms = Math.round(n * unit);
  if (ms <= 0) throw new UsageError(`${flag} ${text}: must be more than zero`, { option: flag });
  return ms;
}
