'use strict';
// Where the addon comes from (lib/addon-location.ts, lib/native.ts) and the install script (scripts/install.js), on
// a copy of the package in a temp dir: the prebuild when there is no local build; a local build that does not load
// falls back to the prebuild with one line saying why; no loadable addon is one clear error; CGMGR_ADDON never falls
// back; install.js uses a loadable prebuild and compiles only when there is none.
const t = require('tap');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { ROOT, PREBUILD_X64, cleanEnv, ensurePrebuilds } = require('./pack');

t.setTimeout(600000);

if (process.env.CGMGR_ADDON) {
  t.skip('CGMGR_ADDON selects another build: this test is about the package\'s own choice');
} else if (process.arch !== 'x64' || process.platform !== 'linux') {
  t.skip(`the prebuild this test loads is linux-x64 (this is ${process.platform}-${process.arch})`);
} else {
  ensurePrebuilds();

  /** A copy of the package (dist, package.json, install.js, the x64 prebuild) in a fresh temp dir. */
  const copy = (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cgmgr-loader-'));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
    fs.mkdirSync(path.join(dir, 'scripts'));
    fs.copyFileSync(path.join(ROOT, 'scripts', 'install.js'), path.join(dir, 'scripts', 'install.js'));
    fs.mkdirSync(path.dirname(path.join(dir, PREBUILD_X64)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, PREBUILD_X64), path.join(dir, PREBUILD_X64));
    return dir;
  };
  const garbage = (file) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, 'not an ELF file\n');
  };
  /** Loads the copy and reads the root cgroup's memory usage; { status, stdout, stderr }. */
  const load = (dir, env = {}) => spawnSync(process.execPath, ['-e', `
    const c = require(${JSON.stringify(path.join(dir, 'dist', 'index.js'))});
    const addon = Object.keys(require.cache).find((k) => k.endsWith('.node'));
    console.log(JSON.stringify({ addon, usage: c.statsSync('/', { controllers: ['memory'] }).memory.usage }));`],
  { encoding: 'utf8', env: { ...cleanEnv(), ...env } });

  t.test('no local build: the prebuild, silently', async (t) => {
    const dir = copy(t);
    const r = load(dir);
    t.equal(r.status, 0, r.stderr);
    t.equal(r.stderr, '');
    const out = JSON.parse(r.stdout);
    t.equal(out.addon, path.join(dir, PREBUILD_X64));
    t.ok(Number.isSafeInteger(out.usage), 'the addon reads the root cgroup');
  });

  t.test('a local build that does not load: one line, then the prebuild', async (t) => {
    const dir = copy(t);
    garbage(path.join(dir, 'build', 'Release', 'cgmgr.node'));
    const r = load(dir);
    t.equal(r.status, 0, r.stderr);
    const lines = r.stderr.split('\n').filter(Boolean);
    t.equal(lines.length, 1, 'one line');
    t.match(lines[0], /^cgmgr: the local build \S+build\/Release\/cgmgr\.node did not load \(.*\); trying the prebuilt addon$/);
    t.equal(JSON.parse(r.stdout).addon, path.join(dir, PREBUILD_X64));
  });

  t.test('a working local build comes first', async (t) => {
    const dir = copy(t);
    fs.mkdirSync(path.join(dir, 'build', 'Release'), { recursive: true });
    fs.copyFileSync(path.join(ROOT, PREBUILD_X64), path.join(dir, 'build', 'Release', 'cgmgr.node'));
    const r = load(dir);
    t.equal(r.status, 0, r.stderr);
    t.equal(JSON.parse(r.stdout).addon, path.join(dir, 'build', 'Release', 'cgmgr.node'));
  });

  t.test('nothing loads: one error naming every candidate and how to build', async (t) => {
    const dir = copy(t);
    garbage(path.join(dir, PREBUILD_X64));
    const r = load(dir);
    t.not(r.status, 0);
    t.match(r.stderr, /ERR_CGROUP_ADDON_LOAD/);
    t.match(r.stderr, /could not load the native addon \(tried prebuilt addon \S+cgmgr\.napi\.glibc\.node: .+\)/);
    t.match(r.stderr, /npm rebuild cgmgr/);
    t.notMatch(r.stderr, /trying the/, 'no fallback line when there is nothing to fall back to');
    fs.rmSync(path.join(dir, 'prebuilds'), { recursive: true });
    const none = load(dir);
    t.match(none.stderr, /tried prebuilt addon \S+: not found\)/, 'a missing prebuild is "not found"');
    t.match(none.stderr, /no prebuilt addon for linux-x64 \(glibc\)/);
  });

  t.test('CGMGR_ADDON is used alone, never falling back', async (t) => {
    const dir = copy(t);
    const bad = path.join(dir, 'elsewhere.node');
    garbage(bad);
    const r = load(dir, { CGMGR_ADDON: bad });
    t.not(r.status, 0);
    t.match(r.stderr, new RegExp(`tried CGMGR_ADDON ${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `));
    t.match(r.stderr, /Unset CGMGR_ADDON/);
    const good = load(dir, { CGMGR_ADDON: path.join(dir, PREBUILD_X64) });
    t.equal(good.status, 0, good.stderr);
  });

  t.test('install.js: a loadable prebuild means no compile; otherwise it says why and compiles', async (t) => {
    const dir = copy(t);
    const env = { ...cleanEnv(), PATH: path.dirname(process.execPath) === '/usr/bin' ? '/nonexistent' : path.dirname(process.execPath) };
    const ok = spawnSync(process.execPath, [path.join(dir, 'scripts', 'install.js')], { encoding: 'utf8', env });
    t.equal(ok.status, 0, ok.stderr);
    t.equal(ok.stdout, `cgmgr: using the prebuilt addon ${PREBUILD_X64}\n`);
    t.notOk(fs.existsSync(path.join(dir, 'build')), 'nothing compiled');
    // A broken prebuild and no node-gyp to be found: the reason, the attempt, and a failed install.
    garbage(path.join(dir, PREBUILD_X64));
    const broken = spawnSync(process.execPath, [path.join(dir, 'scripts', 'install.js')], { encoding: 'utf8', env });
    t.not(broken.status, 0, 'the install fails when it cannot compile');
    t.match(broken.stderr, /^cgmgr: the prebuilt addon prebuilds\/linux-x64\/cgmgr\.napi\.glibc\.node did not load \(.+\): building the addon with node-gyp/);
    t.match(broken.stderr, /could not run node-gyp/);
  });

  t.test('without the optional D-Bus library: the systemd side says which package to install', async (t) => {
    const dir = copy(t); // no node_modules next to it: @homebridge/dbus-native cannot be found
    const r = spawnSync(process.execPath, ['-e', `
      const { SystemdBus } = require(${JSON.stringify(path.join(dir, 'dist', 'systemd', 'bus.js'))});
      const c = require(${JSON.stringify(path.join(dir, 'dist', 'index.js'))});
      c.statsSync('/', { controllers: ['memory'] }); // everything else works without it
      new SystemdBus({ address: 'unix:path=/nonexistent' })
        .call({ destination: 'org.freedesktop.systemd1', path: '/org/freedesktop/systemd1', interface: 'org.freedesktop.DBus.Peer', member: 'Ping' })
        .then(() => console.log('{}'), (e) => console.log(JSON.stringify({ code: e.code, message: e.message })));`],
    { encoding: 'utf8', env: cleanEnv(), cwd: dir });
    t.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    t.equal(out.code, 'ERR_MODULE_NOT_FOUND');
    t.match(out.message, /^the systemd manager needs the optional dependency @homebridge\/dbus-native \(npm install @homebridge\/dbus-native\): /);
  });
}
