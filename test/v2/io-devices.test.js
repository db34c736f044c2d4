'use strict';
// io per device on a real cgroup v2 kernel (the qemu guest of test/vm, `bash test/vm/run-v2-suite.sh
// test/v2/io-devices.test.js`; skipped on a v1 / hybrid host): O_DIRECT reads of the guest's null disk by a process of
// the test's own cgroup appear in sweep.io under the disk's /dev name (from /sys/dev/block), equal to io.stat's line
// for it, summing with the other devices to the io columns, and in the exposition as container_fs_*{device}.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { StatsCollector, IO_COLUMNS } = require('../../dist/collector');
const { renderMetrics } = require('../../dist/exporter');
const { ROOT, realKernelSkipReason, makeSubtree } = require('../helpers/cgroups');
const { openMetricsSkip, openMetricsCheck } = require('../helpers/exposition');

const MiB = 1024 * 1024;
const COUNT = 4;
const read = (f) => fs.readFileSync(f, 'utf8').trim();
const reason = realKernelSkipReason();
const isV2 = !reason && fs.existsSync(path.join(ROOT, 'cgroup.controllers'));
const delegated = isV2 ? read(path.join(ROOT, 'cgroup.subtree_control')).split(/\s+/) : [];

/** The guest's null disk (virtio-blk, serial cgvm-null), as test/v2/stats.test.js finds it. */
function nullDisk() {
  if (!fs.existsSync('/sys/block')) return undefined;
  for (const name of fs.readdirSync('/sys/block')) {
    let serial;
    try { serial = read(`/sys/block/${name}/serial`); } catch { continue; }
    if (serial !== 'cgvm-null') continue;
    const [major, minor] = read(`/sys/block/${name}/dev`).split(':').map(Number);
    return { dev: `/dev/${name}`, major, minor };
  }
  return undefined;
}

const disk = isV2 ? nullDisk() : undefined;
const skip = reason ?? (!isV2 ? 'not a cgroup v2 (unified) host: runs in the qemu guest (test/vm/run-v2-suite.sh)'
  : !delegated.includes('io') ? 'the root does not delegate io' : !disk ? 'no cgvm-null virtio disk (the test/vm guest has one)' : false);

t.test('v2 io.stat per device: O_DIRECT reads of the null disk under its /dev name', { skip, timeout: 300000 }, async (t) => {
  const sub = makeSubtree(t, ['']);
  sub.mkdir();
  fs.writeFileSync(sub.dir('', 'cgroup.subtree_control'), '+io +memory +pids');
  sub.mkdir('ctr');
  const procs = sub.dir('', 'ctr/cgroup.procs');
  // The shell moves itself into the cgroup, then execs dd: every read is charged to it.
  const dd = spawn('sh', ['-c', 'echo $$ > "$0" && exec "$@"', procs, 'dd', `if=${disk.dev}`, 'of=/dev/null', 'bs=1M', `count=${COUNT}`,
    'iflag=direct', 'status=none'], { stdio: 'ignore' });
  sub.pids.add(dd.pid);
  const exit = await new Promise((resolve) => dd.once('exit', (code) => resolve(code)));
  t.equal(exit, 0, 'dd read the null disk');

  const c = new StatsCollector({ oomEvents: false });
  t.teardown(() => c.close());
  const rel = `/${sub.name}/ctr`;
  c.add(rel, { name: 'ctr' });
  const s = c.collect();
  const line = read(sub.dir('', 'ctr/io.stat')).split('\n').find((l) => l.startsWith(`${disk.major}:${disk.minor} `));
  t.ok(line, `io.stat has a line for ${disk.dev}`);
  const kv = Object.fromEntries(line.split(' ').slice(1).map((x) => x.split('=')).map(([k, v]) => [k, Number(v)]));
  const io = s.io.row(0);
  t.ok(io[disk.dev], `an entry named ${disk.dev}: ${JSON.stringify(io)}`);
  t.equal(io[disk.dev]?.read_bytes, kv.rbytes, 'read_bytes = rbytes');
  t.equal(io[disk.dev]?.read_ops, kv.rios, 'read_ops = rios');
  t.equal(io[disk.dev]?.write_bytes, kv.wbytes);
  t.equal(io[disk.dev]?.write_ops, kv.wios);
  t.ok(kv.rbytes >= COUNT * MiB, `${kv.rbytes} bytes ≥ ${COUNT} MiB read`);
  for (const col of IO_COLUMNS) {
    const sum = Object.values(io).reduce((n, d) => n + (d[col] ?? 0), 0);
    t.equal(sum, s.get(0, { read_bytes: 'io_read_bytes', write_bytes: 'io_write_bytes', read_ops: 'io_read_ops', write_ops: 'io_write_ops' }[col]),
      `${col} over devices = the column`);
  }
  const text = renderMetrics(s, { format: 'openmetrics' });
  const re = new RegExp(`^container_fs_reads_bytes_total\\{id="${rel}",name="ctr",device="${disk.dev}"\\} (\\d+)$`, 'm');
  t.equal(Number(re.exec(text)?.[1]), kv.rbytes, 'container_fs_reads_bytes_total{device} in the exposition');
  if (!openMetricsSkip) t.ok(openMetricsCheck(text).ok, 'the OpenMetrics parser');
});
