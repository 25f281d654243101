/** The kernel capture filters kept as commented files in bpf/. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** bpf/ relative to this compiled file (dist/src/capture/ -> ../../../bpf) or to the source tree. */
export function bpfDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const rel of ['../../../bpf', '../../bpf']) {
    const p = path.resolve(here, rel);
    try {
      readFileSync(path.join(p, 'veth.bpf'));
      return p;
    } catch {
      /* try the next */
    }
  }
  throw new Error(`bpf/ not found near ${here}`);
}

/** A filter file with its '#' comment lines removed and lines joined. */
export function loadFilter(name: 'veth' | 'loopback' | 'nflog'): string {
  return stripComments(readFileSync(path.join(bpfDir(), `${name}.bpf`), 'utf8'));
}

export function stripComments(text: string): string {
  return text
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('#'))
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
}

export function loadNftRules(vars: { group: number; veth: string }): string {
  return readFileSync(path.join(bpfDir(), 'build.nft'), 'utf8')
    .replaceAll('@GROUP@', String(vars.group))
    .replaceAll('@VETH@', vars.veth);
}
