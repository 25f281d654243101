/**
 * The yargs factory every parser of netaudit is built with: yargs' CommonJS build, loaded through require, with
 * two fixes to its layout.
 *
 * Why not `import yargs from 'yargs'`: yargs' ESM entry lays out --help with cliui's ESM build, whose wrap()
 * cuts a line every N characters wherever it falls ("netwo rk", ".ebu ild"); the CommonJS build lays out the
 * same help with wrap-ansi, which breaks lines between words (only a word longer than its whole column is ever
 * cut). Same yargs version, same API, same types; only the text layout differs. `yargs/yargs` is the plain
 * factory (no singleton parsing process.argv on load).
 *
 * Two fixes, both in cliui's layout of a row. A narrow terminal: a name and its description sit side by side,
 * the name's column up to half the width, and a description word longer than the rest
 * ("CATEGORY/PACKAGE[-VERSION])" at 40 columns) could only be cut; such a row is now stacked, the name on its
 * own line and the description below it across the width, indented (as man pages do); so is a row whose
 * description would get fewer than 24 columns. And the glue: cliui puts an option's right-aligned
 * `[boolean]`/`[string]` on the description's last line when it fits, and its test (`leading spaces < width of
 * the line`) lets it fit with no space at all when the two are exactly as long as the room ("Show help[boolean]"
 * at 40 columns). Such a column now goes on a line of its own, as cliui does whenever it does not fit.
 */
import { createRequire } from 'node:module';
import type yargsType from 'yargs';

const require = createRequire(import.meta.url);

let loaded: typeof yargsType | undefined;

/**
 * yargs(args?): a fresh parser instance (one per parse; see parser() in app.ts). yargs and cliui are loaded and
 * patched at the first call, not when the bundle is evaluated (~20 ms of every start): a `run` starts its
 * set-up before the command line is parsed (app.ts runProgram), and yargs' load now comes after that start.
 */
export default function yargs(...args: Parameters<typeof yargsType>): ReturnType<typeof yargsType> {
  loaded ??= load();
  return loaded(...args);
}

interface Line {
  text: string;
  span?: boolean;
}
interface Column {
  text: string;
  width?: number;
  padding?: [number, number, number, number];
}
interface Layout {
  width: number;
  renderInline(source: string, previous: Line): string;
  span(...columns: (Column | string)[]): void;
  div(...columns: (Column | string)[]): Column[];
}

/** The widest word of `text`, in columns (help text is plain: one column a character). */
function widestWord(text: string): number {
  return Math.max(0, ...text.split(/\s+/).map((w) => [...w].length));
}

/** A description column narrower than this reads badly (two words a line): stack the row instead. */
const MIN_SIDE_BY_SIDE = 24;

/** yargs' CommonJS factory, with cliui's layout patched (the module comment). */
function load(): typeof yargsType {
  // cliui as yargs' CommonJS build loads it (resolved from yargs, so the same module instance).
  const cliui = createRequire(require.resolve('yargs/yargs'))('cliui') as (options?: { width?: number }) => Layout;
  const layout = Object.getPrototypeOf(cliui({ width: 80 })) as Layout;
  const renderInline = layout.renderInline;
  layout.renderInline = function (this: Layout, source: string, previous: Line): string {
    const lead = source.length - source.trimStart().length;
    const used = [...previous.text.trimEnd()].length;
    if (previous.span && lead > 0 && lead === used) return source;
    return renderInline.call(this, source, previous);
  };

  const span = layout.span;
  layout.span = function (this: Layout, ...columns: (Column | string)[]): void {
    const [name, description, ...rest] = columns;
    if (typeof name !== 'object' || name.width === undefined || description === undefined || rest.length > 0) {
      return span.apply(this, columns);
    }
    const text = typeof description === 'string' ? description : description.text;
    const padding = typeof description === 'string' ? 0 : (description.padding?.[1] ?? 0) + (description.padding?.[3] ?? 0);
    const widest = widestWord(text);
    const room = this.width - name.width - padding;
    if (room >= MIN_SIDE_BY_SIDE && widest <= room) return span.apply(this, columns);
    // Stacked: the name alone, then the description 4 columns further in than the name, less when its widest
    // word needs the room.
    this.div({ text: name.text, padding: name.padding ?? [0, 0, 0, 0] });
    const indent = Math.max(1, Math.min((name.padding?.[3] ?? 0) + 4, this.width - padding - widest));
    return span.call(this, { text: '', width: indent }, description);
  };
  return require('yargs/yargs') as typeof yargsType;
}
