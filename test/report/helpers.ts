/** Paths and fixtures shared by the report tests (compiled to dist/test/report/). */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const EXAMPLES = path.join(ROOT, 'reports/examples');
export const INVALID = path.join(ROOT, 'test/fixtures/reports-invalid');

export function jsonFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
}

export function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8'));
}
