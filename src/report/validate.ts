/**
 * Validating a report against the contract: reports/report.schema.json (compiled by ajv to standalone code at
 * build time, see scripts/build-schema.mjs) plus the checks a schema cannot express (summary counts match the
 * builds; a finding's attempt index points at an attempt). One build alone (a line of a sweep's results.jsonl)
 * is validated against the schema's #/definitions/build and the same per-build checks.
 *
 * Loading is lazy: nothing here imports ajv at module load. The standalone validator is imported on first use;
 * only when it is missing (no `npm run build` yet) is the schema compiled with ajv at run time.
 */
import { fileURLToPath } from 'node:url';
import { BadReportError } from '../model/errors.js';
import { VERDICTS, type BuildResult, type Report } from '../model/types.js';

export type ValidationResult = { ok: true } | { ok: false; errors: string[] };

/** The part of an ajv error that the messages are made from. */
interface SchemaError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** An ajv validate function (standalone or compiled at run time): returns true or sets `.errors`. */
export interface SchemaValidator {
  (data: unknown): boolean;
  errors?: SchemaError[] | null;
}

/** Where the validator comes from: the build-time standalone code, ajv at run time, or the first that loads. */
export type ValidatorSource = 'auto' | 'standalone' | 'runtime';

/** Options shared by the build-time compile (scripts/build-schema.mjs) and the run-time fallback. */
export const AJV_OPTIONS = {
  strict: true,
  // `then: { required: [ebuild] }` names a property defined in the parent schema, which strictRequired rejects.
  strictRequired: false,
  allErrors: true,
  // `format: date-time` is an annotation; the schema checks createdAt with a pattern (no ajv-formats needed).
  validateFormats: false,
} as const;

/** The schema, from the compiled file dist/src/report/validate.js (also right in the published package). */
export const SCHEMA_URL = new URL('../../../reports/report.schema.json', import.meta.url);
/** Written by scripts/build-schema.mjs next to the compiled validate.js. */
export const GENERATED_URL = new URL('./schema-validator.generated.js', import.meta.url);

/**
 * The validators the generated module exports, each a JSON pointer into the schema ('' is the whole report).
 * scripts/build-schema.mjs compiles exactly these; the run-time fallback resolves the same pointers.
 */
export const SCHEMA_EXPORTS = { validate: '', validateBuild: '#/definitions/build' } as const;
type SchemaPart = keyof typeof SCHEMA_EXPORTS;

/** At most this many messages are returned; the first is what users see. */
const MAX_ERRORS = 20;

const cache = new Map<string, Promise<SchemaValidator>>();

/**
 * The schema validator, loaded once per source. `auto` (the default) takes the standalone code and falls back to
 * compiling the schema when the generated file does not exist. `generatedUrl` is for tests.
 */
export function loadSchemaValidator(source: ValidatorSource = 'auto', generatedUrl: URL = GENERATED_URL): Promise<SchemaValidator> {
  return loadPart('validate', source, generatedUrl);
}

/** The validator of one build (#/definitions/build), loaded as loadSchemaValidator loads the report's. */
export function loadBuildValidator(source: ValidatorSource = 'auto', generatedUrl: URL = GENERATED_URL): Promise<SchemaValidator> {
  return loadPart('validateBuild', source, generatedUrl);
}

function loadPart(part: SchemaPart, source: ValidatorSource, generatedUrl: URL): Promise<SchemaValidator> {
  const key = `${part} ${source} ${generatedUrl.href}`;
  let loading = cache.get(key);
  if (!loading) {
    loading = load(part, source, generatedUrl);
    cache.set(key, loading);
    loading.catch(() => cache.delete(key));
  }
  return loading;
}

async function load(part: SchemaPart, source: ValidatorSource, generatedUrl: URL): Promise<SchemaValidator> {
  if (source === 'runtime') return compileAtRuntime(part);
  try {
    return await importStandalone(generatedUrl, part);
  } catch (e) {
    if (source === 'auto' && isModuleNotFound(e, generatedUrl)) return compileAtRuntime(part);
    throw e;
  }
}

async function importStandalone(url: URL, part: SchemaPart): Promise<SchemaValidator> {
  const mod = (await import(url.href)) as Record<string, unknown>;
  const fn = mod[part] ?? (part === 'validate' ? mod.default : undefined);
  if (typeof fn !== 'function') throw new Error(`${url.pathname} does not export ${part}; run npm run build`);
  return fn as SchemaValidator;
}

/** The generated file itself is missing (not some module it would import). */
function isModuleNotFound(e: unknown, url: URL): boolean {
  const err = e as { code?: unknown; url?: unknown; message?: unknown } | null;
  if (err?.code !== 'ERR_MODULE_NOT_FOUND') return false;
  return err.url === url.href || (typeof err.message === 'string' && err.message.includes(fileURLToPath(url)));
}

async function compileAtRuntime(part: SchemaPart): Promise<SchemaValidator> {
  const [{ readFile }, ajvModule] = await Promise.all([import('node:fs/promises'), import('ajv')]);
  // ajv is CommonJS: the default import is module.exports, whose `default` is the Ajv class.
  const Ajv = ajvModule.default.default;
  const schema = JSON.parse(await readFile(SCHEMA_URL, 'utf8')) as { $id: string };
  const ajv = new Ajv({ ...AJV_OPTIONS });
  ajv.addSchema(schema);
  const validate = ajv.getSchema(`${schema.$id}${SCHEMA_EXPORTS[part]}`);
  if (!validate) throw new Error(`${SCHEMA_URL.pathname} has no ${SCHEMA_EXPORTS[part] || 'root'} schema for ${part}`);
  return validate as SchemaValidator;
}

/** Validate against the schema and the semantic checks; messages look like `/builds/0/attempts/2/port: must be <= 65535`. */
export async function validateReport(report: unknown, source: ValidatorSource = 'auto'): Promise<ValidationResult> {
  const validate = await loadSchemaValidator(source);
  const errors = validate(report) ? semanticErrors(report as Report) : schemaErrors(validate.errors ?? [], report);
  return errors.length ? { ok: false, errors: errors.slice(0, MAX_ERRORS) } : { ok: true };
}

/**
 * Validate one build (a line of results.jsonl) against #/definitions/build and the per-build checks; messages
 * are relative to the build: `/attempts/0/port: must be <= 65535 (got 70000)`.
 */
export async function validateBuild(build: unknown, source: ValidatorSource = 'auto'): Promise<ValidationResult> {
  const validate = await loadBuildValidator(source);
  const errors = validate(build) ? findingIndexErrors(build as BuildResult, '') : schemaErrors(validate.errors ?? [], build);
  return errors.length ? { ok: false, errors: errors.slice(0, MAX_ERRORS) } : { ok: true };
}

/**
 * Throw BadReportError unless `report` is valid; returns it typed. `label` names the report in the
 * message (a file name, or "the report").
 */
export async function assertValidReport(report: unknown, label = 'the report'): Promise<Report> {
  const result = await validateReport(report);
  if (!result.ok) {
    const [first] = result.errors;
    const more = result.errors.length > 1 ? ` (and ${result.errors.length - 1} more)` : '';
    throw new BadReportError(
      label,
      result.errors,
      `${label} is not a valid netaudit report: ${first}${more} — the contract is reports/report.schema.json; a report made by netaudit itself that fails it is a bug`,
    );
  }
  return report as Report;
}

/** Checks JSON Schema cannot express; `report` has passed the schema. */
export function semanticErrors(report: Report): string[] {
  const errors: string[] = [];
  for (const verdict of VERDICTS) {
    const n = report.builds.filter((b) => b.verdict === verdict).length;
    const got = report.summary[verdict];
    if (got !== n) errors.push(`/summary/${verdict}: must be ${n}, the number of builds with verdict ${verdict} (got ${got})`);
  }
  report.builds.forEach((b, i) => errors.push(...findingIndexErrors(b, `/builds/${i}`)));
  return errors;
}

/**
 * A finding's attempt index must point at an attempt of its build, its interfaceQuery index at one of the
 * build's interfaceQueries; `at` is the build's JSON pointer.
 */
function findingIndexErrors(build: BuildResult, at: string): string[] {
  const errors: string[] = [];
  const queries = build.interfaceQueries?.length ?? 0;
  build.findings.forEach((f, j) => {
    if (f.attempt !== undefined && f.attempt >= build.attempts.length) {
      const range = build.attempts.length ? `0..${build.attempts.length - 1}` : 'none: the build has no attempts';
      errors.push(`${at}/findings/${j}/attempt: must index an attempt of the build (${range}) (got ${f.attempt})`);
    }
    if (f.interfaceQuery !== undefined && f.interfaceQuery >= queries) {
      const range = queries ? `0..${queries - 1}` : 'none: the build has no interfaceQueries';
      errors.push(`${at}/findings/${j}/interfaceQuery: must index an interface query of the build (${range}) (got ${f.interfaceQuery})`);
    }
  });
  return errors;
}

/** ajv errors as `path: message (got value)`, without the noise of `if` (its `then` error says it better). */
export function schemaErrors(errors: readonly SchemaError[], data: unknown): string[] {
  const out: string[] = [];
  for (const e of errors) {
    if (e.keyword === 'if') continue;
    const line = formatError(e, data);
    if (!out.includes(line)) out.push(line);
  }
  return out;
}

function formatError(e: SchemaError, data: unknown): string {
  const at = e.instancePath || '/';
  const p = e.params;
  switch (e.keyword) {
    case 'required':
      return `${joinPath(e.instancePath, String(p.missingProperty))}: is required but missing`;
    case 'enum':
      return `${at}: must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}${got(e, data)}`;
    case 'const':
      return `${at}: must be ${JSON.stringify(p.allowedValue)}${got(e, data)}`;
    case 'pattern':
      return `${at}: must be ${PATTERN_MEANING[lastSegment(e.instancePath)] ?? `a string matching ${String(p.pattern)}`}${got(e, data)}`;
    default:
      return `${at}: ${e.message ?? `fails ${e.keyword}`}${got(e, data)}`;
  }
}

/** What the schema's patterns mean, by field name, so that messages do not quote long regular expressions. */
const PATTERN_MEANING: Record<string, string> = {
  createdAt: 'an RFC 3339 date-time such as 2025-11-28T19:00:00.000Z',
  keyword: 'a CamelCase keyword such as DnsLookup (^[A-Z][A-Za-z0-9]+$)',
  version: 'a version such as 0.1.0',
};

function lastSegment(pointer: string): string {
  return pointer.slice(pointer.lastIndexOf('/') + 1);
}

function joinPath(base: string, property: string): string {
  return `${base}/${property.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/** ` (got VALUE)` for the value at the error's path, kept short. */
function got(e: SchemaError, data: unknown): string {
  const value = valueAt(data, e.instancePath);
  if (value.found === false) return '';
  let text = value.value === undefined ? 'undefined' : JSON.stringify(value.value);
  if (text.length > 40) text = Array.isArray(value.value) ? 'an array' : typeof value.value === 'object' ? 'an object' : `${text.slice(0, 37)}...`;
  return ` (got ${text})`;
}

function valueAt(data: unknown, pointer: string): { found: true; value: unknown } | { found: false } {
  let node = data;
  if (!pointer) return { found: true, value: node };
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !Object.prototype.hasOwnProperty.call(node, key)) return { found: false };
    node = (node as Record<string, unknown>)[key];
  }
  return { found: true, value: node };
}
