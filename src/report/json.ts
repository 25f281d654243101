/**
 * The JSON report: made from build results, validated against the contract, written atomically, read back.
 * A report that fails validation is never written, not even in part.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { NetauditError } from '../model/errors.js';
import { VERDICTS, type BuildResult, type Mode, type Report, type Verdict } from '../model/types.js';
import { validateReport } from './validate.js';

/** Number of builds per verdict; every verdict is present, zero included. */
export function summarize(builds: readonly Pick<BuildResult, 'verdict'>[]): Record<Verdict, number> {
  const summary = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
  for (const b of builds) summary[b.verdict] += 1;
  return summary;
}

/** A report over `builds`, with the summary computed; `createdAt` defaults to now. */
export function makeReport(mode: Mode, builds: BuildResult[], version: string, createdAt: Date = new Date()): Report {
  return {
    schemaVersion: 1,
    tool: { name: 'netaudit', version },
    createdAt: createdAt.toISOString(),
    mode,
    builds,
    summary: summarize(builds),
  };
}

/** The report as JSON text, as written to files: two-space indent, final newline. */
export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/**
 * Validate `report`, then write it to `file` atomically: a temporary file in the same directory, fsync, rename
 * over the target, fsync of the directory. If validation fails nothing is written (the directory is not even
 * created); if writing fails the temporary file is removed and an existing `file` is left as it was.
 * The parent directory is created when missing.
 */
export async function writeReportFile(file: string, report: Report): Promise<void> {
  const result = await validateReport(report);
  if (!result.ok) {
    const more = result.errors.length > 1 ? ` (and ${result.errors.length - 1} more)` : '';
    throw new NetauditError(
      'E_BAD_REPORT',
      `refusing to write ${file}: the report is not valid: ${result.errors[0]}${more} — nothing was written; this is a bug in netaudit, please report it`,
    );
  }
  const text = renderJson(report);
  const dir = path.dirname(path.resolve(file));
  await mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let created = false;
  try {
    const handle = await open(tmp, 'wx', 0o644);
    created = true;
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
    created = false;
  } catch (e) {
    if (created) await unlink(tmp).catch(() => undefined);
    const err = e as NodeJS.ErrnoException;
    throw new NetauditError('E_BAD_ARGUMENT', `cannot write the report to ${file}: ${err.code ?? err.message} — check that the directory is writable`, { cause: e });
  }
  await syncDirectory(dir);
}

/** Make the rename durable; some file systems refuse fsync on a directory, which is harmless here. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // best effort
  }
}

/**
 * Read and validate a report file. Missing: E_NO_SUCH_FILE. Not JSON, or not a valid report: E_BAD_REPORT
 * `FILE is not a netaudit report: <first problem> — <hint>`.
 */
export async function readReportFile(file: string): Promise<Report> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new NetauditError('E_NO_SUCH_FILE', `${file}: no such file — check the path of the report`, { cause: e });
    if (code === 'EISDIR') throw notAReport(file, 'it is a directory', 'give the path of a JSON report written with --json', e);
    throw new NetauditError('E_BAD_ARGUMENT', `cannot read ${file}: ${code ?? String(e)} — check its permissions`, { cause: e });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw notAReport(file, `not JSON (${(e as Error).message})`, 'give a JSON report written by netaudit --json', e);
  }
  const version = (data as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof version === 'number' && version !== 1) {
    throw notAReport(file, `schemaVersion ${version} is not supported (this netaudit reads 1)`, 'use the netaudit version that wrote it');
  }
  const result = await validateReport(data);
  if (!result.ok) {
    const more = result.errors.length > 1 ? ` (and ${result.errors.length - 1} more)` : '';
    throw notAReport(file, `${result.errors[0]}${more}`, 'it must follow reports/report.schema.json; re-create it with netaudit --json');
  }
  return data as Report;
}

function notAReport(file: string, problem: string, hint: string, cause?: unknown): NetauditError {
  return new NetauditError('E_BAD_REPORT', `${file} is not a netaudit report: ${problem} — ${hint}`, cause === undefined ? undefined : { cause });
}
