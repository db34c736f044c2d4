'use strict';
// SystemdManager on a real cgroup v2 host: systemd 252 as PID 1 on a pure unified hierarchy, the system bus (the
// qemu guest booted with `run.sh --systemd`, see test/vm/README.md; run-v2-suite.sh sends systemd*.test.js files
// there). No sandbox and no pid mapping: the manager talks to the real PID 1 over the default system bus, with plain
// pids. What it shows (issue 7): moveConmonToCgroup into a pod slice with CPU resources, what systemd writes into
// cpu.max / cpu.weight / cpuset.cpus of the scope, memory.max and pids.max of a pod slice started the way kubelet
// starts one (a transient slice with MemoryMax/TasksMax), and containerCgroupStats / sandboxCgroupStats on a
// crio-<id>.scope and the pod slice systemd made, against the kernel's files; the sandbox memory check (spec §5.3)
// and the dropped-infra cgroup inside a real pod slice. Skipped on a v1 / hybrid host and
// wherever PID 1 is not systemd. Every unit is uniquely named and stopped at the end (and in teardown on failure);
// every process is one of the test's own, killed by pid.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const cgmgr = require('../../dist');
const sd = require('../../dist/systemd');
const { kernelOptInSkipReason } = require('../helpers/cgroups');

const ROOT = '/sys/fs/cgroup';
const SYSTEM_BUS = '/run/dbus/system_bus_socket';
const PYTHON = '/usr/bin/python3';
const MiB = 1024 * 1024;
const JOB_MS = 120000; // generous: JS and systemd run ~19x slower under emulation

const read = (f) => fs.readFileSync(f, 'utf8').trim();
function skipReason() {
  const optIn = kernelOptInSkipReason();
  if (optIn) return optIn;
  if (process.getuid && process.getuid() !== 0) return 'needs root (systemd units, cgroup files)';
  if (!fs.existsSync(path.join(ROOT, 'cgroup.controllers'))) return 'not a cgroup v2 (unified) host: runs in the systemd qemu guest (npm run test:v2)';
  let comm = '';
  try { comm = read('/proc/1/comm'); } catch { /* no /proc/1 */ }
  if (comm !== 'systemd') return `PID 1 is ${JSON.stringify(comm)}, not systemd: runs in the guest booted with run.sh --systemd (npm run test:v2)`;
  if (!fs.existsSync(SYSTEM_BUS)) return `no system bus at ${SYSTEM_BUS}`;
  return false;
}
const skip = skipReason();
const opts = { skip, timeout: 400000 };

// Names no one else uses: a pod slice under kubepods.slice, container ids. No "-" in the pod part (a "-" in a slice
// name is a level of the hierarchy).
const U = `cgmgr${process.pid}x${Date.now().toString(36)}`;
const POD = `kubepods-pod${U}.slice`;
const POD_DIR = path.join(ROOT, 'kubepods.slice', POD);
const CONMON1 = `${U}-c1`;
const CTR = `${U}-ctr`;
const SB = `${U}-sb`;

/** systemd's CPUShares → CPUWeight on the unified hierarchy (cgroup_cpu_shares_to_weight): shares·100/1024, 1..10000. */
const systemdWeight = (shares) => Math.min(10000, Math.max(1, Math.floor((shares * 100) / 1024)));
/** B-4 as the manager sends it and systemd applies it: quota·10⁶/period rounded up to 10 ms, back to a quota per period. */
const systemdQuota = (quota, period) => (Math.ceil((quota * 1e6) / period / 10000) * 10000 * period) / 1e6;

// The manager under test, built the default way: the system bus, connected on first use (never on a skipped host).
const m = skip ? undefined : cgmgr.newSystemdManager();
const bus = m?.bus;
const units = []; // every unit this file starts, stopped in reverse order at the end
const children = new Set();
let kubepodsExisted = true;

const spawnTracked = (cmd, args, stdio = 'ignore') => {
  const c = spawn(cmd, args, { stdio });
  children.add(c);
  c.exited = new Promise((r) => c.once('exit', r));
  return c;
};
const kill = async (c) => {
  if (c.exitCode === null && c.signalCode === null) {
    try { process.kill(c.pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  await c.exited;
};
async function waitJob(job, what) {
  const r = await sd.jobTrackerFor(bus).wait(job, JOB_MS, () => new Error(`${what}: job ${job} timed out`));
  return r.result;
}
async function startTransient(unit, properties) {
  sd.jobTrackerFor(bus); // before the call: the JobRemoved may come before the reply
  const [job] = await sd.callManager(bus, 'StartTransientUnit', 'ssa(sv)a(sa(sv))', [unit, 'replace', properties, []]);
  units.push(unit);
  return waitJob(job, `start ${unit}`);
}
async function stopUnit(unit) {
  sd.jobTrackerFor(bus);
  let job;
  try {
    [job] = await sd.callManager(bus, 'StopUnit', 'ss', [unit, 'replace']);
  } catch (e) {
    if (e.dbusName === 'org.freedesktop.systemd1.NoSuchUnit') return 'gone';
    throw e;
  }
  return waitJob(job, `stop ${unit}`);
}
/** Resolves true once systemd has unloaded the unit (a stopped unit is garbage-collected a moment later). */
async function gone(unit, ms = 10000) {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    if (await sd.unitActiveState(bus, unit) === undefined) return true;
  }
  return false;
}
async function prop(unit, iface, name) {
  const [p] = await sd.callManager(bus, 'GetUnit', 's', [unit]);
  const [v] = await bus.call({ destination: 'org.freedesktop.systemd1', path: p, interface: 'org.freedesktop.DBus.Properties', member: 'Get', signature: 'ss', body: [`org.freedesktop.systemd1.${iface}`, name] });
  return v[1][0];
}
const procs = (dir) => read(path.join(dir, 'cgroup.procs')).split('\n').filter(Boolean).map(Number).sort((a, b) => a - b);
const usageNano = (dir) => BigInt(/^usage_usec (\d+)$/m.exec(read(path.join(dir, 'cpu.stat')))[1]) * 1000n;

// Teardown, also when an assertion failed: our processes by pid, then our units (scopes before their slice), then
// kubepods.slice when this file made it. The last subtest does the same and checks that it all went away.
async function cleanup() {
  for (const c of children) await kill(c);
  try { fs.rmdirSync(path.join(POD_DIR, `crio-${SB}`)); } catch { /* not made, or removed by the test */ }
  for (const u of [...units].reverse()) await stopUnit(u).catch(() => {});
  units.length = 0;
  if (!kubepodsExisted) await stopUnit('kubepods.slice').catch(() => {});
}
if (!skip) {
  t.teardown(async () => {
    await cleanup();
    bus.close();
  });
}

t.test('moveConmonToCgroup into a pod slice: the scope on disk, the pid, cpu.max, cpu.weight, cpuset.cpus; memory.max of the slice', opts, async (t) => {
  kubepodsExisted = (await sd.unitActiveState(bus, 'kubepods.slice')) !== undefined;
  t.comment(`root subtree_control before: ${read(path.join(ROOT, 'cgroup.subtree_control'))}`);
  // The pod slice as kubelet's systemd driver makes it: a transient slice with the pod's limits.
  t.equal(await startTransient(POD, [['Description', ['s', `cgmgr test pod ${U}`]], ['MemoryMax', ['t', 256n * BigInt(MiB)]], ['TasksMax', ['t', 64n]]]), 'done', 'pod slice started');
  t.equal(read(path.join(POD_DIR, 'memory.max')), String(256 * MiB), 'MemoryMax → memory.max of the pod slice');
  t.equal(read(path.join(POD_DIR, 'pids.max')), '64', 'TasksMax → pids.max of the pod slice');

  const conmon = spawnTracked('sleep', ['600']);
  units.push(`crio-conmon-${CONMON1}.scope`);
  const t0 = process.hrtime.bigint();
  t.equal(await m.moveConmonToCgroup(CONMON1, POD, 'pod', conmon.pid, { cpu: { cpus: '0', shares: 512, quota: 25000, period: 50000 } }), '', 'resolves to "" (systemd removes the scope itself)');
  t.comment(`moveConmonToCgroup (StartTransientUnit + job) in the guest: ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0)} ms`);
  const rel = `/kubepods.slice/${POD}/crio-conmon-${CONMON1}.scope`;
  const scope = path.join(ROOT, rel);
  t.equal(await prop(`crio-conmon-${CONMON1}.scope`, 'Scope', 'ControlGroup'), rel, 'systemd put it under the expanded pod slice');
  t.ok(fs.statSync(scope).isDirectory(), `${rel} exists`);
  t.same(procs(scope), [conmon.pid], 'conmon is the only process of its scope');
  t.equal(read(`/proc/${conmon.pid}/cgroup`), `0::${rel}`, '/proc/<pid>/cgroup names the scope');
  t.comment(`root subtree_control after: ${read(path.join(ROOT, 'cgroup.subtree_control'))}`);
  // Booted with only memory hugetlb pids rdma misc in the root; the scope's Delegate=yes asks for every controller
  // (systemd's default delegation mask) and its CPU properties for cpu/cpuset, so systemd enables them on the way down.
  for (const d of [ROOT, path.join(ROOT, 'kubepods.slice'), POD_DIR]) {
    const sc = read(path.join(d, 'cgroup.subtree_control')).split(/\s+/);
    for (const c of ['cpu', 'cpuset', 'io', 'memory', 'pids']) t.ok(sc.includes(c), `systemd enabled ${c} in ${path.relative(ROOT, d) || '/'}/cgroup.subtree_control`);
  }
  t.equal(read(path.join(scope, 'cpu.max')), '25000 50000', 'CPUQuotaPerSecUSec=500ms + CPUQuotaPeriodUSec=50ms → cpu.max "25000 50000"');
  const weight = Number(read(path.join(scope, 'cpu.weight')));
  t.equal(weight, systemdWeight(512), 'CPUShares=512 → cpu.weight 50: systemd converts shares·100/1024 itself');
  t.not(weight, cgmgr.sharesToWeight(512), `not runc's sharesToWeight(512) = ${cgmgr.sharesToWeight(512)} (cgroupfs writes that)`);
  t.equal(read(path.join(scope, 'cpuset.cpus')), '0', 'AllowedCPUs → cpuset.cpus');
  t.equal(read(path.join(scope, 'memory.max')), 'max', 'the manager sets no memory limit on conmon');
  t.equal(await prop(`crio-conmon-${CONMON1}.scope`, 'Scope', 'KillSignal'), 13, 'KillSignal=SIGPIPE read back');
});

t.test('pod-slice stats: containerCgroupStats on crio-<id>.scope, sandboxCgroupStats on the pod slice, against the kernel', {
  ...opts, skip: opts.skip || (!fs.existsSync(PYTHON) && `${PYTHON} missing (the memory user)`),
}, async (t) => {
  // The container: waits for a line, then fills 16 MiB (charged to the cgroup it is in by then) and sleeps.
  const ctr = spawnTracked(PYTHON, ['-c', "import sys,time\nsys.stdin.readline()\nb=bytearray(b'x')*(16<<20)\nprint('ready',flush=True)\ntime.sleep(600)"], ['pipe', 'pipe', 'inherit']);
  // Its scope as the OCI runtime's systemd driver asks for one: crio-<id>.scope in the pod slice, with its limits.
  const unit = `crio-${CTR}.scope`;
  units.push(unit);
  await sd.runUnderSystemdScope(bus, {
    unit, pid: ctr.pid, jobTimeoutMs: JOB_MS,
    properties: [['PIDs', ['au', [ctr.pid]]], ['Delegate', ['b', true]], ['Slice', ['s', POD]], ['MemoryMax', ['t', 64n * BigInt(MiB)]], ['TasksMax', ['t', 16n]]],
  });
  const scope = path.join(ROOT, 'kubepods.slice', POD, unit);
  t.same(procs(scope), [ctr.pid], 'the container process is in crio-<id>.scope');
  const ready = new Promise((resolve, reject) => {
    let out = '';
    ctr.stdout.on('data', (d) => { out += d; if (out.includes('ready\n')) resolve(); });
    ctr.exited.then((code) => reject(new Error(`the container process exited (${code})`)));
  });
  ctr.stdin.write('go\n');
  await ready;
  // Its conmon, with a quota that systemd's 10 ms granularity rounds (B-4): 12345/50000 → 250 ms/s → "12500 50000".
  const conmon = spawnTracked('sleep', ['600']);
  units.push(`crio-conmon-${CTR}.scope`);
  await m.moveConmonToCgroup(CTR, POD, 'pod', conmon.pid, { cpu: { shares: 2048, quota: 12345, period: 50000 } });
  const cscope = path.join(ROOT, 'kubepods.slice', POD, `crio-conmon-${CTR}.scope`);
  t.equal(read(path.join(cscope, 'cpu.max')), `${systemdQuota(12345, 50000)} 50000`, 'quota rounded up to 10 ms per second: "12500 50000"');
  t.equal(read(path.join(cscope, 'cpu.weight')), String(systemdWeight(2048)), 'CPUShares=2048 → cpu.weight 200');

  // Every process sleeps now: the kernel's counters stand still, so the comparisons are exact (memory within noise).
  const st = { bigint: true };
  const c = await m.containerCgroupStats(POD, CTR, st);
  t.same(c.absent.filter((f) => /^(memory\.(usage|limit)|pid\.(current|limit)|cpu\.totalUsageNano)$/.test(f)), [], 'nothing asked for is absent');
  t.equal(c.memory.limit, 64n * BigInt(MiB), 'MemoryMax of the scope → memory.limit');
  t.equal(read(path.join(scope, 'memory.max')), String(64 * MiB), 'memory.max of the scope');
  const cur = BigInt(read(path.join(scope, 'memory.current')));
  t.ok(c.memory.usage >= 16n * BigInt(MiB), `usage ${c.memory.usage} >= the 16 MiB the container filled`);
  t.ok(c.memory.usage - cur < BigInt(MiB) && cur - c.memory.usage < BigInt(MiB), `usage ${c.memory.usage} = memory.current ${cur} (within 1 MiB)`);
  t.equal(c.pid.current, BigInt(read(path.join(scope, 'pids.current'))), 'pid.current = pids.current');
  t.equal(c.pid.current, 1n, 'one process in the container');
  t.equal(c.pid.limit, 16n, 'TasksMax → pids.max → pid.limit');
  t.equal(c.cpu.totalUsageNano, usageNano(scope), 'cpu.totalUsageNano = usage_usec × 1000');
  t.ok(c.cpu.totalUsageNano > 0n, 'the container used CPU');
  t.equal(m.containerCgroupStatsSync(POD, CTR, st).pid.current, 1n, 'the sync read agrees');

  const s = await m.sandboxCgroupStats(POD, SB, st);
  t.equal(s.memory.limit, 256n * BigInt(MiB), 'the pod slice\'s MemoryMax → memory.limit');
  const podCur = BigInt(read(path.join(POD_DIR, 'memory.current')));
  t.ok(s.memory.usage >= c.memory.usage, 'the slice\'s usage includes the container\'s');
  t.ok(s.memory.usage - podCur < BigInt(MiB) && podCur - s.memory.usage < BigInt(MiB), `usage ${s.memory.usage} = the slice's memory.current ${podCur} (within 1 MiB)`);
  t.equal(s.pid.current, BigInt(read(path.join(POD_DIR, 'pids.current'))), 'pid.current = the slice\'s pids.current');
  t.equal(s.pid.current, 3n, 'two conmons and the container');
  t.equal(s.pid.limit, 64n, 'the pod slice\'s TasksMax → pid.limit');
  t.equal(s.cpu.totalUsageNano, usageNano(POD_DIR), 'cpu.totalUsageNano = the slice\'s usage_usec × 1000');
  const sn = m.sandboxCgroupStatsSync(POD, SB);
  t.equal(sn.memory.limit, 256 * MiB, 'as numbers too');
  t.equal(sn.pid.current, 3, 'pid.current as a number');

  // spec §5.3 as in CRI-O: the memory check joins the slice NAME (not its expanded path) under the cgroup root, finds
  // no file there and passes, so a 512 MiB minimum passes a 256 MiB pod slice on a real systemd host.
  t.same(await m.sandboxCgroupPath(POD, SB, 512 * MiB), { cgParent: POD, cgPath: `${POD}:crio:${SB}` }, 'the memory check reads <root>/<slice name>: no such file, passes (as CRI-O)');
  // Given the expanded form, the file exists and the pod slice's real memory.max is checked.
  t.throws(() => m.sandboxCgroupPathSync(`kubepods.slice/${POD}`, SB, 512 * MiB), { message: `pod set memory limit ${256 * MiB} too low; should be at least ${512 * MiB} bytes` },
    'the expanded form reads the slice\'s memory.max: 256 MiB < 512 MiB');
  t.same(m.sandboxCgroupPathSync(`kubepods.slice/${POD}`, SB, 128 * MiB), { cgParent: POD, cgPath: `${POD}:crio:${SB}` }, '128 MiB fits');
  // The dropped-infra cgroup: a plain directory inside the expanded pod slice, next to systemd's scopes.
  await m.createSandboxCgroup(POD, SB);
  t.ok(fs.statSync(path.join(POD_DIR, `crio-${SB}`)).isDirectory(), 'createSandboxCgroup: crio-<id> inside the pod slice');
  await m.removeSandboxCgroup(POD, SB);
  t.notOk(fs.existsSync(path.join(POD_DIR, `crio-${SB}`)), 'removeSandboxCgroup: gone');
});

t.test('cleanup: processes killed, scopes and the pod slice stopped, their cgroups gone', opts, async (t) => {
  const made = [...units];
  t.ok(made.includes(POD), `units made: ${made.join(' ')}`);
  await cleanup();
  for (const u of made) t.ok(await gone(u), `${u} stopped and unloaded`);
  t.notOk(fs.existsSync(POD_DIR), 'the pod slice\'s cgroup is gone');
  if (!kubepodsExisted) t.notOk(fs.existsSync(path.join(ROOT, 'kubepods.slice')), 'kubepods.slice (made for this test) is gone');
});
