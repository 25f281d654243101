// The command line in one file: dist/src/cli/app.bundle.js, app.js and every module of dist/src it imports
// (dynamic imports included), so that netaudit's start-up reads, resolves and links one module instead of ~90
// (node's ES module loader pays about 1.5 ms per file; `netaudit run -- true` loaded 105 files). main.js loads
// the bundle when it is not older than app.js (see src/cli/main.ts). Runs after tsc in `npm run build`.
//
// - yargs, ajv and chalk stay outside: node loads them from node_modules as before, so yargs.ts's createRequire
//   sees the very cliui instance it patches. The decoders' small CommonJS packages (dns-packet, pcap-parser)
//   come inside: node's CommonJS loader and its export scan cost more than they do (self CPU of
//   `netaudit run -- true`: ~500 ms with every module apart, ~450 ms bundled with the packages outside, ~220 ms
//   with these inside).
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
  external: ['yargs', 'yargs/*', 'cliui', 'ajv', 'ajv/*', 'chalk'],
  plugins: [ownUrl],
  // The CommonJS packages inside require node's built-ins (buffer, events): give them node's require.
  banner: { js: "import { createRequire as netauditBundleRequire } from 'node:module';\nconst require = netauditBundleRequire(import.meta.url);" },
  logLevel: 'warning',
  metafile: true,
});
const inputs = Object.keys(result.metafile.inputs).length;
const bytes = result.metafile.outputs[path.relative(process.cwd(), outFile)]?.bytes ?? 0;
console.log(`build-bundle: ${path.relative(root, outFile)} (${inputs} modules, ${bytes} bytes)`);
