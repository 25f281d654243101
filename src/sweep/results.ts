/**
 * DIR/results.jsonl: one finished build per line, appended (and fsynced) as soon as it is known, so a sweep
 * killed at any moment — Ctrl-C, kill -9, power loss — loses at most the builds that were running. On resume,
 * a last line cut short by the crash (no newline after it) is dropped: the file is truncated to its last whole
 * line and that package is audited again. Every whole line must be a build of the report schema
 * (#/definitions/build); any other line stops the resume with BadResultsError naming it, before anything is
 * written, since a sweep cannot tell what such a line meant. Every build already there is skipped; a build is
 * never written twice.
 *
 * A *provisional* result (the `provisional` test of the constructor: `netaudit watch` writing a package still
 * being built when it stopped) does not count as done: a later result of the same build replaces it, in
 * memory at once and on the next load (the later line wins); nothing replaces a whole one.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import { BadResultsError } from '../model/errors.js';
import type { BuildResult } from '../model/types.js';
import { validateBuild } from '../report/validate.js';

export class ResultsFile {
  private fd: number | undefined;
  private readonly done = new Map<string, BuildResult>();

  constructor(
    readonly path: string,
    private readonly provisional: (build: BuildResult) => boolean = () => false,
  ) {}

  private keep(b: BuildResult): void {
    const had = this.done.get(b.name);
    if (!had || this.provisional(had)) this.done.set(b.name, b);
  }

  /**
   * Read what a previous run left; returns the builds already finished. Throws BadResultsError (with the 1-based
   * line number) for a whole line that is not a build, leaving the file untouched.
   */
  async load(): Promise<BuildResult[]> {
    if (!existsSync(this.path)) return [];
    const text = readFileSync(this.path, 'utf8');
    // What follows the last newline was being written when the sweep died.
    const end = text.lastIndexOf('\n') + 1;
    const builds: BuildResult[] = [];
    const lines = text.slice(0, end).split('\n');
    for (const [i, line] of lines.entries()) {
      if (!line.trim()) continue;
      builds.push(await this.parseLine(line, i + 1));
    }
    if (end < text.length) truncateSync(this.path, Buffer.byteLength(text.slice(0, end)));
    for (const b of builds) this.keep(b);
    return [...this.done.values()];
  }

  private async parseLine(line: string, lineNo: number): Promise<BuildResult> {
    let data: unknown;
    try {
      data = JSON.parse(line);
    } catch (e) {
      throw new BadResultsError(this.path, lineNo, [`bad JSON: ${(e as Error).message}`]);
    }
    const checked = await validateBuild(data);
    if (!checked.ok) throw new BadResultsError(this.path, lineNo, checked.errors);
    return data as BuildResult;
  }

  /** A whole result of this build is there (a provisional one is not). */
  has(name: string): boolean {
    const b = this.done.get(name);
    return b !== undefined && !this.provisional(b);
  }

  /** The result kept for this build (whole or provisional). */
  get(name: string): BuildResult | undefined {
    return this.done.get(name);
  }

  append(build: BuildResult): void {
    if (this.has(build.name)) return;
    this.fd ??= openSync(this.path, 'a');
    writeSync(this.fd, JSON.stringify(build) + '\n');
    fsyncSync(this.fd);
    this.keep(build);
  }

  all(): BuildResult[] {
    return [...this.done.values()];
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
