'use strict';
// The end-to-end flow on the real kernel (cgroup v1 here; v2 paths run where the host is v2), in a subtree of
// our own: pod parent, createSandboxCgroup, moveConmonToCgroup of a process we started, container and sandbox stats,
// set + read back from the kernel files, moveProcessToContainerCgroup of a second process, removal with a process
// still inside (refused, then kill and remove), and no directory left in any hierarchy. Teardown removes everything
// even when an assertion fails.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const cgmgr = require('../../dist');
const { realKernelSkipReason } = require('../helpers/cgroups');

const ROOT = '/sys/fs/cgroup';
const skip = realKernelSkipReason();
const isV2 = !skip && fs.existsSync(path.join(ROOT, 'cgroup.controllers'));

// The hierarchies a cgroupfs-driver cgroup is created in: every v1 controller directory (not name=systemd/unified).
function hierarchies() {
  if (isV2) return [''];
  return fs.readdirSync(ROOT, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name !== 'systemd' && e.name !== 'unified' && fs.existsSync(path.join(ROOT, e.name, 'cgroup.procs')))
    .map((e) => e.name);
}

let counter = 0;
function ownTree(t) {
  const name = `cgmgr-test-${process.pid}-${Date.now().toString(36)}-${counter++}`;
  const children = new Set();
  const spawnSleep = () => {
    const c = spawn('sleep', ['600'], { stdio: 'ignore' });
    children.add(c);
    return c;
  };
  const kill = async (c) => {
    if (c.exitCode !== null || c.signalCode !== null) return;
    const done = new Promise((r) => c.once('exit', r));
    process.kill(c.pid, 'SIGKILL');
    await done;
  };
  // Every hierarchy directory of the host (systemd and unified too: nothing may be made there either).
  const leftovers = () => (isV2 ? [''] : fs.readdirSync(ROOT)).map((h) => path.join(ROOT, h, name)).filter((d) => fs.existsSync(d));
  const rmTree = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) rmTree(path.join(d, e.name));
    for (let i = 0; i < 100; i++) {
      try { fs.rmdirSync(d); return; } catch (e) {
        if (e.code === 'ENOENT') return;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      }
    }
  };
  t.teardown(async () => {
    for (const c of children) await kill(c);
    for (const d of leftovers()) rmTree(d);
  });
  return { name, spawnSleep, kill, leftovers };
}

const procCgroups = (pid) => fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n')
  .filter((l) => !l.includes('name=systemd') && !l.startsWith('0::')).sort();
const read = (f) => fs.readFileSync(f, 'utf8').trim();

t.test('cgroupfs end to end on the real kernel', { skip: skip ?? false }, async (t) => {
  const tree = ownTree(t);
  const hs = hierarchies();
  const dirIn = (h, rel) => path.join(ROOT, h, rel);
  const m = cgmgr.setCgroupManager('cgroupfs');
  t.equal(m.context.version, isV2 ? 2 : 1);
  const parent = `/${tree.name}/pod1`;

  // A pod parent with a memory limit, made through a handle (v1: every controller, cpuset copied from the parent).
  const pod = cgmgr.libctrManager('pod1', `/${tree.name}`, false);
  await pod.apply(-1);
  t.ok(await pod.exists());
  for (const h of hs) t.ok(fs.statSync(dirIn(h, parent)).isDirectory(), `pod parent in ${h || 'unified'}`);
  await pod.set({ memory: { limit: 256 * 1024 * 1024 } });
  t.equal(read(path.join(pod.path('memory'), isV2 ? 'memory.max' : 'memory.limit_in_bytes')), String(256 * 1024 * 1024));

  // The parent memory check reads the real file: 256 MiB passes 12 MiB, fails 512 MiB.
  t.same(await m.sandboxCgroupPath(parent, 'sb1', 12 * 1024 * 1024), { cgParent: parent, cgPath: `${parent}/crio-sb1` });
  t.throws(() => m.sandboxCgroupPathSync(parent, 'sb1', 512 * 1024 * 1024),
    { message: `pod set memory limit ${256 * 1024 * 1024} too low; should be at least ${512 * 1024 * 1024} bytes` });

  // createSandboxCgroup: every hierarchy; v1: sched_load_balance 0, cpuset copied from the parent.
  await m.createSandboxCgroup(parent, 'sb1');
  for (const h of hs) t.ok(fs.statSync(dirIn(h, `${parent}/crio-sb1`)).isDirectory(), `sandbox cgroup in ${h || 'unified'}`);
  if (!isV2) {
    t.equal(read(dirIn('cpuset', `${parent}/crio-sb1/cpuset.sched_load_balance`)), '0');
    t.equal(read(dirIn('cpuset', `${parent}/crio-sb1/cpuset.cpus`)), read(dirIn('cpuset', `${parent}/cpuset.cpus`)));
    t.equal(read(dirIn('cpuset', `${parent}/crio-sb1/cpuset.mems`)), read(dirIn('cpuset', `${parent}/cpuset.mems`)));
  }
  t.same(read(dirIn(isV2 ? '' : 'pids', `${parent}/crio-sb1/cgroup.procs`)), '', 'no process attached');

  // moveConmonToCgroup (B-2, B-3): created, CPU limits written, then the pid moved.
  const conmon = tree.spawnSleep();
  const cleanPath = await m.moveConmonToCgroup('c1', parent, 'pod', conmon.pid, { cpu: { shares: 512, quota: 50000, period: 100000 } });
  t.equal(cleanPath, `${parent}/crio-conmon-c1`);
  for (const line of procCgroups(conmon.pid)) t.match(line, /:\/cgmgr-test-[^/]+\/pod1\/crio-conmon-c1$/, `conmon moved: ${line}`);
  if (isV2) {
    t.equal(read(dirIn('', `${cleanPath}/cpu.max`)), '50000 100000');
  } else {
    t.equal(read(dirIn('cpu', `${cleanPath}/cpu.shares`)), '512');
    t.equal(read(dirIn('cpu', `${cleanPath}/cpu.cfs_quota_us`)), '50000');
    t.equal(read(dirIn('cpu', `${cleanPath}/cpu.cfs_period_us`)), '100000');
  }

  // A container cgroup with a process of its own, through the handle.
  const ctrProc = tree.spawnSleep();
  const ctr = m.containerCgroupManager(parent, 'ctr1');
  t.equal(ctr.innerPath, `${parent}/crio-ctr1`);
  t.notOk(await ctr.exists());
  await ctr.apply(ctrProc.pid);
  t.same(await ctr.getPids(), [ctrProc.pid]);
  t.same(ctr.getPidsSync(), [ctrProc.pid]);
  t.equal(await ctr.oomKillCount(), 0);

  // set, read back from the kernel files.
  const cpus = read(dirIn(isV2 ? '' : 'cpuset', `${parent}/${isV2 ? 'cpuset.cpus.effective' : 'cpuset.cpus'}`)).split(/[,-]/)[0];
  await ctr.set({ cpu: { cpus, shares: 256, quota: 20000, period: 50000 }, memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 10 } });
  if (isV2) {
    t.equal(read(dirIn('', `${parent}/crio-ctr1/cpu.max`)), '20000 50000');
    t.equal(read(dirIn('', `${parent}/crio-ctr1/cpu.weight`)), String(cgmgr.sharesToWeight(256)));
    t.equal(read(dirIn('', `${parent}/crio-ctr1/memory.max`)), String(64 * 1024 * 1024));
  } else {
    t.equal(read(dirIn('cpuset', `${parent}/crio-ctr1/cpuset.cpus`)), cpus);
    t.equal(read(dirIn('cpu', `${parent}/crio-ctr1/cpu.shares`)), '256');
    t.equal(read(dirIn('cpu', `${parent}/crio-ctr1/cpu.cfs_quota_us`)), '20000');
    t.equal(read(dirIn('cpu', `${parent}/crio-ctr1/cpu.cfs_period_us`)), '50000');
    t.equal(read(dirIn('memory', `${parent}/crio-ctr1/memory.limit_in_bytes`)), String(64 * 1024 * 1024));
  }
  t.equal(read(dirIn(isV2 ? '' : 'pids', `${parent}/crio-ctr1/pids.max`)), '10');
  ctr.setSync({ pids: { limit: -1 } });
  t.equal(read(dirIn(isV2 ? '' : 'pids', `${parent}/crio-ctr1/pids.max`)), 'max');

  // Stats: the container's own, and (B-1) the pod's from its parent cgroup, hierarchical.
  const cs = await m.containerCgroupStats(parent, 'ctr1');
  t.equal(cs.pid.current, 1);
  t.same(cs.pid.pids, [ctrProc.pid]);
  t.notOk(cs.absent.includes('memory.usage'), 'memory usage read');
  // A live counter: not compared with a second read (it moves on a busy machine). The high-water mark read after
  // the stats call bounds it (v1 max_usage_in_bytes; v2 memory.peak where the kernel has it), and so does the limit.
  t.ok(Number.isSafeInteger(cs.memory.usage) && cs.memory.usage >= 0, 'memory usage is a byte count');
  const peakFile = dirIn(isV2 ? '' : 'memory', `${parent}/crio-ctr1/${isV2 ? 'memory.peak' : 'memory.max_usage_in_bytes'}`);
  if (fs.existsSync(peakFile)) t.ok(cs.memory.usage <= Number(read(peakFile)), 'usage ≤ the high-water mark read after it');
  t.ok(cs.memory.usage <= 64 * 1024 * 1024, 'usage ≤ the 64 MiB limit');
  t.equal(cs.memory.limit, 64 * 1024 * 1024);
  const ss = await m.sandboxCgroupStats(parent, 'sb1');
  t.equal(ss.pid.current, 2, 'B-1: pod stats from the pod parent: conmon + container');
  t.equal(m.sandboxCgroupStatsSync(parent, 'sb1').pid.current, 2);
  t.equal(m.containerCgroupStatsSync(parent, 'ctr1').pid.current, 1);

  // moveProcessToContainerCgroup: a second process joins every cgroup of the container's process.
  const second = tree.spawnSleep();
  await cgmgr.moveProcessToContainerCgroup(ctrProc.pid, second.pid);
  t.same(procCgroups(second.pid), procCgroups(ctrProc.pid));
  t.same((await ctr.getPids()).sort(), [ctrProc.pid, second.pid].sort());
  t.equal((await m.containerCgroupStats(parent, 'ctr1')).pid.current, 2);

  // Removal with processes inside is refused (EBUSY after the back-off), and nothing is half-removed.
  await t.rejects(ctr.destroy(), isV2 ? { code: 'EBUSY' } : { message: /^Failed to remove paths: map\[/ });
  t.ok(await ctr.exists(), 'still there');
  await tree.kill(ctrProc);
  await tree.kill(second);
  await ctr.destroy();
  t.notOk(await ctr.exists());
  await tree.kill(conmon);
  cgmgr.libctrManager('crio-conmon-c1', parent, false).destroySync();
  await m.removeSandboxCgroup(parent, 'sb1');
  m.removeSandboxCgroupSync(parent, 'sb1'); // already gone: success
  for (const h of hs) t.notOk(fs.existsSync(dirIn(h, `${parent}/crio-sb1`)), `sandbox removed from ${h || 'unified'}`);
  await cgmgr.libctrManager(tree.name, '/', false).destroy();
  t.same(tree.leftovers(), [], 'no directory left in any hierarchy');
});

t.test('removeSandboxCgroup takes child cgroups first (real kernel)', { skip: skip ?? false }, async (t) => {
  const tree = ownTree(t);
  const m = cgmgr.setCgroupManager('cgroupfs');
  const parent = `/${tree.name}`;
  m.createSandboxCgroupSync(parent, 'sb');
  cgmgr.libctrManager('child', `${parent}/crio-sb`, false).applySync(-1);
  cgmgr.libctrManager('grandchild', `${parent}/crio-sb/child`, false).applySync(-1);
  t.ok(fs.existsSync(path.join(ROOT, isV2 ? '' : 'memory', parent, 'crio-sb/child/grandchild')));
  await m.removeSandboxCgroup(parent, 'sb');
  for (const h of hierarchies()) t.notOk(fs.existsSync(path.join(ROOT, h, parent, 'crio-sb')), `gone from ${h || 'unified'}`);

  // The synchronous twins with a process: applySync, getPidsSync, destroySync refused while it runs, then removed.
  const p = tree.spawnSleep();
  const cg = cgmgr.libctrManager('sync', parent, false);
  cg.applySync(p.pid);
  t.same(cg.getPidsSync(), [p.pid]);
  t.equal(cg.statsSync({ controllers: ['pids'] }).pid.current, 1);
  t.throws(() => cg.destroySync(), isV2 ? { code: 'EBUSY' } : { message: /^Failed to remove paths: map\[/ });
  t.ok(cg.existsSync());
  await tree.kill(p);
  cg.destroySync();
  t.notOk(cg.existsSync());
  cgmgr.libctrManager(tree.name, '/', false).destroySync();
  t.same(tree.leftovers(), []);
});

t.test('the engine\'s write side on cgroupfs: errors as the kernel gives them, nothing created but cgroups', { skip: skip ?? false }, async (t) => {
  const tree = ownTree(t);
  const m = cgmgr.setCgroupManager('cgroupfs');
  const engine = m.context.engine;
  const h = isV2 ? engine.layout.hierarchies.find((x) => x.path === ROOT) : engine.hierarchyFor('pids');
  const where = path.join(h.path, tree.name);
  // <tree>/a made by a handle (v2: the controllers enabled in the ancestors' subtree_control), <tree>/b directly.
  cgmgr.libctrManager('a', `/${tree.name}`, false).applySync(-1);
  t.equal(await engine.mkdir(h, tree.name), false, 'already there');
  t.equal(engine.mkdirSync(h, `${tree.name}/b`), true);
  t.same(engine.childrenSync(h, tree.name).sort(), ['a', 'b']);
  t.same(await engine.children(h, `${tree.name}/a`), []);
  t.equal(await engine.rmdir(h, `${tree.name}/b`), true);
  // A control file that does not exist is ENOENT on cgroupfs (never created, unlike on a plain directory).
  t.throws(() => engine.writeTextSync(h, `${tree.name}/a`, 'cgmgr.nosuch', '1'), { code: 'ENOENT', syscall: 'openat', path: `${where}/a/cgmgr.nosuch` });
  t.notOk(fs.existsSync(`${where}/a/cgmgr.nosuch`));
  // The kernel's refusal of a value is the write's errno, with the file's path.
  t.throws(() => engine.writeTextSync(h, `${tree.name}/a`, 'pids.max', 'bogus'), { code: 'EINVAL', syscall: 'write', path: `${where}/a/pids.max` });
  await engine.writeText(h, `${tree.name}/a`, 'pids.max', '7');
  t.equal(engine.readTextSync(h, `${tree.name}/a`, 'pids.max'), '7\n');
  t.equal(await engine.readText(h, `${tree.name}/a`, 'pids.max'), '7\n');
  // rmdir of a cgroup with a child is EBUSY on cgroupfs (not ENOTEMPTY); the child first, then it.
  t.throws(() => engine.rmdirSync(h, tree.name), { code: 'EBUSY', syscall: 'unlinkat' });
  t.equal(await engine.rmdir(h, `${tree.name}/a`), true);
  t.equal(engine.rmdirSync(h, tree.name), true);
  t.equal(engine.rmdirSync(h, tree.name), false, 'gone');
  t.throws(() => engine.rmdirSync(h, ''), { code: 'ERR_CGROUP_ROOT_REFUSED' });
  cgmgr.libctrManager(tree.name, '/', false).destroySync(); // the other hierarchies (v1)
  t.same(tree.leftovers(), []);
});
