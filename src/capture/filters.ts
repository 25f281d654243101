/** The kernel capture filters kept as commented files in bpf/. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packagePath } from '../util/package.js';

export function bpfDir(): string {
  return packagePath('bpf');
}

/** A filter file with its '#' comment lines removed and lines joined. */
export function loadFilter(name: 'veth' | 'loopback'): string {
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

export function loadNftRules(file: 'build' | 'monitor', vars: { group?: number; veth: string }): string {
  return readFileSync(path.join(bpfDir(), `${file}.nft`), 'utf8')
    .replaceAll('@GROUP@', String(vars.group ?? 0))
    .replaceAll('@VETH@', vars.veth);
}
