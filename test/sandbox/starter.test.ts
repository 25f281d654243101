/**
 * The sandbox's set-up script (src/sandbox/starter.ts): one process that makes the namespaces, starts the
 * captures on pipes of node's and runs the side steps; failures reach node as errors naming the step and the
 * tool's own last line; every capture it started ends with it, and with netaudit even on SIGKILL.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Capture } from '../../src/capture/tcpdump.js';
import { tool } from '../../src/proc/tools.js';
import { heldSteps, SandboxStarter, starterScript, type StarterPlan } from '../../src/sandbox/starter.js';
import { requirePrivileges } from '../helpers/privileged.js';

const STARTER_MODULE = pathToFileURL(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/sandbox/starter.js')).href;

function alive(pid: number): boolean {
  try {
    // A zombie has ended: only a running (or sleeping) process counts.
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function until(what: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (what()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return what();
}

/** A plan on one namespace of the test's own: lo configured and captured, two side steps (one fails). */
function plan(ns: string): StarterPlan {
  const nsPath = `/run/netns/${ns}`;
  return {
    create: { label: 'creating the test namespace', batch: `netns add ${ns}\n` },
    captures: [{ source: 'lo', configure: { netns: ns, batch: 'link set lo up\n' }, argv: Capture.argv({ netnsPath: nsPath, iface: 'lo', filter: 'udp', snaplen: 256, bufferKiB: 1024 }) }],
    steps: [
      { label: 'a step that works', argv: [tool('nsenter'), `--net=${nsPath}`, '--', tool('cat')], input: 'fed\n' },
      { label: 'a step that fails', argv: [tool('sh'), '-c', 'cat >/dev/null; echo first line >&2; echo "the reason it gives" >&2; exit 3'], input: 'x' },
    ],
  };
}

describe('sandbox: the set-up script', function () {
  it('is valid sh, with every word quoted (a namespace name, rules with quotes and newlines)', () => {
    const p = plan('netaudit-starter-syntax');
    const script = starterScript({ ...p, steps: [...p.steps, { label: "it's", argv: ['printf', '%s', "a 'quoted'\nword"], input: 'table inet x {\n\tchain y { comment "z" }\n}\n' }] });
    const r = spawnSync(tool('sh'), ['-n', '-c', script]);
    assert.equal(r.status, 0, r.stderr.toString());
  });
});

describe('sandbox: the set-up script @privileged', function () {
  this.timeout(30_000);
  const ns = `netaudit-starter-test-${process.pid}`;
  before(function () {
    requirePrivileges(this);
  });
  afterEach(() => {
    spawnSync(tool('ip'), ['netns', 'del', ns], { stdio: 'ignore' });
  });

  it('makes the namespace, starts the capture on its own pipes, reports each step (a failure by its last line), and ends with every capture reaped', async () => {
    const starter = await SandboxStarter.spawn(plan(ns));
    await starter.created;
    assert.ok(existsSync(`/run/netns/${ns}`));
    const capture = await Capture.start({ source: 'lo', netnsPath: `/run/netns/${ns}`, iface: 'lo', filter: 'udp', snaplen: 256, sentinel: Buffer.from('netaudit-starter-end'), host: starter.host('lo') });
    assert.deepEqual(starter.capturePids(), [capture.pid]);
    await starter.step('a step that works');
    await assert.rejects(starter.step('a step that fails'), (e: Error) => e.message === 'a step that fails: the reason it gives');
    // Something sent on the namespace's lo reaches node through the capture's pipe.
    const sent = spawnSync(tool('nsenter'), [`--net=/run/netns/${ns}`, '--', tool('bash'), '-c', 'printf netaudit-starter-end >/dev/udp/127.0.0.1/9']);
    assert.equal(sent.status, 0, sent.stderr.toString());
    assert.equal(await capture.waitForSentinel(5000), true);
    const result = await capture.stop();
    assert.equal(result.incomplete, false);
    assert.ok(result.pcap.includes(Buffer.from('netaudit-starter-end')));
    await starter.close();
    assert.equal(alive(capture.pid), false, 'the capture outlived the script');
  });

  it('a creation that fails rejects with ip\'s reason, starts no capture and leaves nothing running', async () => {
    spawnSync(tool('ip'), ['netns', 'add', ns]);
    const starter = await SandboxStarter.spawn(plan(ns));
    await assert.rejects(starter.created, (e: Error) => e.message.startsWith('creating the test namespace: ') && /exists/i.test(e.message));
    await assert.rejects(Capture.start({ source: 'lo', netnsPath: `/run/netns/${ns}`, iface: 'lo', filter: '', snaplen: 256, sentinel: Buffer.from('x'), host: starter.host('lo') }));
    await starter.close();
    assert.deepEqual(starter.capturePids(), []);
  });

  it('a capture whose interface cannot be configured fails with ip\'s reason', async () => {
    const p = plan(ns);
    const bad: StarterPlan = { ...p, captures: [{ ...p.captures[0]!, configure: { netns: ns, batch: 'link set no-such-link up\n' } }], steps: [] };
    const starter = await SandboxStarter.spawn(bad);
    await starter.created;
    await assert.rejects(
      Capture.start({ source: 'lo', netnsPath: `/run/netns/${ns}`, iface: 'lo', filter: '', snaplen: 256, sentinel: Buffer.from('x'), host: starter.host('lo') }),
      (e: Error) => /starting the lo capture: .*no-such-link/i.test(e.message),
    );
    await starter.close();
  });

  it("a held process runs its namespace's steps before it stops (each reported, a failure by its last line); one that dies first fails the steps it never ran", async () => {
    const nsPath = `/run/netns/${ns}`;
    const steps = [
      { label: 'lo up, from inside', argv: [tool('ip'), '-batch', '-'], input: 'link set lo up\naddr add 192.0.2.7/32 dev lo' },
      { label: 'a held step that fails', argv: [tool('sh'), '-c', 'echo "first" >&2; echo "its reason\nover two lines" >&2; exit 4'], input: '' },
    ];
    const p: StarterPlan = {
      ...plan(ns),
      captures: [],
      steps: [],
      held: [
        { name: 'holder', argv: [tool('nsenter'), `--net=${nsPath}`, '--', tool('bash'), '-c', `${heldSteps(steps)}kill -STOP $$; printf 'done holder %s\\n' "$(${tool('ip')} -br addr show lo)"`], steps: steps.map((s) => s.label) },
        { name: 'dies', argv: [tool('bash'), '-c', 'echo "no such thing" >&2; exit 1'], steps: ['a step it never runs'] },
      ],
    };
    const starter = await SandboxStarter.spawn(p);
    await starter.created;
    await starter.step('lo up, from inside');
    await assert.rejects(starter.step('a held step that fails'), (e: Error) => /^a held step that fails: .*over two lines/.test(e.message));
    const pid = await starter.stopped('holder');
    assert.ok(pid !== undefined, 'the held process did not stop after its steps');
    assert.equal(await starter.stopped('dies'), undefined);
    await assert.rejects(starter.step('a step it never runs'), (e: Error) => e.message.startsWith('a step it never runs: its process ended first'));
    // Its steps ran inside the namespace: lo is up there with the address, which its `done` line shows.
    assert.match((await starter.release('holder')) ?? '', /^lo +UNKNOWN +127\.0\.0\.1\/8 192\.0\.2\.7\/32/);
    await starter.close();
  });

  it('netaudit killed with SIGKILL: the script and its captures die with it', async () => {
    const program = [
      `import { SandboxStarter } from ${JSON.stringify(STARTER_MODULE)};`,
      `const s = await SandboxStarter.spawn(${JSON.stringify(plan(ns))});`,
      'await s.created;',
      // The capture's pid once the script has said it.
      'const t = setInterval(() => { const p = s.capturePids(); if (p.length) { clearInterval(t); console.log(p[0]); } }, 5);',
      'setInterval(() => undefined, 1000);',
    ].join('\n');
    const child = spawn(process.execPath, ['--input-type=module', '-e', program], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve) => child.stdout.once('data', (b: Buffer) => resolve(Number(b.toString().trim()))));
    assert.ok(await until(() => alive(pid)));
    child.kill('SIGKILL');
    assert.ok(await until(() => !alive(pid)), 'the capture outlived netaudit');
  });
});
