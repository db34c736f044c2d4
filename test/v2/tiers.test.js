'use strict';
// Read tiers of the collector on a real cgroup v2 kernel (the qemu guest of test/vm): a cgroup of the test's own under
// its own parent; a new memory.max / cpu.weight / pids.max is carried until refreshSpec() (default 60 s interval) and
// shown at once with specIntervalMs 0; usage files (memory.current via a process of our own) are read every sweep.
// Skipped on a v1 / hybrid host (test/collector/tiers.test.js covers v1 there).
const t = require('tap');
const fs = require('node:fs');
const { StatsCollector, ROW_STATUS } = require('../../dist/collector');
const { v2SkipReason, makeSubtree } = require('../helpers/cgroups');

const MiB = 1024 * 1024;
const WANT = ['memory', 'cpu', 'pids'];
const opts = {
  skip: v2SkipReason(WANT),
  timeout: 120000,
};

t.test('v2: spec files carried between reads, re-read after refreshSpec(), at once with interval 0', opts, async (t) => {
  const sub = makeSubtree(t, ['']);
  sub.mkdir();
  fs.writeFileSync(sub.dir('', 'cgroup.subtree_control'), WANT.map((c) => `+${c}`).join(' '));
  sub.mkdir('c');
  const file = (f) => sub.dir('', `c/${f}`);
  fs.writeFileSync(file('memory.max'), String(64 * MiB));
  fs.writeFileSync(file('cpu.weight'), '39');
  fs.writeFileSync(file('pids.max'), '50');
  const p = `/${sub.name}/c`;
  const lazy = new StatsCollector();
  t.teardown(() => lazy.close());
  const eager = new StatsCollector({ specIntervalMs: 0 });
  t.teardown(() => eager.close());
  lazy.add(p);
  eager.add(p);
  t.equal(Object.fromEntries(lazy.files().map((f) => [f.name, f.tier]))['memory.max'], 'spec');
  let sl = lazy.collect();
  let se = eager.collect();
  for (const s of [sl, se]) {
    t.equal(s.status[0], ROW_STATUS.ok);
    t.equal(s.get(0, 'memory_limit_bytes'), 64 * MiB);
    t.equal(s.get(0, 'pids_limit'), 50);
    t.equal(s.get(0, 'cpu_shares'), 2 + Math.floor(38 * 262142 / 9999));
    t.equal(s.specMs[0], s.sampleMs[0], 'the first sweep reads the spec files');
  }
  const tWrite = Date.now();
  fs.writeFileSync(file('memory.max'), String(32 * MiB));
  fs.writeFileSync(file('pids.max'), '40');
  sl = lazy.collect({ into: sl });
  t.ok(sl.specMs[0] < tWrite, 'carried from the first read');
  t.equal(sl.get(0, 'memory_limit_bytes'), 64 * MiB, 'the carried memory.max');
  t.equal(sl.get(0, 'pids_limit'), 50);
  t.equal(sl.stats(0).memory.limit, 64 * MiB, 'stats(row) agrees with the column');
  t.ok(sl.get(0, 'memory_usage_bytes') !== undefined, 'usage columns present on a carried row');
  se = eager.collect({ into: se });
  t.equal(se.get(0, 'memory_limit_bytes'), 32 * MiB, 'interval 0: the new memory.max at once');
  t.equal(se.get(0, 'pids_limit'), 40);
  t.ok(lazy.refreshSpec(p));
  sl = lazy.collect({ into: sl });
  t.equal(sl.get(0, 'memory_limit_bytes'), 32 * MiB, 'after refreshSpec()');
  t.equal(sl.get(0, 'pids_limit'), 40);
  t.equal(sl.stats(0).memory.limit, 32 * MiB);
});
