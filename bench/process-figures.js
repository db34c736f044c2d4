#!/usr/bin/env node
/*
 * The cost of the collector's opt-in process figures (processMetrics: the /proc scan behind container_file_descriptors
 * and container_sockets): collect() of N real cgroups with a few processes each, the scan on against off, measured
 * side by side in one run (rounds alternate; each round a fresh collector of each kind, one warm-up sweep, then
 * --sweeps timed sweeps; cell = median over rounds of the per-collector median).
 *
 *   node bench/process-figures.js [--n 1000] [--procs 3] [--rounds 5] [--sweeps 5]
 *   node bench/process-figures.js --quick          (CI: N=200, 2 processes each, 2 rounds)
 *
 * Needs root on a cgroup v1 host (memory, cpu, cpuacct, pids), a built addon and dist/. Makes
 * cgmgr-bench-procfig-<pid>-<hex>/pod-P/ctr-C (bench/lib/cgroup-tree.js), starts --procs `sleep`s of its own in every
 * cgroup (stdio /dev/null: 3 descriptors each, more when the shell leaks some) and removes all of it on exit, error or
 * signal. Prints medians (ms per sweep, µs per cgroup, µs per process of the scan) and the on/off ratio.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { performance } = require('node:perf_hooks');
const { CGROOT, BenchTree, preflight, installCleanupHandlers } = require('./lib/cgroup-tree');
const { median } = require('./lib/stats');

const HIER = ['memory', 'cpu', 'cpuacct', 'pids'];
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const quick = args.includes('--quick');
const N = opt('n', quick ? 200 : 1000);
const PROCS = opt('procs', quick ? 2 : 3);
const ROUNDS = opt('rounds', quick ? 2 : 5);
const SWEEPS = opt('sweeps', quick ? 3 : 5);

preflight(HIER, 'bench/process-figures.js');
const { StatsCollector } = require(path.join(__dirname, '..', 'dist', 'collector'));
const tree = new BenchTree({ name: 'process-figures', prefix: 'cgmgr-bench-procfig', hierarchies: HIER });
installCleanupHandlers('process-figures', () => tree.remove());

tree.claimTop();
tree.makeTree(N);
const rels = tree.relPaths(N);
const sleepBin = fs.existsSync('/bin/sleep') ? '/bin/sleep' : 'sleep';
const t0 = performance.now();
for (const rel of rels) {
  for (let k = 0; k < PROCS; k++) {
    const child = spawn(sleepBin, ['3600'], { stdio: 'ignore' });
    if (child.pid === undefined) throw new Error('could not start sleep');
    child.on('error', () => {});
    tree.sleeps.set(child.pid, child);
    for (const h of HIER) fs.writeFileSync(`${CGROOT}/${h}/${rel}/cgroup.procs`, String(child.pid));
  }
}
const processes = tree.sleeps.size;
process.stderr.write(`process-figures: ${N} cgroups, ${processes} processes (${((performance.now() - t0) / 1000).toFixed(1)} s to start)\n`);

/** Median ms per collect() of a fresh collector over every cgroup, and the descriptors it counted. */
function measure(processMetrics) {
  const c = new StatsCollector({ processMetrics, oomEvents: false });
  try {
    for (const rel of rels) c.add(rel);
    let s = c.collect(); // warm-up: the first sweep opens the held files
    const times = [];
    for (let i = 0; i < SWEEPS; i++) {
      const a = performance.now();
      s = c.collect({ into: s });
      times.push(performance.now() - a);
    }
    let fds = 0;
    for (let r = 0; r < s.rows; r++) fds += s.get(r, 'file_descriptors') ?? 0;
    return { ms: median(times), fds };
  } finally {
    c.close();
  }
}

const off = [];
const on = [];
let counted = 0;
for (let r = 0; r < ROUNDS; r++) {
  for (const which of r % 2 === 0 ? [false, true] : [true, false]) {
    const m = measure(which);
    (which ? on : off).push(m.ms);
    if (which) counted = m.fds;
  }
}
const offMs = median(off);
const onMs = median(on);
const us = (ms) => ((ms * 1000) / N).toFixed(1);
const lines = [
  `process figures, collect() of N=${N} cgroups with ${PROCS} processes each (${processes} in all, ${counted} descriptors counted), ${ROUNDS} rounds x ${SWEEPS} sweeps:`,
  `  scan off: ${offMs.toFixed(1)} ms per sweep, ${us(offMs)} µs per cgroup`,
  `  scan on:  ${onMs.toFixed(1)} ms per sweep, ${us(onMs)} µs per cgroup`,
  `  the scan: ${us(onMs - offMs)} µs per cgroup, ${(((onMs - offMs) * 1000) / processes).toFixed(1)} µs per process; on/off ${(onMs / offMs).toFixed(2)}x`,
];
process.stdout.write(`${lines.join('\n')}\n`);
tree.remove(); // the sleeps' handles would keep the process alive
process.exit(0);
