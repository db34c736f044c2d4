'use strict';
// A hook starts fast: require('cgmgr') loads the stats path only; the collector, exporter, managers, systemd client and
// CLI load on first use of one of their names; `cgmgr/<subpath>` exports resolve, with types; the CLI loads only the
// command it runs. Each check runs in a fresh node process (module caches are per process).
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const PKG = path.resolve(__dirname, '..', '..');
const pkg = require('../../package.json');

/** Runs `code` in a fresh node; returns what it printed as JSON. */
function inFresh(code) {
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', cwd: PKG });
  if (r.status !== 0) throw new Error(`node -e failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

// Loaded = Module#loaded: the start-up bundles (lib/bundle.ts) put their modules in require.cache before they run.
const LOADED = `const loaded = () => Object.keys(require.cache).filter((k) => require.cache[k].loaded && k.startsWith(${JSON.stringify(path.join(PKG, 'dist'))})).map((k) => k.slice(${JSON.stringify(path.join(PKG, 'dist') + '/')}.length));`;

t.test('require(cgmgr) loads the stats path and nothing else', async (t) => {
  const files = inFresh(`${LOADED} require(${JSON.stringify(PKG)}); console.log(JSON.stringify(loaded()));`);
  for (const heavy of ['collector/', 'exporter/', 'managers/', 'systemd/', 'cli', 'cgroup.js', 'walk.js']) {
    t.notOk(files.some((f) => f.startsWith(heavy)), `${heavy} not loaded`);
  }
  t.ok(files.includes('stats/index.js') && files.includes('engine.js'), 'the stats path is');
});

t.test('a lazy name loads its module on first access, once, with the same values as the module', async (t) => {
  const r = inFresh(`${LOADED}
    const c = require(${JSON.stringify(PKG)});
    const before = loaded().some((f) => f.startsWith('collector/'));
    const S = c.StatsCollector;
    const after = loaded().some((f) => f.startsWith('collector/'));
    const same = S === require(${JSON.stringify(path.join(PKG, 'dist', 'collector'))}).StatsCollector && c.FIELDS === require(${JSON.stringify(path.join(PKG, 'dist', 'collector'))}).FIELDS;
    const managersAfter = loaded().some((f) => f.startsWith('managers/'));
    const keys = Object.keys(c);
    console.log(JSON.stringify({ before, after, same, managersAfter, keys }));`);
  t.equal(r.before, false, 'collector not loaded before');
  t.equal(r.after, true, 'loaded on access');
  t.equal(r.same, true, 'the very objects of the module');
  t.equal(r.managersAfter, false, 'the other lazy modules stay unloaded');
  for (const name of ['stats', 'statsSync', 'Engine', 'CgroupError', 'StatsCollector', 'renderMetrics', 'setCgroupManager',
    'SystemdBus', 'listCgroups', 'join', 'Cgroup', 'verifyMemoryIsEnough']) {
    t.ok(r.keys.includes(name), `${name} is enumerable on the root export`);
  }
  for (const internal of ['FORMAT', 'FILE_STATUS', 'ITEM_STATUS', 'PID_STATUS', 'SLOT', 'BatchResult', 'ReadPlan', 'defaultFdBudget']) {
    t.notOk(r.keys.includes(internal), `${internal} is an engine internal: in cgmgr/engine, not the root`);
  }
});

t.test('every root name resolves (no lazy name points at nothing)', async (t) => {
  const r = inFresh(`const c = require(${JSON.stringify(PKG)}); console.log(JSON.stringify(Object.keys(c).filter((k) => c[k] === undefined)));`);
  t.same(r, [], 'no undefined export');
});

t.test('subpath exports: each resolves by package name, with its .d.ts', async (t) => {
  const subpaths = Object.keys(pkg.exports).filter((k) => k !== './package.json');
  t.ok(subpaths.includes('./stats') && subpaths.includes('./engine'), 'cgmgr/stats and cgmgr/engine are offered');
  for (const sub of subpaths) {
    const entry = pkg.exports[sub];
    t.ok(fs.existsSync(path.join(PKG, entry.types)), `${sub}: ${entry.types}`);
    t.ok(fs.existsSync(path.join(PKG, entry.default)), `${sub}: ${entry.default}`);
  }
  // Resolved through the package's own name (self-reference), as a user's require('cgmgr/stats') is.
  const r = inFresh(`console.log(JSON.stringify({ stats: typeof require('cgmgr/stats').statsSync, engine: typeof require('cgmgr/engine').FILE_STATUS }));`);
  t.same(r, { stats: 'function', engine: 'object' });
});

t.test('the CLI loads only the command it runs; its list says what each command module says', async (t) => {
  const { COMMANDS } = require('../../dist/cli');
  for (const c of COMMANDS) {
    const cmd = c.load();
    t.equal(cmd.name, c.name, `${c.name}: the module's command`);
    t.equal(cmd.summary, c.summary, `${c.name}: the same summary`);
  }
  const files = inFresh(`${LOADED}
    const { main } = require(${JSON.stringify(path.join(PKG, 'dist', 'cli'))});
    main(['stats', '--help'], { stdout: { write() {} }, stderr: { write() {} } }).then(() => console.log(JSON.stringify(loaded())));`);
  for (const heavy of ['collector/', 'exporter/', 'managers/', 'systemd/', 'cli/top.js', 'cli/serve.js', 'cli/paths.js']) {
    t.notOk(files.some((f) => f.startsWith(heavy)), `cgmgr stats --help does not load ${heavy}`);
  }
});
