/**
 * The kernel capture filters kept as commented files in bpf/ (the nftables rules there are the sandbox's:
 * src/sandbox/rules.ts fills them with fillPlaceholders()).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packagePath } from '../util/package.js';

export function bpfDir(): string {
  return packagePath('bpf');
}

/** A filter file with its '#' comment lines removed and lines joined. */
export function loadFilter(name: 'loopback'): string {
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

/** `@NAME@` in a template: upper case, digits and '_' between two at-signs. */
const PLACEHOLDER = /@([A-Z][A-Z0-9_]*)@/g;

/**
 * `text` with every `@NAME@` replaced by `values[NAME]`. A placeholder without a value is a bug in the shipped
 * file (`where` names it): it throws, rather than hand nft a rule with a hole in it.
 */
export function fillPlaceholders(text: string, values: Readonly<Record<string, string>>, where: string): string {
  return text.replace(PLACEHOLDER, (token, name: string) => {
    if (!Object.hasOwn(values, name)) throw new Error(`${where}: no value for the placeholder ${token}`);
    return values[name] as string;
  });
}
