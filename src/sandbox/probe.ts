/** Live checks for `netaudit doctor`: can this kernel give us what the sandbox needs? */
import { Sandbox } from './sandbox.js';

export interface ProbeResult {
  readonly what: string;
  readonly ok: boolean;
  readonly fix: string;
}

/** What the probe's sandbox needs of the kernel: the packets sandbox's captures are NFLOG groups of its nftables rules. */
const SANDBOX = 'network namespaces, veth, nftables in a namespace, tcpdump on NFLOG groups (lo, veth, dropped sends)';

export async function probeKernel(): Promise<ProbeResult[]> {
  const results: ProbeResult[] = [];
  let sb: Sandbox | undefined;
  try {
    sb = await Sandbox.create({ capture: true });
    results.push({ what: SANDBOX, ok: true, fix: '' });
    const r = await sb.execInBuild(['bash', '-c', 'exec 3<>/dev/tcp/203.0.113.1/9']);
    const unreachable = /Network is unreachable/.test(r.stderr);
    results.push({
      what: 'external TCP answered with "Network is unreachable" (as under network-sandbox)',
      ok: unreachable,
      fix: `got: ${r.stderr.trim().split('\n').pop() ?? r.code}`,
    });
  } catch (e) {
    results.push({
      what: SANDBOX,
      ok: false,
      fix: `${(e as Error).message} (kernel options: CONFIG_NET_NS, CONFIG_VETH, CONFIG_NF_TABLES_INET, CONFIG_NFT_LOG, CONFIG_NETFILTER_NETLINK_LOG)`,
    });
  } finally {
    await sb?.destroy();
  }
  return results;
}
