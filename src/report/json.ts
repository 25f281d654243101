/**
 * The JSON report file: validated against the contract, written atomically, read back. A report that fails
 * validation is never written, not even in part. (Reports are made in model/report.ts.)
 */
import { readFile } from 'node:fs/promises';
import { BadReportError, NoSuchFileError, ReadError } from '../model/errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { Report } from '../model/types.js';
import { validateReport } from './validate.js';

/** The report as JSON text, as written to files: two-space indent, final newline. */
export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/**
 * Validate `report`, then write it to `file` atomically (util/atomic.ts), creating the parent directory when
 * missing. If validation fails nothing is written (the directory is not even created); if writing fails an
 * existing `file` is left as it was.
 */
export async function writeReportFile(file: string, report: Report): Promise<void> {
  const result = await validateReport(report);
  if (!result.ok) {
    const more = result.errors.length > 1 ? ` (and ${result.errors.length - 1} more)` : '';
    throw new BadReportError(
      file,
      result.errors,
      `refusing to write ${file}: the report is not valid: ${result.errors[0]}${more} — nothing was written; this is a bug in netaudit, please report it`,
    );
  }
  await writeFileAtomic(file, renderJson(report), { mkdirs: true });
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
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new NoSuchFileError(file, `${file}: no such file — check the path of the report`, { cause: e });
    if (code === 'EISDIR') throw notAReport(file, 'it is a directory', 'give the path of a JSON report written with --json', e);
    throw new ReadError(file, `cannot read ${file}: ${code ?? String(e)} — check its permissions`, { cause: e });
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
    throw notAReport(file, `${result.errors[0]}${more}`, 'it must follow reports/report.schema.json; re-create it with netaudit --json', undefined, result.errors);
  }
  return data as Report;
}

function notAReport(file: string, problem: string, hint: string, cause?: unknown, errors: readonly string[] = [problem]): BadReportError {
  return new BadReportError(file, errors, `${file} is not a netaudit report: ${problem} — ${hint}`, cause === undefined ? undefined : { cause });
}
