'use strict';
// Issue 15 item 3: terminating a worker thread that uses the engine or a collector aborted the whole process
// (SIGABRT, "Error::ThrowAsJavaScriptException napi_throw" during environment teardown, 3 of 3). Now: 100 cycles of
// create, sweep, terminate mid-sweep (sync loops, async sweeps in flight, collectors closing, v1 OOM watch threads),
// in a child process so that an abort is caught; the child must exit 0.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { realKernelSkipReason, makeSubtree, ROOT, isHierarchy } = require('../helpers/cgroups');

const CHILD = path.join(__dirname, 'children', 'worker-cycles.js');
const SEED = Number(process.env.CGMGR_SEED) || 0x5eed;

function run(t, paths, cycles) {
  const r = spawnSync(process.execPath, [CHILD], {
    input: JSON.stringify({ cycles, paths, seed: SEED }), encoding: 'utf8', timeout: 300_000,
  });
  t.equal(r.signal, null, `no signal (seed ${SEED})${r.signal ? `: ${r.stderr.slice(-2000)}` : ''}`);
  t.equal(r.status, 0, `exit code 0 (seed ${SEED})${r.status ? `: ${r.stderr.slice(-2000)}` : ''}`);
  t.equal(r.stdout.trim(), `cycles ${cycles}`, 'every cycle ran');
}

t.test('100 worker create/sweep/terminate cycles over a recorded tree', async (t) => {
  run(t, [], 100);
});

const skip = realKernelSkipReason();
t.test('40 worker create/sweep/terminate cycles over real cgroups (v1 OOM watch threads too)', skip ? { skip } : {}, async (t) => {
  const hier = fs.existsSync(path.join(ROOT, 'cgroup.controllers')) ? [''] : ['memory', 'cpu,cpuacct', 'cpu', 'cpuacct', 'pids', 'blkio'].filter(isHierarchy);
  const sub = makeSubtree(t, hier);
  sub.mkdir();
  const paths = [];
  for (let i = 0; i < 40; i++) {
    sub.mkdir(`w${i}`);
    paths.push(`/${sub.name}/w${i}`);
  }
  run(t, paths, 40); // fewer: each cycle opens 40 cgroups in 4 hierarchies and v1 OOM watches
});
