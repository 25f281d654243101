/**
 * The man page netaudit(1), generated from the yargs definitions of the parser (src/cli/app.ts), never written
 * by hand: every command, subcommand, positional and option with its description, type, choices and default
 * comes from the parser itself, so the page cannot drift from `--help`.
 *
 * How the definitions are read: yargs runs a command's builder only when that command is parsed, so for each
 * command (and each subcommand, one level down at a time) a fresh yargs instance registers a copy of the command
 * whose builder runs the original one and then takes a snapshot of what it defined; `COMMAND --help` is parsed
 * with yargs' output swallowed. Nothing runs a handler.
 *
 * scripts/build-man.mjs writes the page to dist/man/netaudit.1 at build time (`npm run build`); package.json
 * `man` ships it and the ebuild installs it with doman.
 */
import type { Argv } from 'yargs';
import yargs from './yargs.js';
import { parser as netauditParser } from './app.js';
import { VERSION } from '../version.js';

/** One command's handler as yargs keeps it (CommandInstance.getCommandHandlers()). */
interface Handler {
  readonly original: string;
  readonly description: string | false;
  readonly builder: ((y: Argv) => unknown) | Record<string, unknown>;
}

/** What a command defines, as read from yargs once its builder ran. */
export interface CommandDoc {
  /** The names leading to it, e.g. ['report', 'render']. */
  readonly path: readonly string[];
  /** yargs' command string, e.g. 'render <report>'. */
  readonly usage: string;
  readonly description: string;
  readonly positionals: readonly OptionDoc[];
  readonly options: readonly OptionDoc[];
  readonly subcommands: readonly CommandDoc[];
}

export interface OptionDoc {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly description: string;
  readonly type?: 'boolean' | 'string' | 'number' | 'array' | 'count';
  readonly choices?: readonly unknown[];
  readonly default?: unknown;
  readonly required: boolean;
}

/** The whole parser, as the man page shows it. */
export interface ParserDoc {
  readonly commands: readonly CommandDoc[];
  /** Options every command has (--help, --version). */
  readonly globalOptions: readonly OptionDoc[];
}

interface Snapshot {
  readonly options: OptionDoc[];
  readonly positionals: OptionDoc[];
  readonly handlers: Record<string, Handler>;
  readonly commands: [string, string][];
}

/** The parts of a yargs 17 instance read here: public methods that @types/yargs does not declare. */
interface YargsState {
  getOptions(): {
    key: Record<string, boolean>;
    alias: Record<string, string[]>;
    default: Record<string, unknown>;
    choices: Record<string, unknown[]>;
    demandedOptions: Record<string, unknown>;
    hiddenOptions: string[];
    boolean: string[];
    string: string[];
    number: string[];
    array: string[];
    count: string[];
  };
  getGroups(): Record<string, string[]>;
  getInternalMethods(): {
    getUsageInstance(): { getDescriptions(): Record<string, string | undefined>; getCommands(): unknown[][] };
    getCommandInstance(): { getCommandHandlers(): Record<string, Handler> };
  };
}

/** Options yargs adds itself and the man page lists once, not under every command. */
const GLOBAL = new Set(['help', 'version']);

/** The options, positionals and subcommands `y` holds right now. */
function snapshot(argv: Argv, skipGlobal: boolean): Snapshot {
  const y = argv as unknown as YargsState;
  const o = y.getOptions();
  const internal = y.getInternalMethods();
  const descriptions = internal.getUsageInstance().getDescriptions();
  const groups = y.getGroups();
  const positional = new Set(groups['Positionals:'] ?? []);
  const aliasOf = new Set(Object.values(o.alias).flat());
  const hidden = new Set(o.hiddenOptions);
  const options: OptionDoc[] = [];
  const positionals: OptionDoc[] = [];
  for (const name of Object.keys(o.key)) {
    if (aliasOf.has(name) || hidden.has(name) || (skipGlobal && GLOBAL.has(name))) continue;
    const type = o.count.includes(name)
      ? 'count'
      : o.array.includes(name)
        ? 'array'
        : o.boolean.includes(name)
          ? 'boolean'
          : o.number.includes(name)
            ? 'number'
            : o.string.includes(name)
              ? 'string'
              : undefined;
    const doc: OptionDoc = {
      name,
      aliases: [...(o.alias[name] ?? [])],
      description: (descriptions[name] ?? '').replace(/^__yargsString__:/, ''),
      type,
      choices: o.choices[name] ? [...o.choices[name]] : undefined,
      default: o.default[name],
      required: name in o.demandedOptions,
    };
    (positional.has(name) ? positionals : options).push(doc);
  }
  const commands = internal.getUsageInstance().getCommands().map((c) => [String(c[0]), String(c[1])] as [string, string]);
  return { options, positionals, handlers: { ...internal.getCommandInstance().getCommandHandlers() }, commands };
}

/** Run the builders along `chain` (top command first) and return the snapshot taken in the last one. */
async function probe(chain: readonly Handler[]): Promise<Snapshot> {
  let taken: Snapshot | undefined;
  const wrap = (i: number) => {
    const h = chain[i] as Handler;
    return {
      command: h.original,
      describe: h.description,
      handler: () => undefined,
      builder: (y: Argv) => {
        const built = (typeof h.builder === 'function' ? h.builder(y) : y.options(h.builder as never)) as Argv | undefined;
        const self = built ?? y;
        // A subcommand registered again under its own name replaces the original's handler in yargs.
        if (i + 1 < chain.length) self.command(wrap(i + 1) as never);
        else taken = snapshot(self, true);
        return self;
      },
    };
  };
  const names = chain.map((h) => commandName(h.original));
  await yargs()
    .scriptName('netaudit')
    .exitProcess(false)
    .fail(() => undefined)
    .command(wrap(0) as never)
    .parseAsync([...names, '--help'], {}, () => undefined);
  if (!taken) throw new Error(`manpage: the builder of 'netaudit ${names.join(' ')}' did not run`);
  return taken;
}

function commandName(usage: string): string {
  return usage.split(/\s+/)[0] as string;
}

async function describeCommand(chain: readonly Handler[]): Promise<CommandDoc> {
  const snap = await probe(chain);
  const last = chain[chain.length - 1] as Handler;
  const subcommands: CommandDoc[] = [];
  for (const [usage] of snap.commands) {
    const sub = snap.handlers[commandName(usage)];
    if (sub) subcommands.push(await describeCommand([...chain, sub]));
  }
  return {
    path: chain.map((h) => commandName(h.original)),
    usage: last.original,
    description: last.description || '',
    positionals: snap.positionals,
    options: snap.options,
    subcommands,
  };
}

/**
 * Every command of `make()`'s parser (default: netaudit's) with its options, in the order `--help` lists them.
 * Commands yargs handles itself (`completion`) have no builder; they are listed with their description only.
 */
export async function describeParser(make: () => Argv<unknown> = netauditParser): Promise<ParserDoc> {
  const top = make();
  const snap = snapshot(top, false);
  const commands: CommandDoc[] = [];
  for (const [usage, description] of snap.commands) {
    const handler = snap.handlers[commandName(usage)];
    if (handler) commands.push(await describeCommand([handler]));
    else commands.push({ path: [commandName(usage)], usage, description, positionals: [], options: [], subcommands: [] });
  }
  return { commands, globalOptions: snap.options };
}

/** Text for roff: backslashes escaped, a line never starting with a control character, minus signs as \-. */
export function roffText(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join('\n');
}

function optionLabel(o: OptionDoc): string {
  const flag = (n: string) => `\\fB${roffText(n.length === 1 ? `-${n}` : `--${n}`)}\\fR`;
  const names = [o.name, ...o.aliases].map(flag);
  if (o.type === 'boolean' && o.default === true) names.push(flag(`no-${o.name}`));
  const arg = o.type === 'boolean' || o.type === 'count' ? '' : o.type === 'array' ? ' \\fIVALUE\\fR...' : ' \\fIVALUE\\fR';
  return names.join(', ') + arg;
}

function optionNotes(o: OptionDoc): string {
  const notes: string[] = [];
  if (o.choices?.length) notes.push(`one of: ${o.choices.map(String).join(', ')}`);
  if (o.default !== undefined && !(Array.isArray(o.default) && o.default.length === 0)) notes.push(`default: ${JSON.stringify(o.default)}`);
  if (o.required) notes.push('required');
  return notes.length ? ` [${notes.join('; ')}]` : '';
}

function optionBlock(o: OptionDoc, positional = false): string[] {
  const label = positional ? `\\fI${roffText(o.name)}\\fR${o.type === 'array' ? '...' : ''}` : optionLabel(o);
  return ['.TP', label, roffText(`${o.description}${optionNotes(o)}`)];
}

/** The commands that run something: subcommands in place of the command that groups them. */
function leaves(commands: readonly CommandDoc[]): CommandDoc[] {
  return commands.flatMap((c) => (c.subcommands.length ? leaves(c.subcommands) : [c]));
}

function synopsis(c: CommandDoc): string {
  const words = [`\\fBnetaudit ${roffText(c.path.join(' '))}\\fR`];
  if (c.options.length) words.push('[\\fIOPTIONS\\fR]');
  const args = c.usage.split(/\s+/).slice(1).join(' ');
  if (args) words.push(roffText(args));
  return words.join(' ');
}

function commandBlock(c: CommandDoc): string[] {
  const lines = [`.SS "netaudit ${roffText([...c.path.slice(0, -1), c.usage].join(' '))}"`, roffText(c.description)];
  if (c.positionals.length) lines.push('.PP', 'Arguments:', '.RS', ...c.positionals.flatMap((p) => optionBlock(p, true)), '.RE');
  if (c.options.length) lines.push('.PP', 'Options:', '.RS', ...c.options.flatMap((o) => optionBlock(o)), '.RE');
  for (const sub of c.subcommands) lines.push(...commandBlock(sub));
  return lines;
}

export interface ManPageOptions {
  /** The page's date (YYYY-MM-DD); default: SOURCE_DATE_EPOCH's, else today's (UTC). */
  readonly date?: string;
  readonly make?: () => Argv;
}

/** netaudit(1) as roff (man(7) macros). */
export async function manPage(options: ManPageOptions = {}): Promise<string> {
  const doc = await describeParser(options.make);
  const epoch = process.env.SOURCE_DATE_EPOCH;
  const date = options.date ?? new Date(epoch && /^\d+$/.test(epoch) ? Number(epoch) * 1000 : Date.now()).toISOString().slice(0, 10);
  const lines = [
    '.\\" Generated by scripts/build-man.mjs from the yargs definitions (src/cli/manpage.ts). Do not edit.',
    `.TH NETAUDIT 1 "${date}" "netaudit ${VERSION}" "User Commands"`,
    '.SH NAME',
    'netaudit \\- audit builds for network access under an emulated Portage FEATURES=network\\-sandbox',
    '.SH SYNOPSIS',
    ...leaves(doc.commands).flatMap((c) => ['.br', synopsis(c)]),
    '.SH DESCRIPTION',
    roffText(
      'netaudit runs a build (a command, or an ebuild through real Portage) in a build network namespace set up ' +
        "like Portage's network-sandbox, joined by a veth pair to a monitor namespace with no route out. Every " +
        'attempted connection is captured and answered the way network-sandbox answers it, and each build gets a ' +
        'verdict (clean, tolerates, breaks, fails-without-network) with the evidence. netaudit needs root.',
    ),
    '.SH COMMANDS',
    ...doc.commands.flatMap(commandBlock),
    '.SH GLOBAL OPTIONS',
    ...doc.globalOptions.flatMap((o) => optionBlock(o)),
    '.SH EXIT STATUS',
    '.TP', '0', roffText('no build at or above --fail-on'),
    '.TP', '1', roffText('some build is at or above --fail-on'),
    '.TP', '2', roffText('netaudit could not do its job (bad input, missing tool, not root), with a one-line reason'),
    '.TP', '130, 143', roffText('interrupted by SIGINT or SIGTERM (the sandbox is removed first)'),
    '.SH FILES',
    '.TP', '/var/tmp/netaudit/logs', roffText('build logs of audited ebuilds (--log-dir)'),
    '.SH SEE ALSO',
    '\\fBebuild\\fR(1), \\fBmake.conf\\fR(5), \\fBip\\-netns\\fR(8), \\fBtcpdump\\fR(8), \\fBnft\\fR(8)',
  ];
  return `${lines.join('\n')}\n`;
}
