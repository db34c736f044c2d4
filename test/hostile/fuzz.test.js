'use strict';
// A seeded, bounded fuzz loop over every native and public entry point of the engine, collector and stats readers
// (children/fuzz.js), each seed in its own child process so that an abort, segfault or sanitizer report is caught and
// reported with the seed that found it. Before the fixes of issue 15, 17 of 20 such runs aborted (double throw). Runs
// on a scratch copy of a recorded tree: nothing real is written. CGMGR_FUZZ_SEED picks the first seed,
// CGMGR_FUZZ_RUNS and CGMGR_FUZZ_CALLS the size (CI runs it under ASan + UBSan as part of the host suite).
const t = require('tap');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const { scratchTree, spoil, blkioLines } = require('../helpers/scratch-tree');

const CHILD = path.join(__dirname, 'children', 'fuzz.js');
const FIRST = Number(process.env.CGMGR_FUZZ_SEED) || 20261202;
const RUNS = Number(process.env.CGMGR_FUZZ_RUNS) || 10;
const CALLS = Number(process.env.CGMGR_FUZZ_CALLS) || 1500;

t.test(`${RUNS} fuzz runs of ${CALLS} hostile calls each`, async (t) => {
  const root = scratchTree(t);
  // A spoiled child cgroup next to the clean one: a FIFO, a symlink out of the tree, a directory and a huge file
  // where files should be, and a 70,000-entry blkio file.
  const ctr = (h) => path.join(root, h, 'cgmgr-rec', 'ctr');
  spoil(path.join(ctr('memory'), 'memory.stat'), 'fifo');
  spoil(path.join(ctr('pids'), 'pids.max'), 'symlink');
  spoil(path.join(ctr('pids'), 'pids.current'), 'dir');
  spoil(path.join(ctr('cpuacct'), 'cpuacct.usage'), 'huge');
  for (const f of fs.readdirSync(ctr('blkio'))) {
    if (/io_serv/.test(f)) fs.writeFileSync(path.join(ctr('blkio'), f), blkioLines(70_000));
  }
  for (let i = 0; i < RUNS; i++) {
    const seed = FIRST + i;
    const r = spawnSync(process.execPath, [CHILD, String(seed), String(CALLS), root], { encoding: 'utf8', timeout: 180_000 });
    const tail = `${r.stderr}`.slice(-3000);
    const ok = r.status === 0 && r.signal === null && /^ok \d+/.test(r.stdout);
    t.ok(ok, `seed ${seed}: ${ok ? r.stdout.trim() : `status ${r.status}, signal ${r.signal}${r.error ? `, ${r.error.message}` : ''}\n${tail}`}`);
  }
});
