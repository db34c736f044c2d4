'use strict';
// The opt-in process figures (issue 12) on real v1 cgroups of this kernel: processes of the test's own hold a known
// number of descriptors and sockets (node's 'pipe' stdio is a unix socketpair on Linux; 'ignore' is /dev/null), and
// the columns file_descriptors / sockets count them; off by default (absent, no series); the exporter's families;
// an empty cgroup counts 0 without a scan; a cgroup whose processes exit counts 0.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { StatsCollector, FIELD, FIELD_COUNT, scanProcessFigures } = require('../../dist/collector');
const { renderMetrics } = require('../../dist/exporter');
const { ROOT, realKernelSkipReason, makeSubtree } = require('../helpers/cgroups');

const skip = realKernelSkipReason();
const isV1 = !skip && fs.existsSync(path.join(ROOT, 'memory', 'cgroup.procs')) && !fs.existsSync(path.join(ROOT, 'cgroup.controllers'));
const opts = { skip: skip ?? (isV1 ? false : 'not a cgroup v1 (hybrid) host (test/v2/last-sample.test.js covers v2)') };
const H = ['memory', 'cpu', 'cpuacct', 'pids'];
const comm = (pid) => { try { return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { return ''; } };

/**
 * `sleep 600` of our own holding exactly the descriptors of `stdio` (bash closes any other it inherited, such as a
 * test runner's pipe without close-on-exec, before it execs), moved into `rel` of the subtree in every hierarchy of H.
 */
async function sleeperIn(sub, rel, stdio) {
  const script = `for f in /proc/$$/fd/*; do n=\${f##*/}; if [ "$n" -ge ${stdio.length} ]; then eval "exec $n>&-"; fi; done; exec sleep 600`;
  const child = spawn('bash', ['-c', script], { stdio });
  sub.pids.add(child.pid);
  await new Promise((resolve, reject) => { child.once('spawn', resolve); child.once('error', reject); });
  for (const h of H) fs.writeFileSync(sub.dir(h, `${rel}/cgroup.procs`), String(child.pid));
  // Counted once bash has closed the others and exec'd sleep.
  for (const end = Date.now() + 10000; Date.now() < end && comm(child.pid) !== 'sleep';) await new Promise((r) => setTimeout(r, 10));
  // ... and once sleep has closed what its own start-up opened (a locale file, for a moment after exec).
  const open = () => { try { return fs.readdirSync(`/proc/${child.pid}/fd`).length; } catch { return -1; } };
  for (const end = Date.now() + 10000; Date.now() < end && open() !== stdio.length;) await new Promise((r) => setTimeout(r, 10));
  return child;
}

t.test('scanProcessFigures counts what /proc says, skips what it cannot read', (t) => {
  const self = scanProcessFigures([process.pid], '/proc');
  t.ok(self.fileDescriptors >= 3, 'this process has at least stdio');
  t.same(scanProcessFigures([2147483646], '/proc'), { fileDescriptors: 0, sockets: 0 }, 'a pid that does not exist adds nothing');
  t.same(scanProcessFigures([], '/proc'), { fileDescriptors: 0, sockets: 0 });
  t.throws(() => scanProcessFigures([1], 'proc'), { name: 'TypeError' }, 'a relative procRoot is a TypeError');
  // A recorded /proc: two fd entries of pid 7, one a link to a socket (links are what readlinkat reads).
  const root = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'cgmgr-proc-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.mkdirSync(path.join(root, '7', 'fd'), { recursive: true });
  fs.symlinkSync('socket:[12345]', path.join(root, '7', 'fd', '3'));
  fs.symlinkSync('/dev/null', path.join(root, '7', 'fd', '4'));
  t.same(scanProcessFigures([7, 8], root), { fileDescriptors: 2, sockets: 1 }, 'entries and socket links; pid 8 has none');
  t.end();
});

t.test('file descriptors and sockets of processes holding a known number of each', opts, async (t) => {
  const sub = makeSubtree(t, H);
  sub.mkdir();
  for (const x of ['busy', 'empty']) sub.mkdir(x);
  const p = (x) => `/${sub.name}/${x}`;
  // 5 descriptors, 4 of them sockets (stdout, stderr and fds 3 and 4 are socketpairs; stdin is /dev/null) ...
  const a = await sleeperIn(sub, 'busy', ['ignore', 'pipe', 'pipe', 'pipe', 'pipe']);
  // ... and 3 descriptors, none a socket.
  await sleeperIn(sub, 'busy', ['ignore', 'ignore', 'ignore']);
  t.teardown(() => { for (const s of a.stdio) s?.destroy(); });

  const off = new StatsCollector({ oomEvents: false });
  t.teardown(() => off.close());
  off.add(p('busy'));
  const s0 = off.collect();
  t.equal(off.processMetrics, false, 'off by default');
  t.equal(s0.get(0, 'file_descriptors'), undefined, 'absent without processMetrics');
  t.equal(s0.get(0, 'sockets'), undefined);
  t.notMatch(renderMetrics(s0), /container_file_descriptors|container_sockets/, 'no series without the scan');

  const c = new StatsCollector({ processMetrics: true, oomEvents: false });
  t.teardown(() => c.close());
  t.equal(c.processMetrics, true);
  c.add(p('busy'), { name: 'busy' });
  c.add(p('empty'), { name: 'empty' });
  const s1 = c.collect();
  const busy = s1.rowOf(p('busy'));
  const empty = s1.rowOf(p('empty'));
  t.equal(s1.get(busy, 'processes'), 2);
  t.equal(s1.get(busy, 'file_descriptors'), 8, '5 + 3 descriptors');
  t.equal(s1.get(busy, 'sockets'), 4, '4 socketpair ends');
  t.equal(s1.get(empty, 'file_descriptors'), 0, 'an empty cgroup has none');
  t.equal(s1.get(empty, 'sockets'), 0);

  const text = renderMetrics(s1);
  t.match(text, new RegExp(`container_file_descriptors\\{[^}]*id="${p('busy')}"[^}]*\\} 8\\n`), 'exported');
  t.match(text, new RegExp(`container_sockets\\{[^}]*id="${p('busy')}"[^}]*\\} 4\\n`));
  t.match(text, /# TYPE container_file_descriptors gauge/);

  // The same through an async sweep and a bigint collector.
  const s2 = await c.collectAsync();
  t.equal(s2.get(s2.rowOf(p('busy')), 'sockets'), 4, 'async sweep');
  const big = new StatsCollector({ processMetrics: true, oomEvents: false, bigint: true });
  t.teardown(() => big.close());
  big.add(p('busy'));
  const s3 = big.collect();
  t.equal(s3.get(0, 'file_descriptors'), 8n, 'bigint sweep');
  t.equal(s3.values[0 * FIELD_COUNT + FIELD.sockets], 4n);

  // Closing two of the socket ends in the child is not possible from here; killing the first process is.
  await sub.kill(a);
  const s4 = c.collect();
  t.equal(s4.get(s4.rowOf(p('busy')), 'file_descriptors'), 3, 'the remaining process only');
  t.equal(s4.get(s4.rowOf(p('busy')), 'sockets'), 0);
});

t.test('v1: processes (and so the scan) follow a process moved in between sweeps less than a second apart', opts, async (t) => {
  // Before: the held cgroup.procs was re-read within the kernel pid list's one-second lifetime, which returns the
  // cached list, so `processes` stayed 0 (and the scan was skipped as for an empty cgroup) while pids.current was 1.
  const sub = makeSubtree(t, H);
  sub.mkdir();
  const c = new StatsCollector({ processMetrics: true, oomEvents: false, lastSample: false });
  t.teardown(() => c.close());
  c.add(`/${sub.name}`);
  let s = c.collect();
  t.equal(s.get(0, 'processes'), 0, 'empty');
  s = c.collect({ into: s }); // again within the second: the list a held descriptor would keep
  await sleeperIn(sub, '', ['ignore', 'ignore', 'ignore']);
  let seen;
  for (const end = Date.now() + 10000; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    s = c.collect({ into: s });
    seen = s.get(0, 'processes');
    if (seen === 1) break;
  }
  t.equal(seen, 1, 'the process is counted by the next sweeps');
  t.equal(s.get(0, 'pids_current'), 1);
  t.equal(s.get(0, 'file_descriptors'), 3, 'and scanned');
});
