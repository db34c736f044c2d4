'use strict';
// Discovery at any depth on recorded trees (a copy of test/fixtures/trees/v2-full in a temporary directory, with
// pod and container directories made by the test): the systemd driver's CRI-O and containerd layouts, the cgroupfs
// layouts, conmon and podman; cgroups created and removed while watched; 10,000 siblings; the inotify limit's
// fallback; odd names.
const t = require('tap');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createKubernetesCollector } = require('../../dist');
const { waitFor } = require('./lab');

const TREE = path.join(__dirname, '..', 'fixtures', 'trees', 'v2-full');
const hex = (n) => n.toString(16).padStart(64, '0');
const UID = '6f1a2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b';
const UIDU = UID.replace(/-/g, '_');

function tree(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cgmgr-k8s-tree-'));
  fs.cpSync(TREE, dir, { recursive: true });
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const mk = (p) => fs.mkdirSync(path.join(dir, p), { recursive: true });
  return { dir, mk };
}

function collector(t, root, more = {}) {
  const c = createKubernetesCollector({ root, version: 2, runtimeEndpoint: false, oomEvents: false, ...more });
  t.teardown(() => c.close());
  return c;
}

t.test('the layouts of both drivers, at any depth', async (t) => {
  const { dir, mk } = tree(t);
  const sys = [
    `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UIDU}.slice/crio-${hex(1)}.scope`,
    `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UIDU}.slice/crio-conmon-${hex(1)}.scope`,
    `/kubepods.slice/kubepods-pod${UIDU.replace('6f', '7f')}.slice/cri-containerd-${hex(2)}.scope`,
  ];
  const fsd = [`/node/kubepods/besteffort/pod${UID}/${hex(3)}`, `/node/kubepods/besteffort/pod${UID}/crio-${hex(4)}`];
  const podman = `/libpod_parent/libpod-${hex(5)}`;
  for (const p of [...sys, ...fsd, podman, '/system.slice/sshd.service', '/user.slice/deep/a/b/kubepods-not']) mk(p);
  mk(`${fsd[0]}/nested-by-the-container`);
  const c = collector(t, dir);
  const paths = new Set(c.paths());
  for (const p of [...sys, ...fsd, podman]) t.ok(paths.has(p), `registered: ${p}`);
  for (const p of sys) t.ok(paths.has(path.posix.dirname(p)), `its pod: ${path.posix.dirname(p)}`);
  t.ok(paths.has('/kubepods.slice/kubepods-burstable.slice'), 'the QoS slice');
  t.notOk(paths.has('/system.slice/sshd.service'), 'system cgroups are not registered');
  t.notOk(paths.has(`${fsd[0]}/nested-by-the-container`), 'nothing below a container');
  t.same(Object.keys(c.labelsOf(fsd[0])), [], 'no runtime: id only');
});

t.test('created and removed at any depth while watched', async (t) => {
  const { dir, mk } = tree(t);
  mk('/kubepods/burstable');
  const c = collector(t, dir);
  const pod = `/a/kubepods/burstable/pod${UID}`;
  const ctr = `${pod}/${hex(9)}`;
  mk('/a');
  mk(ctr); // three levels at once below a directory only just watched
  await waitFor('the new pod and container', () => c.has(pod) && c.has(ctr));
  t.pass('added without a restart');
  const gone = [];
  c.on('gone', (e) => gone.push(e.path));
  fs.rmdirSync(path.join(dir, ctr));
  await waitFor('the removed container dropped', () => !c.has(ctr));
  t.ok(c.has(pod), 'its pod stays');
  t.same(gone, [ctr], "'gone' for the removed container");
  fs.rmSync(path.join(dir, '/a'), { recursive: true });
  await waitFor('the whole subtree dropped', () => !c.has(pod));
  t.pass('a removed subtree is dropped');
});

t.test('10,000 sibling containers', { timeout: 120000 }, async (t) => {
  const { dir, mk } = tree(t);
  const pod = `/kubepods/burstable/pod${UID}`;
  for (let i = 0; i < 10000; i++) mk(`${pod}/${hex(i)}`);
  const c = collector(t, dir);
  t.equal(c.paths().filter((p) => p.startsWith(`${pod}/`)).length, 10000, 'every sibling registered');
  t.ok(c.trees[0].watchCount < 50, `containers are not watched (${c.trees[0].watchCount} watches)`);
  const s = c.collect();
  t.equal(s.rows, c.size, 'a sweep has a row each');
  mk(`${pod}/${hex(10001)}`);
  await waitFor('one more among 10,000', () => c.has(`${pod}/${hex(10001)}`));
  t.pass('one more sibling is added');
});

t.test('the watch limit: one warning, then rescans find what inotify would have', { timeout: 120000 }, async (t) => {
  const { dir, mk } = tree(t);
  for (let i = 0; i < 10000; i++) mk(`/kubepods/burstable/q${i}`);
  const warnings = [];
  const c = createKubernetesCollector({ root: dir, version: 2, runtimeEndpoint: false, oomEvents: false, maxWatches: 100, rescanIntervalMs: 200 });
  c.on('warning', (e) => warnings.push(e.message));
  t.teardown(() => c.close());
  t.equal(c.paths().filter((p) => p.startsWith('/kubepods/burstable/q')).length, 10000, 'every directory registered');
  t.ok(c.trees[0].watchCount <= 100, `at most maxWatches watches (${c.trees[0].watchCount})`);
  t.match(c.trees[0].degraded, /maxWatches/, 'the watcher says why it rescans');
  const deep = `/kubepods/burstable/q9999/pod${UID}/${hex(7)}`;
  mk(deep);
  await waitFor('a cgroup below an unwatched directory, by rescan', () => c.has(deep));
  t.pass('found by the fallback rescan');
  t.equal(warnings.length, 1, 'one warning');
  t.match(warnings[0], /rescanning every 200 ms/, warnings[0]);
});

t.test('odd characters in names', async (t) => {
  const { dir, mk } = tree(t);
  const odd = [`/kubepods/burstable/pod${UID}/we"ird\\name`, `/kubepods/burstable/pod${UID}/new\nline`, '/kubepods/sp ace/x'];
  for (const p of odd) mk(p);
  const c = collector(t, dir);
  for (const p of odd) {
    t.ok(c.has(p), `registered: ${JSON.stringify(p)}`);
    t.same(c.labelsOf(p), {}, 'no labels guessed');
  }
  const sw = c.collect();
  t.equal(sw.rows, c.size, 'swept without an error');
});

t.test('v1: the cgroupfs driver under CRI-O, found in the memory hierarchy', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cgmgr-k8s-v1-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.cpSync(path.join(__dirname, '..', 'fixtures', 'trees', 'v1-real'), dir, { recursive: true });
  const pod = `/kubepods/burstable/pod${UID}`;
  const ctrs = [`${pod}/crio-${hex(11)}`, `${pod}/crio-conmon-${hex(11)}`];
  for (const h of ['memory', 'cpu', 'cpuacct', 'pids']) for (const c of ctrs) fs.mkdirSync(path.join(dir, h, c), { recursive: true });
  const c = createKubernetesCollector({ root: dir, version: 1, runtimeEndpoint: false, oomEvents: false });
  t.teardown(() => c.close());
  for (const p of ['/kubepods', '/kubepods/burstable', pod, ...ctrs]) t.ok(c.has(p), `registered: ${p}`);
  const late = `${pod}/crio-${hex(12)}`;
  fs.mkdirSync(path.join(dir, 'memory', late));
  await waitFor('a container created later', () => c.has(late));
  t.pass('a container created later is added (memory hierarchy watched)');
});

t.test('an inotify queue overflow: the periodic verification rescan finds what the lost events did not say', { timeout: 180000 }, async (t) => {
  const max = Number(fs.readFileSync('/proc/sys/fs/inotify/max_queued_events', 'utf8'));
  const n = max + 2000;
  if (!(n <= 70000)) {
    t.skip(`fs.inotify.max_queued_events is ${max}: too many directories to overflow it here`);
    return;
  }
  const { dir, mk } = tree(t);
  const pod = `/kubepods/burstable/pod${UID}`;
  mk(pod);
  const c = collector(t, dir, { verifyIntervalMs: 500 });
  // Created while this thread holds the event loop: the kernel queues one event per directory and drops the rest.
  for (let i = 0; i < n; i++) fs.mkdirSync(path.join(dir, pod, hex(i)));
  await waitFor(`all ${n} directories registered`, () => c.paths().length >= n + 3, 150000);
  const got = new Set(c.paths());
  let missing = 0;
  for (let i = 0; i < n; i++) if (!got.has(`${pod}/${hex(i)}`)) missing++;
  t.equal(missing, 0, `every one of ${n} directories created in a burst past the inotify queue is registered`);
});
