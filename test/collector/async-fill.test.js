'use strict';
// collectAsync fills its sweep in slices of FILL_SLICE rows with the event loop free between them: on real cgroups of
// the test's own (more rows than three slices), callbacks queued with setImmediate run between the moment the engine's
// read settles and the moment the sweep is handed back; the sweep is the one collect() makes (statuses, paths, the
// columns that do not move: limits, shares, period, start time; io rows in order); the collector stays busy
// (collect() throws ERR_COLLECTOR_BUSY) until the fill ends; close() during a fill ends it with ERR_COLLECTOR_CLOSED.
const t = require('tap');
const { StatsCollector, FIELD, FIELD_COUNT } = require('../../dist/collector');
const { FILL_SLICE } = require('../../dist/collector/collector');
const { realKernelSkipReason, makeSubtree } = require('../helpers/cgroups');

const H = ['memory', 'cpu', 'cpuacct', 'pids'];
const skip = realKernelSkipReason();
const ROWS = 3 * FILL_SLICE + 17;

function tree(t) {
  const sub = makeSubtree(t, H);
  sub.mkdir();
  const rels = [];
  for (let i = 0; i < ROWS; i++) {
    sub.mkdir(`c${i}`);
    rels.push(`/${sub.name}/c${i}`);
  }
  return rels;
}

/** Counts event-loop turns (setImmediate callbacks) until stopped. */
function loopTurns() {
  const state = { turns: 0, stopped: false };
  const tick = () => {
    if (state.stopped) return;
    state.turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  return state;
}

t.test('the event loop turns between the fill slices of an async sweep', { skip }, async (t) => {
  t.ok(Number.isInteger(FILL_SLICE) && FILL_SLICE > 0, `FILL_SLICE ${FILL_SLICE}`);
  const rels = tree(t);
  const c = new StatsCollector({ controllers: H, oomEvents: false, lastSample: false });
  t.teardown(() => c.close());
  for (const r of rels) c.add(r);
  // Observe the real read: the turn count when the engine's promise settles.
  const read = c.engine.read.bind(c.engine);
  let atRead = -1;
  const turns = loopTurns();
  c.engine.read = async (...args) => {
    const r = await read(...args);
    atRead = turns.turns;
    return r;
  };
  const p = c.collectAsync();
  let busy;
  setImmediate(function probe() {
    if (atRead < 0) return setImmediate(probe);
    try {
      c.collect();
      busy = 'no error';
    } catch (e) {
      busy = e.code;
    }
  });
  const s = await p;
  const after = turns.turns;
  turns.stopped = true;
  t.ok(atRead >= 0, 'the engine read settled first');
  const slices = Math.ceil(ROWS / FILL_SLICE);
  t.ok(after - atRead >= slices - 1, `${after - atRead} loop turns during the fill of ${ROWS} rows (≥ ${slices - 1} between ${slices} slices)`);
  t.equal(busy, 'ERR_COLLECTOR_BUSY', 'collect() during the fill: busy');
  t.equal(s.rows, ROWS);

  c.engine.read = read;
  const sync = c.collect();
  const async2 = await c.collectAsync();
  for (const [name, sweep] of [['first async', s], ['second async', async2]]) {
    let same = 0;
    for (let r = 0; r < ROWS; r++) {
      if (sweep.paths[r] !== sync.paths[r] || sweep.status[r] !== sync.status[r]) continue;
      let ok = true;
      for (const f of ['memory_limit_bytes', 'cpu_shares', 'cpu_period_us', 'pids_limit', 'start_time_ms']) {
        const a = sweep.values[r * FIELD_COUNT + FIELD[f]];
        const b = sync.values[r * FIELD_COUNT + FIELD[f]];
        if (!(a === b || (Number.isNaN(a) && Number.isNaN(b)))) ok = false;
      }
      if (ok && sweep.get(r, 'memory_usage_bytes') !== undefined && sweep.io.to(r) >= sweep.io.from(r)) same++;
    }
    t.equal(same, ROWS, `${name}: every row as collect() has it (path, status, settings, start time; values present)`);
  }
});

t.test('close() during the fill of an async sweep ends it with ERR_COLLECTOR_CLOSED', { skip }, async (t) => {
  const rels = tree(t);
  const c = new StatsCollector({ controllers: H, oomEvents: false, lastSample: false });
  for (const r of rels) c.add(r);
  const read = c.engine.read.bind(c.engine);
  c.engine.read = async (...args) => {
    const r = await read(...args);
    setImmediate(() => c.close()); // runs after the first slice
    return r;
  };
  await t.rejects(c.collectAsync(), { code: 'ERR_COLLECTOR_CLOSED' });
  t.throws(() => c.collect(), { code: 'ERR_COLLECTOR_CLOSED' }, 'closed afterwards');
});

t.test('stats(row) of the last sweep while the next read runs: that sweep\'s values, not the read in flight', async (t) => {
  // The workers write the read in place (a shared result): the collector reads into its other buffer, so the last
  // sweep's raw data stays as it was until the next sweep is filled. A scratch copy of a recorded v2 tree whose
  // memory.current changes between the sweeps; stats(row) asked on every loop turn while the second read runs.
  const fs = require('node:fs');
  const os = require('node:os');
  const path = require('node:path');
  const V2 = path.join(__dirname, '..', 'fixtures', 'trees', 'v2-full');
  const POD = 'kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod123.slice';
  // 300 pods of ~80 files: in memory where it can (a disk-backed /tmp took 20 s to copy them on a busy machine).
  const root = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'cgmgr-buffers-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.cpSync(V2, root, { recursive: true });
  const pods = Array.from({ length: 300 }, (_, i) => `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podx${i}.slice`);
  // The pod's own files only (not its container's directory).
  const files = fs.readdirSync(path.join(root, POD), { withFileTypes: true }).filter((d) => d.isFile()).map((d) => d.name);
  for (const p of pods) {
    fs.mkdirSync(path.join(root, p));
    for (const f of files) fs.copyFileSync(path.join(root, POD, f), path.join(root, p, f));
  }
  const c = new StatsCollector({ root, version: 2, oomEvents: false });
  t.teardown(() => c.close());
  for (const p of pods) c.add(`/${p}`);
  const setUsage = (v) => { for (const p of pods) fs.writeFileSync(path.join(root, p, 'memory.current'), `${v}\n`); };
  setUsage(4096);
  const first = await c.collectAsync();
  t.equal(first.get(0, 'memory_usage_bytes'), 4096);
  setUsage(8192);
  let asked = 0;
  const seen = new Set();
  let done = false;
  const ask = () => {
    if (done) return;
    try {
      seen.add(first.stats([0, 150, 299][asked % 3]).memory.usage);
      asked++;
    } catch (err) {
      if (err.code !== 'ERR_SWEEP_STALE') throw err; // the next sweep has begun filling: stats(row) says so
      return;
    }
    setImmediate(ask);
  };
  setImmediate(ask);
  const second = await c.collectAsync({ into: undefined });
  done = true;
  t.ok(asked > 0, `stats(row) asked on ${asked} loop turns during the read`);
  t.same([...seen], [4096], 'the last sweep\'s raw data, never the read in flight');
  t.equal(second.get(299, 'memory_usage_bytes'), 8192, 'the new sweep read the new value');
  t.equal(second.stats(299).memory.usage, 8192);
  t.throws(() => first.stats(0), { code: 'ERR_SWEEP_STALE' });
});
