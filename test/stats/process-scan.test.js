'use strict';
// PidsStats' /proc scan (lib/stats/process.ts), on a recorded /proc and on a live process of ours: descriptors,
// sockets, and the soft "Max open files" of the last pid whose limits parse.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const t = require('tap');
const { nofileSoft, scanProcessesSync, scanProcesses } = require('../../dist/stats/process');

const LIMITS = (soft) => 'Limit                     Soft Limit           Hard Limit           Units     \n' +
  'Max cpu time              unlimited            unlimited            seconds   \n' +
  `Max open files            ${soft}                 4096                 files     \n` +
  'Max locked memory         8388608              8388608              bytes     \n';

t.test('nofileSoft: the first line that starts with the label', async (t) => {
  t.equal(nofileSoft(LIMITS('1024')), 1024n);
  t.equal(nofileSoft('Max open files 7 8 files'), 7n, 'the label on the first line');
  t.equal(nofileSoft('Max open files 7\nMax open files 8'), 7n, 'the first of two');
  t.equal(nofileSoft(LIMITS('unlimited')), undefined, 'unlimited does not parse');
  t.equal(nofileSoft('x Max open files 5\n'), undefined, 'not at the start of a line');
  t.equal(nofileSoft('Max open files'), undefined, 'no value');
  t.equal(nofileSoft(''), undefined);
  t.equal(nofileSoft('Max open files 18446744073709551615 1'), 18446744073709551615n, 'u64 max');
  t.equal(nofileSoft('Max open files 18446744073709551616 1'), undefined, 'past u64');
});

t.test('scan of a recorded /proc: descriptors, sockets, the last parsable limit', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cgmgr-proc-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  const proc = (pid, links, limits) => {
    fs.mkdirSync(path.join(root, String(pid), 'fd'), { recursive: true });
    links.forEach((l, i) => fs.symlinkSync(l, path.join(root, String(pid), 'fd', String(i))));
    if (limits !== undefined) fs.writeFileSync(path.join(root, String(pid), 'limits'), limits);
  };
  proc(10, ['/dev/null', 'socket:[1]', 'pipe:[2]', 'socket:[3]'], LIMITS('1024'));
  proc(11, ['socket:[4]'], LIMITS('unlimited'));
  proc(12, [], undefined);
  const want = { fileDescriptors: 5n, sockets: 3n, ulimitsSoft: 1024n };
  t.same(scanProcessesSync([10, 11, 12, 13], root), want, 'sync: a limit that does not parse or a missing pid leaves the last one');
  t.same(await scanProcesses([10, 11, 12, 13], root), want, 'async: the same');
  t.same(scanProcessesSync([11, 10], root), { fileDescriptors: 5n, sockets: 3n, ulimitsSoft: 1024n });
  t.same(scanProcessesSync(null, root), { fileDescriptors: 0n, sockets: 0n, ulimitsSoft: 0n }, 'no pids');
  t.same(scanProcessesSync([], root + '/'), { fileDescriptors: 0n, sockets: 0n, ulimitsSoft: 0n });
  t.same(scanProcessesSync([10], root + '/'), { fileDescriptors: 4n, sockets: 2n, ulimitsSoft: 1024n }, 'a procRoot with a trailing slash');
  // A limits file larger than the first read's buffer is read whole.
  proc(14, [], 'Filler line of no interest\n'.repeat(1000) + LIMITS('777'));
  t.same(scanProcessesSync([14], root), { fileDescriptors: 0n, sockets: 0n, ulimitsSoft: 777n }, 'a 27 KB limits file');
  t.same(await scanProcesses([14], root), { fileDescriptors: 0n, sockets: 0n, ulimitsSoft: 777n });
  t.same(scanProcessesSync([10], root), { fileDescriptors: 4n, sockets: 2n, ulimitsSoft: 1024n }, 'and a small one after it');
});

t.test('scan of a live process of ours matches its /proc', { skip: fs.existsSync('/proc/self/fd') ? false : 'no /proc' }, async (t) => {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  t.teardown(() => { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } });
  await new Promise((resolve, reject) => { child.once('spawn', resolve); child.once('error', reject); });
  // The sleep's descriptors are fixed once it runs: wait until it has exec'd (its fd list then stays put).
  const deadline = Date.now() + 10000;
  while (!fs.readlinkSync(`/proc/${child.pid}/exe`).includes('sleep') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  // sleep may still open and close a file of its own while it starts (its locale), even between two listings:
  // retried until a scan agrees with equal listings made just before and after it (a scan that is wrong every time
  // never does, and fails below after the deadline).
  let names;
  let s;
  for (const end = Date.now() + 10000; Date.now() < end; await new Promise((r) => setTimeout(r, 10))) {
    names = fs.readdirSync(`/proc/${child.pid}/fd`);
    s = scanProcessesSync([child.pid], '/proc');
    const after = fs.readdirSync(`/proc/${child.pid}/fd`);
    if (after.join() === names.join() && s.fileDescriptors === BigInt(names.length)) break;
  }
  const soft = nofileSoft(fs.readFileSync(`/proc/${child.pid}/limits`, 'utf8'));
  t.equal(s.fileDescriptors, BigInt(names.length));
  t.equal(s.sockets, 0n, 'stdio ignored: no sockets');
  t.equal(s.ulimitsSoft, soft);
  t.ok(soft > 0n);
});
