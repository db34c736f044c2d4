'use strict';
// native PidWatch (the last sample of a v1 cgroup, lib/collector/last-sample.ts): bad input is a TypeError/RangeError,
// a process that has exited is ESRCH with errno and syscall, a watched process of the test's own reports its token
// once when it exits (one-shot: its pidfd is closed), remove and close are idempotent, add after close is an error.
const t = require('tap');
const fs = require('node:fs');
const { spawn } = require('node:child_process');
const { native } = require('../../dist/native');

const pidfds = () => fs.readdirSync('/proc/self/fd').filter((n) => {
  try { return fs.readlinkSync(`/proc/self/fd/${n}`) === 'anon_inode:[pidfd]'; } catch { return false; }
}).length;

t.test('bad input and exited processes', async (t) => {
  t.throws(() => new native.PidWatch(1), { name: 'TypeError' });
  const w = new native.PidWatch(() => {});
  t.teardown(() => w.close());
  t.throws(() => w.add('1', 1), { name: 'TypeError' });
  for (const pid of [0, -1, 1.5, 2 ** 31, NaN]) t.throws(() => w.add(pid, 1), { name: 'RangeError' }, `pid ${pid}`);
  t.throws(() => w.add(process.pid, -1), { name: 'RangeError' }, 'token');
  const child = spawn('true');
  await new Promise((r) => child.once('exit', r)); // reaped: the pid is free
  t.throws(() => w.add(child.pid, 1), { code: 'ESRCH', syscall: 'pidfd_open', errno: -3 }, 'an exited process');
  t.equal(w.size(), 0);
  t.equal(w.remove(1), false);
});

t.test('a watched process reports its token once when it exits', async (t) => {
  const before = pidfds();
  const tokens = [];
  const waiters = new Map();
  const tokenSeen = (token) => new Promise((r) => waiters.set(token, r));
  const w = new native.PidWatch((token) => { tokens.push(token); waiters.get(token)?.(); });
  t.teardown(() => w.close());
  // The watch does not keep the loop alive (as the OOM watch): this test waits on it, so something must.
  const keepAlive = setInterval(() => {}, 1000);
  t.teardown(() => clearInterval(keepAlive));
  const a = spawn('sleep', ['600'], { stdio: 'ignore' });
  const b = spawn('sleep', ['600'], { stdio: 'ignore' });
  const c = spawn('sleep', ['600'], { stdio: 'ignore' });
  t.teardown(() => { for (const x of [a, b, c]) if (x.exitCode === null && x.signalCode === null) x.kill('SIGKILL'); });
  await Promise.all([a, b, c].map((x) => new Promise((r) => x.once('spawn', r))));
  w.add(a.pid, 11);
  w.add(b.pid, 12);
  t.equal(w.size(), 2);
  t.equal(pidfds(), before + 2, 'one pidfd each');
  t.equal(w.remove(12), true, 'removed before it exits');
  const seenA = tokenSeen(11);
  a.kill('SIGKILL');
  await seenA;
  t.same(tokens, [11], 'the exited one, once');
  t.equal(w.size(), 0, 'one-shot');
  // b (its watch removed) exits before c (watched): a live watch of b would have reported before c's.
  w.add(c.pid, 13);
  b.kill('SIGKILL');
  await new Promise((r) => b.once('exit', r));
  const seenC = tokenSeen(13);
  c.kill('SIGKILL');
  await seenC;
  t.same(tokens, [11, 13], 'nothing for the removed watch');
  t.equal(pidfds(), before, 'every pidfd closed');
  w.close();
  w.close();
  t.throws(() => w.add(process.pid, 1), { code: 'ERR_CGROUP_HANDLE_CLOSED' }, 'closed');
});
