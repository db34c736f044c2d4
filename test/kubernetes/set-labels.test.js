'use strict';
// collector.setLabels(): a registered row's labels replaced without reopening it, visible in the next sweep and its
// exposition; a new frozen object and a bumped labelsVersion per change (what a per-row label cache keys on).
const t = require('tap');
const path = require('node:path');
const { StatsCollector, renderMetrics } = require('../../dist');

const V2 = path.join(__dirname, '..', 'fixtures', 'trees', 'v2-full');
const POD = '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod123.slice';

t.test('setLabels', async (t) => {
  const c = new StatsCollector({ root: V2, oomEvents: false });
  t.teardown(() => c.close());
  c.add(POD);
  const s1 = c.collect();
  t.same(s1.labels[0], {}, 'no labels at first');
  const v0 = c.labelsVersion;
  t.equal(c.setLabels(POD, { namespace: 'shop', pod: 'web' }), true, 'true for a registered path');
  t.equal(c.labelsVersion, v0 + 1, 'labelsVersion bumped');
  t.ok(Object.isFrozen(c.labelsOf(POD)), 'the labels are frozen');
  const s2 = c.collect();
  t.same(s2.labels[0], { namespace: 'shop', pod: 'web' }, 'the next sweep carries them');
  t.not(s2.labels[0], s1.labels[0], 'a new object');
  t.match(renderMetrics(s2), /container_cpu_usage_seconds_total\{id="[^"]+",name="",namespace="shop",pod="web",cpu="total"\}/, 'and its exposition');
  t.equal(c.setLabels(POD, { pod: 'web', namespace: 'shop' }), true);
  t.equal(c.labelsVersion, v0 + 1, 'the same labels again: no bump');
  const before = c.collect().labels[0];
  t.equal(c.collect().labels[0], before, 'unchanged labels keep their object');
  t.equal(c.setLabels('/not/registered', { pod: 'x' }), false, 'false for an unregistered path');
  t.throws(() => c.setLabels(POD, null), { code: 'ERR_INVALID_ARG_VALUE' }, 'labels must be an object');
  c.close();
  t.throws(() => c.setLabels(POD, {}), { code: 'ERR_COLLECTOR_CLOSED' }, 'closed');
});
