'use strict';
// A cgroup registered while it exists in only some of its hierarchies (runc makes a container's memory directory
// before its cpu and cpuacct ones; a discovery that watches one hierarchy registers it in between) gains the others
// once they are made: the engine looks for a hierarchy's missing directory again (about once a second), rather than
// reading that controller as absent for the cgroup's whole life. Seen as a container's CPU series never appearing in
// the CRI lab test after a containerd restart. Every cgroup is the test's own and removed at the end.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const { StatsCollector } = require('../../dist/collector');
const { ROOT, realKernelSkipReason, makeSubtree } = require('../helpers/cgroups');
const { waitFor } = require('../helpers/wait');

const skip = realKernelSkipReason();
const H = ['memory', 'cpu', 'cpuacct'];
const isV1 = !skip && H.every((h) => fs.existsSync(path.join(ROOT, h, 'cgroup.procs')));
const opts = { skip: skip ?? (isV1 ? false : 'needs the v1 memory, cpu and cpuacct hierarchies') };

t.test('a cgroup registered before its cpu and cpuacct directories exist gains them', opts, async (t) => {
  const sub = makeSubtree(t, H);
  sub.mkdir();
  const late = Object.fromEntries(H.map((h) => [h, sub.dir(h, 'late')]));
  fs.mkdirSync(late.memory);
  const c = new StatsCollector({ controllers: H, oomEvents: false });
  try {
    c.add(`/${sub.name}/late`);
    const first = c.collect();
    t.equal(typeof first.get(0, 'memory_usage_bytes'), 'number', 'memory is read');
    t.equal(first.get(0, 'cpu_usage_ns'), undefined, 'no cpuacct directory yet: no CPU usage');
    fs.mkdirSync(late.cpu);
    fs.mkdirSync(late.cpuacct);
    let s;
    await waitFor(() => {
      s = c.collect();
      return s.get(0, 'cpu_usage_ns') !== undefined;
    }, 'the CPU usage of the cgroup once its cpuacct directory exists', { timeoutMs: 15000, intervalMs: 100 });
    t.equal(s.get(0, 'cpu_usage_ns'), Number(fs.readFileSync(path.join(late.cpuacct, 'cpuacct.usage'), 'utf8')),
      'read from its cpuacct directory (no process: the usage stays what the kernel says)');
    await waitFor(() => {
      s = c.collect();
      return s.get(0, 'cpu_periods') !== undefined;
    }, 'cpu.stat of the cgroup once its cpu directory exists', { timeoutMs: 15000, intervalMs: 100 });
    t.equal(s.get(0, 'cpu_periods'), 0, 'and its cpu directory (cpu.stat: no process, no period)');
    // Spec files (cpu.shares) follow their own interval (read tiers): refreshSpec() asks for them now.
    c.refreshSpec();
    t.equal(c.collect().get(0, 'cpu_shares'), Number(fs.readFileSync(path.join(late.cpu, 'cpu.shares'), 'utf8')),
      'cpu.shares once the spec files are read again');
  } finally {
    c.close();
    for (const h of [...H].reverse()) {
      try { fs.rmdirSync(late[h]); } catch (err) { if (err.code !== 'ENOENT') throw err; }
    }
  }
});
