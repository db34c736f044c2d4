'use strict';
// Real-kernel test support: a uniquely named cgroup subtree of the test's own in every hierarchy it asks for, and
// processes the test starts itself. Everything is removed in teardown, even when the test fails: processes are
// killed by pid, then directories are removed children first. Nothing else on the machine is written to.
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

const ROOT = '/sys/fs/cgroup';

/**
 * Destructive kernel tests (they create cgroups, move processes, write limits, start runtimes or a systemd) run only
 * when asked: CGMGR_TEST_KERNEL=1, which `npm test`, `npm run test:host`, .ci/run and the qemu guest set. Why such a
 * test skips without it, or undefined when it was asked for.
 */
function kernelOptInSkipReason() {
  if (process.env.CGMGR_TEST_KERNEL === '1') return undefined;
  return 'destructive kernel test (creates cgroups, moves processes or starts runtimes): set CGMGR_TEST_KERNEL=1 to run it';
}

/** Why real-kernel tests cannot run here (not asked for, not root, no writable cgroupfs), or undefined when they can. */
function realKernelSkipReason() {
  const optIn = kernelOptInSkipReason();
  if (optIn) return optIn;
  if (process.getuid && process.getuid() !== 0) return 'needs root to create cgroups';
  try {
    fs.accessSync(path.join(ROOT, 'memory'), fs.constants.W_OK);
  } catch {
    if (!fs.existsSync(path.join(ROOT, 'cgroup.controllers'))) return `${ROOT} is not writable`;
  }
  return undefined;
}

/**
 * Why a cgroup v2 test needing the controllers `want` delegated by the root cannot run here (real-kernel tests not
 * possible, not a v2 host, a controller not delegated), or false when it can.
 */
function v2SkipReason(want) {
  const reason = realKernelSkipReason();
  if (reason !== undefined) return reason;
  if (!fs.existsSync(path.join(ROOT, 'cgroup.controllers'))) return 'not a cgroup v2 (unified) host: runs in the qemu guest (npm run test:v2)';
  const delegated = fs.readFileSync(path.join(ROOT, 'cgroup.subtree_control'), 'utf8').trim().split(/\s+/).filter(Boolean);
  const missing = want.filter((c) => !delegated.includes(c));
  return missing.length ? `the root does not delegate ${missing.join(', ')}` : false;
}

/**
 * Whether /sys/fs/cgroup/<h> is a mounted cgroup hierarchy: a directory (not a symlink such as cpu -> cpu,cpuacct)
 * with a `cgroup.procs`. A plain directory someone made on the /sys/fs/cgroup tmpfs is none: a test must never write
 * there.
 */
function isHierarchy(h) {
  const d = path.join(ROOT, h);
  try {
    return fs.lstatSync(d).isDirectory() && fs.statSync(path.join(d, 'cgroup.procs')).isFile();
  } catch {
    return false;
  }
}

/** The v1 hierarchies of this host that are mounted (directory names under /sys/fs/cgroup), plus 'unified'. */
function hierarchyDirs() {
  return fs.readdirSync(ROOT, { withFileTypes: true })
    .filter((e) => e.isDirectory() && isHierarchy(e.name))
    .map((e) => e.name);
}

let counter = 0;

/**
 * Makes `<unique>/...children` in the given hierarchies (directory names under /sys/fs/cgroup) and registers cleanup
 * with tap's teardown. Returns { name, dir(h, rel), mkdir(rel), spawnSleep(), kill(pid), cleanup() }.
 */
function makeSubtree(t, hierarchies) {
  const optIn = kernelOptInSkipReason();
  if (optIn) throw new Error(`makeSubtree: ${optIn} (guard the test with realKernelSkipReason())`);
  for (const h of hierarchies) {
    if (h !== '' && !isHierarchy(h)) throw new Error(`${path.join(ROOT, h)} is no mounted cgroup hierarchy: refusing to write there`);
  }
  const name = `cgmgr-test-${process.pid}-${Date.now().toString(36)}-${counter++}`;
  const made = []; // [hierarchy, relative path] in creation order
  const pids = new Set();
  const dir = (h, rel = '') => path.join(ROOT, h, name, rel);
  const mkdir = (rel = '') => {
    for (const h of hierarchies) {
      const d = dir(h, rel);
      fs.mkdirSync(d);
      made.push([h, rel]);
      if (h === 'cpuset') {
        // A v1 cpuset takes no task until cpus and mems are set: copy them from the parent.
        for (const f of ['cpuset.cpus', 'cpuset.mems']) {
          fs.writeFileSync(path.join(d, f), fs.readFileSync(path.join(path.dirname(d), f), 'utf8').trim() || '0');
        }
      }
    }
  };
  const spawnSleep = (seconds = 600) => {
    const child = spawn('sleep', [String(seconds)], { stdio: 'ignore' });
    pids.add(child.pid);
    return child;
  };
  const kill = async (child) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const done = new Promise((resolve) => child.once('exit', resolve));
    process.kill(child.pid, 'SIGKILL');
    await done;
    pids.delete(child.pid);
  };
  const cleanup = () => {
    for (const p of pids) {
      try { process.kill(p, 'SIGKILL'); } catch { /* already gone */ }
    }
    pids.clear();
    // Children first: deepest paths first, then the top of the subtree.
    const rels = [...new Set(made.map(([, rel]) => rel))].sort((a, b) => b.split('/').length - a.split('/').length || b.length - a.length);
    for (let attempt = 0; attempt < 50; attempt++) {
      let left = 0;
      for (const rel of rels) {
        for (const h of hierarchies) {
          const d = dir(h, rel);
          if (!fs.existsSync(d)) continue;
          try { fs.rmdirSync(d); } catch { left++; }
        }
      }
      if (left === 0) break;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20); // EBUSY while killed tasks exit
    }
  };
  t.teardown(cleanup);
  return { name, dir, mkdir, spawnSleep, kill, cleanup, pids };
}

module.exports = {
  isHierarchy, ROOT, kernelOptInSkipReason, realKernelSkipReason, v2SkipReason, hierarchyDirs, makeSubtree };
