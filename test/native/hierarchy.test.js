'use strict';
// Hierarchy discovery: mountinfo as real kernels write it (separate, co-mounted, hybrid, pure v2, inside a
// container, escaped names), the directory layout of recorded trees, and this host.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const { discoverHierarchies, hierarchiesFromMountinfo, Engine } = require('../../dist');

const FIX = path.join(__dirname, '..', 'fixtures');
const mountinfo = (name) => fs.readFileSync(path.join(FIX, 'mountinfo', name), 'utf8');
const byPath = (hs) => Object.fromEntries(hs.map((h) => [h.path, h]));

t.test('hybrid v1 host with cpu and cpuacct mounted apart', async (t) => {
  const hs = byPath(hierarchiesFromMountinfo(mountinfo('host-v1-hybrid.txt'), '/sys/fs/cgroup'));
  t.same(Object.keys(hs).sort(), ['blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids', 'systemd', 'unified']
    .map((d) => `/sys/fs/cgroup/${d}`).sort());
  t.same(hs['/sys/fs/cgroup/cpu'].controllers, ['cpu']);
  t.same(hs['/sys/fs/cgroup/cpuacct'].controllers, ['cpuacct']);
  t.same(hs['/sys/fs/cgroup/systemd'].controllers, ['name=systemd']);
  t.equal(hs['/sys/fs/cgroup/unified'].version, 2);
  t.equal(hs['/sys/fs/cgroup/memory'].version, 1);
});

t.test('co-mounted controllers and mount options that are not controllers', async (t) => {
  const hs = byPath(hierarchiesFromMountinfo(mountinfo('comounted-v1.txt'), '/sys/fs/cgroup'));
  t.same(hs['/sys/fs/cgroup/cpu,cpuacct'].controllers, ['cpu', 'cpuacct']);
  t.same(hs['/sys/fs/cgroup/net_cls,net_prio'].controllers, ['net_cls', 'net_prio']);
  t.same(hs['/sys/fs/cgroup/cpuset'].controllers, ['cpuset'], 'cpuset_v2_mode is an option');
  t.same(hs['/sys/fs/cgroup/systemd'].controllers, ['name=systemd'], 'xattr and release_agent= are options');
  t.notOk(Object.keys(hs).some((p) => !p.startsWith('/sys/fs/cgroup/')), 'only mounts below the root');
});

t.test('pure v2, and a container whose cgroups are mounted from its own cgroup', async (t) => {
  const v2 = hierarchiesFromMountinfo(mountinfo('pure-v2.txt'), '/sys/fs/cgroup');
  t.equal(v2.length, 1);
  t.equal(v2[0].version, 2);
  t.equal(v2[0].path, '/sys/fs/cgroup');
  const c1 = byPath(hierarchiesFromMountinfo(mountinfo('container-v1.txt'), '/sys/fs/cgroup'));
  t.equal(c1['/sys/fs/cgroup/memory'].mountRoot, '/kubepods/pod1/ctr');
  t.same(c1['/sys/fs/cgroup/cpu,cpuacct'].controllers, ['cpu', 'cpuacct']);
  const c2 = hierarchiesFromMountinfo(mountinfo('container-v2.txt'), '/sys/fs/cgroup');
  t.equal(c2.length, 1);
  t.equal(c2[0].mountRoot, '/kubepods/pod1/ctr');
});

t.test('escaped mount points are decoded, and a root is matched by whole components', async (t) => {
  const text = mountinfo('escaped-space.txt');
  const hs = byPath(hierarchiesFromMountinfo(text, '/mnt/my cgroups'));
  t.same(Object.keys(hs).sort(), ['/mnt/my cgroups/cpu,cpuacct', '/mnt/my cgroups/memory']);
  t.same(hierarchiesFromMountinfo(text, '/mnt/my'), [], '"/mnt/my" is not a parent of "/mnt/my cgroups"');
  t.equal(hierarchiesFromMountinfo(text, '/mnt/cgroup v2')[0].mountRoot, '/system.slice');
});

t.test('garbage mountinfo lines are skipped, not fatal', async (t) => {
  const text = 'garbage\n\n1 2 3\n- - -\n' + mountinfo('pure-v2.txt') + '\n99 1 0:1 / /x rw - cgroup2\n';
  const hs = hierarchiesFromMountinfo(text, '/sys/fs/cgroup');
  t.equal(hs.length, 1);
});

t.test('recorded trees: the layout comes from directory names', async (t) => {
  const v1 = discoverHierarchies({ root: path.join(FIX, 'trees', 'v1-real') });
  t.equal(v1.version, 1);
  t.ok(v1.hybrid, 'unified/ makes it hybrid');
  t.not(v1.controllers.get('cpu'), v1.controllers.get('cpuacct'), 'separate cpu and cpuacct');
  t.equal(v1.controllers.get('name=systemd').path, path.join(FIX, 'trees', 'v1-real', 'systemd'));
  const co = discoverHierarchies({ root: path.join(FIX, 'trees', 'v1-comounted') });
  t.equal(co.controllers.get('cpu'), co.controllers.get('cpuacct'), 'cpu,cpuacct is one hierarchy');
  t.equal(co.hierarchies.filter((h) => h.controllers.includes('cpu')).length, 1, 'the cpu and cpuacct symlinks are not hierarchies of their own');
  const v2 = discoverHierarchies({ root: path.join(FIX, 'trees', 'v2-full') });
  t.equal(v2.version, 2);
  t.equal(v2.hierarchies.length, 1);
  t.ok(v2.hierarchies[0].controllers.includes('memory'), 'controllers from cgroup.controllers');
  t.throws(() => discoverHierarchies({ root: path.join(FIX, 'no-such-tree') }), { code: 'ENOENT' });
});

const host = fs.existsSync('/sys/fs/cgroup/cpu/cgroup.procs') && fs.existsSync('/sys/fs/cgroup/cpuacct/cgroup.procs');
t.test('this host: v1 hybrid with cpu and cpuacct apart', { skip: host ? false : 'this host does not mount cpu and cpuacct apart' }, async (t) => {
  const l = discoverHierarchies();
  t.equal(l.version, 1, 'statfs says the root is not cgroup2');
  t.equal(l.controllers.get('cpu').path, '/sys/fs/cgroup/cpu');
  t.equal(l.controllers.get('cpuacct').path, '/sys/fs/cgroup/cpuacct');
  if (fs.existsSync('/sys/fs/cgroup/unified/cgroup.procs')) {
    t.ok(l.hybrid);
    t.equal(l.unified.path, '/sys/fs/cgroup/unified');
  }
  for (const h of l.hierarchies) t.ok(fs.existsSync(path.join(h.path, 'cgroup.procs')), `${h.path} is a cgroup hierarchy`);
});

t.test('symlinks in a tree never lead out of its root', async (t) => {
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'cgmgr-tree-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'pids', 'real'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'pids', 'real', 'pids.max'), 'max\n');
  fs.symlinkSync('/etc', path.join(dir, 'pids', 'escape'));
  fs.symlinkSync('real', path.join(dir, 'pids', 'inside'));
  fs.symlinkSync('/etc/hostname', path.join(dir, 'pids', 'real', 'pids.current'));
  for (const resolve of ['openat2', 'walk']) {
    const e = new Engine({ root: dir, resolve });
    t.throws(() => e.open('escape'), { code: /^(ELOOP|ENOTDIR)$/ }, `${resolve}: a symlink out of the root is refused`);
    t.throws(() => e.open('inside'), { code: /^(ELOOP|ENOTDIR)$/ }, `${resolve}: symlinks are not followed even inside`);
    const id = e.open('real');
    const plan = e.plan([{ controller: 'pids', name: 'pids.current', format: 'single' }, { controller: 'pids', name: 'pids.max', format: 'single' }]);
    const r = e.readSync(plan, [id]);
    t.equal(r.error(0, 0).code, 'ELOOP', `${resolve}: a symlinked file is not read`);
    t.equal(r.get(0, 1), Infinity);
    e.destroy();
  }
});
