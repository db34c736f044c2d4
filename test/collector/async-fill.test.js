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
