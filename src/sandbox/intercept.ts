/**
 * Intercept mode's privileged half (`netaudit run --intercept`): the responder in the monitor namespace and
 * the build's private resolv.conf. Observation, not a network-sandbox verdict: the monitor answers instead of
 * refusing, so that the report can say what the build wanted. It still has no route out; nothing is forwarded.
 *
 * Why a private resolv.conf: the build namespace shares the host's /etc, so its resolver is the host's. On
 * these machines that is 10.255.255.53, inside 10/8, which Portage's loopback setup makes local on the build's
 * lo: the questions never reach the veth, let alone the monitor (the same holds for 127.0.0.53 stubs). Two ways
 * were weighed: a DNAT of UDP port 53 in the build's nftables (it cannot take a 127.x source off lo: martian) or
 * a mount namespace for the build with a temp file bound over /etc/resolv.conf (`nameserver 203.0.113.53`).
 * The bind mount is chosen: it covers every resolver address, getaddrinfo and programs that read resolv.conf
 * themselves (c-ares, Go) alike, it is private to the build's processes (unshare --mount makes the mount
 * private), and the host's file is never touched. A resolver hard-coded in a program (8.8.8.8) is answered
 * too, since the monitor owns every address. Not covered: a host whose nsswitch.conf resolves through a local
 * daemon socket (nscd, systemd-resolved's `resolve` module): those questions never become packets.
 *
 * Why the responder's log, not the veth capture's payload, gives `wanted`: the veth capture does hold the
 * payload (bpf/monitor.nft logs every IP packet to it; snaplen 1600), but reading it would need TCP stream reassembly in the
 * decoder (a ClientHello grows past one segment with big key shares; retransmits, reordering), while the
 * responder's recv() hands over the stream the kernel already reassembled, up to 8 KiB. The parsing stays in
 * TypeScript (src/decode/tls.ts, src/decode/http.ts: pure, tested on byte fixtures); the responder only
 * records bytes.
 */
import type { ResponderRecord } from '../model/evidence.js';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { supervise, type Helper } from '../proc/supervisor.js';
import { tool } from '../proc/tools.js';
import { packagePath } from '../util/package.js';
import { tempDirPrefix } from './names.js';
import { INTERCEPT_PORT, INTERCEPT_RESOLVER_V4, SINKHOLE_V4_PREFIX, SINKHOLE_V6_PREFIX } from '../model/network.js';

/** One line of the responder's log (src/sandbox/responder.py). */
/** The `changes` line of an intercepted build: what netaudit did differently, said plainly. */
export const INTERCEPT_CHANGE =
  `intercepted (observation, not a network-sandbox verdict): the build's /etc/resolv.conf was a private one (nameserver ${INTERCEPT_RESOLVER_V4}); ` +
  `the monitor answered every A/AAAA question with a sinkhole address (${SINKHOLE_V4_PREFIX}.0/24, ${SINKHOLE_V6_PREFIX}/48), ` +
  'accepted every TCP connect, read what the client sent first and closed it; nothing was forwarded';

/** A temp dir holding the build's resolv.conf; remove() deletes it. */
export function privateResolvConf(): { readonly file: string; remove(): void } {
  // Named with its owner (tempDirPrefix) so that `netaudit gc` removes it after a SIGKILL.
  const dir = mkdtempSync(path.join(os.tmpdir(), tempDirPrefix('resolv')));
  const file = path.join(dir, 'resolv.conf');
  writeFileSync(file, `# netaudit --intercept: every question goes to the monitor's responder\nnameserver ${INTERCEPT_RESOLVER_V4}\noptions attempts:1 timeout:2\n`);
  // The build may run as another user (--user): the file must be readable through the bind mount.
  chmodSync(file, 0o644);
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export class Responder {
  private constructor(
    private readonly helper: Helper,
    /** What it logged so far (filled as its lines come; complete once stop() has resolved). */
    readonly records: ResponderRecord[],
  ) {}

  get pid(): number | undefined {
    return this.helper.pid;
  }

  /**
   * Start the responder inside the monitor namespace and resolve once its sockets are bound (its `ready`
   * line). The supervisor runs it under setpriv --pdeathsig KILL: it ends with netaudit even on SIGKILL
   * (nsenter execs python3: the same pid).
   */
  static async start(monitorNsPath: string, readyTimeoutMs = 5000): Promise<Responder> {
    const records: ResponderRecord[] = [];
    let ready = false;
    let buffer = '';
    const utf8 = new StringDecoder('utf8');
    const onStdout = (b: Buffer): void => {
      buffer += utf8.write(b);
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        let rec: { type?: string };
        try {
          rec = JSON.parse(line) as { type?: string };
        } catch {
          continue;
        }
        if (rec.type === 'ready') ready = true;
        else if (rec.type === 'dns' || rec.type === 'tcp') records.push(rec as ResponderRecord);
      }
    };
    const helper = await supervise({
      label: 'the intercept responder',
      argv: [
        tool('nsenter'), `--net=${monitorNsPath}`, '--',
        tool('python3'), '-u', packagePath('src/sandbox/responder.py'),
        '--port', String(INTERCEPT_PORT),
        '--v4-prefix', SINKHOLE_V4_PREFIX,
        '--v6-prefix', SINKHOLE_V6_PREFIX,
      ],
      tools: ['nsenter', 'python3'],
      ready: { test: () => ready },
      readyTimeoutMs,
      onStdout,
    });
    return new Responder(helper, records);
  }

  /**
   * End it (SIGTERM: connections still being read are logged as partial records; SIGKILL after graceMs) and
   * return every record, once the process is reaped.
   */
  async stop(graceMs = 1000): Promise<ResponderRecord[]> {
    await this.helper.stop({ signal: 'SIGTERM', graceMs });
    return this.records;
  }
}
