'use strict';
// The cgroupfs manager on a real cgroup v2 kernel (pure unified hierarchy, controllers enabled at the root). Runs in
// the qemu guest of test/vm (`npm run test:v2`, the second half of `npm test`); skipped on a v1 / hybrid host, where
// test/managers/kernel.test.js covers the v1 flow. What is v2-only: moveConmonToCgroup enabling the root's
// controllers in every ancestor's cgroup.subtree_control and writing cpu.max, cpu.weight (from shares) and
// cpuset.cpus; a pod parent's real memory.max seen by the sandbox memory check and the pod stats; a real OOM kill under
// a container's memory.max seen in memory.events; removal refused while a process is inside, then kill and remove.
// Everything is in a subtree of the test's own, removed in teardown even when an assertion fails.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const cgmgr = require('../../dist');
const { ROOT, v2SkipReason } = require('../helpers/cgroups');

const MiB = 1024 * 1024;
const read = (f) => fs.readFileSync(f, 'utf8').trim();
const WANT = ['cpu', 'cpuset', 'memory', 'pids'];
const opts = {
  skip: v2SkipReason(WANT),
  timeout: 300000,
};

let counter = 0;
function ownTree(t) {
  const name = `cgmgr-test-v2-${process.pid}-${Date.now().toString(36)}-${counter++}`;
  const children = new Set();
  const track = (c) => {
    children.add(c);
    return c;
  };
  const spawnSleep = () => track(spawn('sleep', ['600'], { stdio: 'ignore' }));
  const kill = async (c) => {
    if (c.exitCode !== null || c.signalCode !== null) return;
    const done = new Promise((r) => c.once('exit', r));
    try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
    await done;
  };
  const rmTree = (d) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) rmTree(path.join(d, e.name));
    for (let i = 0; i < 100; i++) {
      try { fs.rmdirSync(d); return; } catch (e) {
        if (e.code === 'ENOENT') return;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20); // EBUSY while killed tasks exit
      }
    }
  };
  t.teardown(async () => {
    for (const c of children) await kill(c);
    rmTree(path.join(ROOT, name));
  });
  return { name, track, spawnSleep, kill, dir: (rel = '') => path.join(ROOT, name, rel) };
}

t.test('v2 moveConmonToCgroup: ancestors delegate, cpu.max, cpu.weight and cpuset.cpus land, the pid moves', opts, async (t) => {
  const tree = ownTree(t);
  const m = cgmgr.setCgroupManager('cgroupfs');
  t.equal(m.context.version, 2);
  const parent = `/${tree.name}/pod`;
  const cpus = read(path.join(ROOT, 'cpuset.cpus.effective')).split(/[,-]/)[0];
  const conmon = tree.spawnSleep();
  const p = await m.moveConmonToCgroup('c1', parent, 'pod', conmon.pid, { cpu: { cpus, shares: 1024, quota: 25000, period: 100000 } });
  t.equal(p, `${parent}/crio-conmon-c1`);

  // The root's controllers are enabled in each ancestor (the root, our subtree, the pod) before the child is made.
  for (const anc of [ROOT, tree.dir(), tree.dir('pod')]) {
    const sc = read(path.join(anc, 'cgroup.subtree_control')).split(/\s+/);
    for (const c of WANT) t.ok(sc.includes(c), `${c} in ${path.relative(ROOT, anc) || '/'}/cgroup.subtree_control`);
  }
  const d = path.join(ROOT, p);
  t.equal(read(path.join(d, 'cpu.max')), '25000 100000', 'cpu.max');
  t.equal(read(path.join(d, 'cpu.weight')), String(cgmgr.sharesToWeight(1024)), 'cpu.weight from 1024 shares');
  t.equal(cgmgr.sharesToWeight(1024), 39, 'as runc converts: 1 + (1024 - 2) * 9999 / 262142');
  t.equal(read(path.join(d, 'cpuset.cpus')), cpus, 'cpuset.cpus');
  t.equal(read(path.join(d, 'cpuset.cpus.effective')), cpus, 'cpuset.cpus.effective');
  t.equal(read(`/proc/${conmon.pid}/cgroup`), `0::${p}`, 'conmon is in the new cgroup');
  t.equal(read(path.join(d, 'cgroup.procs')), String(conmon.pid));

  // Without resources: created and the pid moved, no limit written (cpu.max stays "max").
  const other = tree.spawnSleep();
  const p2 = await m.moveConmonToCgroup('c2', parent, '', other.pid);
  t.equal(read(path.join(ROOT, p2, 'cpu.max')), 'max 100000');
  t.equal(read(`/proc/${other.pid}/cgroup`), `0::${p2}`);

  await tree.kill(conmon);
  await tree.kill(other);
  cgmgr.libctrManager('crio-conmon-c1', parent, false).destroySync();
  await cgmgr.libctrManager('crio-conmon-c2', parent, false).destroy();
  t.notOk(fs.existsSync(d), 'conmon cgroup removed');
});

t.test('v2 pod with a real memory.max: memory check, stats, OOM kill, kill-then-remove', opts, async (t) => {
  const tree = ownTree(t);
  const m = cgmgr.setCgroupManager('cgroupfs');
  const parent = `/${tree.name}/pod`;
  const pod = cgmgr.libctrManager('pod', `/${tree.name}`, false);
  await pod.apply(-1);
  await pod.set({ memory: { limit: 256 * MiB } });
  t.equal(read(tree.dir('pod/memory.max')), String(256 * MiB), 'memory.max of the pod parent');

  // The sandbox memory check reads the real memory.max.
  t.same(await m.sandboxCgroupPath(parent, 'sb1', 12 * MiB), { cgParent: parent, cgPath: `${parent}/crio-sb1` });
  t.throws(() => m.sandboxCgroupPathSync(parent, 'sb1', 512 * MiB),
    { message: `pod set memory limit ${256 * MiB} too low; should be at least ${512 * MiB} bytes` });
  await m.createSandboxCgroup(parent, 'sb1');
  t.ok(fs.statSync(tree.dir('pod/crio-sb1')).isDirectory(), 'sandbox cgroup');

  // A container with a process, limits set and read back, stats of the container and (B-1) of the pod.
  const proc = tree.spawnSleep();
  const ctr = m.containerCgroupManager(parent, 'ctr1');
  await ctr.apply(proc.pid);
  await ctr.set({ memory: { limit: 128 * MiB }, pids: { limit: 16 } });
  t.equal(read(tree.dir('pod/crio-ctr1/memory.max')), String(128 * MiB));
  t.equal(read(tree.dir('pod/crio-ctr1/pids.max')), '16');
  const cs = await m.containerCgroupStats(parent, 'ctr1');
  t.equal(cs.memory.limit, 128 * MiB, 'container stats: limit = memory.max');
  t.equal(cs.pid.current, 1);
  t.equal(cs.pid.limit, 16);
  t.same(cs.pid.pids, [proc.pid]);
  t.ok(cs.memory.usage > 0, 'container memory usage');
  const ss = await m.sandboxCgroupStats(parent, 'sb1');
  t.equal(ss.memory.limit, 256 * MiB, 'pod stats from the pod parent: its memory.max');
  t.equal(ss.pid.current, 1);

  // A real OOM kill under a small memory.max, seen in memory.events through the handle and the stats.
  const oom = m.containerCgroupManager(parent, 'oom');
  await oom.apply(-1);
  await oom.set({ memory: { limit: 32 * MiB } });
  if (fs.existsSync(tree.dir('pod/crio-oom/memory.swap.max'))) fs.writeFileSync(tree.dir('pod/crio-oom/memory.swap.max'), '0');
  const hog = tree.track(spawn('sh', ['-c', `echo $$ > ${tree.dir('pod/crio-oom/cgroup.procs')} && exec ${process.execPath} -e "const a=[]; for(;;) a.push(Buffer.alloc(1<<20,1))"`], { stdio: 'ignore' }));
  const [code, signal] = await new Promise((r) => hog.once('exit', (c, s) => r([c, s])));
  t.equal(signal, 'SIGKILL', `the hog was killed (exit ${code}, ${signal})`);
  t.ok(await oom.oomKillCount() >= 1, 'oomKillCount >= 1');
  const os = await m.containerCgroupStats(parent, 'oom', { bigint: true, controllers: ['memory', 'memoryEvents'] });
  t.ok(os.memoryEvents.oomKill >= 1n, 'stats: memoryEvents.oomKill >= 1');
  t.ok(os.memoryEvents.oom >= 1n, 'stats: memoryEvents.oom >= 1');
  // The same through the public stats() on the cgroup's path, against the kernel's memory.events.
  const events = Object.fromEntries(read(tree.dir('pod/crio-oom/memory.events')).split('\n').map((l) => l.split(' ')));
  const es = await cgmgr.stats(`${parent}/crio-oom`, { bigint: true, controllers: ['memoryEvents'] });
  t.same(es.memoryEvents, {
    low: BigInt(events.low), high: BigInt(events.high), max: BigInt(events.max), oom: BigInt(events.oom),
    oomKill: BigInt(events.oom_kill), oomGroupKill: BigInt(events.oom_group_kill ?? 0),
  }, 'stats(): memoryEvents = memory.events after the kill');
  t.ok(es.memoryEvents.max >= 1n, 'the limit was hit (max >= 1)');
  await oom.destroy();

  // Removal is refused while the process is inside, then kill and remove; nothing left.
  await t.rejects(ctr.destroy(), { code: 'EBUSY' });
  t.ok(await ctr.exists(), 'still there');
  await tree.kill(proc);
  await ctr.destroy();
  t.notOk(await ctr.exists());
  await m.removeSandboxCgroup(parent, 'sb1');
  await pod.destroy();
  await cgmgr.libctrManager(tree.name, '/', false).destroy();
  t.notOk(fs.existsSync(tree.dir()), 'no directory left');
});
