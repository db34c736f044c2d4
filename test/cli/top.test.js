'use strict';
// `cgmgr top` when stdout is not a terminal: --iterations frames as plain text or JSON lines, on a recorded tree (the
// numbers its files hold, CPU 0 because nothing moves) and on the real kernel (a busy process of the test's own
// leads the CPU sort).
const t = require('tap');
const fs = require('node:fs');
const { spawn } = require('node:child_process');
const { makeSubtree, realKernelSkipReason } = require('../helpers/cgroups');
const { run, TREE } = require('./run');

const num = (file) => Number(fs.readFileSync(`${TREE}/${file}`, 'utf8').trim());

t.test('recorded tree: N JSON frames with the recorded numbers', async (t) => {
  const r = run('top', '--root', TREE, '--interval', '0.05', '--iterations', '3', '--json', '--sort', 'memory');
  t.equal(r.status, 0, r.stderr);
  const frames = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.equal(frames.length, 3, 'one JSON object per line, --iterations of them');
  for (const f of frames) {
    t.equal(f.sort, 'memory');
    t.equal(f.cgroups, 3);
    t.same(f.rows.map((row) => row.path), ['/', '/cgmgr-rec', '/cgmgr-rec/ctr'], 'by memory, largest first');
    const ctr = f.rows[2];
    t.equal(ctr.memoryBytes, num('memory/cgmgr-rec/ctr/memory.usage_in_bytes'));
    t.equal(ctr.memoryLimitBytes, num('memory/cgmgr-rec/ctr/memory.limit_in_bytes'));
    t.equal(ctr.pids, num('pids/cgmgr-rec/ctr/pids.current'));
    t.equal(ctr.cpuCores, 0, 'a recording does not move: 0 cores');
    t.equal(f.rows[0].pids, null, 'no pids.current at the v1 root: missing, not 0');
  }
});

t.test('recorded tree: plain text frames, --limit', async (t) => {
  const r = run('top', '--root', TREE, '--interval', '0.05', '--iterations', '2', '--limit', '2');
  t.equal(r.status, 0, r.stderr);
  t.notMatch(r.stdout, /\x1b/, 'no escape sequences when stdout is not a terminal');
  const frames = r.stdout.split('\n\n').filter((f) => f.startsWith('cgmgr top'));
  t.equal(frames.length, 2);
  const lines = r.stdout.trim().split('\n');
  t.match(lines[0], /^cgmgr top +\d\d:\d\d:\d\d +3 cgroups +sorted by cpu +every 0\.05 s$/);
  t.match(lines[2], /^CGROUP +CPU +MEMORY +WORKING SET +LIMIT +TASKS$/);
  t.match(lines[3], /^\/ +0\.00 /);
  t.match(lines[4], /^\/cgmgr-rec +0\.00 +36\.9 MiB +32\.9 MiB +max +1$/);
  t.equal(lines[5], '', '--limit 2: two rows, then the next frame');
  const all = run('top', '--root', TREE, '--interval', '0.05');
  t.equal(all.status, 0, all.stderr);
  t.equal(all.stdout.trim().split('\n').length, 6, 'one frame by default when stdout is not a terminal');
  t.match(all.stdout, /^\/cgmgr-rec\/ctr +0\.00 +36\.6 MiB +32\.6 MiB +256\.0 MiB +1$/m);
});

t.test('errors', async (t) => {
  const r = run('top', '--root', `${TREE}/nope`, '--iterations', '1', '--interval', '0.05');
  t.equal(r.status, 2, 'a --root that does not exist is a usage error');
  t.equal(r.stdout, '');
  t.match(r.stderr, /^cgmgr top: --root \S+ does not exist/);
});

const skip = realKernelSkipReason() ?? (fs.existsSync('/sys/fs/cgroup/cpuacct/cgroup.procs') ? false : 'needs a cgroup v1 host');

t.test('this machine: a busy process leads the CPU sort', { skip }, async (t) => {
  const sub = makeSubtree(t, ['memory', 'cpu', 'cpuacct', 'pids']);
  sub.mkdir();
  sub.mkdir('busy');
  const busy = spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' });
  sub.pids.add(busy.pid);
  t.teardown(() => { try { process.kill(busy.pid, 'SIGKILL'); } catch { /* gone */ } });
  for (const h of ['memory', 'cpu', 'cpuacct', 'pids']) fs.writeFileSync(sub.dir(h, 'busy') + '/cgroup.procs', String(busy.pid));
  const r = run('top', '--interval', '1', '--iterations', '2', '--json', '--depth', '2', '--limit', '500');
  t.equal(r.status, 0, r.stderr);
  const frames = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.equal(frames.length, 2);
  const last = frames[1];
  const mine = last.rows.find((row) => row.path === `/${sub.name}/busy`);
  t.ok(mine, 'the test\'s cgroup is listed');
  t.ok(mine.cpuCores > 0.2, `it uses CPU (${mine && mine.cpuCores} cores)`);
  t.ok(mine.cpuCores < 1.5, 'at most about one core: it is one thread');
  t.ok(mine.pids >= 1, 'its tasks (node\'s threads) are counted');
  const idx = last.rows.findIndex((row) => row === mine);
  const cpus = last.rows.map((row) => row.cpuCores ?? -1);
  t.same(cpus, [...cpus].sort((a, b) => b - a), 'sorted by CPU, busiest first');
  t.ok(idx >= 0);
  const idle = last.rows.find((row) => row.path === `/${sub.name}`);
  t.ok(idle && idle.cpuCores >= mine.cpuCores * 0.8, 'the parent accounts for its child');
});
