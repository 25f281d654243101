/** The nftables rules of the build and monitor namespaces, kept as commented files in bpf/ (*.nft). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { bpfDir, fillPlaceholders } from '../capture/filters.js';
import { END_MARKER, INTERCEPT_PORT, MONITOR_LL6, MONITOR_V4, NFLOG_GROUP, NFLOG_LO_GROUP, NFLOG_VETH_GROUP } from '../model/network.js';

/**
 * bpf/<file>.nft, ready for `nft -f -`: @VETH@ is `vars.veth` (the namespace's own veth end), @NFLOG_GROUP@ is
 * `vars.group` (default NFLOG_GROUP), @LO_GROUP@ and @CAPTURE_GROUP@ the groups of the lo and veth captures
 * (NFLOG_LO_GROUP, NFLOG_VETH_GROUP), @MONITOR_V4@ and @MONITOR_LL6@ are the monitor's addresses on the veth
 * (src/model/network.ts); the intercept variants also take @INTERCEPT_PORT@ (the responder's port) and
 * @NFLOG_MARKER@ (where the NFLOG capture's end marker goes).
 */
export function loadNftRules(file: 'build' | 'monitor' | 'build-intercept' | 'monitor-intercept', vars: { group?: number; veth: string }): string {
  const values = {
    VETH: vars.veth,
    NFLOG_GROUP: String(vars.group ?? NFLOG_GROUP),
    LO_GROUP: String(NFLOG_LO_GROUP),
    CAPTURE_GROUP: String(NFLOG_VETH_GROUP),
    MONITOR_V4,
    MONITOR_LL6,
    INTERCEPT_PORT: String(INTERCEPT_PORT),
    NFLOG_MARKER: END_MARKER.nflog.address,
  };
  return fillPlaceholders(readFileSync(path.join(bpfDir(), `${file}.nft`), 'utf8'), values, `bpf/${file}.nft`);
}
