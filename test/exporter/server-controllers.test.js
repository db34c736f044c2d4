'use strict';
// The server's own collector reads no file that no served family needs (issue 12): without the diskIO and pressure
// families it drops the io (blkio) and psi controllers, so their files are not in the sweep's plan; the default
// selection keeps them; `controllers` given, or a collector passed in, is left as it is. On real v1 cgroups of the
// test's own, through HTTP: the body has the other families and none of the dropped ones.
const t = require('tap');
const fs = require('node:fs');
const http = require('node:http');
const { StatsCollector } = require('../../dist/collector');
const { createMetricsServer, FAMILIES, selectFamilies } = require('../../dist/exporter');
const { controllersFor, collectorFor, controllersOptionFor } = require('../../dist/exporter/controllers');
const { CONTROLLERS } = require('../../dist/stats');
const { realKernelSkipReason, makeSubtree } = require('../helpers/cgroups');

t.test('controllersFor drops io and psi only when no selected family reads them', async (t) => {
  const all = Object.values(CONTROLLERS).reduce((a, b) => a | b, 0);
  t.equal(controllersFor(all, FAMILIES), all, 'every family: every controller kept');
  const noIo = controllersFor(all, selectFamilies({ disable: ['diskIO'] }));
  t.equal(noIo, all & ~CONTROLLERS.io, 'diskIO disabled: io dropped, psi kept');
  t.equal(controllersFor(all, selectFamilies({ disable: ['pressure'] })), all & ~CONTROLLERS.psi, 'pressure disabled: psi dropped');
  t.equal(controllersFor(all, selectFamilies({ enable: ['cpu'] })), all & ~CONTROLLERS.io & ~CONTROLLERS.psi, 'cpu only: both dropped');
  t.equal(controllersFor(all, selectFamilies({ families: ['container_fs_reads_bytes_total'] })), all & ~CONTROLLERS.psi, 'one per-device family keeps io');
  t.equal(controllersFor(all, selectFamilies({ families: ['container_pressure_io_stalled_seconds_total'] })), all & ~CONTROLLERS.io, 'one pressure family keeps psi');
  t.equal(controllersFor(CONTROLLERS.memory, selectFamilies({ disable: ['diskIO', 'pressure'] })), CONTROLLERS.memory, 'nothing else is touched');
});

t.test('collectorFor (what cgmgr serve makes its collector with)', async (t) => {
  const plain = collectorFor({}, {});
  t.teardown(() => plain.close());
  const cut = collectorFor({}, { disable: ['diskIO', 'pressure'] });
  t.teardown(() => cut.close());
  t.equal(cut.mask, plain.mask & ~CONTROLLERS.io & ~CONTROLLERS.psi, 'io and psi dropped, the rest as the default collector');
  t.ok(cut.files().every((f) => f.controller !== 'blkio' && !/\.pressure$/.test(f.name)), 'none of their files planned');
  const given = collectorFor({ controllers: ['memory', 'blkio'] }, { disable: ['diskIO'] });
  t.teardown(() => given.close());
  t.ok(given.mask & CONTROLLERS.io, 'controllers given: kept');
  t.throws(() => collectorFor({}, { disable: ['nope'] }), { code: 'ERR_INVALID_ARG_VALUE' }, 'a bad selection throws');
});

t.test('controllersOptionFor (what cgmgr serve --kubernetes makes its agent with, once)', async (t) => {
  const os = require('node:os');
  const path = require('node:path');
  const { createKubernetesCollector } = require('../../dist/kubernetes/collector');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cgmgr-ctl-k8s-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.cpSync(path.join(__dirname, '..', 'fixtures', 'trees', 'v2-full'), dir, { recursive: true });
  const plain = new StatsCollector({ root: dir });
  const all = plain.mask;
  plain.close();
  t.ok(all & CONTROLLERS.io && all & CONTROLLERS.psi, 'the recorded v2 tree has io and psi by default');
  t.equal(controllersOptionFor({ root: dir }, {}), undefined, 'every family: nothing to drop');
  t.equal(controllersOptionFor({ root: dir, controllers: ['memory', 'io'] }, { disable: ['diskIO'] }), undefined, 'controllers given: left as they are');
  const mask = controllersOptionFor({ root: dir }, { disable: ['diskIO', 'pressure'] });
  t.equal(mask, all & ~CONTROLLERS.io & ~CONTROLLERS.psi, 'io and psi dropped, the rest as the default collector');
  const k = createKubernetesCollector({ root: dir, runtimeEndpoint: false, controllers: mask });
  t.teardown(() => k.close());
  t.equal(k.mask, mask, 'the agent made with it');
  t.ok(k.files().length > 0 && k.files().every((f) => f.controller !== 'io' && !/\.pressure$/.test(f.name)), 'no io or pressure file planned');
  t.throws(() => controllersOptionFor({ root: dir }, { disable: ['nope'] }), { code: 'ERR_INVALID_ARG_VALUE' }, 'a bad selection throws');
});

function get(url) {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    }).on('error', reject);
  });
}

const blkio = fs.existsSync('/sys/fs/cgroup/blkio/cgroup.procs');
t.test('real cgroups: a server without diskIO and pressure reads no blkio nor pressure file', { skip: realKernelSkipReason() ?? (blkio ? false : 'no v1 blkio hierarchy here') }, async (t) => {
  const tree = makeSubtree(t, ['memory', 'cpu,cpuacct', 'pids', 'blkio'].filter((h) => fs.existsSync(`/sys/fs/cgroup/${h}/cgroup.procs`)));
  tree.mkdir();
  tree.mkdir('a');
  tree.mkdir('b');
  const paths = [`${tree.name}/a`, `${tree.name}/b`];

  const full = await createMetricsServer({ port: 0, paths });
  t.teardown(() => full.close());
  const files = (srv) => srv.collector.files().filter((f) => f.tier !== 'detail');
  t.ok(files(full).some((f) => f.controller === 'blkio'), 'the default selection reads blkio');
  t.ok(full.collector.mask & CONTROLLERS.io, 'io kept');

  const cut = await createMetricsServer({ port: 0, paths, disable: ['diskIO', 'pressure'] });
  t.teardown(() => cut.close());
  t.equal(cut.collector.mask & (CONTROLLERS.io | CONTROLLERS.psi), 0, 'io and psi dropped');
  t.same(files(cut).filter((f) => f.controller === 'blkio' || /\.pressure$/.test(f.name)), [], 'no blkio or pressure file in the sweep plan');
  t.ok(files(cut).length < files(full).length, `fewer files per cgroup (${files(cut).length} < ${files(full).length})`);
  const r = await get(cut.url);
  t.equal(r.status, 200);
  t.match(r.body, new RegExp(`container_memory_usage_bytes\\{id="/${tree.name}/a"`), 'memory families served');
  const types = (body) => body.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]);
  const fullTypes = types((await get(full.url)).body);
  t.same(types(r.body), fullTypes.filter((n) => !/^container_fs_|^container_pressure_/.test(n)), 'every other family the default server has');
  t.match(r.body, new RegExp(`container_spec_memory_limit_bytes\\{id="/${tree.name}/a"`), 'spec families served');
  t.notMatch(r.body, /container_fs_|container_pressure_/, 'no diskIO or pressure family');

  const given = await createMetricsServer({ port: 0, paths, disable: ['diskIO'], controllers: ['memory', 'blkio'] });
  t.teardown(() => given.close());
  t.ok(given.collector.mask & CONTROLLERS.io, '`controllers` given: left as it is');
  const own = new StatsCollector();
  t.teardown(() => own.close());
  const passed = await createMetricsServer({ port: 0, collector: own, disable: ['diskIO'] });
  t.teardown(() => passed.close());
  t.equal(passed.collector, own, 'a collector passed in is served as it is');
  t.ok(own.mask & CONTROLLERS.io);
});
