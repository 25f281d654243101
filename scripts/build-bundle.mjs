// The command line in one file: dist/src/cli/app.bundle.cjs, app.js and every module of dist/src it imports
// (dynamic imports included), so that netaudit's start-up reads and compiles one script instead of linking ~90
// modules (node's ES module loader pays about 1.5 ms per file; `netaudit run -- true` loaded 105 files).
// main.cjs loads it (src/cli/bundle.cts) when it is not older than app.js, compiled from a V8 code cache when
// there is one. Runs after tsc in `npm run build`.
//
// - CommonJS, not an ES module: node 20 can give a code cache only to a script (vm.Script), and the code cache
//   is what takes the compile off every start (bundle.cts). The bundle is wrapped in a function
//   (exports, require, module, __filename, __dirname, __netauditBundleUrl, __netauditImport) by the loader.
// - The CommonJS packages come inside (yargs and its cliui, dns-packet, pcap-parser), and chalk (an ES module,
//   converted): node's CommonJS loader and its export scan cost more than they do (self CPU of
//   `netaudit run -- true`: ~500 ms with every module apart, ~220 ms with the decoders' packages inside;
//   yargs inside takes another ~25 ms off every start). ajv stays outside: only the schema validator's
//   run-time fallback loads it, with import().
// - Every module keeps its own import.meta.url: each `import.meta.url` of a bundled file becomes the URL of the
//   original file, relative to the bundle (`new URL('../report/validate.js', __netauditBundleUrl).href`), so
//   paths made from it (the schema, the generated validator, the hook's main.cjs, createRequire) are what they
//   were. The bundle moves with the tree (npm pack, the Gentoo image): nothing absolute is written into it.
// - No esbuild (a tree without devDependencies): nothing is made, main.cjs loads the modules.
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'dist/src/cli');
const outFile = path.join(cli, 'app.bundle.cjs');
// The ES module bundle of earlier builds: gone, so that nothing stale is left beside the new one.
await rm(path.join(cli, 'app.bundle.js'), { force: true });

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  await rm(outFile, { force: true });
  console.error('build-bundle: esbuild is not installed (npm ci installs it): no bundle, netaudit loads its modules one by one');
  process.exit(0);
}

// An import() whose specifier is known only at run time (the schema's generated validator, an ES module) is
// handed to the loader's own import(): a vm.Script's import() would need a flag in node 20, and is lost with
// a code cache. The others (string literals) esbuild resolves: inside the bundle, or required (node's
// built-ins, ajv), see `supported` below.
const RUNTIME_IMPORT = /(?<![\w$.])import\((?!\s*['"`])/g;

const ownUrl = {
  name: 'own-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\/dist\/src\/.*\.js$/ }, async (args) => {
      const text = (await readFile(args.path, 'utf8')).replace(RUNTIME_IMPORT, '__netauditImport(');
      if (!text.includes('import.meta.url')) return { contents: text, loader: 'js' };
      let rel = path.relative(cli, args.path).split(path.sep).join('/');
      if (!rel.startsWith('.')) rel = `./${rel}`;
      return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`), loader: 'js' };
    });
  },
};

/**
 * yargs' CommonJS build inside the bundle too (30 ms of start-up apart): yargs.ts loads it with a require of its
 * own (createRequire) so that, module by module, it gets the CommonJS build and the very cliui instance that
 * build requires. In the bundle the same two requires become esbuild's (node's resolution, `require`
 * condition), which resolve yargs/yargs and cliui to the same files, bundled once: the same instance again.
 */
const yargsInside = {
  name: 'yargs-inside',
  setup(build) {
    build.onLoad({ filter: /\/dist\/src\/cli\/yargs\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const own = 'const require = createRequire(import.meta.url);';
      const cliui = "createRequire(require.resolve('yargs/yargs'))('cliui')";
      if (!text.includes(own) || !text.includes(cliui)) throw new Error(`build-bundle: ${args.path} no longer loads yargs as this script expects`);
      return { contents: text.replace(own, '').replace(cliui, "require('cliui')"), loader: 'js' };
    });
    // yargs' build finds its locales from its own __dirname (node_modules/yargs/build): where yargs is
    // installed, found at run time as node would find it for this file: the first node_modules/yargs from the
    // bundle's directory up (a stat each). Not require.resolve: its walk through yargs' package.json `exports`
    // cost every start ~8 ms; it is the fallback when the walk finds nothing.
    build.onLoad({ filter: /\/node_modules\/yargs\/build\/index\.cjs$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const dirname =
        "var __dirname = (() => { const p = require('node:path'), fs = require('node:fs');" +
        " for (let d = p.dirname(__filename); ; d = p.dirname(d)) {" +
        " const dir = p.join(d, 'node_modules', 'yargs'); if (fs.existsSync(p.join(dir, 'package.json'))) return p.join(dir, 'build');" +
        " if (p.dirname(d) === d) return p.join(p.dirname(require.resolve('yargs/yargs')), 'build'); } })();\n";
      return { contents: dirname + text, loader: 'js' };
    });
    // Two of its requires cost every start more than they give netaudit: node's `assert` (~5 ms of internal
    // modules; yargs calls only strictEqual and notStrictEqual, on its own arguments) and require-directory
    // (~2 ms; only commandDir() uses it, and netaudit names its commands). Inside the bundle yargs gets a
    // strictEqual and notStrictEqual of the same meaning (Object.is, the message thrown), and a
    // requireDirectory that says it is not there.
    build.onResolve({ filter: /^(assert|require-directory)$/ }, (args) =>
      /\/node_modules\/yargs\/build\/index\.cjs$/.test(args.importer) ? { path: args.path, namespace: 'yargs-lean' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'yargs-lean' }, (args) => ({
      loader: 'js',
      contents:
        args.path === 'assert'
          ? [
              'const fail = (message, said) => { throw message instanceof Error ? message : new Error(message ?? said); };',
              'exports.strictEqual = (a, b, message) => { if (!Object.is(a, b)) fail(message, `Expected values to be strictly equal: ${String(a)} !== ${String(b)}`); };',
              'exports.notStrictEqual = (a, b, message) => { if (Object.is(a, b)) fail(message, `Expected "actual" to be strictly unequal to: ${String(b)}`); };',
            ].join('\n')
          : "module.exports = () => { throw new Error('commandDir() is not available in netaudit'); };",
    }));
  },
};

const result = await esbuild.build({
  entryPoints: [path.join(cli, 'app.js')],
  outfile: outFile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Non-ASCII characters escaped (esbuild's default, stated): the loader reads the file as Latin-1, a copy, not a decode.
  charset: 'ascii',
  // ajv stays outside (only the run-time fallback of the schema validator loads it); everything else comes inside.
  external: ['ajv', 'ajv/*'],
  // No import() is left in the bundle: literal ones of what stays outside (ajv, CommonJS, and node's built-ins)
  // become require(); the others call the loader's (RUNTIME_IMPORT).
  supported: { 'dynamic-import': false },
  plugins: [yargsInside, ownUrl],
  // The loader (src/cli/bundle.ts) passes the bundle's own URL; each module's is made from it (ownUrl).
  define: { 'import.meta.url': '__netauditBundleUrl' },
  // yargs' build finds its locales through require.resolve('yargs/yargs') (yargsInside): resolved at run time,
  // from the bundle's place, as intended.
  logOverride: { 'require-resolve-not-external': 'silent' },
  logLevel: 'warning',
  metafile: true,
});
const inputs = Object.keys(result.metafile.inputs).length;
const bytes = result.metafile.outputs[path.relative(process.cwd(), outFile)]?.bytes ?? 0;
console.log(`build-bundle: ${path.relative(root, outFile)} (${inputs} modules, ${bytes} bytes)`);
