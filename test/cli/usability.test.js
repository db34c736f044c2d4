'use strict';
// The first hour with the command, through the real binary: --version, "did you mean" for mistyped commands and
// options, `help nosuch`, a --root that is no cgroup root, one line per failure (EADDRINUSE), and JSON that loses
// no precision ("max" for no limit, exact strings above 2^53) on recorded trees this test writes.
const t = require('tap');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { run, TREE } = require('./run');

const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));

/** A recorded tree in a temp dir: { 'memory/memory.usage_in_bytes': '…', … }; removed in teardown. */
function tree(t, files) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cgmgr-clitree-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

t.test('--version and -V print the package version', async (t) => {
  for (const flag of ['--version', '-V']) {
    const r = run(flag);
    t.equal(r.status, 0, flag);
    t.equal(r.stdout, `cgmgr ${pkg.version}\n`);
    t.equal(r.stderr, '');
  }
  t.match(run('--help').stdout, /--version/, 'the usage lists --version');
});

t.test('mistyped commands and options get a suggestion, exit 2', async (t) => {
  const cases = [
    [['stat'], /^cgmgr: unknown command 'stat' \(did you mean stats\?\)\n/],
    [['tpo'], /^cgmgr: unknown command 'tpo' \(did you mean top\?\)\n/],
    [['mvoe', '--pid', '1'], /^cgmgr: unknown command 'mvoe' \(did you mean move\?\)\n/],
    [['xyzzy'], /^cgmgr: unknown command 'xyzzy'\n/],
    [['--json'], /^cgmgr: unknown option --json: a command comes first/],
    [['--verison'], /^cgmgr: unknown option --verison \(did you mean --version\?\)/],
    [['stats', '--jsn'], /^cgmgr stats: unknown option --jsn \(did you mean --json\?\)\n/],
    [['serve', '--prot', '9'], /^cgmgr serve: unknown option --prot \(did you mean --port\?\)\n/],
    [['top', '--iteration=2'], /^cgmgr top: unknown option --iteration \(did you mean --iterations\?\)\n/],
    [['top', '-x'], /^cgmgr top: unknown option -x\n/],
    [['stats', '--json=yes'], /^cgmgr stats: option --json takes no value\n/],
    [['top', '--interval'], /^cgmgr top: option --interval needs a value\n/],
    [['help', 'nosuch'], /^cgmgr help: unknown command 'nosuch'\n/],
    [['help', 'stat'], /^cgmgr help: unknown command 'stat' \(did you mean stats\?\)\n/],
  ];
  for (const [args, re] of cases) {
    const r = run(...args);
    t.equal(r.status, 2, `${args.join(' ')}: exit 2`);
    t.match(r.stderr, re, `${args.join(' ')}: says why in cgmgr's words`);
    t.notMatch(r.stderr, /ERR_PARSE_ARGS|positional|To specify a positional/, `${args.join(' ')}: no parseArgs jargon`);
    t.equal(r.stdout, '', `${args.join(' ')}: nothing on stdout`);
  }
});

t.test('--root must be a cgroup root or a recorded tree', async (t) => {
  const notCgroups = tree(t, { 'bin/x': '', 'lib/y': '', 'share/z/w': '' });
  for (const cmd of [['stats'], ['top', '--iterations', '1'], ['serve', '--port', '0'], ['move', '--pid', '1', '--to', '/a']]) {
    const r = run(...cmd, '--root', notCgroups);
    t.equal(r.status, 2, `${cmd[0]} --root <plain dir>: exit 2`);
    t.match(r.stderr, new RegExp(`^cgmgr ${cmd[0]}: --root \\S+ is neither a cgroup filesystem nor a recorded cgroup tree`));
    t.equal(r.stdout, '');
  }
  const missing = run('stats', `--root=${notCgroups}/nope`);
  t.equal(missing.status, 2);
  t.match(missing.stderr, /--root \S+\/nope does not exist/);
  const file = run('stats', '--root', path.join(notCgroups, 'bin', 'x'));
  t.equal(file.status, 2);
  t.match(file.stderr, /is not a directory/);
  // Accepted: a recorded v1 tree, a v1 hierarchy mount of this machine, the machine's root.
  t.equal(run('stats', '--root', TREE, '--depth', '0').status, 0, 'a recorded v1 tree');
  if (fs.existsSync('/sys/fs/cgroup/memory/cgroup.procs')) t.equal(run('stats', '--root', '/sys/fs/cgroup/memory', '--depth', '0').status, 0, 'a v1 mount');
  if (fs.existsSync('/sys/fs/cgroup')) t.equal(run('stats', '--root', '/sys/fs/cgroup', '--depth', '0').status, 0, 'the machine\'s root');
  t.equal(run('stats', '--root', notCgroups, '--help').status, 0, '--help is not refused');
});

t.test('a taken port: one line naming EADDRINUSE once, exit 1', async (t) => {
  const blocker = net.createServer();
  await new Promise((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => blocker.close());
  const r = run('serve', '--port', String(blocker.address().port), '--depth', '0');
  t.equal(r.status, 1);
  t.equal(r.stdout, '');
  const lines = r.stderr.split('\n').filter(Boolean);
  t.equal(lines.length, 1, `one line: ${r.stderr}`);
  t.match(lines[0], /^cgmgr: EADDRINUSE: listen: address already in use 127\.0\.0\.1:\d+$/);
  t.equal(lines[0].split('EADDRINUSE').length, 2, 'the code appears once');
});

t.test('JSON keeps every digit: "max" for no limit, strings above 2^53', async (t) => {
  const v1 = tree(t, {
    'memory/cgroup.procs': '', 'memory/memory.usage_in_bytes': '9007199254740993\n',
    'memory/memory.limit_in_bytes': '9223372036854771712\n', 'memory/memory.stat': 'total_inactive_file 0\n',
    'cpuacct/cgroup.procs': '', 'cpuacct/cpuacct.usage': '5000000000\n',
    'pids/cgroup.procs': '', 'pids/pids.current': '3\n',
    'memory/small/cgroup.procs': '', 'memory/small/memory.usage_in_bytes': '4096\n',
    'memory/small/memory.limit_in_bytes': '9223372036854710272\n', 'memory/small/memory.stat': 'total_inactive_file 0\n',
  });
  const r = run('stats', '--root', v1, '--json', '/', '/small');
  t.equal(r.status, 0, r.stderr);
  const [root, small] = JSON.parse(r.stdout);
  t.equal(root.memoryUsage, '9007199254740993', '2^53+1 exactly, as a string');
  t.equal(root.memoryLimit, 'max', 'v1\'s unlimited (4 KiB pages) is "max"');
  t.equal(small.memoryLimit, 'max', 'v1\'s unlimited with 64 KiB pages is "max"');
  t.equal(small.memoryUsage, 4096, 'a small count stays a number');
  t.equal(root.cpuSeconds, 5);
  t.equal(root.pids, 3);
  t.notMatch(r.stdout, /9223372036854772000|e\+/, 'no rounded double anywhere');

  const v2 = tree(t, {
    'cgroup.controllers': 'memory cpu pids\n', 'cgroup.procs': '', 'memory.current': '18446744073709551614\n',
    'memory.max': 'max\n', 'memory.stat': 'inactive_file 0\n', 'cpu.stat': 'usage_usec 7000000\n', 'pids.current': '2\n',
    'a/cgroup.procs': '', 'a/memory.current': '1048576\n', 'a/memory.max': '1073741824\n', 'a/memory.stat': 'inactive_file 0\n', 'a/cpu.stat': 'usage_usec 1\n', 'a/pids.current': '1\n',
  });
  const r2 = run('stats', '--root', v2, '--json', '/', '/a');
  t.equal(r2.status, 0, r2.stderr);
  const [top2, a] = JSON.parse(r2.stdout);
  t.equal(top2.memoryUsage, '18446744073709551614', '2^64-2 exactly');
  t.equal(top2.memoryLimit, 'max', 'v2 max is "max"');
  t.equal(a.memoryLimit, 1073741824, 'a real limit is its number');

  const topJson = run('top', '--root', v1, '--depth', '0', '--json', '--iterations', '1', '--interval', '0.05');
  t.equal(topJson.status, 0, topJson.stderr);
  const frame = JSON.parse(topJson.stdout);
  t.equal(frame.rows[0]?.memoryLimitBytes, 'max', 'top --json: v1\'s unlimited is "max"');
  t.notMatch(topJson.stdout, /9223372036854772000/, 'top --json: no rounded double');
});
