'use strict';
// `cgmgr paths` through the real binary: the paths CRI-O's managers compute (the same calls through the library),
// text and JSON, and the sandbox memory check on a recorded tree.
const t = require('tap');
const { setCgroupManager } = require('../../dist');
const { run, TREE } = require('./run');

t.test('cgroupfs: the manager\'s paths, and conmon in <parent>/crio-conmon-<id>', async (t) => {
  const r = run('paths', '--manager', 'cgroupfs', '--parent', '/kubepods/pod1', '--id', 'abc', '--json');
  t.equal(r.status, 0, r.stderr);
  const m = setCgroupManager('cgroupfs');
  t.same(JSON.parse(r.stdout), {
    manager: 'cgroupfs', parent: '/kubepods/pod1', id: 'abc',
    containerCgroupPath: m.containerCgroupPath('/kubepods/pod1', 'abc'),
    containerCgroupAbsolutePath: '/kubepods/pod1/crio-abc',
    sandboxCgroupParent: '/kubepods/pod1',
    sandboxCgroupPath: '/kubepods/pod1/crio-abc',
    conmonUnit: null,
    conmonCgroupPath: '/kubepods/pod1/crio-conmon-abc',
  });
  t.equal(m.containerCgroupPath('/kubepods/pod1', 'abc'), '/kubepods/pod1/crio-abc');
  const empty = JSON.parse(run('paths', '--manager', 'cgroupfs', '--parent', '', '--id', 'abc', '--json').stdout);
  t.equal(empty.containerCgroupPath, '/crio/crio-abc', 'an empty parent is /crio');
});

t.test('systemd: slice:crio:id, the expanded scope path, conmon\'s scope in the pod slice', async (t) => {
  const r = run('paths', '--manager', 'systemd', '--parent', 'kubepods-besteffort-pod1.slice', '--id', 'abc', '--json');
  t.equal(r.status, 0, r.stderr);
  t.same(JSON.parse(r.stdout), {
    manager: 'systemd', parent: 'kubepods-besteffort-pod1.slice', id: 'abc',
    containerCgroupPath: 'kubepods-besteffort-pod1.slice:crio:abc',
    containerCgroupAbsolutePath: '/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/crio-abc.scope',
    sandboxCgroupParent: 'kubepods-besteffort-pod1.slice',
    sandboxCgroupPath: 'kubepods-besteffort-pod1.slice:crio:abc',
    conmonUnit: 'crio-conmon-abc.scope',
    conmonCgroupPath: '/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/crio-conmon-abc.scope',
  });
  const text = run('paths', '--manager', 'systemd', '--parent', '', '--id', 'abc');
  t.equal(text.status, 0);
  t.match(text.stdout, /^containerCgroupPath:\s+system\.slice:crio:abc$/m, 'text: one "name: value" line each');
  t.match(text.stdout, /^sandboxCgroupPath:\s+""$/m, 'an empty value is shown as ""');
  const bad = run('paths', '--manager', 'systemd', '--parent', '/kubepods/pod1', '--id', 'abc');
  t.equal(bad.status, 1, 'a directory is no slice');
  t.match(bad.stderr, /^cgmgr: ERR_CGROUP_WRONG_DRIVER: cri-o configured with systemd cgroup manager, but did not receive slice as parent/);
});

t.test('the sandbox memory check reads the parent\'s limit (recorded tree)', async (t) => {
  // memory/cgmgr-rec/ctr/memory.limit_in_bytes is 268435456 in the recording.
  const ok = run('paths', '--manager', 'cgroupfs', '--parent', '/cgmgr-rec/ctr', '--id', 'x', '--root', TREE, '--min-memory', String(256 * 2 ** 20));
  t.equal(ok.status, 0, ok.stderr);
  const low = run('paths', '--manager', 'cgroupfs', '--parent', '/cgmgr-rec/ctr', '--id', 'x', '--root', TREE, '--min-memory', String(256 * 2 ** 20 + 1), '--json');
  t.equal(low.status, 1);
  t.equal(low.stdout, '');
  t.match(low.stderr, /^cgmgr: ERR_CGROUP_MEMORY_TOO_LOW: pod set memory limit 268435456 too low; should be at least 268435457 bytes/);
});
