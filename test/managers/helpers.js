'use strict';
// Scratch trees for the manager tests: a temporary directory standing in for /sys/fs/cgroup (v1 controller
// directories or a v2 root), paths of the spec ("/sys/fs/cgroup/...") mapped into it, and a snapshot of every file
// and directory (with contents) to assert that a rejected call changed nothing.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const SYS = '/sys/fs/cgroup';
const V1_DIRS = ['blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids'];

function scratch(t, version = 2, controllers = 'cpuset cpu io memory pids') {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'cgmgr-mgr-'));
  t.teardown(() => fs.rmSync(base, { recursive: true, force: true }));
  const root = path.join(base, 'cgroup');
  const procRoot = path.join(base, 'proc');
  fs.mkdirSync(root);
  fs.mkdirSync(procRoot);
  if (version === 2) fs.writeFileSync(path.join(root, 'cgroup.controllers'), controllers + '\n');
  else for (const d of V1_DIRS) fs.mkdirSync(path.join(root, d));
  const map = (p) => (p === SYS ? root : p.startsWith(SYS + '/') ? root + p.slice(SYS.length) : p);
  const unmap = (p) => (p === root ? SYS : p.startsWith(root + '/') ? SYS + p.slice(root.length) : p);
  return { base, root, procRoot, map, unmap, options: { root, procRoot, version, systemdRunning: true } };
}

function snapshot(dir) {
  const out = {};
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        out[p] = 'dir';
        walk(p);
      } else {
        out[p] = fs.readFileSync(p, 'utf8');
      }
    }
  };
  walk(dir);
  return out;
}

function mkdirp(p) {
  fs.mkdirSync(p, { recursive: true });
}

module.exports = { SYS, V1_DIRS, scratch, snapshot, mkdirp };
