'use strict';
// Two deviations of the stats functions, on copies of the recorded v1 tree (test/fixtures/trees/v1-real):
//  - B-6: a v1 cgroup without a `devices` directory (a systemd slice of units with no device rules) gets its process
//    list from another hierarchy that holds it; CRI-O reads `devices` only and fails the whole call;
//  - statsMany / statsManySync never fail as a batch: a bad path is that item's error (docs/stats.md).
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const cgmgr = require('../../dist');
const { tmpdir } = require('./fixtures/trees');

const RECORDED = path.join(__dirname, '..', 'fixtures', 'trees', 'v1-real');
const CTR = 'cgmgr-rec/ctr';

function copyTree(t) {
  const root = path.join(tmpdir(t), 'cgroup');
  fs.cpSync(RECORDED, root, { recursive: true });
  return root;
}

t.test('B-6: no devices cgroup → the pid list of the pids hierarchy (CRI-O: the whole stats call fails)', async (t) => {
  const root = copyTree(t);
  const noProc = tmpdir(t);
  const opts = { root, procRoot: noProc, hugePageSizes: [], version: 1, bigint: true };
  const want = fs.readFileSync(path.join(root, 'pids', CTR, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  t.same(cgmgr.statsSync(CTR, opts).pid.pids, want, 'with devices: read there');
  fs.rmSync(path.join(root, 'devices', CTR), { recursive: true });
  // Another list in the memory hierarchy shows which one is read: pids comes first.
  fs.writeFileSync(path.join(root, 'memory', CTR, 'cgroup.procs'), '1\n2\n');
  const s = cgmgr.statsSync(CTR, opts);
  t.same(s.pid.pids, want, 'without: from pids');
  t.same((await cgmgr.stats(CTR, opts)).pid.pids, want, 'async too');
  t.same(cgmgr.libctrManager('ctr', '/cgmgr-rec', false, opts).statsSync().pid.pids, want.map(Number), 'through a handle');
  fs.rmSync(path.join(root, 'pids', CTR), { recursive: true });
  t.same(cgmgr.statsSync(CTR, opts).pid.pids, [1, 2], 'then from memory');
  // Nowhere else: the library's error, the cgroup.procs of devices.
  const onlyDevices = copyTree(t);
  for (const h of fs.readdirSync(onlyDevices)) if (h !== 'devices' && h !== 'memory') fs.rmSync(path.join(onlyDevices, h, CTR), { recursive: true });
  fs.rmSync(path.join(onlyDevices, 'devices', CTR), { recursive: true });
  fs.rmSync(path.join(onlyDevices, 'memory', CTR, 'cgroup.procs'));
  t.throws(() => cgmgr.statsSync(CTR, { ...opts, root: onlyDevices, controllers: ['memory', 'process'] }), { code: 'ENOENT', path: /memory\/cgmgr-rec\/ctr\/cgroup.procs$/ },
    'the fallback hierarchy lacks cgroup.procs: its ENOENT');
});

t.test('statsMany / statsManySync: a bad path is that item\'s error, never a failed batch', async (t) => {
  const noProc = tmpdir(t);
  const opts = { root: RECORDED, procRoot: noProc, hugePageSizes: [], version: 1 };
  const paths = [CTR, '../etc', 'a//b', 'cgmgr-rec/./ctr', 'x\0y', 'cgmgr-rec/nope', 'cgmgr-rec'];
  for (const results of [cgmgr.statsManySync(paths, opts), await cgmgr.statsMany(paths, opts)]) {
    t.equal(results.length, paths.length);
    t.same(results.map((r) => r.ok), [true, false, false, false, false, false, true]);
    t.same(results.map((r) => r.path), paths);
    for (const i of [1, 2, 3, 4]) {
      t.equal(results[i].error.code, 'ERR_INVALID_ARG_VALUE', `${JSON.stringify(paths[i])}: refused as an argument`);
      t.match(results[i].error.message, /paths\[\d\]/);
      t.equal(results[i].error.partial, undefined, 'nothing was read');
    }
    t.equal(results[5].error.code, 'ENOENT', 'a cgroup that does not exist');
    t.equal(results[0].stats.memory.usage, 38387712);
  }
  t.throws(() => cgmgr.statsSync('../etc', opts), { code: 'ERR_INVALID_ARG_VALUE' }, 'a single call throws the argument error');
  await t.rejects(cgmgr.stats('a//b', opts), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => cgmgr.statsManySync('not an array', opts), { code: 'ERR_INVALID_ARG_VALUE' });
  const odd = cgmgr.statsManySync([42, null], opts);
  t.same(odd.map((r) => [r.ok, r.error.code]), [[false, 'ERR_INVALID_ARG_VALUE'], [false, 'ERR_INVALID_ARG_VALUE']]);
});
