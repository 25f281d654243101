#!/usr/bin/env node
// Measurements behind the header of bpf/observer.bt (run as root after `npm run build`):
//   node scripts/observe-measure.mjs
// attach time and CPU, detach time, drain time, idle CPU, the syscall overhead on the whole machine, the cost per
// observed connect, loss under bursts, and the clock alignment with tcpdump's timestamps. Everything runs in
// namespaces this script creates (obs-measure-*) and removes; every bpftrace it starts is ended by pid.
import { Buffer } from 'node:buffer';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Observer } from '../dist/src/observe/index.js';
import { readPcapBuffer } from '../dist/src/capture/pcap.js';
import { decodeFrames } from '../dist/src/decode/index.js';

const PY = '/usr/bin/python3';
const started = [];
const namespaces = [];

function netns() {
  const name = `obs-measure-${process.pid}-${namespaces.length}`;
  spawnSync('ip', ['netns', 'add', name]);
  spawnSync('ip', ['-n', name, '-batch', '-'], { input: 'link set lo up\naddr add 10.0.0.1/8 dev lo\naddr add fd::1/8 dev lo nodad\n' });
  namespaces.push(name);
  const path = `/run/netns/${name}`;
  return { name, path, inode: statSync(path).ino };
}

async function cleanup() {
  await Promise.all(started.map((o) => o.kill()));
  for (const n of namespaces) spawnSync('ip', ['netns', 'del', n]);
}
process.on('SIGINT', () => {
  for (const o of started) if (o.pid > 0) spawnSync('kill', ['-KILL', String(o.pid)]);
  for (const n of namespaces) spawnSync('ip', ['netns', 'del', n]);
  process.exit(130);
});

const cpuTicks = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]);
};
const hz = 100;

function timed(argv, nsPath) {
  const full = nsPath ? ['nsenter', `--net=${nsPath}`, '--', ...argv] : argv;
  const t = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', ...full], { encoding: 'utf8' });
  const [u, s] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { wallMs: performance.now() - t, userS: u, sysS: s, stdout: r.stdout };
}

const burst = (n) =>
  `import socket\nfor i in range(${n}):\n    s = socket.socket(); s.setblocking(False)\n    try: s.connect(("203.0.113.%d" % (1 + i % 250), 1000 + i % 60000))\n    except OSError: pass\n    s.close()\n`;

async function observe(ns, options = {}) {
  const o = await Observer.start({ netnsInode: ns.inode, readyTimeoutMs: 120_000, ...options });
  started.push(o);
  return o;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const out = (k, v) => console.log(`${k.padEnd(34)} ${v}`);

try {
  out('machine', `${os.cpus().length} CPUs, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}, kernel ${os.release()}`);
  const ns = netns();

  // 1. attach (spawn -> BEGIN) and detach (SIGKILL -> reaped), 3 times.
  const attach = [];
  const attachCpu = [];
  const detach = [];
  for (let i = 0; i < 3; i++) {
    const o = await observe(ns);
    attach.push(o.attachMs);
    attachCpu.push((cpuTicks(o.pid) / hz) * 1000);
    const t = performance.now();
    await o.kill();
    detach.push(performance.now() - t);
  }
  out('attach (spawn -> attached)', `${attach.join(', ')} ms (median ${median(attach)})`);
  out('bpftrace CPU until attached', `${attachCpu.map((x) => x.toFixed(0)).join(', ')} ms`);
  out('detach (SIGKILL -> gone)', `${detach.map((x) => x.toFixed(0)).join(', ')} ms`);

  // 2. drain: 40 collect() calls at random moments (the wait for a tick from every CPU after "now").
  {
    const od = await observe(ns);
    const times = [];
    for (let i = 0; i < 40; i++) {
      await sleep(100 + Math.random() * 300);
      const t = performance.now();
      await od.collect(ns.inode);
      times.push(performance.now() - t);
    }
    await od.kill();
    times.sort((a, b) => a - b);
    out('drain (collect/stop wait)', `min ${times[0].toFixed(0)} median ${median(times).toFixed(0)} p90 ${times[35].toFixed(0)} max ${times[39].toFixed(0)} ms`);
  }

  // 3. idle: no event in the namespace for 10 s.
  const o = await observe(ns);
  const c0 = cpuTicks(o.pid);
  await sleep(10_000);
  out('bpftrace CPU while idle', `${(((cpuTicks(o.pid) - c0) / hz / 10) * 100).toFixed(2)} % of one CPU (20 Hz heartbeat on ${os.cpus().length} CPUs)`);

  // 4. overhead on syscalls that are not traced (dd: 1M read + 1M write), outside and inside the namespace.
  const dd = ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', 'count=1000000', 'status=none'];
  const withObs = [timed(dd), timed(dd), timed(dd)].map((r) => r.sysS);
  const inNs = [timed(dd, ns.path), timed(dd, ns.path)].map((r) => r.sysS);
  // 5. observed connects: 20,000 in the namespace.
  const c20 = timed([PY, '-c', burst(20000)], ns.path);
  await o.kill();
  const without = [timed(dd), timed(dd), timed(dd)].map((r) => r.sysS);
  const c20w = timed([PY, '-c', burst(20000)], ns.path);
  const per = (a, b) => (((median(a) - median(b)) / 2e6) * 1e9).toFixed(0);
  out('untraced syscall, host', `sys ${median(without)} s -> ${median(withObs)} s per 2M syscalls: +${per(withObs, without)} ns each`);
  out('untraced syscall, build namespace', `sys ${median(inNs)} s per 2M: +${per(inNs, without)} ns each`);
  out('observed connect (20,000)', `user+sys ${(c20w.userS + c20w.sysS).toFixed(2)} s -> ${(c20.userS + c20.sysS).toFixed(2)} s: +${(((c20.userS + c20.sysS - c20w.userS - c20w.sysS) / 20000) * 1e6).toFixed(1)} us each (plus bpftrace's reading)`);

  // 6. bursts: 2,000 with bpftrace's default 64 pages per CPU and with ours; 10,000 with ours.
  for (const [n, pages] of [
    [2000, 64],
    [2000, undefined],
    [10000, undefined],
  ]) {
    const ob = await observe(ns, pages ? { perfPagesPerCpu: pages } : {});
    const t = performance.now();
    spawnSync('nsenter', [`--net=${ns.path}`, '--', PY, '-c', burst(n)]);
    const ms = performance.now() - t;
    const r = await ob.stop();
    const seen = r.events.filter((e) => e.kind === 'connect').length;
    const withRet = r.events.filter((e) => e.kind === 'connect' && e.errno !== undefined).length;
    out(`burst ${n}, ${pages ?? 'default'} pages/CPU`, `${seen}/${n} connects seen, ${withRet} with errno, ${r.lost} records lost, complete ${r.complete}, program ${ms.toFixed(0)} ms`);
  }

  // 7. clock: 50 UDP sends to 127.0.0.1:9 on the namespace's lo, captured by tcpdump; event time vs packet time.
  const ob = await observe(ns);
  const td = spawn('nsenter', [`--net=${ns.path}`, '--', 'tcpdump', '-i', 'lo', '-w', '-', '-U', '--immediate-mode', '-n', 'udp port 9'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks = [];
  td.stdout.on('data', (b) => chunks.push(b));
  await new Promise((r) => td.stderr.on('data', (b) => b.toString().includes('listening') && r()));
  spawnSync('nsenter', [`--net=${ns.path}`, '--', PY, '-c', 'import socket,time\nu=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nfor i in range(50):\n  u.sendto(b"m%d" % i, ("127.0.0.1", 9)); time.sleep(0.01)\n']);
  await sleep(300);
  td.kill('SIGTERM');
  await new Promise((r) => td.on('close', r));
  const r = await ob.stop();
  const pcap = await readPcapBuffer(Buffer.concat(chunks));
  const pkts = decodeFrames(pcap.linkType, pcap.frames, 'lo').packets;
  const sends = r.events.filter((e) => e.kind === 'sendto' && e.port === 9);
  const skews = sends.map((e, i) => (pkts[i] ? pkts[i].tsMs - e.tsMs : NaN)).filter(Number.isFinite);
  out('clock: packet - sendto entry', `${skews.length} pairs: min ${Math.min(...skews).toFixed(3)} median ${median(skews).toFixed(3)} max ${Math.max(...skews).toFixed(3)} ms`);
  out('clock: offset drift over the run', `${r.clockDriftMs} ms`);
} finally {
  await cleanup();
}
