'use strict';
// The `cgmgr stats` command: a recorded tree through the real binary, its exit codes, and this machine.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const CLI = path.join(__dirname, '..', '..', 'dist', 'cli.js');
const TREE = path.join(__dirname, '..', 'fixtures', 'trees', 'v1-real');
const run = (...args) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
const num = (file) => Number(fs.readFileSync(path.join(TREE, file), 'utf8').trim());

t.test('stats --json on a recorded tree gives the numbers its files hold', async (t) => {
  const r = run('stats', '--root', TREE, '--json');
  t.equal(r.status, 0, r.stderr);
  const rows = JSON.parse(r.stdout);
  const ctr = rows.find((row) => row.path === '/cgmgr-rec/ctr');
  t.ok(ctr, 'the recorded container is listed');
  t.equal(ctr.memoryUsage, num('memory/cgmgr-rec/ctr/memory.usage_in_bytes'));
  t.equal(ctr.memoryLimit, num('memory/cgmgr-rec/ctr/memory.limit_in_bytes'));
  t.equal(ctr.cpuSeconds, num('cpuacct/cgmgr-rec/ctr/cpuacct.usage') / 1e9);
  t.equal(ctr.pids, num('pids/cgmgr-rec/ctr/pids.current'));
  const root = rows.find((row) => row.path === '/');
  t.equal(root.pids, null, 'the v1 pids root has no pids.current: shown as missing, not 0');
});

t.test('stats prints a table, one row per cgroup', async (t) => {
  const r = run('stats', '--root', TREE, 'cgmgr-rec/ctr');
  t.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.match(lines[0], /^CGROUP\s+MEMORY\s+LIMIT\s+CPU\(s\)\s+PIDS$/);
  t.equal(lines.length, 2);
  t.match(lines[1], /^\/cgmgr-rec\/ctr\s/);
});

t.test('exit codes and errors', async (t) => {
  const help = run('stats', '--help');
  t.equal(help.status, 0);
  t.match(help.stdout, /^Usage: cgmgr stats/);
  const unknown = run('frobnicate');
  t.equal(unknown.status, 2, 'unknown command is a usage error');
  t.match(unknown.stderr, /unknown command 'frobnicate'/);
  t.equal(run('stats', '--depth', 'x').status, 2);
  t.equal(run('stats', '--bogus').status, 2);
  const missing = run('stats', '--root', TREE, '--json', 'no/such/cgroup');
  t.equal(missing.status, 1, 'a named cgroup that does not exist fails the command');
  t.match(JSON.parse(missing.stdout)[0].error, /^ENOENT: /);
  const bad = run('stats', '--root', TREE, '../etc');
  t.equal(bad.status, 1);
  t.match(bad.stderr, /must be a cgroup path/);
  const noroot = run('stats', '--root', path.join(TREE, 'nope'));
  t.equal(noroot.status, 2, 'a --root that does not exist is a usage error');
  t.match(noroot.stderr, /^cgmgr stats: --root \S+ does not exist/);
  t.equal(noroot.stdout, '', 'nothing on stdout when the command fails');
});

t.test('this machine', { skip: fs.existsSync('/sys/fs/cgroup') ? false : 'no /sys/fs/cgroup' }, async (t) => {
  const r = run('stats', '--depth', '1', '--json');
  t.equal(r.status, 0, r.stderr);
  const rows = JSON.parse(r.stdout);
  t.ok(rows.some((row) => row.path === '/'), 'the root is listed');
  t.ok(rows.some((row) => row.memoryUsage !== null || row.cpuSeconds !== null), 'some cgroup has live numbers');
});
