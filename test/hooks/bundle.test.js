'use strict';
// The start-up bundles (lib/bundle.ts, scripts/bundle.js): require('cgmgr') and the CLI load their modules from
// dist/bundles/ when the bundle is fresh, with the same results as the plain files, one instance of each module
// whichever way it was loaded, the same laziness, and an index source map back to lib/. A stale or disabled bundle is
// passed over. Each check runs in a fresh node (module caches are per process) on recorded trees, without V8 coverage
// in the child (coverage turns the bundles off).
const t = require('tap');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { SourceMap } = require('node:module');
const { spawnSync } = require('node:child_process');

const PKG = path.resolve(__dirname, '..', '..');
const DIST = path.join(PKG, 'dist');
const TREES = path.join(PKG, 'test', 'fixtures', 'trees');

// tap turns source maps on in every node it starts, which turns the bundles off: CGMGR_BUNDLE=always keeps them on.
function childEnv(extra = {}) {
  const env = { ...process.env, CGMGR_BUNDLE: 'always', ...extra };
  delete env.NODE_V8_COVERAGE;
  if (!('CGMGR_NO_BUNDLE' in extra)) delete env.CGMGR_NO_BUNDLE;
  return env;
}

/** Runs `code` in a fresh node with `args` before -e; returns what it printed as JSON. */
function inFresh(code, { env = {}, args = [], cwd = PKG } = {}) {
  const r = spawnSync(process.execPath, [...args, '-e', code], { encoding: 'utf8', cwd, env: childEnv(env) });
  if (r.status !== 0) throw new Error(`node -e failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const STATS = (pkg) => `
  const c = require(${JSON.stringify(pkg)});
  const inUse = require(${JSON.stringify(path.join(pkg, 'dist', 'bundle'))}).bundleInUse('hook');
  const v1 = c.statsSync('/cgmgr-rec/ctr', { root: ${JSON.stringify(path.join(TREES, 'v1-real'))}, bigint: true });
  const v2 = c.statsSync('/cgmgr-rec/ctr', { root: ${JSON.stringify(path.join(TREES, 'v2-real'))}, bigint: true });
  // systemNano is the time of the read: everything else must be the same.
  const show = (s) => JSON.stringify({ ...s, systemNano: typeof s.systemNano }, (k, v) => (typeof v === 'bigint' ? v.toString() + 'n' : v));
  console.log(JSON.stringify({ inUse, v1: show(v1), v2: show(v2) }));`;

t.test('the built bundles are there, with their maps, caches and manifests', async (t) => {
  for (const name of ['hook', 'cli']) {
    for (const ext of ['js', 'js.map', 'cache', 'json']) {
      t.ok(fs.existsSync(path.join(DIST, 'bundles', `${name}.${ext}`)), `dist/bundles/${name}.${ext}`);
    }
    const manifest = JSON.parse(fs.readFileSync(path.join(DIST, 'bundles', `${name}.json`), 'utf8'));
    t.ok(manifest.files.length > 10, `${name}: ${manifest.files.length} modules`);
    t.equal(manifest.size, fs.statSync(path.join(DIST, 'bundles', `${name}.js`)).size, `${name}: the size recorded`);
  }
});

t.test('require(cgmgr) + statsSync: served by the bundle, the same stats as the plain files', async (t) => {
  const bundled = inFresh(STATS(PKG));
  const plain = inFresh(STATS(PKG), { env: { CGMGR_NO_BUNDLE: '1' } });
  t.equal(bundled.inUse, true, 'the hook bundle is in use');
  t.equal(plain.inUse, false, 'CGMGR_NO_BUNDLE=1 turns it off');
  t.equal(bundled.v1, plain.v1, 'v1 tree: the same stats');
  t.equal(bundled.v2, plain.v2, 'v2 tree: the same stats');
  t.match(bundled.v1, /"usage":"\d+n"/, 'a real reading');
});

t.test('one instance of each module, whichever way it was loaded', async (t) => {
  const r = inFresh(`
    const stats = require('cgmgr/stats');           // the subpath first: its entry loads the bundle
    const root = require('cgmgr');
    const errors = require(${JSON.stringify(path.join(DIST, 'errors.js'))}); // the file, by its own name
    const { CgroupfsManager } = require('cgmgr/managers'); // loaded from its files, using bundled modules
    let err;
    try { root.statsSync('/no-such-cgroup-here', { root: ${JSON.stringify(path.join(TREES, 'v1-real'))} }); } catch (e) { err = e; }
    console.log(JSON.stringify({
      sameError: root.CgroupError === errors.CgroupError,
      sameStats: stats.statsSync === root.statsSync,
      sameEngine: require('cgmgr/engine').Engine === root.Engine,
      thrownIsCgroupError: err instanceof errors.CgroupError,
      manager: typeof CgroupfsManager,
      inUse: require(${JSON.stringify(path.join(DIST, 'bundle'))}).bundleInUse('hook'),
    }));`);
  t.same(r, { sameError: true, sameStats: true, sameEngine: true, thrownIsCgroupError: true, manager: 'function', inUse: true });
});

t.test('laziness is unchanged: a v1 read does not load the v2 readers; loaded means run', async (t) => {
  const r = inFresh(`
    const c = require('cgmgr');
    const entry = (f) => require.cache[${JSON.stringify(DIST + '/')} + f];
    const before = { v1: entry('stats/v1/memory.js'), v2: entry('stats/v2/memory.js') };
    const registered = before.v1 !== undefined && before.v1.loaded === false;
    c.statsSync('/cgmgr-rec/ctr', { root: ${JSON.stringify(path.join(TREES, 'v1-real'))} });
    console.log(JSON.stringify({ registered, v1: entry('stats/v1/memory.js').loaded, v2: entry('stats/v2/memory.js').loaded }));`);
  t.same(r, { registered: true, v1: true, v2: false }, 'registered unrun; the v1 reader ran, the v2 reader did not');
});

t.test('a stale bundle is passed over: a module whose file holds other code than the bundle', async (t) => {
  // A copy of the package's dist/ and package.json, using this build's addon through CGMGR_ADDON.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cgmgr-bundle-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.cpSync(DIST, path.join(dir, 'dist'), { recursive: true, preserveTimestamps: true });
  fs.copyFileSync(path.join(PKG, 'package.json'), path.join(dir, 'package.json'));
  const addon = process.env.CGMGR_ADDON || path.join(PKG, 'build', 'Release', 'cgmgr.node');
  const env = { CGMGR_ADDON: addon };
  const inUse = () => inFresh(STATS(dir), { env }).inUse;
  const fresh = inFresh(STATS(dir), { env });
  t.equal(fresh.inUse, true, 'the copy is fresh');

  // Written after the bundle with the same code (a tsc run with no change; an install writes files in its own order).
  const convert = path.join(dir, 'dist', 'stats', 'convert.js');
  const later = new Date(Date.now() + 60_000);
  fs.utimesSync(convert, later, later);
  t.equal(inUse(), true, 'a module newer than the bundle, with the same code: still fresh');

  // The same size, other code (a tsc run after an edit that kept the length): compared, so not used.
  const text = fs.readFileSync(convert, 'utf8');
  const edited = text.replace('limit >= exports.V1_UNLIMITED_MIN', 'limit <= exports.V1_UNLIMITED_MIN');
  t.not(edited, text, 'an edit of the same size');
  fs.writeFileSync(convert, edited);
  fs.utimesSync(convert, later, later);
  const stale = inFresh(STATS(dir), { env });
  t.equal(stale.inUse, false, 'other code of the same size: not used');
  t.not(stale.v1, fresh.v1, 'the edited file serves the stats (its v1 limits count as unlimited)');
  t.equal(stale.v2, fresh.v2, 'and the v2 ones, which the edit does not reach, are the same');

  fs.writeFileSync(convert, text);
  const past = fs.statSync(path.join(dir, 'dist', 'bundles', 'hook.js')).mtime;
  fs.utimesSync(convert, past, past);
  t.equal(inUse(), true, 'fresh again');
  // A damaged bundle of the recorded size: V8 cannot compile it, so the files serve.
  const hookJs = path.join(dir, 'dist', 'bundles', 'hook.js');
  const original = fs.readFileSync(hookJs);
  fs.writeFileSync(hookJs, Buffer.alloc(original.length, '@'));
  const damaged = inFresh(STATS(dir), { env });
  t.equal(damaged.inUse, false, 'a damaged bundle: not used');
  t.equal(damaged.v1, fresh.v1, 'and the files serve the same stats');
  fs.writeFileSync(hookJs, original);
  t.equal(inUse(), true, 'restored: fresh');
  const errors = path.join(dir, 'dist', 'errors.js');
  fs.appendFileSync(errors, '\n// edited\n');
  fs.utimesSync(errors, past, past);
  t.equal(inUse(), false, 'a module of another size, even one older than the bundle: not used');
});

t.test('not used with source maps on (Node maps the plain files), unless CGMGR_BUNDLE=always', async (t) => {
  t.equal(inFresh(STATS(PKG), { args: ['--enable-source-maps'], env: { CGMGR_BUNDLE: '' } }).inUse, false, 'off');
  t.equal(inFresh(STATS(PKG), { args: ['--enable-source-maps'] }).inUse, true, 'CGMGR_BUNDLE=always');
});

t.test('a rejected code cache only costs compilation: the bundle still serves', async (t) => {
  // Another V8 flag changes the cache's flag hash, so V8 rejects it.
  const r = inFresh(STATS(PKG), { args: ['--stack-size=2000'] });
  const plain = inFresh(STATS(PKG), { env: { CGMGR_NO_BUNDLE: '1' } });
  t.equal(r.inUse, true);
  t.equal(r.v1, plain.v1, 'the same stats');
});

t.test("the index source map maps each module's lines back to lib/", async (t) => {
  const text = fs.readFileSync(path.join(DIST, 'bundles', 'hook.js'), 'utf8').split('\n');
  const map = new SourceMap(JSON.parse(fs.readFileSync(path.join(DIST, 'bundles', 'hook.js.map'), 'utf8')));
  for (const [mod, needle, ts] of [
    ['errors.js', 'class CgroupError extends Error', 'lib/errors.ts'],
    ['stats/reader.js', 'function cachedReader(', 'lib/stats/reader.ts'],
  ]) {
    const line = text.findIndex((l) => l.includes(needle));
    t.ok(line > 0, `${mod}: found in the bundle`);
    const entry = map.findEntry(line, text[line].indexOf(needle));
    t.ok(entry.originalSource && path.resolve(DIST, 'bundles', entry.originalSource).endsWith(ts), `${mod} -> ${ts}`);
    const original = fs.readFileSync(path.join(PKG, ts), 'utf8').split('\n')[entry.originalLine];
    t.ok(original.includes(needle.replace('(', '')), `${ts}:${entry.originalLine + 1} is that line`);
  }
});

t.test('cgmgr paths: served by the CLI bundle, the same output as the plain files', async (t) => {
  const args = ['paths', '--manager', 'cgroupfs', '--parent', '/kubepods/pod1', '--id', 'abc', '--root', path.join(TREES, 'v1-real')];
  const run = (env) =>
    inFresh(`
      const { main } = require(${JSON.stringify(path.join(DIST, 'cli'))});
      let out = '';
      const io = { stdout: { write: (s) => { out += s; return true; } }, stderr: { write: (s) => { out += s; return true; } } };
      main(${JSON.stringify(args)}, io).then((code) => console.log(JSON.stringify({ code, out, inUse: require(${JSON.stringify(path.join(DIST, 'bundle'))}).bundleInUse('cli') })));`, { env });
  const bundled = run({});
  const plain = run({ CGMGR_NO_BUNDLE: '1' });
  t.equal(bundled.inUse, true, 'the CLI bundle is in use');
  t.equal(plain.inUse, false);
  t.equal(bundled.code, 0);
  t.equal(bundled.out, plain.out, 'the same output');
  t.match(bundled.out, /kubepods/, 'a real answer');
});
