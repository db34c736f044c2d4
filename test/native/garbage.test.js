'use strict';
// No input crashes the process: every native entry point, called with wrong types, wrong lengths, stale ids and
// hostile strings, throws (or reports per item) and the process keeps running.
const t = require('tap');
const path = require('node:path');
const { Engine } = require('../../dist');
const { native } = require('../../dist/native');

const TREE = path.join(__dirname, '..', 'fixtures', 'trees', 'v1-real');

const junk = [undefined, null, true, 0, -1, 1.5, NaN, Infinity, 2 ** 32, -(2 ** 31), '', '..', '/', 'a\0b', 'x'.repeat(5000),
  {}, [], [1, 2], new Uint32Array(3), new Int32Array(3), new Float64Array(2), new BigUint64Array(2), new Uint8Array(1),
  Symbol('s'), () => 1, 10n];

function tryCall(fn) {
  try {
    const r = fn();
    if (r && typeof r.then === 'function') r.catch(() => {});
    return 'returned';
  } catch (err) {
    return err instanceof Error ? 'threw' : 'threw non-error';
  }
}

t.test('every native method survives junk arguments', async (t) => {
  const engine = new Engine({ root: TREE });
  t.teardown(() => engine.destroy());
  const ne = engine.nativeEngine;
  const plan = engine.plan([{ controller: 'pids', name: 'pids.max', format: 'single' }]);
  const methods = ['open', 'close', 'info', 'createPlan', 'read', 'readAsync', 'readFile', 'readPids',
    'writePids', 'writePidsAsync', 'usage', 'destroy'];
  let calls = 0;
  for (const m of methods.filter((m) => m !== 'destroy')) {
    for (const a of junk) {
      for (const b of [undefined, a, plan.id, new Uint32Array([0xffffffff])]) {
        const outcome = tryCall(() => ne[m](a, b, a, a, a, a, a, a));
        t.not(outcome, 'threw non-error', `${m}(${typeof a}) throws Errors only`);
        calls++;
      }
    }
  }
  for (const fn of ['parseMountinfo', 'statfsType', 'parseText', 'sysinfo', 'nofileLimit', 'init']) {
    for (const a of junk) {
      if (fn === 'init' && typeof a === 'function') continue; // would replace the error class
      t.not(tryCall(() => native[fn](a, a, a, a, a)), 'threw non-error', `${fn}(${typeof a})`);
      calls++;
    }
  }
  for (const a of junk) {
    t.not(tryCall(() => new native.Engine(a, a, a, a)), 'threw non-error', `new Engine(${typeof a})`);
    calls++;
  }
  t.ok(calls > 1000, `${calls} hostile calls, process alive`);
  // The engine still works afterwards.
  const id = engine.open('cgmgr-rec');
  t.equal(engine.readSync(plan, [id]).get(0, 0), Infinity);
});

t.test('a batch result made for another plan, or too small, is refused', async (t) => {
  const engine = new Engine({ root: TREE });
  t.teardown(() => engine.destroy());
  const a = engine.plan([{ controller: 'pids', name: 'pids.max', format: 'single' }]);
  const b = engine.plan([{ controller: 'pids', name: 'pids.current', format: 'single' }]);
  const id = engine.open('cgmgr-rec');
  t.throws(() => engine.readSync(a, [id], engine.result(b, 1)), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => engine.readSync(a, [id, id], engine.result(a, 1)), { code: 'ERR_INVALID_ARG_VALUE' });
  const other = new Engine({ root: TREE });
  t.teardown(() => other.destroy());
  t.throws(() => other.readSync(a, [id]), { code: 'ERR_INVALID_ARG_VALUE' });
});

t.test('closing handles while an async batch runs is safe', async (t) => {
  const engine = new Engine({ root: TREE, fdBudget: 8 });
  t.teardown(() => engine.destroy());
  const plan = engine.plan([
    { controller: 'memory', name: 'memory.stat', format: 'flatKeyed', keys: ['cache'] },
    { controller: 'pids', name: 'pids.max', format: 'single' },
  ]);
  const ids = Uint32Array.from({ length: 500 }, () => engine.open('cgmgr-rec/ctr'));
  const pending = engine.read(plan, ids);
  for (const id of ids) engine.close(id);
  const r = await pending;
  const statuses = new Set(r.itemStatus);
  t.ok([...statuses].every((s) => s === 0 || s === 2), 'each row read, or read as closed');
  t.equal(engine.usage().handles, 0);
  t.equal(engine.usage().heldFds, 0, 'every descriptor closed');
});
