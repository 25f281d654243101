/**
 * The layers of src/ are enforced, not remembered: the lint rule (eslint.config.js, in `npm run lint`) fails
 * on an import that runs up a layer or takes a file/process module into a pure stage, and no file imports
 * itself back through others (a circle). docs/architecture.md names the same layers in the same order.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import { ROOT } from '../helpers/cli.js';

/** Every .ts (and CommonJS .cts) file under src/, relative to ROOT. */
function sources(dir = 'src'): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(path.join(dir, e.name)) : (e.name.endsWith('.ts') || e.name.endsWith('.cts')) && !e.name.endsWith('.d.ts') ? [path.join(dir, e.name)] : [],
  );
}

/** The src/ files a file imports (static imports and exports, `import()` of a literal), as paths relative to ROOT. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)) {
    out.push(path.join(path.dirname(file), (m[1] as string).replace(/\.js$/, '.ts').replace(/\.cjs$/, '.cts')));
  }
  return out;
}

describe('architecture: layers', function () {
  this.timeout(60_000);

  it('the lint rule rejects an import up a layer, a file module in a pure stage, chalk outside the terminal reporter', async () => {
    const eslint = new ESLint({ cwd: ROOT });
    const code = [
      "import { readFileSync } from 'node:fs';",
      "import { Sandbox } from '../sandbox/sandbox.js';",
      "import chalk from 'chalk';",
      'export const x = [readFileSync, Sandbox, chalk];',
      "export const y = () => import('../runner/command.js');",
      '',
    ].join('\n');
    const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, 'src/analyze/violation.ts') });
    const messages = (result?.messages ?? []).map((m) => `${m.line}: ${m.message}`);
    assert.equal(messages.length, 4, messages.join('\n'));
    assert.match(messages[0] ?? '', /^1: .*analyze\/ is a pure stage: no file or process module/);
    assert.match(messages[1] ?? '', /^2: .*analyze\/ is below sandbox\//);
    assert.match(messages[2] ?? '', /^3: .*only the terminal reporter/);
    assert.match(messages[3] ?? '', /^5: analyze\/ may not import\(\) a higher layer/);

    const [model] = await eslint.lintText("import type { DecodedPacket } from '../decode/types.js';\nexport type X = DecodedPacket;\n", { filePath: path.join(ROOT, 'src/model/violation.ts') });
    assert.match(model?.messages[0]?.message ?? '', /model\/ is below decode\//);
    const [cli] = await eslint.lintText("import { runBuild } from '../../sandbox/build.js';\nexport const r = runBuild;\n", { filePath: path.join(ROOT, 'src/cli/commands/x.ts') });
    assert.deepEqual(cli?.messages, [], 'the CLI is the top layer');
  });

  it('no file imports itself back through others (no circle)', () => {
    const graph = new Map(sources().map((f) => [f, importsOf(f)]));
    const state = new Map<string, 'open' | 'done'>();
    const circles: string[] = [];
    const visit = (f: string, trail: string[]) => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        circles.push([...trail.slice(trail.indexOf(f)), f].join(' -> '));
        return;
      }
      state.set(f, 'open');
      for (const g of graph.get(f) ?? []) if (graph.has(g)) visit(g, [...trail, f]);
      state.set(f, 'done');
    };
    for (const f of graph.keys()) visit(f, []);
    assert.deepEqual(circles, []);
  });

  it('docs/architecture.md lists the layers in the order the lint rule keeps them', async () => {
    const config = readFileSync(path.join(ROOT, 'eslint.config.js'), 'utf8');
    const layers = [...(config.match(/const LAYERS = \[([\s\S]*?)\];/)?.[1] ?? '').matchAll(/'([a-z]+)'/g)].map((m) => m[1]);
    assert.ok(layers.length >= 10, layers.join(' '));
    const doc = readFileSync(path.join(ROOT, 'docs/architecture.md'), 'utf8');
    // The numbered list of "## The layers": `N. \`src/NAME/\` — ...`, one item per layer.
    const listed = [...doc.matchAll(/^\d+\. `src\/([a-z]+)\/`/gm)].map((m) => m[1]);
    assert.deepEqual(listed, layers);
    for (const l of layers) assert.ok(readdirSync(path.join(ROOT, 'src')).includes(l as string), `src/${l}/ exists`);
  });
});
