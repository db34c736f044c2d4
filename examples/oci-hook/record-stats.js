#!/usr/bin/env node
'use strict';
// An OCI runtime hook that records a container's cgroup stats when it starts (the `poststart` stage): the runtime
// writes the container's state JSON ({ ociVersion, id, status, pid, bundle, annotations }) on stdin; the hook finds the
// container's cgroup from /proc/<pid>/cgroup, reads its stats with cgmgr (the `cgmgr/stats` subpath: only the stats
// path is loaded, a few milliseconds), and appends one JSON line to the file given by --out:
//   { id, pid, cgroup, memoryUsage, memoryLimit, cpuUsageNano, pids, hookMs }
// hookMs is the time from this process's start to the record (node's own startup included).
//
// docs/hooks.md has the hook configuration (hooks.d/*.json) and how to run it under podman.
//
//   record-stats.js --out FILE < state.json
const { performance } = require('node:perf_hooks');
const fs = require('node:fs');

function fail(message) {
  process.stderr.write(`record-stats: ${message}\n`);
  process.exit(1);
}

const args = process.argv.slice(2);
const at = args.indexOf('--out');
const out = at >= 0 ? args[at + 1] : undefined;
if (out === undefined || out === '') fail('usage: record-stats.js --out FILE < state.json');

let state;
try {
  state = JSON.parse(fs.readFileSync(0, 'utf8'));
} catch (e) {
  fail(`the container state on stdin is not JSON: ${e.message}`);
}
if (typeof state !== 'object' || state === null || typeof state.id !== 'string' || !Number.isInteger(state.pid) || state.pid <= 0) {
  fail('the container state has no id or pid');
}

/**
 * The container's cgroup, relative to the cgroup root: the line of the memory hierarchy (cgroup v1) or the unified one
 * (`0::`, cgroup v2), from /proc/<pid>/cgroup.
 */
function cgroupOf(pid) {
  const lines = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  const field = (l) => l.split(':');
  const memory = lines.map(field).find((f) => f.length >= 3 && f[1].split(',').includes('memory'));
  if (memory) return memory.slice(2).join(':');
  const unified = lines.map(field).find((f) => f.length >= 3 && f[0] === '0' && f[1] === '');
  if (unified) return unified.slice(2).join(':');
  throw new Error(`no memory or unified cgroup in /proc/${pid}/cgroup`);
}

let cgroup;
try {
  cgroup = cgroupOf(state.pid);
} catch (e) {
  fail(`container ${state.id}: ${e.message}`);
}

const { statsSync } = require('cgmgr/stats');
let s;
try {
  s = statsSync(cgroup, { controllers: ['memory', 'cpu', 'pids'] });
} catch (e) {
  fail(`container ${state.id}: stats of ${cgroup}: ${e.message}`);
}
const record = {
  id: state.id,
  pid: state.pid,
  cgroup,
  memoryUsage: s.memory.usage,
  memoryLimit: s.memory.limit,
  cpuUsageNano: s.cpu.totalUsageNano,
  pids: s.pid.current,
  hookMs: Math.round(performance.now() * 100) / 100,
};
fs.appendFileSync(out, JSON.stringify(record) + '\n');
