// The command line in one file: dist/src/cli/app.bundle.js, app.js and every module of dist/src it imports
// (dynamic imports included), so that netaudit's start-up reads, resolves and links one module instead of ~90
// (node's ES module loader pays about 1.5 ms per file; `netaudit run -- true` loaded 105 files). main.js loads
// the bundle when it is not older than app.js (see src/cli/main.ts). Runs after tsc in `npm run build`.
//
// - The CommonJS packages come inside (yargs and its cliui, dns-packet, pcap-parser): node's CommonJS loader
//   and its export scan cost more than they do (self CPU of `netaudit run -- true`: ~500 ms with every module
//   apart, ~450 ms bundled with the packages outside, ~220 ms with dns-packet and pcap-parser inside; yargs
//   inside takes another ~25 ms off every start). ajv (only the schema validator's run-time fallback loads it)
//   and chalk (ESM) stay outside.
// - Every module keeps its own import.meta.url: each `import.meta.url` of a bundled file becomes the URL of the
//   original file, relative to the bundle (`new URL('../report/validate.js', import.meta.url).href`), so paths
//   made from it (the schema, the generated validator, the hook's main.js, createRequire) are what they were.
//   The bundle moves with the tree (npm pack, the Gentoo image): nothing absolute is written into it.
// - No esbuild (a tree without devDependencies): nothing is made, main.js loads the modules.
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'dist/src/cli');
const outFile = path.join(cli, 'app.bundle.js');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  await rm(outFile, { force: true });
  console.error('build-bundle: esbuild is not installed (npm ci installs it): no bundle, netaudit loads its modules one by one');
  process.exit(0);
}

const ownUrl = {
  name: 'own-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\/dist\/src\/.*\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
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
    // installed, found at run time as node would find it for this file.
    build.onLoad({ filter: /\/node_modules\/yargs\/build\/index\.cjs$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const dirname = "var __dirname = require('node:path').join(require('node:path').dirname(require.resolve('yargs/yargs')), 'build');\n";
      return { contents: dirname + text, loader: 'js' };
    });
  },
};

const result = await esbuild.build({
  entryPoints: [path.join(cli, 'app.js')],
  outfile: outFile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // yargs stays outside (yargs.ts patches the cliui instance it requires), ajv too (only the run-time fallback
  // of the schema validator loads it); the small CommonJS packages of the decoders come inside, sparing node
  // its CommonJS loader and export scan at start-up.
  external: ['ajv', 'ajv/*', 'chalk'],
  plugins: [yargsInside, ownUrl],
  // The CommonJS packages inside require node's built-ins (buffer, events): give them node's require.
  banner: { js: "import { createRequire as netauditBundleRequire } from 'node:module';\nconst require = netauditBundleRequire(import.meta.url);" },
  logLevel: 'warning',
  metafile: true,
});
const inputs = Object.keys(result.metafile.inputs).length;
const bytes = result.metafile.outputs[path.relative(process.cwd(), outFile)]?.bytes ?? 0;
console.log(`build-bundle: ${path.relative(root, outFile)} (${inputs} modules, ${bytes} bytes)`);
