/**
 * The documentation keeps up with the code: README.md is the short first page and links every page of docs/;
 * every relative link of README.md and docs/*.md reaches a file (and its #anchor a heading of that file, as
 * GitHub makes heading ids); docs/commands.md has a section per command of the parser (read by describeParser,
 * the walk the man page is generated from) that names each of its options, aliases, `--no-` forms and
 * positionals; docs/report.md has a row per finding keyword of the registry (with its level), per reporter and
 * per verdict. A new option or keyword without its line in the docs fails here.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describeParser, type CommandDoc, type OptionDoc } from '../../src/cli/manpage.js';
import { FINDING_KINDS } from '../../src/model/findings.js';
import { VERDICTS } from '../../src/model/types.js';
import { REPORTER_NAMES } from '../../src/report/index.js';
import { ROOT } from '../helpers/cli.js';

interface Heading {
  readonly level: number;
  readonly text: string;
  readonly slug: string;
  /** Line index in the file. */
  readonly line: number;
}

interface Page {
  /** Relative to ROOT, e.g. docs/commands.md. */
  readonly rel: string;
  readonly text: string;
  /** The lines outside fenced code blocks (code lines are blanked, so indexes stay line numbers). */
  readonly prose: readonly string[];
  readonly headings: readonly Heading[];
}

/** A heading's id as GitHub makes it: lower case, punctuation dropped, each space a hyphen. */
function slug(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function readPage(rel: string): Page {
  const text = readFileSync(path.join(ROOT, rel), 'utf8');
  const prose: string[] = [];
  const headings: Heading[] = [];
  const seen = new Map<string, number>();
  let fence: string | undefined;
  text.split('\n').forEach((line, i) => {
    const open = /^\s*(```+|~~~+)/.exec(line);
    if (open) {
      if (fence === undefined) fence = open[1];
      else if (line.trim().startsWith(fence)) fence = undefined;
      prose.push('');
      return;
    }
    if (fence !== undefined) {
      prose.push('');
      return;
    }
    prose.push(line);
    const h = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      const base = slug(h[2] as string);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      headings.push({ level: (h[1] as string).length, text: h[2] as string, slug: n ? `${base}-${n}` : base, line: i });
    }
  });
  return { rel, text, prose, headings };
}

/** The prose of one section: from its heading to the next heading of the same or a higher level. */
function section(page: Page, heading: Heading): string {
  const next = page.headings.find((h) => h.line > heading.line && h.level <= heading.level);
  return page.prose.slice(heading.line, next ? next.line : undefined).join('\n');
}

/** `--name` or `-n` as a word of its own (not inside --name-other or --other-name). */
function mentions(text: string, flag: string): boolean {
  const escaped = flag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\w-])${escaped}(?![\\w-])`).test(text);
}

function flag(name: string): string {
  return name.length === 1 ? `-${name}` : `--${name}`;
}

/** What a section must name for an option: its flag, its aliases, and --no-X when it is on by default. */
function spellings(o: OptionDoc): string[] {
  const out = [flag(o.name), ...o.aliases.map(flag)];
  if (o.type === 'boolean' && o.default === true) out.push(`--no-${o.name}`);
  return out;
}

/** How a positional is written in a usage line: its choices, or its name in capitals (EBUILD for `ebuilds..`). */
function positionalWords(p: OptionDoc): string[] {
  if (p.choices?.length) return p.choices.map(String);
  const upper = p.name.toUpperCase();
  return [p.type === 'array' ? upper.replace(/S$/, '') : upper];
}

function walk(commands: readonly CommandDoc[]): CommandDoc[] {
  return commands.flatMap((c) => [c, ...walk(c.subcommands)]);
}

describe('docs: README.md and docs/*.md', function () {
  const docFiles = readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
  const pages = new Map<string, Page>(['README.md', ...docFiles].map((rel) => [rel, readPage(rel)]));
  const page = (rel: string): Page => {
    const p = pages.get(rel);
    assert.ok(p, `${rel} is missing`);
    return p;
  };

  it('README.md is the short first page and links every page of docs/', function () {
    const readme = page('README.md');
    const lines = readme.text.split('\n').length;
    assert.ok(lines <= 200, `README.md has ${lines} lines: the reference belongs in docs/`);
    for (const cmd of ['bash scripts/setup.sh && npm run demo', 'bash scripts/setup.sh && npm test']) assert.ok(readme.text.includes(cmd), `README.md lacks "${cmd}"`);
    assert.ok(docFiles.length >= 8, `only ${docFiles.length} pages in docs/`);
    for (const rel of docFiles) assert.ok(readme.prose.join('\n').includes(`](${rel})`), `README.md does not link ${rel}`);
  });

  it('every relative link resolves to a file, and every #anchor to a heading of its page', function () {
    let checked = 0;
    for (const p of pages.values()) {
      // Inline code is no link; link texts may hold code (`[`--suggest`](suggestions.md)`), so only the targets are read.
      for (const [i, line] of p.prose.entries()) {
        for (const m of line.matchAll(/\]\(([^)\s]+)\)/g)) {
          const target = m[1] as string;
          if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
          const where = `${p.rel}:${i + 1}: ${target}`;
          const [file, anchor] = target.split('#', 2) as [string, string | undefined];
          const rel = file ? path.normalize(path.join(path.dirname(p.rel), file)) : p.rel;
          assert.ok(!rel.startsWith('..'), `${where} leaves the repository`);
          assert.ok(existsSync(path.join(ROOT, rel)), `${where}: no such file`);
          if (anchor !== undefined) {
            assert.ok(rel.endsWith('.md') && statSync(path.join(ROOT, rel)).isFile(), `${where}: an anchor into what is not a page`);
            const into = pages.get(rel) ?? readPage(rel);
            const slugs = into.headings.map((h) => h.slug);
            assert.ok(slugs.includes(anchor), `${where}: no heading #${anchor} in ${rel} (it has: ${slugs.join(', ')})`);
          }
          checked++;
        }
      }
    }
    assert.ok(checked > 40, `only ${checked} links checked`);
  });

  it('the slugs are GitHub\'s', function () {
    assert.equal(slug('`--explain` (default for `ebuild` and `changed`): what a breaking build wanted'), '--explain-default-for-ebuild-and-changed-what-a-breaking-build-wanted');
    assert.equal(slug('Gentoo: the overlay in `gentoo/`'), 'gentoo-the-overlay-in-gentoo');
    assert.equal(slug('netaudit report render'), 'netaudit-report-render');
  });

  it('docs/commands.md has a section per command of the parser, naming each option, alias and positional', async function () {
    const doc = await describeParser();
    const commands = page('docs/commands.md');
    let checked = 0;
    const missing: string[] = [];
    const all = walk(doc.commands);
    assert.ok(all.some((c) => c.path.join(' ') === 'report patches'), 'the parser walk found report patches');
    for (const c of all) {
      const name = `netaudit ${c.path.join(' ')}`;
      const heading = commands.headings.find((h) => h.text === name);
      if (!heading) {
        missing.push(`no section "## ${name}"`);
        continue;
      }
      const body = section(commands, heading);
      for (const o of c.options) {
        for (const spelling of spellings(o)) {
          if (!mentions(body, spelling)) missing.push(`${name}: ${spelling}`);
          checked++;
        }
      }
      for (const p of c.positionals) {
        for (const word of positionalWords(p)) {
          if (!mentions(body, word)) missing.push(`${name}: the argument ${word} (${p.name})`);
          checked++;
        }
      }
    }
    for (const o of doc.globalOptions) if (!mentions(commands.prose.join('\n'), flag(o.name))) missing.push(`global option ${flag(o.name)}`);
    assert.deepEqual(missing, [], `not documented in docs/commands.md (each in its command's section):\n  ${missing.join('\n  ')}`);
    assert.ok(checked > 80, `only ${checked} options and positionals checked`);
  });

  it('docs/report.md documents every finding keyword with its level, every reporter and every verdict', function () {
    const report = page('docs/report.md').prose.join('\n');
    for (const k of FINDING_KINDS) {
      assert.ok(report.includes(`| \`${k.keyword}\` | ${k.level} |`), `finding ${k.keyword} (${k.level}) has no row in docs/report.md's findings table`);
    }
    for (const r of REPORTER_NAMES) assert.ok(report.includes(`| \`${r}\` |`), `reporter ${r} has no row in docs/report.md`);
    for (const v of VERDICTS) {
      assert.ok(report.includes(`| \`${v}\` |`), `verdict ${v} missing from docs/report.md`);
      assert.ok(page('README.md').text.includes(`| \`${v}\` |`), `verdict ${v} missing from README.md`);
    }
  });

  it('the docs ship: package.json `files` and the overlay ebuild\'s DOCS hold README.md and docs/', function () {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
    assert.ok(pkg.files.includes('docs') && pkg.files.includes('README.md'), `package.json files: ${pkg.files.join(' ')}`);
    const dir = path.join(ROOT, 'gentoo/app-portage/netaudit');
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ebuild'))) {
      assert.match(readFileSync(path.join(dir, f), 'utf8'), /^DOCS=\( README\.md docs \)$/m, `${f} does not install docs/`);
    }
  });
});
