'use strict';
// io per device (sweep.io): recorded trees (v2 io.stat with two devices, v1 blkio's family search) against their files,
// device names from /sys/dev/block (a fixture sysRoot; `<major>:<minor>` when there is no entry), the per-device values
// summing to the io_* columns, more devices than the plan holds (none, not some), arrays reused by collect({ into });
// and a real v1 cgroup of our own doing direct I/O on a loop device of our own.
const t = require('tap');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { StatsCollector, IO_COLUMNS } = require('../../dist/collector');
const { ROOT, realKernelSkipReason, makeSubtree } = require('../helpers/cgroups');
const { scratchTree } = require('../helpers/scratch-tree');

const TREES = path.join(__dirname, '..', 'fixtures', 'trees');
const SYS = path.join(__dirname, '..', 'fixtures', 'sys');
const V2_POD = '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod123.slice';
const V2_CTR = `${V2_POD}/crio-5f1a3c9e2b7d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f.scope`;
const FIELD_OF = { read_bytes: 'io_read_bytes', write_bytes: 'io_write_bytes', read_ops: 'io_read_ops', write_ops: 'io_write_ops' };

function collectorOf(t, root, rows, more = {}) {
  const c = new StatsCollector({ root, sysRoot: SYS, network: 'none', oomEvents: false, ...more });
  t.teardown(() => c.close());
  for (const r of rows) c.add(r);
  return c;
}

/** The per-device values of a row summed per column equal the row's io_* column (the same files, the same search);
 * an absent column has no device values. */
function checkSums(t, s, row, what) {
  for (const col of IO_COLUMNS) {
    let sum;
    for (let e = s.io.from(row); e < s.io.to(row); e++) {
      const x = s.io.values[e * s.io.width + IO_COLUMNS.indexOf(col)];
      if (!Number.isNaN(x)) sum = (sum ?? 0) + x;
    }
    // An empty io.stat, or a family with no file for this column: the column is 0 and there is no device entry.
    const column = s.get(row, FIELD_OF[col]);
    t.equal(column === undefined ? sum : sum ?? 0, column, `${what}: ${col} over devices = ${FIELD_OF[col]}`);
  }
}

t.test('v2 io.stat with two devices: one entry each, named from /sys/dev/block', async (t) => {
  const root = path.join(TREES, 'v2-full');
  const s = collectorOf(t, root, [V2_POD, V2_CTR]).collect();
  const text = fs.readFileSync(path.join(root, V2_CTR, 'io.stat'), 'utf8');
  t.equal(text.trim().split('\n').length, 2, 'the recorded file has two devices');
  const row = s.rowOf(V2_CTR);
  t.same(s.io.row(row), {
    '/dev/sda': { read_bytes: 1458176, write_bytes: 20971520, read_ops: 97, write_ops: 512 },
    '253:0': { read_bytes: 1458176, write_bytes: 20971520, read_ops: 97, write_ops: 320 },
  }, '8:0 is sda in the fixture /sys; 253:0 has no entry there: named by its numbers');
  t.equal(s.io.get(row, '/dev/sda', 'write_ops'), 512);
  t.equal(s.io.get(row, '/dev/sdb', 'write_ops'), undefined);
  t.equal(s.io.get(row, '/dev/sda', 'nonsense'), undefined);
  for (let r = 0; r < s.rows; r++) checkSums(t, s, r, s.paths[r]);
});

t.test('v1 blkio: the family search of stats(), Read and Write per device', async (t) => {
  const s = collectorOf(t, path.join(TREES, 'v1-real'), ['/cgmgr-rec', '/cgmgr-rec/ctr']).collect();
  const row = s.rowOf('/cgmgr-rec/ctr');
  t.same(s.io.row(row), { '/dev/loop0': { read_bytes: 2097152, write_bytes: 3145728, read_ops: 32, write_ops: 48 } },
    'the throttle-recursive family (bfq holds only "Total 0"), as the fixture README says');
  const st = s.stats(row).diskIO;
  const pick = (list, op) => Number(list.find((e) => Number(e.major) === 7 && Number(e.minor) === 0 && e.op === op).value);
  t.equal(s.io.get(row, '/dev/loop0', 'read_bytes'), pick(st.ioServiceBytes, 'Read'), 'as stats(row).diskIO');
  t.equal(s.io.get(row, '/dev/loop0', 'write_ops'), pick(st.ioServiced, 'Write'));
  for (let r = 0; r < s.rows; r++) checkSums(t, s, r, s.paths[r]);
});

t.test('every recorded tree: devices sum to the io columns', async (t) => {
  for (const tree of fs.readdirSync(TREES)) {
    const root = path.join(TREES, tree);
    const v1 = fs.existsSync(path.join(root, 'memory'));
    const base = v1 ? path.join(root, 'memory') : root;
    const rows = [];
    const walk = (rel) => {
      for (const e of fs.readdirSync(path.join(base, rel), { withFileTypes: true })) {
        if (e.isDirectory()) {
          rows.push(`${rel}/${e.name}`);
          walk(`${rel}/${e.name}`);
        }
      }
    };
    walk('');
    let c;
    try {
      c = collectorOf(t, root, rows);
    } catch (err) {
      t.comment(`${tree}: ${err.code}`);
      continue;
    }
    const s = c.collect();
    for (let r = 0; r < s.rows; r++) if (s.status[r] === 0) checkSums(t, s, r, `${tree}${s.paths[r]}`);
  }
});

t.test('more devices than the plan holds: no entries (never some), the row reports it', async (t) => {
  const root = scratchTree(t, 'v2-full');
  const lines = Array.from({ length: 40 }, (_, i) => `8:${i * 16} rbytes=${i} wbytes=1 rios=1 wios=1 dbytes=0 dios=0`);
  fs.writeFileSync(path.join(root, V2_CTR, 'io.stat'), `${lines.join('\n')}\n`);
  const s = collectorOf(t, root, [V2_POD, V2_CTR]).collect();
  const row = s.rowOf(V2_CTR);
  t.equal(s.io.to(row) - s.io.from(row), 0, 'no device of 40');
  t.equal(s.get(row, 'io_read_bytes'), undefined, 'as the summed column');
  t.equal(s.io.to(s.rowOf(V2_POD)) - s.io.from(s.rowOf(V2_POD)), 2, 'the other row keeps its two');
  t.equal(s.stats(row).diskIO.ioServiceBytes.length, 80, 'stats(row) reads them all again');
});

t.test('collect({ into }) reuses the store: a steady sweep allocates none of it', async (t) => {
  const c = collectorOf(t, path.join(TREES, 'v2-full'), [V2_POD, V2_CTR]);
  const s = c.collect();
  const arrays = [s.io.start, s.io.key, s.io.values];
  const names = s.io.keys.names.length;
  for (let i = 0; i < 5; i++) t.equal(c.collect({ into: s }), s);
  t.ok(arrays.every((a, i) => a === [s.io.start, s.io.key, s.io.values][i]), 'the same arrays');
  t.equal(s.io.keys.names.length, names, 'no new device names');
  t.equal(s.io.length, 4, 'two rows × two devices');
});

t.test('device names: /sys/dev/block DEVNAME, cached', async (t) => {
  const { DeviceNames } = require('../../dist/collector/devices');
  const d = new DeviceNames(SYS);
  t.equal(d.nameOf(8, 0), '/dev/sda');
  t.equal(d.nameOf(7, 0), '/dev/loop0');
  t.equal(d.nameOf(253, 0), '253:0');
  t.equal(d.nameOf(8, 0), '/dev/sda');
  t.equal(d.lookups, 3, 'each device read once');
});

// ---- the kernel ---------------------------------------------------------------------------------------------------

function loopSkip() {
  const k = realKernelSkipReason();
  if (k) return k;
  if (!fs.existsSync(path.join(ROOT, 'blkio', 'cgroup.procs'))) return 'no v1 blkio hierarchy';
  if (spawnSync('losetup', ['--version']).status !== 0) return 'losetup (util-linux) is not installed';
  return undefined;
}

t.test('a real cgroup: direct I/O on a loop device of our own, per device', { skip: loopSkip() }, async (t) => {
  const H = ['memory', 'cpu', 'cpuacct', 'pids', 'blkio'];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `cgmgr-vectors-${process.pid}-`));
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const img = path.join(tmp, 'disk.img');
  fs.writeFileSync(img, Buffer.alloc(8 << 20));
  const lo = spawnSync('losetup', ['-f', '--show', img], { encoding: 'utf8' });
  if (lo.status !== 0) {
    t.skip(`losetup failed: ${lo.stderr.trim()}`);
    return;
  }
  const dev = lo.stdout.trim();
  t.teardown(() => spawnSync('losetup', ['-d', dev]));
  const rdev = fs.statSync(dev).rdev;
  const majmin = `${Math.floor(rdev / 256) & 0xfff}:${(rdev & 0xff) | ((rdev >> 12) & 0xfff00)}`;
  const sub = makeSubtree(t, H);
  sub.mkdir();
  // blk-throttle accounts I/O only on a disk with a rule (fixtures README): a very high one on our loop device only.
  fs.writeFileSync(sub.dir('blkio', 'blkio.throttle.read_bps_device'), `${majmin} 1099511627776`);
  fs.writeFileSync(sub.dir('blkio', 'blkio.throttle.write_bps_device'), `${majmin} 1099511627776`);
  const child = spawn('sh', ['-c', `read x; dd if=/dev/zero of=${dev} bs=64k count=48 oflag=direct status=none; ` +
    `dd if=${dev} of=/dev/null bs=64k count=32 iflag=direct status=none; echo done; exec sleep 600`], { stdio: ['pipe', 'pipe', 'inherit'] });
  sub.pids.add(child.pid);
  await new Promise((r) => child.once('spawn', r));
  for (const h of H) fs.writeFileSync(sub.dir(h, 'cgroup.procs'), String(child.pid));
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stdin.write('go\n');
  for (const end = Date.now() + 20000; !out.includes('done') && Date.now() < end;) await new Promise((r) => setTimeout(r, 20));
  t.match(out, /done/, 'the I/O finished');

  const c = new StatsCollector({ oomEvents: false, network: 'none' });
  t.teardown(() => c.close());
  c.add(`/${sub.name}`);
  const s = c.collect();
  const io = s.io.row(0);
  t.ok(io[dev], `an entry named ${dev} (from /sys/dev/block/${majmin}/uevent): ${JSON.stringify(io)}`);
  t.ok(io[dev]?.write_bytes >= 48 * 65536, `write_bytes ${io[dev]?.write_bytes} ≥ 3 MiB written`);
  t.ok(io[dev]?.read_bytes >= 32 * 65536, `read_bytes ${io[dev]?.read_bytes} ≥ 2 MiB read`);
  t.ok(io[dev]?.write_ops >= 1 && io[dev]?.read_ops >= 1, 'ops counted');
  checkSums(t, s, 0, 'the real cgroup');
});

t.test('VectorStore: entries per row, merged by key, grown when full', async (t) => {
  const { VectorStore, KeyTable } = require('../../dist/collector');
  const s = new VectorStore(new KeyTable('device'), IO_COLUMNS, 3, 0);
  s.reset();
  const a = s.keys.ofName('/dev/a');
  const b = s.keys.ofName('/dev/b');
  for (let row = 0; row < 3; row++) {
    const from = s.length;
    for (let i = 0; i < 20; i++) {
      const e = s.entry(from, i % 2 === 0 ? a : b); // two keys: two entries per row, whatever the number of calls
      s.values[e * s.width] = (s.values[e * s.width] || 0) + 1;
    }
    s.endRow(row);
  }
  t.equal(s.length, 6);
  t.same(s.row(1), { '/dev/a': { read_bytes: 10 }, '/dev/b': { read_bytes: 10 } }, 'absent columns (NaN) left out');
  t.equal(s.get(2, '/dev/b', 'read_bytes'), 10);
  t.equal(s.get(2, '/dev/b', 'write_bytes'), undefined, 'NaN is no value');
  t.equal(s.keys.ofName('/dev/a'), a, 'a name keeps its key');
  const big = new VectorStore(new KeyTable('device'), IO_COLUMNS, 1, 1);
  big.reset();
  for (let k = 0; k < 100; k++) big.values[big.entry(0, big.keys.ofName(`d${k}`)) * 4 + 3] = k;
  big.endRow(0);
  t.equal(big.to(0), 100, 'grown past its first 16 entries');
  t.equal(big.get(0, 'd99', 'write_ops'), 99, 'values kept across growth');
});
