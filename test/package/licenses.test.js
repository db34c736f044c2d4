'use strict';
// scripts/check-licenses.js: this project's production tree passes; a made-up tree with an unknown licence, no
// licence, or a locked package that is not installed fails, naming it. Offline: it reads package-lock.json and
// node_modules/*/package.json only.
const t = require('tap');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { ROOT } = require('./pack');

const SCRIPT = path.join(ROOT, 'scripts', 'check-licenses.js');
const check = (dir) => spawnSync(process.execPath, [SCRIPT, ...(dir ? [dir] : [])], { encoding: 'utf8' });

t.test('this project\'s production dependencies pass', async (t) => {
  const r = check();
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^node-addon-api@\S+: MIT$/m, 'lists the addon headers');
  t.match(r.stdout, /^@homebridge\/dbus-native@\S+: MIT$/m, 'and the optional D-Bus library');
  t.notMatch(r.stdout, /^(tap|typescript|prom-client)@/m, 'dev dependencies are not checked');
});

t.test('a made-up tree: unknown, missing and uninstalled fail', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cgmgr-licenses-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const pkg = (name, body) => {
    fs.mkdirSync(path.join(dir, 'node_modules', name), { recursive: true });
    fs.writeFileSync(path.join(dir, 'node_modules', name, 'package.json'), JSON.stringify({ name, version: '1.0.0', ...body }));
  };
  pkg('ok-mit', { license: 'MIT' });
  pkg('ok-or', { license: '(GPL-3.0 OR Apache-2.0)' });
  pkg('bad-gpl', { license: 'GPL-3.0' });
  pkg('bad-none', {});
  pkg('dev-gpl', { license: 'GPL-3.0' });
  fs.writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify({ packages: {
    '': {}, 'node_modules/ok-mit': {}, 'node_modules/ok-or': {}, 'node_modules/bad-gpl': {}, 'node_modules/bad-none': {},
    'node_modules/dev-gpl': { dev: true }, 'node_modules/missing': {}, 'node_modules/missing-optional': { optional: true },
  } }));
  const r = check(dir);
  t.equal(r.status, 1);
  t.match(r.stderr, /node_modules\/bad-gpl: licence GPL-3.0 is not in the allowed list/);
  t.match(r.stderr, /node_modules\/bad-none: licence \(none\) is not in the allowed list/);
  t.match(r.stderr, /node_modules\/missing: in package-lock.json but not installed/);
  t.notMatch(r.stderr, /ok-mit|ok-or|dev-gpl|missing-optional/, 'allowed, dual-licensed, dev and optional ones pass');
});
