'use strict';
// An async read copies its workers' cells into the caller's arrays in runs (native/engine.cc CopyCells: the
// whole files of consecutive rows in one memcpy, a list, blkio or ioStat file holding fewer entries than its capacity
// ending a run). Over recorded trees whose list and blkio files hold fewer, as many and more entries than the plan's
// capacity, interleaved with fixed-size files, every written cell of an async read (one worker, several) equals the
// sync read's, row for row.
const t = require('tap');
const path = require('node:path');
const { Engine, listCgroups } = require('../../dist');
const { SLOT, FILE_STATUS } = require('../../dist/engine');

const TREES = path.join(__dirname, '..', 'fixtures', 'trees');

/** An async result against the sync one: statuses and flags whole, and every cell whose flag holds a value. */
function sameAsSync(t, r, sync, what) {
  const plan = r.plan;
  t.same([...r.fileStatus], [...sync.fileStatus], `${what}: file statuses`);
  t.same([...r.flags], [...sync.flags], `${what}: slot flags`);
  let bad = 0;
  let first;
  for (let s = 0; s < r.values.length; s++) {
    if (sync.flags[s] === SLOT.absent) continue;
    if (r.values[s] !== sync.values[s]) {
      bad++;
      first ??= `slot ${s % plan.slots} of row ${Math.floor(s / plan.slots)}: ${r.values[s]} != ${sync.values[s]}`;
    }
  }
  t.equal(bad, 0, `${what}: every cell with a value as the sync read's${first ? ` (${first})` : ''}`);
}

for (const tree of ['v1-real', 'v1-blkio-families']) {
  t.test(`recorded tree ${tree}: async reads copy what a sync read writes`, async (t) => {
    const e = new Engine({ root: path.join(TREES, tree) });
    t.teardown(() => e.destroy());
    const cgroups = listCgroups(e.layout, { depth: 8 });
    t.ok(cgroups.length > 1, `${cgroups.length} cgroups`);
    const specs = [
      { controller: 'cpuacct', name: 'cpuacct.usage', format: 'single' },
      { controller: 'cpuacct', name: 'cpuacct.usage_percpu', format: 'list', cap: 1 },
      { controller: 'memory', name: 'memory.usage_in_bytes', format: 'single' },
      { controller: 'cpuacct', name: 'cpuacct.usage_percpu', format: 'list', cap: 64 },
      { controller: 'blkio', name: 'blkio.throttle.io_service_bytes_recursive', format: 'blkio', cap: 2 },
      { controller: 'memory', name: 'memory.stat', format: 'flatKeyed', keys: ['total_rss', 'total_cache'] },
      { controller: 'blkio', name: 'blkio.throttle.io_serviced_recursive', format: 'blkio', cap: 64 },
      { controller: 'pids', name: 'pids.current', format: 'single' },
    ].filter((s) => e.layout.controllers.has(s.controller));
    const plan = e.plan(specs);
    // Every cgroup many times over (its own handle each), so the rows split across workers mix every kind of row.
    const ids = [];
    for (let k = 0; k < 40; k++) for (const c of cgroups) ids.push(e.open(c));
    const n = ids.length;
    const sync = e.readSync(plan, ids, e.result(plan, n, { bigint: true }));
    const lists = { partial: 0, full: 0 };
    for (let row = 0; row < n; row++) {
      plan.files.forEach((f, i) => {
        const st = sync.fileStatus[row * plan.files.length + i];
        if (f.format === 'single' || f.format === 'flatKeyed' || (st !== FILE_STATUS.ok && st !== FILE_STATUS.overflow)) return;
        // Over capacity (overflow) or at it: the file's cells are copied whole; below it: a run ends there.
        const count = sync.values[row * plan.slots + f.offset];
        if (st === FILE_STATUS.overflow || count >= BigInt(f.cap)) lists.full++;
        else lists.partial++;
      });
    }
    t.ok(lists.partial > 0 && lists.full > 0, `list files below (${lists.partial}) and at (${lists.full}) capacity`);
    for (const shared of [false, true]) {
      for (const workers of [1, 2, 3]) {
        // A result whose cells hold garbage first: a cell the read writes must be overwritten, the others are unread.
        // A shared result is written in place by the workers; the other one copied into on completion.
        const r = e.result(plan, n, { bigint: true, shared });
        r.values.fill(0xdeadbeefn);
        await e.read(plan, ids, r, { workers });
        sameAsSync(t, r, sync, `${workers} worker(s)${shared ? ', shared' : ''}`);
      }
    }
  });

  t.test(`recorded tree ${tree}: keepUnread, async as sync: the files a row reads copied, the others left alone`, async (t) => {
    const e = new Engine({ root: path.join(TREES, tree) });
    t.teardown(() => e.destroy());
    const cgroups = listCgroups(e.layout, { depth: 8 });
    // Tiers interleaved with the fixed-size and list files, so a row of a low tier breaks the copy-out's runs.
    const specs = [
      { controller: 'cpuacct', name: 'cpuacct.usage', format: 'single' },
      { controller: 'cpuacct', name: 'cpuacct.usage_percpu', format: 'list', cap: 1, tier: 1 },
      { controller: 'memory', name: 'memory.usage_in_bytes', format: 'single', tier: 2 },
      { controller: 'cpuacct', name: 'cpuacct.usage_percpu', format: 'list', cap: 64 },
      { controller: 'blkio', name: 'blkio.throttle.io_service_bytes_recursive', format: 'blkio', cap: 2, tier: 2 },
      { controller: 'memory', name: 'memory.stat', format: 'flatKeyed', keys: ['total_rss', 'total_cache'], tier: 1 },
      { controller: 'blkio', name: 'blkio.throttle.io_serviced_recursive', format: 'blkio', cap: 64 },
      { controller: 'pids', name: 'pids.current', format: 'single', tier: 1 },
    ].filter((s) => e.layout.controllers.has(s.controller));
    const plan = e.plan(specs);
    const ids = [];
    for (let k = 0; k < 40; k++) for (const c of cgroups) ids.push(e.open(c));
    const n = ids.length;
    const tiers = Uint8Array.from(ids, (_, row) => (row * 7) % 3);
    // Both results start with the same garbage in every cell: what a row does not read must stay garbage.
    const garbage = (shared = false) => {
      const r = e.result(plan, n, { bigint: true, shared });
      r.values.fill(0xdeadbeefn);
      r.flags.fill(SLOT.value);
      r.fileStatus.fill(99);
      return r;
    };
    const sync = e.readSync(plan, ids, garbage(), { tiers, keepUnread: true });
    let kept = 0;
    for (let row = 0; row < n; row++) plan.files.forEach((f, i) => { if (f.tier > tiers[row]) kept++; });
    t.ok(kept > 0, `${kept} files kept`);
    t.equal(sync.fileStatus.filter((x) => x === 99).length, kept, 'sync: exactly the files not read kept their status');
    for (const shared of [false, true]) {
      for (const workers of [1, 2, 3]) {
        const r = await e.read(plan, ids, garbage(shared), { tiers, keepUnread: true, workers });
        sameAsSync(t, r, sync, `${workers} worker(s), keepUnread${shared ? ', shared' : ''}`);
      }
    }
  });
}
