'use strict';
// The per-container call's first steps take shortcuts (issue 13): Go's Clean returns a path that is already clean as
// it is, checkParent counts bytes only for long strings, and a manager finds a cached handle again by the very
// (sbParent, id) it was last asked with, without computing the path. Each shortcut must answer exactly as the long way.
const t = require('tap');
const cgmgr = require('../../dist');
const { checkParent } = require('../../dist/managers/types');
const { scratch } = require('./helpers');

// Go's path.Clean, the long way (the algorithm of lib/paths.ts before its fast path), as the reference.
function goClean(p) {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const body = out.join('/');
  if (rooted) return '/' + body;
  return body === '' ? '.' : body;
}

t.test('clean() equals Go\'s Clean on fixed vectors and on every short path of an alphabet with dots and slashes', async (t) => {
  // Go's own path.Clean test table (src/path/path_test.go), in part.
  const vectors = [['', '.'], ['abc', 'abc'], ['abc/def', 'abc/def'], ['a/b/c', 'a/b/c'], ['.', '.'], ['..', '..'],
    ['../..', '../..'], ['../../abc', '../../abc'], ['/abc', '/abc'], ['/', '/'], ['abc/', 'abc'], ['abc/def/', 'abc/def'],
    ['a/b/c/', 'a/b/c'], ['./', '.'], ['../', '..'], ['../../', '../..'], ['/abc/', '/abc'], ['abc//def//ghi', 'abc/def/ghi'],
    ['//abc', '/abc'], ['///abc', '/abc'], ['//abc//', '/abc'], ['abc//', 'abc'], ['abc/./def', 'abc/def'],
    ['/./abc/def', '/abc/def'], ['abc/.', 'abc'], ['abc/def/ghi/../jkl', 'abc/def/jkl'], ['abc/def/../ghi/../jkl', 'abc/jkl'],
    ['abc/def/..', 'abc'], ['abc/def/../..', '.'], ['/abc/def/../..', '/'], ['abc/def/../../..', '..'],
    ['/abc/def/../../..', '/'], ['abc/def/../../../ghi/jkl/../../../mno', '../../mno'], ['abc/./../def', 'def'],
    ['abc//./../def', 'def'], ['abc/../../././../def', '../../def'], ['.abc', '.abc'], ['/.abc/..x', '/.abc/..x'],
    ['/kubepods/pod1/crio-abc', '/kubepods/pod1/crio-abc'], ['/a.slice/a-b.slice/crio-x.scope', '/a.slice/a-b.slice/crio-x.scope']];
  for (const [input, want] of vectors) t.equal(cgmgr.clean(input), want, JSON.stringify(input));
  // Every string of up to 6 characters over "a./": 1093 paths, the fast path's every corner.
  const alphabet = ['a', '.', '/'];
  let checked = 0;
  const walk = (prefix) => {
    if (cgmgr.clean(prefix) !== goClean(prefix)) t.fail(`clean(${JSON.stringify(prefix)}) = ${cgmgr.clean(prefix)}, Go: ${goClean(prefix)}`);
    checked++;
    if (prefix.length < 6) for (const c of alphabet) walk(prefix + c);
  };
  walk('');
  t.equal(checked, 1093, 'every path checked');
});

t.test('join(\'/\', parent, name) equals Go\'s Join for the managers\' joins', async (t) => {
  for (const parent of ['', '/', '/crio', 'crio', '/a//b/', '//x', '/a/./b', 'a/../b', '/kubepods/pod1']) {
    for (const name of ['crio-abc', 'crio-conmon-abc', '']) {
      const want = goClean(['/', parent, name].filter((e) => e !== '').join('/'));
      t.equal(cgmgr.join('/', parent, name), want, JSON.stringify([parent, name]));
    }
  }
});

t.test('checkParent counts UTF-8 bytes (not UTF-16 units) and refuses dot elements, short and long', async (t) => {
  t.equal(checkParent('€'.repeat(1365), 'p'), '€'.repeat(1365), '1365 three-byte characters are 4095 bytes: accepted');
  t.throws(() => checkParent('€'.repeat(1366), 'p'), { code: 'ERR_INVALID_ARG_VALUE' }, '4098 bytes: refused');
  t.throws(() => checkParent('a'.repeat(4096), 'p'), { code: 'ERR_INVALID_ARG_VALUE' }, '4096 ASCII bytes: refused');
  t.equal(checkParent('a'.repeat(4095), 'p').length, 4095);
  for (const bad of ['.', '..', '/a/./b', '/a/../b', 'a/..', './a', '/a/.', 'a\0b']) {
    t.throws(() => checkParent(bad, 'p'), { code: 'ERR_INVALID_ARG_VALUE' }, JSON.stringify(bad));
  }
  for (const ok of ['', '/', '/a//b/', '.a', '/a/..b/c', '/kubepods.slice', 'a.']) t.equal(checkParent(ok, 'p'), ok, JSON.stringify(ok));
});

t.test('LruCache.getByArg: a hit only for the very argument the entry was last reached with', async (t) => {
  const c = new cgmgr.LruCache(4);
  c.set('id', '/p/crio-id', 'v', '/p');
  t.equal(c.getByArg('id', '/p'), 'v');
  t.equal(c.getByArg('id', '/p/'), undefined, 'another spelling: no shortcut');
  t.equal(c.get('id', '/p/crio-id', '/p/'), 'v', 'the long way finds it, and remembers the spelling');
  t.equal(c.getByArg('id', '/p/'), 'v');
  t.equal(c.getByArg('other', '/p'), undefined);
  c.set('n', '/x', 'w', undefined);
  t.equal(c.getByArg('n', undefined), undefined, 'no argument recorded: never a shortcut');
});

t.test('managers: the shortcut returns the cached handle, and a changed or invalid parent still takes the long way', async (t) => {
  const s = scratch(t, 1);
  for (const name of ['cgroupfs', 'systemd']) {
    const m = cgmgr.setCgroupManager(name, { ...s.options, cacheSize: 4 });
    const parent = name === 'cgroupfs' ? '/kubepods/pod1' : 'kubepods-pod1.slice';
    const other = name === 'cgroupfs' ? '/kubepods/pod2' : 'kubepods-pod2.slice';
    const a = m.containerCgroupManager(parent, 'abc');
    t.equal(m.containerCgroupManager(parent, 'abc'), a, `${name}: same (parent, id), same handle`);
    t.equal(m.containerCgroupManager(`${parent}/`.replace('.slice/', '.slice'), 'abc'), a, `${name}: same path, same handle`);
    t.equal(m.containerCgroupManager(parent, 'abc'), a, `${name}: and again by the first spelling`);
    const b = m.containerCgroupManager(other, 'abc');
    t.not(b, a, `${name}: another parent, another handle`);
    t.equal(b.innerPath, m.containerCgroupAbsolutePath(other, 'abc'), `${name}: for the other parent's path`);
    t.not(m.containerCgroupManager(parent, 'abc'), a, `${name}: the first handle was replaced, not found by its old argument`);
    t.throws(() => m.containerCgroupManager('/kubepods/../x', 'abc'), { code: /ERR_INVALID_ARG_VALUE|ERR_CGROUP_INVALID_SLICE/ },
      `${name}: an invalid parent is refused though the id is cached`);
    t.throws(() => m.containerCgroupManager(42, 'abc'), { code: 'ERR_INVALID_ARG_VALUE' }, `${name}: a parent that is no string is refused`);
    const sb = m.sandboxCgroupManager(name === 'cgroupfs' ? '/kubepods/pod1' : 'kubepods-pod1.slice', 'sb1');
    t.equal(m.sandboxCgroupManager(name === 'cgroupfs' ? '/kubepods/pod1' : 'kubepods-pod1.slice', 'sb1'), sb, `${name}: sandbox handle cached`);
  }
});
