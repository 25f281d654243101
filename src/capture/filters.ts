/** The kernel capture filters and nftables rules kept as commented files in bpf/. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { END_MARKER, INTERCEPT_PORT, MONITOR_LL6, MONITOR_V4, NFLOG_GROUP } from '../model/network.js';
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

/**
 * bpf/<file>.nft, ready for `nft -f -`: @VETH@ is `vars.veth` (the namespace's own veth end), @NFLOG_GROUP@ is
 * `vars.group` (default NFLOG_GROUP), @MONITOR_V4@ and @MONITOR_LL6@ are the monitor's addresses on the veth
 * (src/model/network.ts); the intercept variants also take @INTERCEPT_PORT@ (the responder's port) and
 * @NFLOG_MARKER@ (where the NFLOG capture's end marker goes).
 */
export function loadNftRules(file: 'build' | 'monitor' | 'build-intercept' | 'monitor-intercept', vars: { group?: number; veth: string }): string {
  const values = {
    VETH: vars.veth,
    NFLOG_GROUP: String(vars.group ?? NFLOG_GROUP),
    MONITOR_V4,
    MONITOR_LL6,
    INTERCEPT_PORT: String(INTERCEPT_PORT),
    NFLOG_MARKER: END_MARKER.nflog.address,
  };
  return fillPlaceholders(readFileSync(path.join(bpfDir(), `${file}.nft`), 'utf8'), values, `bpf/${file}.nft`);
}
