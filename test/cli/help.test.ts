/**
 * --help never breaks a word: at every terminal width (40 to 200 columns) and off a terminal (piped), for the
 * top level and every command and subcommand, each word of every description the parser has (commands,
 * positionals, options, yargs' own --help/--version) appears whole in what --help prints, and no line is wider
 * than the terminal. The words and the commands come from the parser itself (describeParser(), as the man page
 * reads them), so a command added later is checked too.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { main } from '../../src/cli/app.js';
import { describeParser, type CommandDoc, type ParserDoc } from '../../src/cli/manpage.js';
import { netaudit } from '../helpers/cli.js';

/** A stdout for main(): a terminal of `columns` columns, or (undefined) a pipe, which has no columns. */
function stdout(columns: number | undefined): Writable & { columns?: number; text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return Object.assign(w, { text: () => chunks.join('') }, columns === undefined ? {} : { columns });
}

async function help(path: readonly string[], columns: number | undefined): Promise<string> {
  const out = stdout(columns);
  const err = stdout(undefined);
  const code = await main([...path, '--help'], { stdout: out, stderr: err, env: {} });
  assert.equal(code, 0, err.text());
  return out.text();
}

/** The words of a description: what lies between blanks (a line may only break at a blank). */
function words(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

/**
 * The description words that `text` does not show whole. The lines are joined with a blank, so a word cut at
 * a line's end ("netwo" + "rk") or glued to a neighbour ("help[boolean]") is missing.
 */
export function brokenWords(text: string, descriptions: readonly string[]): string[] {
  const shown = new Set(words(text));
  return [...new Set(descriptions.flatMap(words))].filter((w) => !shown.has(w));
}

/** The descriptions --help of `command` prints: its own, its positionals', options' and subcommands'. */
function descriptionsOf(command: CommandDoc, doc: ParserDoc): string[] {
  return [
    command.description,
    ...command.positionals.map((o) => o.description),
    ...command.options.map((o) => o.description),
    ...command.subcommands.map((c) => c.description),
    ...doc.globalOptions.map((o) => o.description),
  ];
}

/**
 * Every command and subcommand with a --help of its own. `completion` has none: yargs answers
 * `netaudit completion --help` with the completion script (its description is checked in the top level's help).
 */
function everyCommand(commands: readonly CommandDoc[]): CommandDoc[] {
  return commands.filter((c) => c.path.join(' ') !== 'completion').flatMap((c) => [c, ...everyCommand(c.subcommands)]);
}

// undefined: not a terminal (main() then lays out at 100 columns).
const WIDTHS = [40, 50, 60, 72, 80, 100, 120, 200, undefined] as const;

describe('--help never breaks a word', function () {
  let doc: ParserDoc;
  before(async function () {
    doc = await describeParser();
  });

  it('the check finds a cut word and a glued one (it is not vacuous)', function () {
    const descriptions = ['report every network attempt', 'Show help'];
    assert.deepEqual(brokenWords('report every netwo\n  rk attempt\n Show help', descriptions), ['network']);
    assert.deepEqual(brokenWords('report every network attempt\n Show help[boolean]', descriptions), ['help']);
    assert.deepEqual(brokenWords('report every\n   network\nattempt Show    help  [boolean]', descriptions), []);
  });

  for (const columns of WIDTHS) {
    const where = columns === undefined ? 'off a terminal' : `at ${columns} columns`;
    it(`top level and every command ${where}`, async function () {
      const limit = Math.min(110, columns ?? 100);
      const commands = everyCommand(doc.commands);
      assert.ok(commands.length >= 12, `only ${commands.length} commands found`);
      const top: CommandDoc = { path: [], usage: '', description: '', positionals: [], options: [], subcommands: doc.commands };
      let checked = 0;
      for (const command of [top, ...commands]) {
        const text = await help(command.path, columns);
        const descriptions = descriptionsOf(command, doc);
        const name = `netaudit ${command.path.join(' ')} --help ${where}`;
        assert.deepEqual(brokenWords(text, descriptions), [], `${name} breaks words:\n${text}`);
        const wide = text.split('\n').filter((l) => [...l].length > limit);
        assert.deepEqual(wide, [], `${name}: lines wider than ${limit} columns`);
        checked += descriptions.flatMap(words).length;
      }
      assert.ok(checked > 500, `only ${checked} words checked`);
    });
  }

  it('the program itself, piped (node dist/src/cli/main.cjs --help | ...)', async function () {
    this.timeout(20_000);
    for (const command of [{ path: [] as string[], subcommands: doc.commands }, ...everyCommand(doc.commands).filter((c) => c.path.length === 1)]) {
      const ran = await netaudit([...command.path, '--help']);
      assert.equal(ran.code, 0, ran.stderr);
      const full = command.path.length === 0 ? undefined : everyCommand(doc.commands).find((c) => c === command);
      const descriptions = full ? descriptionsOf(full, doc) : command.subcommands.map((c) => c.description);
      assert.ok(descriptions.length > 0);
      assert.deepEqual(brokenWords(ran.stdout, descriptions), [], `netaudit ${command.path.join(' ')} --help, piped:\n${ran.stdout}`);
      assert.deepEqual(ran.stdout.split('\n').filter((l) => l.length > 100), []);
    }
  });
});
