'use strict';
// A cgroup that a runtime creates one v1 hierarchy at a time (runc, systemd): a watcher registers it the moment it
// appears in the watched (memory) hierarchy; its handle is re-opened once it exists in the others, so its cpu and pids
// columns are read. Real kernel, the test's own cgroups.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const { StatsCollector, FIELD } = require('../../dist');
const { ROOT, makeSubtree, realKernelSkipReason } = require('../helpers/cgroups');
const { waitFor } = require('./lab');

const skip = realKernelSkipReason() ?? (fs.existsSync(path.join(ROOT, 'cgroup.controllers')) ? 'v1 hierarchies needed (this host is unified)' : undefined);

t.test('a cgroup made one hierarchy at a time gets every column', { skip }, async (t) => {
  const hs = ['memory', 'cpu', 'cpuacct', 'pids'].filter((h) => fs.existsSync(path.join(ROOT, h)));
  const sub = makeSubtree(t, hs);
  sub.mkdir();
  const child = `/${sub.name}/late`;
  const made = [];
  const removeChild = () => {
    for (const h of made.splice(0)) {
      try {
        fs.rmdirSync(path.join(ROOT, h, child));
      } catch {
        // the subtree's cleanup retries
      }
    }
  };
  const c = new StatsCollector({ oomEvents: false });
  try {
    c.watch(`/${sub.name}`);
    fs.mkdirSync(path.join(ROOT, 'memory', child));
    made.push('memory');
    await waitFor('the watcher to register it (memory only)', () => c.has(child));
    for (const h of hs.filter((x) => x !== 'memory')) {
      fs.mkdirSync(path.join(ROOT, h, child));
      made.push(h);
    }
    const has = (field) => {
      const s = c.collect();
      const r = s.paths.indexOf(child);
      return r >= 0 && s.present[r * s.values.length / s.capacity + field] === 1;
    };
    await waitFor('cpu and pids columns', () => has(FIELD.cpu_usage_ns) && has(FIELD.pids_current), 10000);
    t.pass('columns of the hierarchies made after registration are read');
    t.ok(has(FIELD.memory_usage_bytes), 'memory still read');
    t.equal(c.paths().filter((p) => p === child).length, 1, 'registered once');
  } finally {
    c.close();
    removeChild();
  }
});
