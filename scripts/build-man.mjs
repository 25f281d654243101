// Generate the man page netaudit(1) from the yargs definitions (src/cli/manpage.ts), after tsc, into
// dist/man/netaudit.1: package.json `man` ships it, the ebuild installs it (doman). SOURCE_DATE_EPOCH fixes its
// date (scripts/make-distfiles.sh sets it from the last commit, for a reproducible tarball).
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outFile = path.join(root, 'dist/man/netaudit.1');
const { manPage } = await import(new URL('../dist/src/cli/manpage.js', import.meta.url).href);
const text = await manPage();
await mkdir(path.dirname(outFile), { recursive: true });
await writeFile(`${outFile}.tmp`, text);
await rename(`${outFile}.tmp`, outFile);
console.log(`build-man: ${path.relative(root, outFile)} (${text.length} bytes)`);
