#!/usr/bin/env node
'use strict';
// Soak benchmark (not a test): one collector sweeps 2000 real cgroups (v1: memory, cpu,cpuacct, pids, blkio) with
// churn (containers removed and re-created, dropped and re-added), while other collectors are made, swept and closed,
// and worker threads sweeping with their own collectors are started and terminated mid-sweep. Prints descriptors,
// RSS, heap and the process descriptor budget at the start (after a warm-up) and at the end, and the sweeps done.
//
//   node bench/soak.js [--quick] [--seconds N] [--containers N] [--no-churn] [--no-cycles] [--no-workers]
//
// --quick: 400 containers for 10 s. Needs root on a cgroup v1 host; the tree is <prefix>-<pid>-<hex>, removed at exit.
const fs = require('node:fs');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const { eachArg } = require('./lib/args');
const { CGROOT, BenchTree, preflight, installCleanupHandlers } = require('./lib/cgroup-tree');

const dist = path.join(__dirname, '..', 'dist');
// The v1 hierarchies a default collector reads, as directories of this host (cpu and cpuacct may be co-mounted).
const HIERARCHIES = ['memory', 'cpu,cpuacct', 'cpu', 'cpuacct', 'pids', 'blkio']
  .filter((h) => !fs.lstatSync(`/sys/fs/cgroup/${h}`, { throwIfNoEntry: false })?.isSymbolicLink() && fs.existsSync(`/sys/fs/cgroup/${h}/cgroup.procs`)); // mounted hierarchies only

let seconds = 120;
let containers = 2000;
const parts = { churn: true, cycles: true, workers: true };
eachArg(process.argv.slice(2), (a, next) => {
  if (a === '--quick') { seconds = 10; containers = 400; return true; }
  if (a === '--seconds') { seconds = Number(next()); return true; }
  if (a === '--containers') { containers = Number(next()); return true; }
  if (a.startsWith('--no-') && a.slice(5) in parts) { parts[a.slice(5)] = false; return true; }
  return false;
});

const WORKER_SOURCE = `
  const { parentPort, workerData } = require('node:worker_threads');
  const { StatsCollector } = require(workerData.dist);
  const c = new StatsCollector();
  for (const p of workerData.paths) c.add(p);
  const loop = () => c.collectAsync().then(() => { parentPort.postMessage('swept'); setImmediate(loop); });
  loop();
`;

function snapshot(lib, collector) {
  const u = collector.usage();
  return {
    fds: fs.readdirSync('/proc/self/fd').length,
    notHeld: fs.readdirSync('/proc/self/fd').length - u.processHeldFds,
    rssMB: process.memoryUsage.rss() / 1048576,
    heapMB: process.memoryUsage().heapUsed / 1048576,
    heldFds: u.heldFds,
    processHeldFds: u.processHeldFds,
    processFdBudget: u.processFdBudget,
    handles: u.handles,
    plans: u.plans,
  };
}

async function main() {
  preflight(HIERARCHIES, 'bench/soak.js');
  const lib = require(dist);
  const tree = new BenchTree({ name: 'soak', prefix: 'cgmgr-soak', hierarchies: HIERARCHIES, sleepHierarchies: ['memory', 'pids'] });
  tree.cleanupStale('soak.js');
  tree.claimTop();
  installCleanupHandlers('soak', () => tree.remove());
  tree.makeTree(containers);
  const paths = tree.relPaths(containers).map((p) => `/${p}`);
  const churnable = paths.filter((p) => !p.endsWith('/ctr-0')); // ctr-0 holds the pod's sleep

  const main = new lib.StatsCollector();
  main.on('error', () => {});
  for (const p of paths) main.add(p);
  const counts = { sweeps: 0, churned: 0, collectorCycles: 0, workerRestarts: 0, workerSweeps: 0, failedRows: 0 };

  const churn = () => {
    const p = churnable[Math.floor(Math.random() * churnable.length)];
    for (const h of HIERARCHIES) fs.rmdirSync(`${CGROOT}/${h}${p}`);
    for (const h of HIERARCHIES) fs.mkdirSync(`${CGROOT}/${h}${p}`);
    main.add(p); // re-created: the old registration ends with 'gone'
    counts.churned++;
  };
  const sweep = async (n) => {
    for (let i = 0; i < n; i++) {
      const s = i % 2 ? main.collect() : await main.collectAsync();
      counts.sweeps++;
      counts.failedRows += main.usage().failedRows;
      if (s.rows < paths.length - 10) throw new Error(`rows dropped: ${s.rows}`);
      if (parts.churn && i % 5 === 0) churn();
    }
  };

  await sweep(20); // warm up: descriptors held, buffers sized
  if (global.gc) global.gc();
  const start = snapshot(lib, main);
  const t0 = Date.now();
  const end = t0 + seconds * 1000;

  let stop = false;
  const cycles = (async () => {
    while (!stop && parts.cycles) {
      const c = new lib.StatsCollector();
      for (const p of paths.slice(0, 200)) c.add(p);
      c.collect();
      await c.collectAsync();
      c.close();
      counts.collectorCycles++;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const workers = (async () => {
    while (!stop && parts.workers) {
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { dist, paths: paths.slice(200, 300) } });
      w.on('message', () => { counts.workerSweeps++; });
      w.on('error', (err) => { process.stderr.write(`worker: ${err.stack}\n`); });
      await new Promise((r) => w.once('message', r));
      await new Promise((r) => setTimeout(r, Math.random() * 50));
      await w.terminate();
      counts.workerRestarts++;
    }
  })();
  while (Date.now() < end) await sweep(10);
  stop = true;
  await Promise.all([cycles, workers]);
  await sweep(5);
  if (global.gc) global.gc();
  const last = snapshot(lib, main);
  main.close();
  tree.remove();

  const rows = Object.keys(start).map((k) => {
    const f = (v) => (typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(1) : String(v));
    return `| ${k} | ${f(start[k])} | ${f(last[k])} |`;
  });
  process.stdout.write([
    `soak: ${containers} cgroups × ${HIERARCHIES.length} hierarchies, ${((Date.now() - t0) / 1000).toFixed(0)} s, node ${process.version}${global.gc ? ' (--expose-gc: GC before each snapshot)' : ''}`,
    '', '| | start | end |', '|---|---|---|', ...rows, '',
    `sweeps ${counts.sweeps}, churned ${counts.churned}, collector create/close cycles ${counts.collectorCycles}, ` +
      `worker restarts ${counts.workerRestarts} (worker sweeps ${counts.workerSweeps}), failed rows ${counts.failedRows}`,
    '',
  ].join('\n'));
  // Not a timed test, but a leak is a failure: descriptors beyond the held ones, handles and plans must come back.
  const leaks = [];
  if (last.notHeld - start.notHeld > 32) leaks.push(`descriptors not held by the engine grew ${start.notHeld} → ${last.notHeld}`);
  if (last.handles !== start.handles) leaks.push(`handles ${start.handles} → ${last.handles}`);
  if (last.plans > start.plans + 2) leaks.push(`plans ${start.plans} → ${last.plans}`);
  if (counts.failedRows > 0) leaks.push(`${counts.failedRows} rows failed`);
  if (leaks.length > 0) {
    process.stdout.write(`FAILED: ${leaks.join('; ')}\n`);
    process.exitCode = 1;
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exitCode = 1;
});
