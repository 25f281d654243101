// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/*
 * The layers of src/ (docs/architecture.md), lowest first. A folder may import its own files and the folders
 * before it, never one after it: no import runs up a layer, and so none forms a circle between folders.
 * Files at the root of src/ (version.ts) and src/types/ (declarations) sit below every layer.
 */
const LAYERS = [
  'model', // typed data, errors, the findings registry, formatting, the report model
  'util', // small helpers (util/atomic.ts writes files)
  'decode', // codecs: pcap, link to DNS/TLS/HTTP, the tracer's records (pure)
  'analyze', // evidence -> attempts (pure)
  'verdict', // attempts -> findings, verdict (pure)
  'suggest', // judged build + ebuild text -> patches (pure)
  'report', // reporters and report files
  'proc', // running processes: exec, the supervisor of helper processes, tools
  'capture', // tcpdump captures -> frames
  'observe', // the syscall tracer
  'sandbox', // namespaces, the build run in them
  'portage', // Portage calls, phase marks
  'cache', // the cache of clean results
  'runner', // the session, one audit end to end
  'sweep', // many ebuilds, shards, resume
  'cli', // yargs: parse, call, print
];
/** The pure stages: no process, no file, nothing of the collecting folders (tested on recorded evidence). */
const PURE = ['model', 'decode', 'analyze', 'verdict', 'suggest'];
const PROCESS_AND_FILE_MODULES = ['fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'child_process', 'node:child_process'];

/** An import specifier of folder `name` from anywhere in src/ (`../name/x.js`, `../../name/x.js`). */
const folder = (name) => `^(\\.\\./)+${name}/`;

/** The no-restricted-imports options of the files of `layer` (`extra` paths for special files). */
function restrictions(layer, { allowChalk = false } = {}) {
  const higher = LAYERS.slice(LAYERS.indexOf(layer) + 1);
  const patterns = higher.map((h) => ({ regex: folder(h), message: `${layer}/ is below ${h}/ (docs/architecture.md): an import may not run up a layer` }));
  const paths = [];
  if (PURE.includes(layer)) {
    paths.push(...PROCESS_AND_FILE_MODULES.map((name) => ({ name, message: `${layer}/ is a pure stage: no file or process module (the collecting folders hand it evidence)` })));
    patterns.push({ regex: '^(\\.\\./)+util/atomic', message: `${layer}/ is a pure stage: it writes no file` });
  }
  if (layer !== 'cli') paths.push({ name: 'yargs', message: 'only src/cli/ parses arguments' }, { name: 'yargs/helpers', message: 'only src/cli/ parses arguments' });
  if (!allowChalk) paths.push({ name: 'chalk', message: 'only the terminal reporter (src/report/terminal.ts) colours' });
  return ['error', { paths, patterns }];
}

/** The same rule for `import()` expressions (no-restricted-imports sees only static imports). */
function dynamicImports(layer) {
  const higher = LAYERS.slice(LAYERS.indexOf(layer) + 1);
  if (!higher.length) return 'off';
  return ['error', { selector: `ImportExpression[source.value=/^(\\.\\.\\/)+(${higher.join('|')})\\//]`, message: `${layer}/ may not import() a higher layer (docs/architecture.md)` }];
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'reports/*.generated.*', 'src/report/schema-validator.generated.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.cts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  ...LAYERS.map((layer) => ({ files: [`src/${layer}/**/*.ts`, `src/${layer}/**/*.cts`], rules: { 'no-restricted-imports': restrictions(layer), 'no-restricted-syntax': dynamicImports(layer) } })),
  { files: ['src/report/terminal.ts'], rules: { 'no-restricted-imports': restrictions('report', { allowChalk: true }) } },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
