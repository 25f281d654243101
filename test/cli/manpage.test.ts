/**
 * The man page is generated from the parser (src/cli/manpage.ts): it names every command, subcommand,
 * positional and option the parser has. What the parser has is read here independently of the generator, from
 * what `--help` prints for each command (in-process, through main()); the shipped page (dist/man/netaudit.1,
 * written by `npm run build`) is the one the generator makes now; text is escaped for roff.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../src/cli/app.js';
import { describeParser, manPage, roffText } from '../../src/cli/manpage.js';
import { ROOT } from '../helpers/cli.js';

async function help(args: string[]): Promise<string> {
  let text = '';
  const stdout = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  const code = await main([...args, '--help'], { stdout, stderr: stdout, env: {} });
  assert.equal(code, 0, text);
  return text;
}

/** The lines of one section of --help output ("Commands:", "Options:", "Positionals:"). */
function section(text: string, title: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(title);
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && /^\S/.test(l));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

interface HelpCommand {
  readonly path: string[];
  readonly options: string[];
  readonly positionals: string[];
}

/** Every command reachable from `netaudit --help`, depth first, with the flags and positionals its help lists. */
async function commandsFromHelp(path: string[] = []): Promise<HelpCommand[]> {
  const text = await help(path);
  const found: HelpCommand[] = [];
  const options = section(text, 'Options:').flatMap((l) => [...l.matchAll(/(?:^|,)\s+(--?[\w-]+)(?=[\s,])/g)].map((m) => m[1] as string));
  const positionals = section(text, 'Positionals:').flatMap((l) => /^ {2}([\w-]+) {2,}/.exec(l)?.[1] ?? []);
  if (path.length) found.push({ path, options, positionals });
  for (const line of section(text, 'Commands:')) {
    const m = /^ {2}netaudit ((?:[\w-]+ ?)+?)(?= [<[]| {2,}|$)/.exec(line);
    if (!m) continue;
    const sub = (m[1] as string).trim().split(' ');
    if (sub.length === path.length + 1 && sub.join(' ').startsWith(path.join(' '))) {
      // `completion` is yargs' own command: no --help of its own (it would print the script).
      if (sub.join(' ') === 'completion') found.push({ path: sub, options: [], positionals: [] });
      else found.push(...(await commandsFromHelp(sub)));
    }
  }
  return found;
}

/** The page as plain text: roff's escapes and font changes removed. */
function plain(roff: string): string {
  return roff.replace(/\\f[BIRP]/g, '').replace(/\\-/g, '-').replace(/\\&/g, '').replace(/\\e/g, '\\');
}

describe('man page netaudit(1), generated from the parser', function () {
  let page: string;
  let text: string;
  let commands: HelpCommand[];
  before(async function () {
    page = await manPage({ date: '2026-01-01' });
    text = plain(page);
    commands = await commandsFromHelp();
  });

  it('--help lists the commands the test expects to walk (the walk itself works)', function () {
    const names = commands.map((c) => c.path.join(' '));
    for (const name of ['run', 'ebuild', 'sweep', 'report render', 'report merge', 'report diff', 'doctor', 'gc', 'completion']) {
      assert.ok(names.includes(name), `${name} not found in --help: ${names.join(', ')}`);
    }
    assert.ok(commands.find((c) => c.path[0] === 'run')?.options.includes('--intercept'));
  });

  it('names every command and subcommand the parser has, each with a section', function () {
    for (const c of commands) {
      assert.match(text, new RegExp(`^\\.SS "netaudit ${c.path.join(' ')}\\b`, 'm'), `no section for netaudit ${c.path.join(' ')}`);
      if (c.path[0] !== 'report' || c.path.length > 1) assert.match(text, new RegExp(`^netaudit ${c.path.join(' ')}\\b`, 'm'), `not in SYNOPSIS: ${c.path.join(' ')}`);
    }
  });

  it("names every option and positional of every command, in that command's section", function () {
    let checked = 0;
    for (const c of commands) {
      const start = text.search(new RegExp(`^\\.SS "netaudit ${c.path.join(' ')}\\b`, 'm'));
      const rest = text.slice(start + 1);
      const next = rest.search(/^\.S[SH] /m);
      const body = next < 0 ? rest : rest.slice(0, next);
      for (const option of c.options) {
        if (option === '--help' || option === '--version') continue;
        assert.match(body, new RegExp(`^${option}\\b|, ${option}\\b`, 'm'), `netaudit ${c.path.join(' ')}: ${option} missing`);
        checked++;
      }
      for (const p of c.positionals) {
        assert.match(body, new RegExp(`^${p}\\b`, 'm'), `netaudit ${c.path.join(' ')}: positional ${p} missing`);
        checked++;
      }
    }
    assert.ok(checked > 40, `only ${checked} options and positionals checked`);
    assert.match(text, /^\.SH GLOBAL OPTIONS\n\.TP\n--version\n/m);
    assert.match(text, /^--help$/m);
  });

  it('negatable booleans show --no-X, and choices and defaults are given', function () {
    assert.match(text, /^--observe, --no-observe$/m);
    assert.match(text, /\[one of: breaks, tolerates, never; default: "breaks"\]/);
    assert.match(text, /^--jobs, -j VALUE$/m);
  });

  it('describeParser sees the same commands as --help', async function () {
    const doc = await describeParser();
    const walk = (cs: typeof doc.commands): string[] => cs.flatMap((c) => [c.path.join(' '), ...walk(c.subcommands)]);
    const fromHelp = commands.map((c) => c.path.join(' '));
    assert.deepEqual(walk(doc.commands).sort(), [...fromHelp].sort());
  });

  it('is valid roff: man(7) header, no line starting with a control character by accident, hyphens escaped', function () {
    assert.match(page, /^\.\\" Generated by scripts\/build-man\.mjs/);
    assert.match(page, /^\.TH NETAUDIT 1 "2026-01-01" "netaudit \d+\.\d+\.\d+" "User Commands"$/m);
    for (const line of page.split('\n')) {
      if (line.startsWith('.') || line.startsWith("'")) assert.match(line, /^\.(\\"|(TH|SH|SS|TP|PP|RS|RE|br)\b)/, line);
    }
    assert.equal(roffText(".dot 'quote\n'x a\\b c-d"), "\\&.dot 'quote\n\\&'x a\\eb c\\-d");
    assert.doesNotMatch(page, /(?<!\\)--/, 'an unescaped -- (roff would print an en dash or a hyphen pair)');
  });

  it('the page npm run build shipped (dist/man/netaudit.1) is the one the parser gives now', async function () {
    const shipped = readFileSync(path.join(ROOT, 'dist/man/netaudit.1'), 'utf8');
    const date = /^\.TH NETAUDIT 1 "([^"]*)"/m.exec(shipped)?.[1];
    assert.ok(date, 'no .TH line in the shipped page');
    assert.equal(shipped, await manPage({ date }));
  });
});
