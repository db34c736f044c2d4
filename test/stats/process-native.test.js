'use strict';
// PidsStats' /proc scan in C (native/proc_scan.cc, shared with the collector's process figures): the same figures as
// the node:fs scan on recorded /proc trees with odd limits files, argument errors, and on a live v1 container of the
// test's own read through a manager's per-container call (the kernel's /proc of the processes the test started).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawn } = require('node:child_process');
const t = require('tap');
const { native } = require('../../dist/native');
const { nofileSoft, scanProcessesSync, scanProcesses } = require('../../dist/stats/process');
const { ROOT, realKernelSkipReason, makeSubtree } = require('../helpers/cgroups');

const line = (soft) => `Max open files            ${soft}                 4096                 files     \n`;
const LIMITS = (soft) => 'Limit                     Soft Limit           Hard Limit           Units     \n' +
  'Max cpu time              unlimited            unlimited            seconds   \n' + line(soft);

t.test('native scan = node:fs scan = nofileSoft on odd limits files', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cgmgr-proc-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  const texts = [
    LIMITS('1024'), LIMITS('unlimited'), LIMITS('12abc'), LIMITS('18446744073709551615'), LIMITS('18446744073709551616'),
    'Max open files\t\t 55\tx\n', 'Max open files 66', 'Max open files', 'Max open files \n', 'x Max open files 5\n',
    'Max open files 7\nMax open files 8\n', 'Max open files unlimited\nMax open files 8\n', '', '\n\n',
    'Max open filesX 5\n', 'Max open files 00012 x\n', 'a\nMax open files 9\r\n',
  ];
  texts.forEach((text, i) => {
    const pid = 100 + i;
    fs.mkdirSync(path.join(root, String(pid), 'fd'), { recursive: true });
    fs.writeFileSync(path.join(root, String(pid), 'limits'), text);
  });
  for (let i = 0; i < texts.length; i++) {
    const want = nofileSoft(texts[i]);
    const s = scanProcessesSync([100 + i], root);
    t.equal(s.ulimitsSoft, want ?? 0n, `limits ${JSON.stringify(texts[i].slice(0, 40))}: ${want}`);
    t.same(s, await scanProcesses([100 + i], root), 'native = node:fs');
  }
  t.equal(scanProcessesSync([103], root).ulimitsSoft, (1n << 64n) - 1n, 'u64 max is exact (not a double)');

  // Descriptors: links to sockets and others; a pid whose fd entry is a file, not a directory, adds nothing.
  fs.mkdirSync(path.join(root, '7', 'fd'), { recursive: true });
  for (const [n, target] of [['0', '/dev/null'], ['1', 'socket:[9]'], ['2', 'socketx'], ['3', 'sock'], ['4', 'anon_inode:[eventfd]']]) {
    fs.symlinkSync(target, path.join(root, '7', 'fd', n));
  }
  fs.mkdirSync(path.join(root, '8'));
  fs.writeFileSync(path.join(root, '8', 'fd'), 'not a directory');
  fs.writeFileSync(path.join(root, '8', 'limits'), LIMITS('31'));
  const want = { fileDescriptors: 5n, sockets: 2n, ulimitsSoft: 31n };
  t.same(scanProcessesSync([7, 8, 0, -1, 2147483647], root), want, 'five entries, two socket links; the last limit wins');
  t.same(await scanProcesses([7, 8, 0, -1, 2147483647], root), want, 'node:fs: the same');
  const many = Array.from({ length: 300 }, () => 7);
  t.same(scanProcessesSync(many, root), { fileDescriptors: 1500n, sockets: 600n, ulimitsSoft: 0n }, 'more pids than the first scratch array holds');
});

t.test('native scanProcesses: bad arguments are TypeErrors / RangeErrors, never a crash', async (t) => {
  const out = new BigUint64Array(5);
  const pids = Int32Array.of(1);
  t.throws(() => native.scanProcesses('proc', pids, 1, out), { name: 'TypeError' }, 'relative procRoot');
  t.throws(() => native.scanProcesses('/proc\0x', pids, 1, out), { name: 'TypeError' }, 'NUL in procRoot');
  t.throws(() => native.scanProcesses('/proc', [1], 1, out), { name: 'TypeError' }, 'pids not an Int32Array');
  t.throws(() => native.scanProcesses('/proc', pids, 1, new BigUint64Array(4)), { name: 'TypeError' }, 'out too short');
  t.throws(() => native.scanProcesses('/proc', pids, 1, new Float64Array(5)), { name: 'TypeError' }, 'out not BigUint64Array');
  t.throws(() => native.scanProcesses('/proc', pids, 2, out), { name: 'RangeError' }, 'count past pids');
  t.throws(() => native.scanProcesses('/proc', pids, 0.5, out), { name: 'RangeError' }, 'count not an integer');
  t.throws(() => native.scanProcesses('/proc', pids, -1, out), { name: 'RangeError' }, 'negative count');
  native.scanProcesses('/proc', pids, 0, out);
  t.same([...out], [0n, 0n, 0n, 0n, 0n], 'no pids: zeros');
});

const skip = realKernelSkipReason();
const isV1 = !skip && fs.existsSync(path.join(ROOT, 'memory', 'cgroup.procs')) && !fs.existsSync(path.join(ROOT, 'cgroup.controllers'));
const H = ['memory', 'cpu', 'cpuacct', 'pids', 'devices', 'blkio'].filter((h) => fs.existsSync(path.join(ROOT, h, 'cgroup.procs')));
const comm = (pid) => { try { return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { return ''; } };

t.test('a container of our own: the per-container call reports the /proc figures of the processes we started',
  { skip: skip ?? (isV1 ? false : 'not a cgroup v1 (hybrid) host') }, async (t) => {
    const sub = makeSubtree(t, H);
    sub.mkdir();
    const id = crypto.randomBytes(32).toString('hex');
    sub.mkdir(`crio-${id}`);
    // Two sleeps of ours with known descriptors and soft limits: the first holds stdin (/dev/null) and four socket
    // ends, soft limit 333; the second stdin, stdout, stderr (no sockets), soft limit 444 (the last pid listed wins).
    const start = async (stdio, soft) => {
      const script = `ulimit -Sn ${soft}; for f in /proc/$$/fd/*; do n=\${f##*/}; if [ "$n" -ge ${stdio.length} ]; then eval "exec $n>&-"; fi; done; exec sleep 600`;
      const child = spawn('bash', ['-c', script], { stdio });
      sub.pids.add(child.pid);
      await new Promise((resolve, reject) => { child.once('spawn', resolve); child.once('error', reject); });
      for (const h of H) fs.writeFileSync(sub.dir(h, `crio-${id}/cgroup.procs`), String(child.pid));
      for (const end = Date.now() + 10000; Date.now() < end && comm(child.pid) !== 'sleep';) await new Promise((r) => setTimeout(r, 10));
      t.equal(comm(child.pid), 'sleep', `pid ${child.pid} exec'd sleep`);
      return child;
    };
    const a = await start(['ignore', 'pipe', 'pipe', 'pipe', 'pipe'], 333);
    t.teardown(() => { for (const s of a.stdio) s?.destroy(); });
    const b = await start(['ignore', 'ignore', 'ignore'], 444);

    // What the kernel shows for them, and the order cgroup.procs lists them in (the last parsable limit wins).
    const procs = fs.readFileSync(sub.dir('devices', `crio-${id}/cgroup.procs`), 'utf8').split('\n').filter(Boolean).map(Number);
    t.same([...procs].sort(), [a.pid, b.pid].sort(), 'both in the container');
    let fds = 0;
    let sockets = 0;
    // sleep may still hold a file of its own for a moment after exec (its locale): wait for the descriptors it keeps.
    for (const end = Date.now() + 10000; Date.now() < end; await new Promise((r) => setTimeout(r, 10))) {
      fds = 0;
      sockets = 0;
      for (const pid of procs) {
        for (const n of fs.readdirSync(`/proc/${pid}/fd`)) {
          fds++;
          if (fs.readlinkSync(`/proc/${pid}/fd/${n}`).startsWith('socket')) sockets++;
        }
      }
      if (fds === 8) break;
    }
    t.equal(fds, 8, '5 + 3 descriptors');
    t.equal(sockets, 4, '4 socket ends');
    const soft = nofileSoft(fs.readFileSync(`/proc/${procs[procs.length - 1]}/limits`, 'utf8'));
    t.equal(soft, procs[procs.length - 1] === a.pid ? 333n : 444n);

    const { CgroupfsManager } = require('../../dist/managers');
    const m = new CgroupfsManager();
    const parent = `/${sub.name}`;
    for (let i = 0; i < 3; i++) {
      const s = m.containerCgroupStatsSync(parent, id);
      t.same(s.pid.pids, procs, 'pids as cgroup.procs lists them');
      t.equal(s.pid.fileDescriptors, fds, 'descriptors');
      t.equal(s.pid.sockets, sockets, 'sockets');
      t.equal(s.pid.ulimitsSoft, Number(soft), 'soft "Max open files" of the last pid');
    }
    const sa = await m.containerCgroupStats(parent, id, { bigint: true });
    t.same({ fds: sa.pid.fileDescriptors, sockets: sa.pid.sockets, soft: sa.pid.ulimitsSoft }, { fds: BigInt(fds), sockets: BigInt(sockets), soft });
    // The batch read off the event loop (its scan is node:fs's) agrees.
    const { statsMany } = require('../../dist/stats');
    const [r] = await statsMany([`${parent}/crio-${id}`]);
    t.ok(r.ok);
    t.same({ fds: r.stats.pid.fileDescriptors, sockets: r.stats.pid.sockets, soft: r.stats.pid.ulimitsSoft }, { fds, sockets, soft: Number(soft) });
  });
