'use strict';
// The command line's contract through the real binary: --help on stdout with exit 0 for every command, usage errors
// on stderr with exit 2 and nothing on stdout, operational errors as `cgmgr: CODE: message` with exit 1.
const t = require('tap');
const { run } = require('./run');

const COMMANDS = ['stats', 'top', 'paths', 'move', 'serve'];

t.test('cgmgr --help lists every command', async (t) => {
  for (const args of [['--help'], ['-h']]) {
    const r = run(...args);
    t.equal(r.status, 0, args.join(' '));
    t.equal(r.stderr, '');
    t.match(r.stdout, /^Usage: cgmgr <command>/);
    for (const c of COMMANDS) t.match(r.stdout, new RegExp(`^  ${c}\\s+\\S`, 'm'), `lists ${c}`);
  }
});

t.test('every command has --help on stdout, exit 0', async (t) => {
  for (const c of COMMANDS) {
    const flag = c === 'top' ? '-h' : '--help';
    const r = run(c, flag);
    t.equal(r.status, 0, `${c} ${flag}`);
    t.match(r.stdout, new RegExp(`^Usage: cgmgr ${c}`), `${c} ${flag} prints its usage`);
    t.match(r.stdout, /Exit status: 0/, `${c} documents its exit codes`);
    t.equal(r.stderr, '');
    if (c === 'paths') t.equal(run('help', c).stdout, r.stdout, `cgmgr help ${c}`);
  }
});

t.test('usage errors: exit 2, message and usage on stderr, nothing on stdout', async (t) => {
  const cases = [
    [[], /^Usage: cgmgr <command>/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['stats', '--bogus'], /^cgmgr stats: unknown option --bogus\n/],
    [['top', '--interval', '0'], /--interval must be a number from 0.05/],
    [['top', '--sort', 'name'], /--sort must be cpu or memory/],
    [['top', '--iterations=0'], /--iterations must be an integer from 1/],
    [['top', 'extra'], /^cgmgr top: unexpected argument 'extra' \(this command takes only options\)/],
    [['paths', '--manager', 'cgroupfs', '--parent', '/a'], /--id is required/],
    [['paths', '--manager', 'lxc', '--parent', '/a', '--id', 'x'], /--manager must be systemd or cgroupfs/],
    [['paths', '--manager', 'cgroupfs', '--parent', '/a', '--id', 'x', '--min-memory', '1e3'], /--min-memory must be an integer/],
    [['move', '--to', '/a'], /--pid is required/],
    [['move', '--pid', '12x', '--to', '/a'], /--pid must be a process id/],
    [['serve', '--port', '70000'], /--port must be an integer from 0 to 65535/],
    [['serve', '--host'], /^cgmgr serve: option --host needs a value/],
  ];
  for (const [args, re] of cases) {
    const r = run(...args);
    t.equal(r.status, 2, `${args.join(' ')}: exit 2`);
    t.match(r.stderr, re, `${args.join(' ')}: says why`);
    t.equal(r.stdout, '', `${args.join(' ')}: nothing on stdout`);
  }
  t.match(run('top', '--sort', 'name').stderr, /Usage: cgmgr top/, 'the command\'s usage follows the message');
});

t.test('operational errors: exit 1 with `cgmgr: CODE: message`', async (t) => {
  const r = run('paths', '--manager', 'cgroupfs', '--parent', 'kubepods-pod1.slice', '--id', 'x', '--json');
  t.equal(r.status, 1);
  t.equal(r.stdout, '', 'no JSON when the command fails');
  t.equal(r.stderr, 'cgmgr: ERR_CGROUP_WRONG_DRIVER: cri-o configured with cgroupfs cgroup manager, but received systemd slice as parent: kubepods-pod1.slice\n');
  const bad = run('move', '--pid', '1', '--to', '../etc');
  t.equal(bad.status, 1);
  t.match(bad.stderr, /^cgmgr: ERR_INVALID_ARG_VALUE: .*must be a cgroup path/);
});
