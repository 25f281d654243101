/**
 * DIR/results.jsonl: one finished build per line, appended (and fsynced) as soon as it is known, so a sweep
 * killed at any moment — Ctrl-C, kill -9, power loss — loses at most the builds that were running. On resume,
 * a last line cut short by the crash is dropped (the file is truncated to its last whole line) and every
 * build already there is skipped; a build is never written twice.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import type { BuildResult } from '../model/types.js';

export class ResultsFile {
  private fd: number | undefined;
  private readonly done = new Map<string, BuildResult>();

  constructor(readonly path: string) {}

  /** Read what a previous run left; returns the builds already finished. */
  load(): BuildResult[] {
    if (!existsSync(this.path)) return [];
    const text = readFileSync(this.path, 'utf8');
    const end = text.lastIndexOf('\n') + 1;
    if (end < text.length) truncateSync(this.path, Buffer.byteLength(text.slice(0, end)));
    for (const line of text.slice(0, end).split('\n')) {
      if (!line.trim()) continue;
      try {
        const b = JSON.parse(line) as BuildResult;
        if (typeof b.name === 'string' && typeof b.verdict === 'string') this.done.set(b.name, b);
      } catch {
        /* a damaged line: the build runs again */
      }
    }
    return [...this.done.values()];
  }

  has(name: string): boolean {
    return this.done.has(name);
  }

  append(build: BuildResult): void {
    if (this.done.has(build.name)) return;
    this.fd ??= openSync(this.path, 'a');
    writeSync(this.fd, JSON.stringify(build) + '\n');
    fsyncSync(this.fd);
    this.done.set(build.name, build);
  }

  all(): BuildResult[] {
    return [...this.done.values()];
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
