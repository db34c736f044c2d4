'use strict';
// Every bad input is refused before anything touches the disk: the error names the argument (code
// ERR_INVALID_ARG_VALUE) and the scratch tree is byte-for-byte unchanged afterwards.
const t = require('tap');
const cgmgr = require('../../dist');
const { scratch, snapshot, mkdirp } = require('./helpers');
const path = require('node:path');

const BAD_IDS = ['', 'a/b', '..', '.', 'a\0b', 'x/../../etc', 42, undefined, null];
const BAD_PARENTS = ['../x', '/a/../b', '/a/./b', '..', 'a\0b', 42, null, undefined];
const BAD_PIDS = [0, -2, 1.5, 2 ** 31, '12', NaN, null, undefined];

async function refuses(t, s, label, argName, fn) {
  const before = snapshot(s.base);
  let err;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  t.ok(err, `${label}: refused`);
  t.equal(err?.code, 'ERR_INVALID_ARG_VALUE', `${label}: code`);
  t.match(err?.message, `'${argName}'`, `${label}: names ${argName}`);
  t.same(snapshot(s.base), before, `${label}: nothing changed on disk`);
}

for (const version of [1, 2]) {
  t.test(`cgroupfs manager, v${version}`, async (t) => {
    const s = scratch(t, version);
    mkdirp(path.join(s.root, version === 2 ? '' : 'memory', 'p'));
    const m = cgmgr.setCgroupManager('cgroupfs', s.options);
    const calls = [];
    for (const id of BAD_IDS) {
      const l = JSON.stringify(id);
      calls.push([`containerCgroupPath id ${l}`, 'containerId', () => m.containerCgroupPath('/p', id)]);
      calls.push([`containerCgroupManager id ${l}`, 'containerId', () => m.containerCgroupManager('/p', id).applySync(-1)]);
      calls.push([`containerCgroupStats id ${l}`, 'containerId', () => m.containerCgroupStats('/p', id)]);
      calls.push([`sandboxCgroupPath id ${l}`, 'sbId', () => m.sandboxCgroupPath('/p', id, 0)]);
      calls.push([`sandboxCgroupStats id ${l}`, 'sbId', () => m.sandboxCgroupStats('/p', id)]);
      calls.push([`createSandboxCgroup id ${l}`, 'containerId', () => m.createSandboxCgroup('/p', id)]);
      calls.push([`createSandboxCgroupSync id ${l}`, 'containerId', () => m.createSandboxCgroupSync('/p', id)]);
      calls.push([`removeSandboxCgroup id ${l}`, 'containerId', () => m.removeSandboxCgroup('/p', id)]);
      calls.push([`moveConmonToCgroup cid ${l}`, 'cid', () => m.moveConmonToCgroup(id, '/p', 'pod', process.pid)]);
      calls.push([`moveConmonToCgroupSync cid ${l}`, 'cid', () => m.moveConmonToCgroupSync(id, '/p', 'pod', process.pid)]);
    }
    for (const p of BAD_PARENTS) {
      const l = JSON.stringify(p);
      calls.push([`containerCgroupPath parent ${l}`, 'sbParent', () => m.containerCgroupPath(p, 'c')]);
      calls.push([`sandboxCgroupPathSync parent ${l}`, 'sbParent', () => m.sandboxCgroupPathSync(p, 'sb', 0)]);
      calls.push([`sandboxCgroupManager parent ${l}`, 'sbParent', () => m.sandboxCgroupManager(p, 'sb')]);
      calls.push([`createSandboxCgroup parent ${l}`, 'sbParent', () => m.createSandboxCgroup(p, 'sb')]);
      calls.push([`removeSandboxCgroupSync parent ${l}`, 'sbParent', () => m.removeSandboxCgroupSync(p, 'sb')]);
      calls.push([`moveConmonToCgroup parent ${l}`, 'cgroupParent', () => m.moveConmonToCgroup('c', p, 'pod', process.pid)]);
    }
    for (const pid of BAD_PIDS) {
      const l = String(pid);
      calls.push([`moveConmonToCgroup pid ${l}`, 'pid', () => m.moveConmonToCgroup('c', '/p', 'pod', pid)]);
      calls.push([`moveConmonToCgroupSync pid ${l}`, 'pid', () => m.moveConmonToCgroupSync('c', '/p', '', pid)]);
      calls.push([`Cgroup.apply pid ${l}`, 'pid', () => m.containerCgroupManager('/p', 'c').apply(pid)]);
      calls.push([`Cgroup.applySync pid ${l}`, 'pid', () => m.containerCgroupManager('/p', 'c').applySync(pid)]);
      calls.push([`Cgroup.addPids pid ${l}`, 'pids[0]', () => m.containerCgroupManager('/p', 'c').addPids([pid])]);
      calls.push([`moveProcessToContainerCgroup containerPid ${l}`, 'containerPid', () => cgmgr.moveProcessToContainerCgroup(pid, process.pid, s.options)]);
      calls.push([`moveProcessToContainerCgroup commandPid ${l}`, 'commandPid', () => cgmgr.moveProcessToContainerCgroup(process.pid, pid, s.options)]);
    }
    calls.push(['Cgroup.addPids not an array', 'pids', () => m.containerCgroupManager('/p', 'c').addPids('12')]);
    calls.push(['Cgroup.set bad resources', 'resources.cpu.shares', () => m.containerCgroupManager('/p', 'c').set({ cpu: { shares: -1 } })]);
    calls.push(['libctrManager NUL', 'cgroup', () => cgmgr.libctrManager('a\0', '/p', false, s.options)]);
    calls.push(['options.version', 'version', () => cgmgr.setCgroupManager('cgroupfs', { ...s.options, version: 3 })]);
    for (const [label, arg, fn] of calls) await refuses(t, s, label, arg, fn);
  });
}

t.test('systemd manager', async (t) => {
  const s = scratch(t, 2);
  const m = cgmgr.setCgroupManager('systemd', s.options);
  for (const id of BAD_IDS) {
    await refuses(t, s, `containerCgroupPath ${JSON.stringify(id)}`, 'containerId', () => m.containerCgroupPath('a.slice', id));
    await refuses(t, s, `createSandboxCgroup ${JSON.stringify(id)}`, 'containerId', () => m.createSandboxCgroup('a.slice', id));
    await refuses(t, s, `sandboxCgroupPath ${JSON.stringify(id)}`, 'sbId', () => m.sandboxCgroupPath('a.slice', id, 0));
    await refuses(t, s, `moveConmonToCgroup ${JSON.stringify(id)}`, 'cid', () => m.moveConmonToCgroup(id, 'a.slice', 'pod', 1));
  }
  for (const p of BAD_PARENTS) {
    await refuses(t, s, `containerCgroupAbsolutePath ${JSON.stringify(p)}`, 'sbParent', () => m.containerCgroupAbsolutePath(p, 'c'));
    await refuses(t, s, `removeSandboxCgroup ${JSON.stringify(p)}`, 'sbParent', () => m.removeSandboxCgroup(p, 'c'));
  }
  await refuses(t, s, 'execCgroupManager id with a slash', 'cgroupPath containerID', () => m.execCgroupManager('a.slice:crio:x/y'));
});

t.test('setCgroupManager refuses names other than systemd and cgroupfs, creating nothing', async (t) => {
  const s = scratch(t, 2);
  const before = snapshot(s.base);
  for (const n of ['', 'Systemd', 'CGROUPFS', 'none', undefined]) {
    t.throws(() => cgmgr.setCgroupManager(n, s.options), { message: `invalid cgroup manager: ${n}` });
  }
  t.same(snapshot(s.base), before);
});
