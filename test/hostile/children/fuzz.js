'use strict';
// Child of fuzz.test.js: a seeded, bounded random walk over every native and public entry point of the read engine
// (random types, arities, receivers, Proxies, throwing getters, detached and shared buffers), on a scratch copy of a
// recorded tree so nothing real is ever written. Usage: node fuzz.js <seed> <calls> <scratch root>. Prints
// `ok <calls> <threw> <resolved> <rejected>` and exits 0; a crash (abort, segfault, ASan report) is the parent's
// failure, reported with the seed. A synchronous throw of a non-Error, or a hang, fails too.
const path = require('node:path');

const dist = process.env.CGMGR_DIST || path.join(__dirname, '..', '..', '..', 'dist');
const lib = require(dist);
const { native } = require(path.join(dist, 'native'));

const [seedArg, callsArg, root] = process.argv.slice(2);
let state = (Number(seedArg) >>> 0) || 1;
function rand(n) {
  state ^= state << 13; state >>>= 0; state ^= state >>> 17; state ^= state << 5; state >>>= 0;
  return state % n;
}
const pick = (a) => a[rand(a.length)];

const engines = [];
const collectors = [];
const plans = [];
const ids = [0, 0xffffffff, 1 << 24, (1 << 24) | 1];
const watches = [];

function boomGetter() {
  return Object.defineProperty({}, pick(['hierarchy', 'name', 'format', 'keys', 'cap', 'hold', 'controller', 'root', 'length', 'then']), {
    get() { throw new Error('getter boom'); }, enumerable: true,
  });
}

function typedArray() {
  const kinds = [Uint8Array, Int8Array, Uint16Array, Int16Array, Uint32Array, Int32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array, Uint8ClampedArray];
  const T = pick(kinds);
  const n = pick([0, 1, 2, 3, 7, 64, 1000]);
  const how = rand(5);
  let a;
  if (how === 0) a = new T(new SharedArrayBuffer(T.BYTES_PER_ELEMENT * n));
  else if (how === 1) {
    a = new T(n);
    structuredClone(a.buffer, { transfer: [a.buffer] }); // detached
  } else if (how === 2 && n > 1) a = new T(n).subarray(1);
  else a = new T(n);
  if (T === Uint32Array && a.length > 0 && rand(2) === 0 && a.buffer.byteLength > 0) {
    for (let i = 0; i < a.length; i++) a[i] = pick(ids);
  }
  return a;
}

function value(depth = 0) {
  switch (rand(depth > 1 ? 12 : 17)) {
    case 0: return undefined;
    case 1: return null;
    case 2: return pick([0, 1, -1, 2, 3, 7, 255, 256, 65536, 65537, 2 ** 31, 2 ** 32, 2 ** 53, -0, 1.5, NaN, Infinity, -Infinity]);
    case 3: return pick(ids);
    case 4: return pick(['', '/', '.', '..', 'cgmgr-rec', '/cgmgr-rec', 'cgmgr-rec/ctr', 'a\0b', 'x'.repeat(300), 'é'.repeat(2100), '../etc', 'memory.stat', 'pids.max', 'cgroup.procs', 'blkio.throttle.io_service_bytes_recursive', 'memory', 'pids', 'unified', 'single', 'list', 'flatKeyed', 'blkio', root, `${root}/memory/cgmgr-rec`]);
    case 5: return pick([true, false]);
    case 6: return typedArray();
    case 7: return pick([10n, -1n, 2n ** 64n]);
    case 8: return Symbol('s');
    case 9: return () => 1;
    case 10: return boomGetter();
    case 11: return new Proxy(rand(2) ? {} : [], pick([{ get() { throw new Error('proxy boom'); } }, {}, { has() { throw new Error('has boom'); } }, { ownKeys() { throw new Error('keys boom'); } }]));
    case 12: return Array.from({ length: rand(4) }, () => value(depth + 1));
    case 13: return { controller: pick(['memory', 'pids', 'cpu', 'blkio', '', 'nope']), name: pick(['memory.stat', 'pids.max', 'cgroup.procs', 'x']), format: pick(['single', 'flatKeyed', 'list', 'blkio', 'psi', 7]), keys: rand(2) ? ['cache'] : value(depth + 1), cap: value(depth + 1), hold: value(depth + 1) };
    case 14: return { hierarchy: rand(12), name: pick(['memory.stat', 'pids.max', 'cgroup.procs', '..']), format: rand(12), keys: value(depth + 1), cap: pick([0, 1, 4, 65536, 70000]), hold: value(depth + 1) };
    case 15: return plans.length ? pick(plans) : 1;
    default: {
      const p = Proxy.revocable({}, {});
      p.revoke();
      return p.proxy;
    }
  }
}

const args = () => Array.from({ length: rand(10) }, () => value());

let threw = 0;
let resolved = 0;
let rejected = 0;
const pending = [];

function call(fn, self, a) {
  let r;
  try {
    r = Reflect.apply(fn, self, a);
  } catch (err) {
    threw++;
    if (!(err instanceof Error)) throw new Error(`a non-Error was thrown: ${String(err)}`);
    return;
  }
  if (r && typeof r.then === 'function') {
    // Detach one of the arguments while the work may run.
    if (rand(3) === 0) {
      for (const x of a) {
        if (ArrayBuffer.isView(x) && x.buffer instanceof ArrayBuffer && x.buffer.byteLength > 0 && rand(2) === 0) {
          structuredClone(x.buffer, { transfer: [x.buffer] });
          break;
        }
      }
    }
    pending.push(Promise.resolve(r).then(() => { resolved++; }, () => { rejected++; }));
  }
}

function newEngine() {
  try {
    const e = new lib.Engine({ root, version: 1, fdBudget: pick([0, 1, 8, 100, 1e9]), resolve: pick(['auto', 'walk']) });
    engines.push(e);
    try { ids.push(e.open('cgmgr-rec'), e.open('cgmgr-rec/ctr')); } catch { /* fine */ }
    try { plans.push(e.plan([{ controller: 'pids', name: 'pids.max', format: 'single' }])); } catch { /* fine */ }
    return e;
  } catch (err) {
    if (!(err instanceof Error)) throw err;
    return undefined;
  }
}

const NATIVE_ENGINE_METHODS = ['open', 'close', 'info', 'createPlan', 'freePlan', 'read', 'readAsync', 'readFile', 'writeFile', 'readPids', 'writePids', 'writePidsAsync', 'usage'];
const ENGINE_METHODS = ['open', 'close', 'info', 'plan', 'result', 'readSync', 'read', 'readFile', 'writeFile', 'readPids', 'writePidsSync', 'writePids', 'filePath', 'usage', 'hierarchyFor'];
const COLLECTOR_METHODS = ['add', 'remove', 'has', 'paths', 'collect', 'collectAsync', 'usage', 'files', 'watch'];

function step() {
  const what = rand(14);
  const e = engines.length ? pick(engines) : newEngine();
  if (what === 0 || !e) { newEngine(); return; }
  if (what === 1) {
    const ne = e.nativeEngine;
    const m = pick(NATIVE_ENGINE_METHODS);
    call(ne[m], rand(8) === 0 ? pick([{}, null, engines[0]?.nativeEngine, value()]) : ne, args());
    return;
  }
  if (what === 2) {
    // A well-formed native read with one hostile argument swapped in.
    const plan = plans.length ? pick(plans) : undefined;
    if (!plan) return;
    const n = rand(4);
    const a = [plan.id, Uint32Array.from({ length: n }, () => pick(ids)), new Float64Array(plan.slots * n), new Uint8Array(plan.slots * n),
      new Int32Array(plan.files.length * n), new Int32Array(n), new Float64Array(n), true];
    if (rand(2)) a[rand(8)] = value();
    call(pick([e.nativeEngine.read, e.nativeEngine.readAsync]), e.nativeEngine, a);
    return;
  }
  if (what === 3) {
    const m = pick(ENGINE_METHODS);
    const a = args();
    if (m === 'readSync' || m === 'read') {
      if (plans.length && rand(2)) a[0] = pick(plans);
      if (rand(2)) a[1] = Array.from({ length: rand(5) }, () => pick(ids));
    }
    if (m === 'plan' && rand(2)) a[0] = Array.from({ length: 1 + rand(3) }, () => value(1));
    call(e[m], rand(8) === 0 ? value() : e, a);
    if (m === 'plan') {
      try { plans.push(e.plan([{ controller: pick(['memory', 'pids']), name: pick(['memory.stat', 'pids.max', 'cgroup.procs']), format: pick(['single', 'list', 'flatKeyed']), keys: ['cache'], cap: rand(5) }])); } catch { /* fine */ }
    }
    return;
  }
  if (what === 4) {
    const p = pick(plans);
    if (p && rand(4) === 0) call(p.free, rand(4) ? p : value(), []);
    else if (p) call(p.indexOf, p, args());
    return;
  }
  if (what === 5) {
    const fn = pick(['parseMountinfo', 'statfsType', 'parseText', 'sysinfo', 'nofileLimit', 'init']);
    const a = args();
    if (fn === 'init') {
      if (a.some((x) => typeof x === 'function')) return; // would replace the error class the whole child relies on
    }
    if (fn === 'statfsType' && typeof a[0] === 'string' && !a[0].startsWith(root)) a[0] = root;
    call(native[fn], native, a);
    return;
  }
  if (what === 6) {
    if (collectors.length < 3 || rand(3) === 0) {
      try {
        const c = new lib.StatsCollector({ ...(rand(2) ? {} : { bigint: true }), root, version: 1, maxOpenFiles: pick([undefined, 0, 5, 1e9]) });
        c.on('error', () => {});
        collectors.push(c);
      } catch (err) {
        if (!(err instanceof Error)) throw err;
      }
      return;
    }
    const c = pick(collectors);
    const m = pick(COLLECTOR_METHODS);
    const a = args();
    if ((m === 'add' || m === 'watch') && rand(2)) a[0] = pick(['/cgmgr-rec', 'cgmgr-rec/ctr', '/', '/nope']);
    call(c[m], rand(8) === 0 ? value() : c, a);
    return;
  }
  if (what === 7 && collectors.length) {
    const c = collectors.splice(rand(collectors.length), 1)[0];
    call(c.close, c, []);
    return;
  }
  if (what === 8) {
    const fn = pick(['statsSync', 'stats', 'statsMany', 'statsManySync']);
    const a = args();
    if (rand(2)) a[0] = fn.startsWith('statsMany') ? [pick(['/cgmgr-rec', '/cgmgr-rec/ctr', '/nope']), value()] : pick(['/cgmgr-rec', '/cgmgr-rec/ctr']);
    const o = a[1] !== null && typeof a[1] === 'object' && !ArrayBuffer.isView(a[1]) ? a[1] : {};
    let extra = {};
    try { extra = { ...o }; } catch { /* a throwing getter or trap */ }
    a[1] = { ...extra, root, version: 1, procRoot: root };
    call(lib[fn], undefined, a);
    return;
  }
  if (what === 9) {
    // v1 OOM watches on the scratch tree (plain files: the registration write lands in the copy).
    if (watches.length < 2 || rand(4) === 0) {
      try {
        watches.push(new native.OomWatch(() => {}));
      } catch (err) {
        if (!(err instanceof Error)) throw err;
      }
      return;
    }
    const w = pick(watches);
    const m = pick(['add', 'remove', 'size', 'close']);
    const a = args();
    if (m === 'add' && rand(2)) a[0] = pick([`${root}/memory/cgmgr-rec`, `${root}/memory`, '/nonexistent', 'relative']);
    call(w[m], rand(8) === 0 ? value() : w, a);
    return;
  }
  if (what === 10 && engines.length > 1 && rand(4) === 0) {
    const i = rand(engines.length);
    call(engines[i].destroy, engines[i], []);
    engines.splice(i, 1);
    return;
  }
  if (what === 11) {
    call(pick([native.Engine, native.OomWatch, lib.Engine, lib.StatsCollector]), undefined, args()); // without new
    try {
      const C = pick([native.Engine, native.OomWatch]);
      const a = args();
      if (C === native.OomWatch) a[0] = () => {};
      const x = Reflect.construct(C, a);
      if (C === native.OomWatch) x.close();
    } catch (err) {
      if (!(err instanceof Error)) throw err;
      threw++;
    }
    return;
  }
  // A result for a plan and a split async read of it, with the result detached meanwhile now and then.
  const plan = plans.length ? pick(plans) : undefined;
  if (!plan) return;
  try {
    const n = 1 + rand(600);
    const r = plan.engine.result(plan, n, { bigint: rand(2) === 0 });
    const p = plan.engine.read(plan, Uint32Array.from({ length: n }, () => pick(ids)), r, { workers: 1 + rand(4) });
    if (rand(2)) structuredClone(r.values.buffer, { transfer: [r.values.buffer] });
    pending.push(p.then(() => { resolved++; }, () => { rejected++; }));
  } catch (err) {
    if (!(err instanceof Error)) throw err;
    threw++;
  }
}

(async () => {
  const calls = Number(callsArg) || 1000;
  for (let i = 0; i < calls; i++) {
    step();
    if (i % 50 === 49) {
      await Promise.all(pending.splice(0));
      if (engines.length > 6) engines.splice(0, 3).forEach((e) => { try { e.destroy(); } catch { /* fine */ } });
      if (plans.length > 40) plans.splice(0, 20);
      if (ids.length > 60) ids.splice(4, 30);
    }
  }
  await Promise.all(pending.splice(0));
  for (const c of collectors) c.close();
  for (const w of watches) w.close();
  for (const e of engines) e.destroy();
  process.stdout.write(`ok ${calls} ${threw} ${resolved} ${rejected}\n`);
})().catch((err) => {
  process.stderr.write(`fuzz failure (seed ${seedArg}): ${err && err.stack}\n`);
  process.exitCode = 1;
});
