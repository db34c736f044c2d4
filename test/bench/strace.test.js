'use strict';
// bench/lib/strace.js, which bench/scrape.js uses for its syscall counts per scrape: strace -f -c attached to a real
// process of this test (a node child doing a known number of file reads) counts those calls; the summary parser reads
// strace's own table (calls, errors, seconds and the total line). Skipped without strace or ptrace.
const t = require('tap');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { straceSkipReason, straceDuring, parseSummary, diffSummary } = require('../../bench/lib/strace');

t.test('parseSummary reads calls, errors and seconds per syscall; diffSummary subtracts', async (t) => {
  const text = [
    '% time     seconds  usecs/call     calls    errors syscall',
    '------ ----------- ----------- --------- --------- ----------------',
    ' 60.00    0.000600           3       200           pread64',
    ' 40.00    0.000400           2       150        12 openat',
    '------ ----------- ----------- --------- --------- ----------------',
    '100.00    0.001000           2       350        12 total',
  ].join('\n');
  const r = parseSummary(text);
  t.same(r.get('pread64'), { calls: 200, errors: 0, seconds: 0.0006 });
  t.same(r.get('openat'), { calls: 150, errors: 12, seconds: 0.0004 });
  t.notOk(r.has('total'), 'the total line is not a syscall');
  const base = new Map([['pread64', { calls: 50, errors: 0, seconds: 0.0001 }]]);
  const d = diffSummary(r, base);
  t.same(d.map((x) => [x.syscall, x.calls, x.errors]), [['pread64', 150, 0], ['openat', 150, 12]]);
});

const missing = straceSkipReason();
t.test('straceDuring counts the calls of a real process while work runs', { skip: missing || (process.getuid() !== 0 && 'needs root to attach') }, async (t) => {
  const file = path.join(os.tmpdir(), `cgmgr-strace-test-${process.pid}`);
  fs.writeFileSync(file, 'x');
  t.teardown(() => fs.rmSync(file, { force: true }));
  // The child reads the file with pread 100 times each time it is told to on stdin, then says so.
  const child = spawn(process.execPath, ['-e', `
    const fs = require('fs'); const fd = fs.openSync(${JSON.stringify(file)}, 'r'); const b = Buffer.alloc(1);
    process.stdin.on('data', () => { for (let i = 0; i < 100; i++) fs.readSync(fd, b, 0, 1, 0); process.stdout.write('done\\n'); });
    process.stdout.write('ready\\n');`], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => child.kill('SIGKILL'));
  const lines = [];
  let wake;
  child.stdout.on('data', (d) => { lines.push(...String(d).trim().split('\n')); if (wake) wake(); });
  const next = (n) => new Promise((resolve) => { const check = () => (lines.length >= n ? resolve() : (wake = check)); check(); });
  await next(1);
  const st = await straceDuring(child.pid, os.tmpdir(), 2, async () => {
    for (let i = 0; i < 2; i++) {
      child.stdin.write('go\n');
      await next(2 + i);
    }
  });
  t.ok(st.syscalls.pread64, 'pread64 seen');
  t.ok(st.syscalls.pread64.calls >= 100 && st.syscalls.pread64.calls < 110, `about 100 preads per run (${st.syscalls.pread64.calls})`);
  t.ok(st.total.calls >= st.syscalls.pread64.calls, 'the total holds them');
});
