'use strict';
// Child of worker-terminate.test.js: `cycles` times, start a worker thread that sweeps with the engine and collector
// (sync loops, async sweeps, collectors made and closed, v1 OOM watch threads on real cgroups), wait until it is
// sweeping, let it run a random few turns of the event loop, and terminate it mid-sweep. Prints `cycles N` and exits 0;
// before the fix the process aborted (napi_throw during environment teardown).
const fs = require('node:fs');
const path = require('node:path');
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');

const dist = process.env.CGMGR_DIST || path.join(__dirname, '..', '..', '..', 'dist');

if (isMainThread) {
  const { cycles, paths, seed } = JSON.parse(fs.readFileSync(0, 'utf8'));
  let state = seed >>> 0 || 1;
  const rand = (n) => {
    state ^= state << 13; state >>>= 0; state ^= state >>> 17; state ^= state << 5; state >>>= 0;
    return state % n;
  };
  const turns = (n) => new Promise((resolve) => {
    const step = (k) => (k <= 0 ? resolve() : setImmediate(() => step(k - 1)));
    step(n);
  });
  (async () => {
    let done = 0;
    for (let i = 0; i < cycles; i++) {
      const w = new Worker(__filename, { workerData: { paths, mode: i % 4 } });
      w.on('error', (err) => { process.stderr.write(`worker ${i}: ${err.stack}\n`); process.exitCode = 1; });
      await new Promise((resolve) => w.once('message', resolve)); // sweeping
      await turns(rand(20));
      await w.terminate();
      done++;
    }
    process.stdout.write(`cycles ${done}\n`);
  })().catch((err) => {
    process.stderr.write(String(err.stack) + '\n');
    process.exitCode = 1;
  });
} else {
  const { Engine, StatsCollector } = require(dist);
  const { paths, mode } = workerData;
  const TREE = path.join(__dirname, '..', '..', 'fixtures', 'trees', 'v1-real');
  const real = paths.length > 0;
  const collector = () => {
    const c = real ? new StatsCollector() : new StatsCollector({ root: TREE, version: 1 });
    if (real) for (const p of paths) c.add(p);
    else c.add('/cgmgr-rec');
    return c;
  };
  let told = false;
  const tell = () => {
    if (!told) parentPort.postMessage('sweeping');
    told = true;
  };
  if (mode === 0) {
    // Sync sweeps in a tight loop: termination lands inside (or right after) a native call.
    const c = collector();
    for (;;) {
      c.collect();
      tell();
    }
  } else if (mode === 1) {
    // Async sweeps back to back: termination lands while pool work is in flight.
    const c = collector();
    const loop = () => c.collectAsync().then(() => { tell(); loop(); });
    loop();
  } else if (mode === 2) {
    // Collectors made and closed, with async sweeps left in flight.
    const loop = () => {
      const c = collector();
      c.collectAsync().then(() => { tell(); c.close(); loop(); });
      c.collectAsync().catch(() => {});
    };
    loop();
  } else {
    // The engine itself: plans, sync and split async reads of many rows.
    const engine = real ? new Engine() : new Engine({ root: TREE, version: 1 });
    const plan = engine.plan([
      { controller: 'memory', name: 'memory.stat', format: 'flatKeyed', keys: ['cache', 'rss'] },
      { controller: 'pids', name: 'pids.current', format: 'single' },
    ]);
    const ids = (real ? paths : Array(64).fill('/cgmgr-rec')).map((p) => engine.open(p));
    const loop = () => {
      engine.readSync(plan, ids);
      engine.plan([{ controller: 'pids', name: 'pids.max', format: 'single' }]);
      engine.read(plan, ids, undefined, { workers: 4 }).then(() => { tell(); loop(); });
    };
    loop();
  }
}
