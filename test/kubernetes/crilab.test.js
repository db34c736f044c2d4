'use strict';
// The node agent against a real CRI runtime (../shared/cri-lab: containerd 1.6, runc, cgroupfs driver, v1 hybrid):
// the test plays kubelet over CRI, runs the real `cgmgr serve --kubernetes --runtime-endpoint`, and checks from the
// scrape that every pod, sandbox and container cgroup carries the labels the runtime reports, through pods coming and
// going, a containerd restart, and containerd stopped.
const t = require('tap');
const fs = require('node:fs');
const { get, labSkip, startLab, startServe, series, waitFor } = require('./lab');

const skip = labSkip();
const CPU = 'container_cpu_usage_seconds_total';

t.test('cgmgr serve --kubernetes on the CRI lab', { skip, timeout: 240000 }, async (t) => {
  const { FakeKubelet } = require('./kubelet');
  const lab = startLab();
  let kubelet;
  let serve;
  let killed = false;
  t.teardown(async () => {
    await serve?.stop();
    if (killed) {
      lab.restart(); // the pods are removed through a live containerd
      await kubelet?.waitReady().catch(() => undefined);
    }
    if (kubelet) {
      await kubelet.removeAll().catch(() => undefined);
      kubelet.close();
    }
    lab.stop();
  });
  kubelet = new FakeKubelet(lab.endpoint, lab.cgParent);
  const web = await kubelet.runPod('web', 'shop', 'burstable');
  const burn = await kubelet.runContainer(web, 'burn', ['while :; do :; done'], { cpu_shares: 512, cpu_quota: 50000, cpu_period: 100000 });
  const side = await kubelet.runContainer(web, 'sidecar', ['sleep 3600'], { cpu_shares: 2 });
  const db = await kubelet.runPod('db', 'data', 'guaranteed');
  const pg = await kubelet.runContainer(db, 'pg', ['sleep 3600'], { cpu_shares: 256, cpu_quota: 25000, cpu_period: 100000, memory_limit_in_bytes: 64 << 20 });

  serve = await startServe(['--kubernetes', '--runtime-endpoint', lab.endpoint]);
  const scrape = async () => {
    const r = await get(serve.url);
    if (r.status !== 200) throw new Error(`scrape: ${r.status}`);
    return r.text;
  };
  const byId = (text, family = CPU) => new Map(series(text, family).map((s) => [s.labels.id, s]));
  const MEM = 'container_memory_usage_bytes';

  // What kubelet's /metrics/cadvisor gives each cgroup.
  const expected = (pod) => {
    const m = new Map();
    const sandbox = `${pod.cgroupParent}/${pod.id}`;
    m.set(pod.cgroupParent, { container: '', image: '', name: '', namespace: pod.namespace, pod: pod.name });
    m.set(sandbox, { container: '', image: 'crilab.local/pause:3.9', name: pod.id, namespace: pod.namespace, pod: pod.name });
    for (const c of pod.containers) {
      m.set(`${pod.cgroupParent}/${c.id}`, { container: c.name, image: 'crilab.local/busybox:1.35', name: c.id, namespace: pod.namespace, pod: pod.name });
    }
    return m;
  };
  let mismatch = '';
  const wait = (what, fn, ms) => waitFor(what, fn, ms).catch((err) => {
    t.comment(mismatch);
    t.comment(serve.stderr());
    throw err;
  });
  const labelled = (text, pods) => {
    const got = byId(text);
    for (const pod of pods) {
      for (const [id, want] of expected(pod)) {
        const s = got.get(id);
        mismatch = `${id}: ${JSON.stringify(s?.labels)} want ${JSON.stringify(want)}; ${(/^cgmgr_runtime.*$/gm.exec(text) ?? [])[0]}`;
        if (s === undefined) return false;
        for (const [k, v] of Object.entries(want)) if (s.labels[k] !== v) return false;
      }
    }
    return got;
  };

  const first = await wait('every pod, sandbox and container labelled', async () => labelled(await scrape(), [web, db]));
  for (const pod of [web, db]) {
    for (const [id, want] of expected(pod)) {
      const s = first.get(id);
      const { id: _id, cpu: _cpu, ...labels } = s.labels;
      t.same(labels, want, `${id.split('/').slice(-2).join('/')}: kubelet's labels`);
    }
  }
  // The QoS parents are exported too (as kubelet's cAdvisor does), without pod labels.
  t.ok(first.has(`${lab.cgParent}/kubepods/burstable`), 'the burstable QoS cgroup is exported');
  t.equal(first.get(`${lab.cgParent}/kubepods/burstable`).labels.pod, undefined, 'a QoS cgroup has no pod label');
  // container_cpu_usage_seconds_total{container!="",pod!=""} selects exactly the app containers.
  const selected = series(await scrape(), CPU).filter((s) => s.labels.container && s.labels.pod && s.labels.id.startsWith(lab.cgParent));
  t.same(selected.map((s) => s.labels.container).sort(), ['burn', 'pg', 'sidecar'], 'container!="",pod!="" selects every container');
  // The burning container's CPU counter rises (two scrapes; compared with a deadline, never equality).
  const burnId = `${web.cgroupParent}/${burn.id}`;
  const before = byId(await scrape()).get(burnId).value;
  await waitFor('the burning container to use CPU', async () => byId(await scrape()).get(burnId).value > before + 0.05);
  t.pass('the burning container\'s CPU usage rises');

  // cgmgr stats and top name them too.
  const { execFileSync } = require('node:child_process');
  const cli = require('node:path').join(__dirname, '..', '..', 'dist', 'cli.js');
  const statsRows = JSON.parse(execFileSync(process.execPath, [cli, 'stats', '--json', '--runtime-endpoint', lab.endpoint], { encoding: 'utf8' }));
  const burnRow = statsRows.find((r) => r.path === `${web.cgroupParent}/${burn.id}`);
  t.match(burnRow, { namespace: 'shop', pod: 'web', container: 'burn' }, 'cgmgr stats --kubernetes names a container');
  t.match(statsRows.find((r) => r.path === db.cgroupParent), { namespace: 'data', pod: 'db', container: '' }, 'and a pod');
  const topFrame = JSON.parse(execFileSync(process.execPath, [cli, 'top', '--json', '--interval', '1', '--limit', '200', '--runtime-endpoint', lab.endpoint], { encoding: 'utf8' }));
  t.match(topFrame.rows.find((r) => r.path === `${web.cgroupParent}/${burn.id}`), { namespace: 'shop', pod: 'web', container: 'burn' },
    'cgmgr top --kubernetes names the burning container');

  // Own metrics and health.
  const text = await scrape();
  t.match(text, /^cgmgr_runtime_up 1$/m, 'cgmgr_runtime_up 1');
  const { promtoolCheck, promtoolSkip } = require('../helpers/exposition');
  if (promtoolSkip) t.skip(`promtool: ${promtoolSkip}`);
  else t.ok(promtoolCheck(text).ok, `promtool accepts the labelled exposition ${promtoolCheck(text).output}`);
  t.match(text, /^cgmgr_cgroups \d+$/m, 'cgmgr_cgroups');
  t.match(text, /^cgmgr_sweep_duration_seconds [0-9.e-]+$/m, 'cgmgr_sweep_duration_seconds');
  const hz = await get(new URL('/healthz', serve.url));
  t.equal(hz.status, 200, 'GET /healthz is 200');

  // Pods and containers created and deleted during the run.
  const batch = await kubelet.runPod('batch', 'jobs', 'besteffort');
  await kubelet.runContainer(batch, 'worker', ['sleep 3600']);
  await wait('the new pod and its containers labelled', async () => labelled(await scrape(), [batch]));
  t.pass('a pod created during the run appears with its labels');
  await kubelet.removeContainer(web, side);
  const sideId = `${web.cgroupParent}/${side.id}`;
  await waitFor('the removed container to vanish', async () => !byId(await scrape()).has(sideId));
  t.pass('a removed container\'s series vanish');
  const batchIds = [...expected(batch).keys()].slice(1); // runc removes the leaves; the pod directory is kubelet's
  await kubelet.removePod(batch);
  await waitFor('the removed pod\'s sandbox and container to vanish', async () => {
    const got = byId(await scrape());
    return batchIds.every((id) => !got.has(id));
  });
  t.pass('a removed pod\'s sandbox and container series vanish');

  // With the regular relist out of the picture (an hour), new cgroups get their names through discovery's requests alone
  // (an unknown pod UID or container id asks for a relist; still unnamed after it, it asks again at growing intervals).
  const { createKubernetesCollector } = require('../../dist');
  const lib = createKubernetesCollector({ runtimeEndpoint: lab.endpoint, refreshIntervalMs: 3600000, oomEvents: false });
  t.teardown(() => lib.close());
  await waitFor('the library collector\'s first relist', () => lib.names.refreshes > 0);
  const quick = await kubelet.runPod('quick', 'jobs', 'burstable');
  const qc = await kubelet.runContainer(quick, 'q', ['sleep 3600']);
  await waitFor('names without the regular relist', () => [...expected(quick)].every(([id, want]) => {
    const l = lib.labelsOf(id);
    return l !== undefined && Object.entries(want).every(([k, v]) => l[k] === v);
  }));
  t.pass('a new pod and its containers are named by discovery\'s relist requests alone');
  t.equal(lib.labelsOf(`${quick.cgroupParent}/${qc.id}`).container, 'q');
  t.equal(lib.names.runtimeName, 'containerd', 'the runtime named by Version');
  await waitFor('the event stream refused', () => lib.names.eventMode === 'polling');
  t.pass('containerd 1.6 has no GetContainerEvents: polling (UNIMPLEMENTED handled)');
  lib.close();

  // containerd restarted: names keep coming, and a pod created after the restart is named.
  await lab.kill();
  lab.restart();
  await kubelet.waitReady();
  const after = await kubelet.runPod('after', 'shop', 'burstable');
  await kubelet.runContainer(after, 'app', ['sleep 3600']);
  await waitFor('names after a containerd restart', async () => labelled(await scrape(), [web, db, after]), 40000).catch((err) => {
    t.comment(mismatch);
    t.comment(serve.stderr());
    throw err;
  });
  t.pass('after a containerd restart every cgroup is named, the new pod too');

  // containerd stopped: series continue; a cgroup first seen now carries only its id; one warning.
  const stderrBefore = serve.stderr().length;
  await lab.kill();
  killed = true;
  const uid = '0a0a0a0a-1111-2222-3333-444455556666';
  const orphanRel = `${lab.cgParent}/kubepods/besteffort/pod${uid}`;
  fs.mkdirSync(`/sys/fs/cgroup/memory${orphanRel}`, { recursive: true });
  t.teardown(() => {
    try {
      fs.rmdirSync(`/sys/fs/cgroup/memory${orphanRel}`);
  t.equal(serve.child.exitCode, null, 'serve ran through all of it');
    } catch {
      // removed by the test
    }
  });
  let last = '';
  const down = await waitFor('the runtime marked down and the new pod cgroup exported', async () => {
    last = await scrape();
    return /^cgmgr_runtime_up 0$/m.test(last) && byId(last, MEM).has(orphanRel) ? last : false;
  }, 40000).catch((err) => {
    t.comment(last.split('\n').filter((l) => l.startsWith('cgmgr_') || l.includes(uid)).join('\n'));
    t.comment(serve.stderr());
    throw err;
  });
  t.ok(byId(down).has(burnId), 'series continue while the runtime is down');
  const orphan = byId(down, MEM).get(orphanRel);
  t.same(Object.keys(orphan.labels).sort(), ['id', 'name'], 'a cgroup first seen while the runtime is down has id only');
  t.equal(orphan.labels.name, '', 'and no name');
  const warnings = serve.stderr().slice(stderrBefore).split('\n').filter((l) => /container runtime unreachable/.test(l));
  t.equal(warnings.length, 1, `one warning while the runtime is down: ${warnings[0]}`);
  t.match(down, /^cgmgr_runtime_errors_total [1-9]\d*$/m, 'runtime errors are counted');
  fs.rmdirSync(`/sys/fs/cgroup/memory${orphanRel}`);
  t.equal(serve.child.exitCode, null, 'serve ran through all of it');
});
