'use strict';
// readProcFilesAsync (the engine job that reads the pods' /proc/<pid>/net/dev on the pool for the collector): pairs of
// (file, link) read whole and stat'ed off the JS thread, in order; an absent file or link says so (-ENOENT, -1);
// a file larger than the first read chunk comes whole; bad arguments are TypeErrors, never a crash.
const t = require('tap');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Engine } = require('../../dist');

const ENOENT = 2;

t.test('pairs of files and links, read whole and stat\'ed on the pool', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cgmgr-procfiles-${process.pid}-`));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const small = path.join(dir, 'small');
  const big = path.join(dir, 'big');
  const link = path.join(dir, 'link');
  fs.writeFileSync(small, 'hello\n');
  const bigText = 'x'.repeat(100_000) + '\n';
  fs.writeFileSync(big, bigText);
  fs.writeFileSync(link, 'ns');
  const e = new Engine();
  t.teardown(() => e.destroy());
  const ne = e.nativeEngine;
  const [data, length, ino] = await ne.readProcFilesAsync([small, link, path.join(dir, 'absent'), link, big, path.join(dir, 'nolink')]);
  t.same(Array.from(length), [6, -ENOENT, bigText.length], 'bytes read, or -errno');
  t.same(Array.from(ino), [fs.statSync(link).ino, fs.statSync(link).ino, -1], 'the link\'s inode, or -1 when it is gone');
  t.equal(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1'), 'hello\n' + bigText, 'the files one after the other');
  // A real /proc file of our own process: net/dev of our namespace, as fs reads it.
  const [d2, l2, i2] = await ne.readProcFilesAsync([`/proc/${process.pid}/net/dev`, `/proc/${process.pid}/ns/net`]);
  t.ok(l2[0] > 0, 'our net/dev read');
  t.match(Buffer.from(d2.buffer, d2.byteOffset, l2[0]).toString('latin1'), /^Inter-\|/, 'its header');
  t.equal(i2[0], fs.statSync(`/proc/${process.pid}/ns/net`).ino, 'our namespace\'s inode');
  const [d3, l3] = await ne.readProcFilesAsync([]);
  t.equal(d3.length + l3.length, 0, 'no pairs: empty results');
});

t.test('bad arguments are TypeErrors', async (t) => {
  const e = new Engine();
  t.teardown(() => e.destroy());
  const ne = e.nativeEngine;
  t.throws(() => ne.readProcFilesAsync('x'), TypeError, 'not an array');
  t.throws(() => ne.readProcFilesAsync(['/a']), TypeError, 'an odd count');
  t.throws(() => ne.readProcFilesAsync(['/a', 1]), TypeError, 'not a string');
  t.throws(() => ne.readProcFilesAsync(['/a', 'b\0c']), { code: 'ERR_INVALID_ARG_VALUE' }, 'a NUL');
  t.throws(() => ne.readProcFilesAsync(['', '/b']), { code: 'ERR_INVALID_ARG_VALUE' }, 'an empty path');
});
