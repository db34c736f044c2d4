'use strict';
// v2 io.stat: the values of every key the library recognises are parsed (a bad one fails the read, as in Go), the
// values of the keys it ignores never are.
const t = require('tap');
const cgmgr = require('../../dist');
const { v2Tree } = require('./fixtures/trees');

const read = (t, content) => cgmgr.stats('ctr', { root: v2Tree(t, { 'io.stat': content }), version: 2, controllers: ['io'], bigint: true });

t.test('a bad value of a recognised cost key fails the read', async (t) => {
  await t.rejects(read(t, '8:0 rbytes=1 wbytes=2 rios=3 wios=4 cost.usage=abc\n'), { message: /io\.stat/ });
});

t.test('a bad value of an ignored key is never parsed', async (t) => {
  const s = await read(t, '8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=zz dios=? cost.vrate=100.00 cost.usage=5\n');
  t.same(s.diskIO.ioServiceBytes.map((e) => [e.op, e.value]), [['Read', 1n], ['Write', 2n]]);
  t.same(s.diskIO.ioServiced.map((e) => [e.op, e.value]), [['Read', 3n], ['Write', 4n]]);
});
