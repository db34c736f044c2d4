'use strict';
// The engine on recorded trees (file contents as real kernels write them): one batch over every cgroup of a tree
// gives the numbers the files hold, with missing files, "max", negative values, empty and malformed files reported
// as the spec says, per file, without failing the batch.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const { Engine, listCgroups } = require('../../dist');
const { FILE_STATUS, ITEM_STATUS, SLOT } = require('../../dist/engine');

const TREES = path.join(__dirname, '..', 'fixtures', 'trees');
const tree = (name) => path.join(TREES, name);

// The single-value files of each version that every recorded cgroup may hold.
const V1_SINGLES = [
  ['memory', 'memory.usage_in_bytes'], ['memory', 'memory.limit_in_bytes'], ['memory', 'memory.max_usage_in_bytes'],
  ['memory', 'memory.failcnt'], ['memory', 'memory.memsw.usage_in_bytes'], ['cpuacct', 'cpuacct.usage'],
  ['pids', 'pids.current'], ['pids', 'pids.max'],
];
const V2_SINGLES = [['memory', 'memory.current'], ['memory', 'memory.max'], ['memory', 'memory.peak'],
  ['pids', 'pids.current'], ['pids', 'pids.max'], ['memory', 'memory.swap.max']];

// What the spec says a single-value file holds: "max" -> max flag, a negative integer -> 0, else the number.
function expectSingle(text) {
  const s = text.trim();
  if (s === 'max') return { flag: SLOT.max };
  if (/^-\d+$/.test(s)) return { flag: SLOT.value, value: 0n };
  if (/^\d+$/.test(s) && BigInt(s) < 2n ** 64n) return { flag: SLOT.value, value: BigInt(s) };
  return { status: s === '' ? FILE_STATUS.empty : FILE_STATUS.malformed };
}

for (const name of fs.readdirSync(TREES).sort()) {
  t.test(`tree ${name}: every single-value file of every cgroup, in one batch`, async (t) => {
    const engine = new Engine({ root: tree(name) });
    t.teardown(() => engine.destroy());
    const l = engine.layout;
    const singles = (l.version === 2 ? V2_SINGLES : V1_SINGLES).filter(([c]) => l.version === 2 || l.controllers.has(c));
    const plan = engine.plan(singles.map(([controller, file]) => ({ controller, name: file, format: 'single' })));
    const paths = listCgroups(l, { depth: 5 });
    const ids = paths.map((p) => engine.open(p));
    const r = engine.readSync(plan, ids, engine.result(plan, ids.length, { bigint: true }));
    let checked = 0;
    paths.forEach((p, row) => {
      t.equal(r.itemStatus[row], ITEM_STATUS.ok, `${p || '/'} reads`);
      singles.forEach(([c, file], i) => {
        const full = path.join(engine.hierarchyFor(c).path, p, file);
        if (!fs.existsSync(full)) {
          t.ok(r.absent(row, i), `${p}/${file} absent`);
          t.equal(r.get(row, i), undefined);
          return;
        }
        const want = expectSingle(fs.readFileSync(full, 'utf8'));
        if (want.status !== undefined) {
          t.equal(r.status(row, i), want.status, `${p}/${file} status`);
          t.equal(r.error(row, i).code, 'ERR_CGROUP_PARSE');
        } else {
          t.equal(r.flag(row, i), want.flag, `${p}/${file} flag`);
          t.equal(r.get(row, i), want.flag === SLOT.max ? 2n ** 64n - 1n : want.value, `${p}/${file} value`);
        }
        checked++;
      });
    });
    // The unified hierarchy of this host has no controllers enabled: none of these files exist there.
    if (name !== 'v2-unified-real') t.ok(checked > 0, `checked ${checked} files`);
  });
}

t.test('v1-real: the keyed files and lists as the kernel wrote them', async (t) => {
  const engine = new Engine({ root: tree('v1-real') });
  t.teardown(() => engine.destroy());
  const paths = listCgroups(engine.layout, { depth: 3 }).filter((p) => p !== '');
  const stat = ['cache', 'rss', 'total_inactive_file', 'total_rss', 'hierarchical_memory_limit'];
  const plan = engine.plan([
    { controller: 'memory', name: 'memory.stat', format: 'flatKeyed', keys: stat },
    { controller: 'cpuacct', name: 'cpuacct.stat', format: 'cpuacctStat' },
    { controller: 'cpuacct', name: 'cpuacct.usage_percpu', format: 'list', cap: 8 },
    { controller: 'cpu', name: 'cpu.stat', format: 'flatKeyed', keys: ['nr_periods', 'throttled_time'] },
  ]);
  const ids = paths.map((p) => engine.open(p));
  const r = engine.readSync(plan, ids, engine.result(plan, ids.length, { bigint: true }));
  paths.forEach((p, row) => {
    const memStat = path.join(engine.hierarchyFor('memory').path, p, 'memory.stat');
    if (fs.existsSync(memStat)) {
      const kv = Object.fromEntries(fs.readFileSync(memStat, 'utf8').trim().split('\n').map((l) => l.split(' ')));
      stat.forEach((k, i) => t.equal(r.get(row, 0, i), kv[k] === undefined ? undefined : BigInt(kv[k]), `${p} memory.stat ${k}`));
    }
    const acct = path.join(engine.hierarchyFor('cpuacct').path, p, 'cpuacct.stat');
    if (fs.existsSync(acct)) {
      const [, user, , system] = fs.readFileSync(acct, 'utf8').trim().split(/\s+/);
      t.equal(r.get(row, 1, 0), BigInt(user));
      t.equal(r.get(row, 1, 1), BigInt(system));
      const percpu = fs.readFileSync(path.join(engine.hierarchyFor('cpuacct').path, p, 'cpuacct.usage_percpu'), 'utf8').trim().split(/\s+/);
      t.equal(r.get(row, 2, 0), BigInt(percpu.length), 'percpu count');
      percpu.forEach((v, k) => t.equal(r.get(row, 2, 1 + k), BigInt(v)));
    }
  });
});

t.test('a missing hierarchy directory is "not in hierarchy" for that file only', async (t) => {
  const engine = new Engine({ root: tree('v1-missing') });
  t.teardown(() => engine.destroy());
  const plan = engine.plan([
    { controller: 'cpuacct', name: 'cpuacct.usage', format: 'single' },
    { controller: 'pids', name: 'pids.max', format: 'single' },
  ]);
  const paths = listCgroups(engine.layout, { depth: 4 });
  const inCpuacct = (p) => fs.existsSync(path.join(engine.hierarchyFor('cpuacct').path, p));
  const target = paths.find((p) => !inCpuacct(p) && fs.existsSync(path.join(engine.hierarchyFor('pids').path, p)));
  t.ok(target !== undefined, 'the tree has a cgroup without a cpuacct directory');
  const r = engine.readSync(plan, [engine.open(target)]);
  t.equal(r.status(0, 0), FILE_STATUS.notInHierarchy);
  t.equal(r.error(0, 0).code, 'ERR_CGROUP_NOT_IN_HIERARCHY');
  t.ok(r.ok(0, 1), 'the other hierarchy reads');
});
