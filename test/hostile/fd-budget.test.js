'use strict';
// Issue 15 item 2: one descriptor budget per process. Before: two default collectors over the same 1000 cgroups
// failed 929 rows of the second with EMFILE and Node's own fs.readFileSync/execFileSync failed too; under
// RLIMIT_NOFILE=1024 one default collector failed every row forever (the v1 OOM watcher took the descriptors) with no
// 'error' event. Each case runs in a child process started with prlimit.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const { realKernelSkipReason, makeSubtree, ROOT, isHierarchy } = require('../helpers/cgroups');

const skip = realKernelSkipReason() ?? (spawnSync('prlimit', ['--version']).status === 0 ? undefined : 'prlimit is not installed');
const opts = skip ? { skip } : {};
const COUNT = 1000;
const CHILD = path.join(__dirname, 'children', 'fd-collectors.js');

/** The v1 hierarchies a default collector reads, as directories of this host (unified alone on a v2 host). */
function hierarchies() {
  if (fs.existsSync(path.join(ROOT, 'cgroup.controllers'))) return [''];
  return ['memory', 'cpu,cpuacct', 'cpu', 'cpuacct', 'pids', 'blkio'].filter(isHierarchy);
}

function runChild(t, nofile, paths, collectors) {
  // The cgroup list goes through stdin: a failure message then shows a short command line.
  const stdout = execFileSync('prlimit', [`--nofile=${nofile}:${nofile}`, process.execPath, CHILD],
    { input: JSON.stringify({ paths, collectors }), encoding: 'utf8', timeout: 240_000, maxBuffer: 64 << 20 });
  const line = stdout.trim().split('\n').pop();
  const out = JSON.parse(line);
  t.notOk(out.fatal, 'the child ran to the end');
  t.match(out.nofile, new RegExp(`\\s${nofile}\\s+${nofile}\\s`), `the child ran under RLIMIT_NOFILE=${nofile}`);
  return out;
}

t.test('fd budget under a lowered RLIMIT_NOFILE', opts, async (t) => {
  const sub = makeSubtree(t, hierarchies());
  sub.mkdir();
  const paths = [];
  for (let i = 0; i < COUNT; i++) {
    sub.mkdir(`c${i}`);
    paths.push(`/${sub.name}/c${i}`);
  }

  t.test('two default collectors over the same 1000 real cgroups both read every row; Node keeps descriptors', async (t) => {
    const out = runChild(t, 1024, paths, 2);
    t.equal(out.sweeps.length, 8);
    for (const s of out.sweeps) {
      t.equal(s.ok, COUNT, `collector ${s.collector} ${s.mode} sweep ${s.round}: every row read${s.firstBad ? ` (first bad: ${s.firstBad})` : ''}`);
    }
    t.same(out.errors, [], 'no read error was reported');
    t.equal(out.readFile, true, 'fs.readFileSync still works');
    t.equal(out.exec, true, 'execFileSync still works');
    const u = out.usage[0];
    t.ok(u.processHeldFds <= u.processFdBudget, `held ${u.processHeldFds} within the process budget ${u.processFdBudget}`);
    t.ok(u.processFdBudget < 1024, 'the process budget is below the limit');
    t.equal(out.usage[0].failedRows, 0);
    t.equal(out.usage[1].failedRows, 0);
  });

  t.test('one default collector under RLIMIT_NOFILE=1024 reads every row', async (t) => {
    const out = runChild(t, 1024, paths, 1);
    for (const s of out.sweeps) t.equal(s.ok, COUNT, `${s.mode} sweep ${s.round}: every row read${s.firstBad ? ` (first bad: ${s.firstBad})` : ''}`);
    t.equal(out.readFile, true);
    t.equal(out.exec, true);
  });

  t.test('out of descriptors (EMFILE): the engine stops holding and reads transiently instead of failing rows', async (t) => {
    const input = JSON.stringify({ first: paths.slice(0, 50), later: paths.slice(50, 80) });
    const stdout = execFileSync('prlimit', ['--nofile=512:512', process.execPath, path.join(__dirname, 'children', 'emfile.js')],
      { input, encoding: 'utf8', timeout: 120_000 });
    const out = JSON.parse(stdout.trim().split('\n').pop());
    t.ok(out.hogged > 20, `${out.hogged} descriptors taken by the application`);
    t.equal(out.ok, 80, `every row read${out.firstBad ? ` (first bad: ${out.firstBad})` : ''}`);
    t.equal(out.fdPressure, true, 'usage() says the budget was cut');
  });

  t.test('three collectors under RLIMIT_NOFILE=20000 read every row', async (t) => {
    const out = runChild(t, 20000, paths, 3);
    for (const s of out.sweeps) t.equal(s.ok, COUNT, `collector ${s.collector} ${s.mode} sweep ${s.round}`);
    t.equal(out.exec, true);
  });
});
