'use strict';
// Every stats vector of the shared spec (kinds statsV1, statsV2, parsePSI, parseIoStatV2, parseBlkioV1, hugetlb*,
// hugePageSizeNames, memLimitGivenSystem, verifyMemoryIsEnough, procLimitsSoftNofile, processStatsAggregation,
// criConversion), each turned into a temporary cgroup tree and read through the public API, in bigint mode (exact)
// and in number mode. Vectors that DECISIONS.md overrides expect cgmgr's fix and are named after the decision.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const cgmgr = require('../../dist');
const { v1Tree, v2Tree, procTree, tmpdir } = require('./fixtures/trees');

const COPY = path.join(__dirname, '..', 'fixtures', 'stats-vectors', 'vectors.json');
const SHARED = path.resolve(__dirname, '..', '..', '..', 'shared', 'spec', 'vectors.json');
const vectors = JSON.parse(fs.readFileSync(COPY, 'utf8'));
const MAX = '18446744073709551615';

// DECISIONS.md wins over a vector: the fixed expectation, and the id the fix is known by.
const FIXED = {
  'ST2-6': { id: 'Q-13 (swap)', expect: { Memory: { SwapLimit: MAX, Limit: MAX } } },
  'ST2-13': { id: 'Q-13', expect: { Memory: { WorkingSetBytes: '220000000', AvailableBytes: '0' } } },
  'ST1-3': { id: 'Q-13', expect: { Memory: { Limit: '9223372036854771712', AvailableBytes: '0' } } },
};
// Context only (DECISIONS: "CRI-O code outside the seed's API; cgmgr need not expose it").
const CONTEXT_ONLY = new Set(['runtimeVmConversionV2', 'memLimitGivenSystem(nonLinux)']);

t.test('the fixture copy of the vectors equals the shared spec', { skip: fs.existsSync(SHARED) ? false : `${SHARED} is not there` }, async (t) => {
  const kinds = new Set(vectors.map((v) => v.kind));
  const shared = JSON.parse(fs.readFileSync(SHARED, 'utf8')).filter((v) => kinds.has(v.kind));
  t.same(vectors, shared);
});

const goKey = (k) => (k === k.toUpperCase() ? k.toLowerCase() : k[0].toLowerCase() + k.slice(1));
const SECTION = { Memory: 'memory', CPU: 'cpu', Pid: 'pid', DiskIO: 'diskIO', Hugetlb: 'hugetlb' };
const CRI = { SwapAvailableBytes: 'swapAvailableBytes', SwapUsageBytes: 'swapUsage' };

/** Compares an expectation in the vectors' Go shape with a stats value; `mode` 'bigint' or 'number'. */
function check(t, actual, expected, where, mode, ctx = {}) {
  if (typeof expected === 'string') {
    if (expected.startsWith('<')) return; // a description, not a value (process stats of pids that do not exist here)
    if (!/^[0-9]+$/.test(expected)) {
      t.equal(actual, expected, where); // a string field (blkio op)
      return;
    }
    let want = BigInt(expected);
    if (mode === 'number') {
      const infinite = want === 2n ** 64n - 1n && (ctx.key === 'limit' || ctx.key === 'swapLimit');
      want = infinite ? Infinity : Number(want);
    }
    t.equal(actual, want, where);
  } else if (typeof expected === 'number') {
    t.equal(actual, expected, where);
  } else if (expected === null) {
    t.equal(actual, null, where);
  } else if (Array.isArray(expected)) {
    t.ok(Array.isArray(actual), `${where} is a list`);
    if (!Array.isArray(actual)) return;
    t.equal(actual.length, expected.length, `${where} length`);
    expected.forEach((e, i) => check(t, actual[i], e, `${where}[${i}]`, mode, ctx));
  } else {
    t.ok(actual !== null && typeof actual === 'object', `${where} is an object`);
    if (actual === null || typeof actual !== 'object') return;
    for (const [k, v] of Object.entries(expected)) {
      const key = ctx.map?.[k] ?? goKey(k);
      check(t, actual[key], v, `${where}.${key}`, mode, { key });
    }
  }
}

function checkStats(t, s, expect, mode) {
  for (const [section, want] of Object.entries(expect)) {
    if (section === 'CRI') {
      for (const [k, v] of Object.entries(want)) check(t, s.memory[CRI[k]], v, `memory.${CRI[k]} (CRI ${k})`, mode, { key: CRI[k] });
    } else if (section === 'Hugetlb') {
      t.same(Object.keys(s.hugetlb).sort(), Object.keys(want).sort(), 'hugetlb page sizes');
      check(t, s.hugetlb, want, 'hugetlb', mode, { map: Object.fromEntries(Object.keys(want).map((k) => [k, k])) });
    } else if (section === 'libctrOnly') {
      // The library's per-mode per-CPU arrays: CRI-O drops them (so does cgmgr).
      t.notOk('percpuUsageInUsermode' in s.cpu, 'per-mode per-CPU arrays are not part of CPUStats');
    } else if (SECTION[section]) {
      check(t, s[SECTION[section]], want, SECTION[section], mode);
    } else {
      t.fail(`unknown expectation section ${section}`);
    }
  }
}

function treeFor(t, v) {
  const input = v.input;
  const sizes = input.hugePageSizes ?? [];
  if (input.cgroupVersion === 1 || v.kind === 'statsV1') {
    return { root: v1Tree(t, input.filesRelativeToControllerDirs ?? {}, { dirExists: input.dirExists !== false }), version: 1, sizes };
  }
  return { root: v2Tree(t, input.files ?? {}, { dirExists: input.dirExists !== false }), version: 2, sizes };
}

async function readBoth(t, root, version, sizes, extra = {}) {
  const opts = { root, version, hugePageSizes: sizes, procRoot: tmpdir(t, 'cgmgr-noproc-'), ...extra };
  const big = await cgmgr.stats('ctr', { ...opts, bigint: true });
  const num = cgmgr.statsSync('ctr', opts);
  return { big, num };
}

for (const v of vectors) {
  const fixed = FIXED[v.id];
  const name = `${v.id} (${v.kind})${fixed ? ` — ${fixed.id}` : ''}`;
  if (CONTEXT_ONLY.has(v.kind)) {
    t.test(name, { skip: 'context only: CRI-O code outside the seed\'s API (DECISIONS.md); not exposed' }, () => {});
    continue;
  }
  t.test(name, async (t) => {
    const input = v.input;
    switch (v.kind) {
      case 'statsV1':
      case 'statsV2': {
        const { root, version, sizes } = treeFor(t, v);
        const expect = fixed ? fixed.expect : v.expect;
        if (expect.error !== undefined || expect.errorFrom !== undefined) {
          const err = await cgmgr.stats('ctr', { root, version, hugePageSizes: sizes }).then(() => undefined, (e) => e);
          t.ok(err instanceof cgmgr.CgroupError, 'rejects with a CgroupError');
          if (expect.error) t.match(err.message, /^error while statting cgroup v2: \[.+\]$/, 'the v2 reader\'s collected-errors message');
          if (expect.errorFrom) t.match(err.path, /\/devices\/ctr\/cgroup\.procs$/, 'GetPids: cgroup.procs in the devices hierarchy');
          t.equal(err.code, 'ENOENT');
          t.equal(err.partial, undefined, 'nothing was read (result null)');
          t.throws(() => cgmgr.statsSync('ctr', { root, version, hugePageSizes: sizes }), { code: 'ENOENT' });
          return;
        }
        const { big, num } = await readBoth(t, root, version, sizes);
        checkStats(t, big, expect, 'bigint');
        checkStats(t, num, expect, 'number');
        t.equal(big.version, version);
        if (fixed) {
          // What CRI-O v1.35 reports instead (the vector), for the record: it differs from cgmgr's value.
          for (const [k, want] of Object.entries(v.expect.Memory)) {
            if (fixed.expect.Memory[k] !== want) t.not(String(big.memory[goKey(k)]), want, `CRI-O's ${k} ${want} is fixed`);
          }
        }
        return;
      }
      case 'parsePSI': {
        const root = v2Tree(t, { 'cpu.pressure': input.content });
        const opts = { root, version: 2, controllers: ['psi'] };
        if (v.expect.errorContains) {
          const err = await cgmgr.stats('ctr', opts).then(() => undefined, (e) => e);
          t.ok(err instanceof cgmgr.CgroupError);
          t.match(err.message, v.expect.errorContains);
          t.match(err.message, /^error while statting cgroup v2: \[unable to parse .*\/ctr\/cpu\.pressure: invalid avg60 PSI value: strconv\.ParseFloat: parsing "x": invalid syntax\]$/);
          t.equal(err.partial.cpu.psi, null, 'the partial result has no cpu PSI');
          t.ok(err.partial.absent.includes('cpu.psi'));
          return;
        }
        const big = await cgmgr.stats('ctr', { ...opts, bigint: true });
        if (v.expect.result === null) {
          t.equal(big.cpu.psi, null, 'missing file -> null PSI, no error');
          t.ok(big.absent.includes('cpu.psi'));
        } else {
          check(t, big.cpu.psi, v.expect, 'cpu.psi', 'bigint');
          check(t, cgmgr.statsSync('ctr', opts).cpu.psi, v.expect, 'cpu.psi', 'number');
        }
        return;
      }
      case 'parseIoStatV2': {
        const root = v2Tree(t, { 'io.stat': input.content });
        const s = await cgmgr.stats('ctr', { root, version: 2, controllers: ['io'], bigint: true });
        const tuples = (list) => list.map((e) => [String(e.major), String(e.minor), e.op, String(e.value)]).map((x) => x.join(' ')).sort();
        const want = (k) => Object.entries(v.expect).find(([key]) => key.startsWith(k))[1].map((x) => x.join(' ')).sort();
        t.same(tuples(s.diskIO.ioServiceBytes), want('IoServiceBytes'), 'IoServiceBytes (unordered across devices)');
        t.same(tuples(s.diskIO.ioServiced), want('IoServiced'), 'IoServiced (unordered across devices)');
        return;
      }
      case 'parseBlkioV1': {
        const files = Object.fromEntries(Object.entries(input.files).map(([k, c]) => [`blkio/${k}`, c]));
        const root = v1Tree(t, files);
        const s = await cgmgr.stats('ctr', { root, version: 1, controllers: ['blkio'], bigint: true });
        const tuples = (list) => list.map((e) => [String(e.major), String(e.minor), e.op, String(e.value)]);
        t.same(tuples(s.diskIO.ioServiced), v.expect.IoServiced);
        t.same(tuples(s.diskIO.ioServiceBytes), v.expect.IoServiceBytes);
        return;
      }
      case 'hugetlbV1':
      case 'hugetlbV2': {
        const root = v.kind === 'hugetlbV1'
          ? v1Tree(t, Object.fromEntries(Object.entries(input.files).map(([k, c]) => [`hugetlb/${k}`, c])))
          : v2Tree(t, input.files);
        const opts = { root, version: v.kind === 'hugetlbV1' ? 1 : 2, controllers: ['hugetlb'], hugePageSizes: input.hugePageSizes };
        const big = await cgmgr.stats('ctr', { ...opts, bigint: true });
        checkStats(t, big, v.expect, 'bigint');
        checkStats(t, cgmgr.statsSync('ctr', opts), v.expect, 'number');
        if (v.kind === 'hugetlbV2') t.ok(big.absent.includes('hugetlb.2MB.max'), 'v2 Max is structurally 0: absent');
        return;
      }
      case 'hugePageSizeNames': {
        t.same(cgmgr.hugePageSizeNames(input.sysDirEntries), v.expect.sizes, 'names, in entry order');
        const sys = tmpdir(t, 'cgmgr-sys-');
        for (const e of input.sysDirEntries) fs.mkdirSync(path.join(sys, 'kernel', 'mm', 'hugepages', e), { recursive: true });
        t.same([...cgmgr.hugePageSizes({ sysRoot: sys })].sort(), [...v.expect.sizes].sort(), 'read from <sysRoot>/kernel/mm/hugepages (directory order)');
        t.same(cgmgr.hugePageSizes({ sysRoot: path.join(sys, 'nope') }), [], 'no directory -> no sizes');
        return;
      }
      case 'memLimitGivenSystem': {
        const sysinfo = input.sysinfoError
          ? () => { throw new Error('sysinfo: EFAULT'); }
          : () => ({ totalram: BigInt(input.sysinfoTotalram) });
        const limit = BigInt(input.cgroupLimit);
        t.equal(cgmgr.memLimitGivenSystem(limit, { sysinfo }), BigInt(v.expect.result), 'bigint');
        const nlimit = limit === 2n ** 64n - 1n ? Infinity : Number(limit);
        t.equal(cgmgr.memLimitGivenSystem(nlimit, { sysinfo }), Number(v.expect.result), 'number (max as Infinity)');
        return;
      }
      case 'verifyMemoryIsEnough': {
        const call = () => cgmgr.verifyMemoryIsEnough(input.memoryLimit, input.minMemory);
        const callBig = () => cgmgr.verifyMemoryIsEnough(BigInt(input.memoryLimit), BigInt(input.minMemory));
        if (v.expect.error === null) {
          t.doesNotThrow(call);
          t.doesNotThrow(callBig);
        } else {
          t.throws(call, { message: v.expect.error, code: 'ERR_CGROUP_MEMORY_TOO_LOW' });
          t.throws(callBig, { message: v.expect.error });
        }
        return;
      }
      case 'procLimitsSoftNofile': {
        // Through the public API: a cgroup whose pids are 1001 (the previous value, if any) and 1002 (this content).
        const limits = { 1002: input.content };
        const pids = ['1002'];
        if (input.previous !== undefined) {
          limits[1001] = `Max open files            ${input.previous}                 ${input.previous}                 files     \n`;
          pids.unshift('1001');
        }
        const root = v2Tree(t, { 'cgroup.procs': pids.join('\n') + '\n' });
        const procRoot = procTree(t, { limits });
        const s = await cgmgr.stats('ctr', { root, version: 2, procRoot, controllers: ['process'], bigint: true });
        t.equal(s.pid.ulimitsSoft, BigInt(v.expect.UlimitsSoft));
        t.equal(cgmgr.statsSync('ctr', { root, version: 2, procRoot, controllers: ['process'] }).pid.ulimitsSoft, Number(v.expect.UlimitsSoft));
        return;
      }
      case 'processStatsAggregation': {
        const pids = input.pids;
        const root = v2Tree(t, { 'cgroup.procs': pids.map((p) => `${p}\n`).join('') });
        const procRoot = procTree(t, { fdLinks: input.fdLinks ?? {}, nofileSoft: input.nofileSoft ?? {} });
        for (const bigint of [true, false]) {
          const s = bigint
            ? await cgmgr.stats('ctr', { root, version: 2, procRoot, controllers: ['process'], bigint })
            : cgmgr.statsSync('ctr', { root, version: 2, procRoot, controllers: ['process'], bigint });
          const num = (x) => (bigint ? BigInt(x) : Number(x));
          if ('Pids' in v.expect) t.same(s.pid.pids, v.expect.Pids);
          else t.same(s.pid.pids, pids);
          t.equal(s.pid.fileDescriptors, num(v.expect.FileDescriptors), 'file descriptors');
          if ('Sockets' in v.expect) t.equal(s.pid.sockets, num(v.expect.Sockets), 'sockets');
          t.equal(s.pid.ulimitsSoft, num(v.expect.UlimitsSoft), 'ulimits: the last pid wins');
        }
        return;
      }
      case 'criConversion': {
        // Context only (the CRI mapping lives in CRI-O's stats server); its swap numbers are cgmgr's extra fields.
        const src = vectors.find((x) => x.id === input.stats);
        const { root, version, sizes } = treeFor(t, src);
        const { big, num } = await readBoth(t, root, version, sizes);
        const swap = v.expect.swap;
        t.equal(big.memory.swapUsage, BigInt(swap.swapUsageBytes), 'swapUsage');
        t.equal(big.memory.swapAvailableBytes, BigInt(swap.swapAvailableBytes), 'swapAvailableBytes = swapLimit - swapUsage');
        if (v.expect.memory) {
          for (const [k, want] of Object.entries(v.expect.memory)) {
            if (k !== 'timestamp') t.equal(big.memory[k === 'usageBytes' ? 'usage' : k], BigInt(want), `memory ${k}`);
          }
          t.equal(big.cpu.totalUsageNano, BigInt(v.expect.cpu.usageCoreNanoSeconds));
          t.equal(big.pid.current, BigInt(v.expect.process.processCount));
        }
        if (big.memory.swapLimit === 2n ** 64n - 1n) t.equal(num.memory.swapAvailableBytes, Infinity, 'unlimited swap: Infinity as a number');
        return;
      }
      default:
        t.fail(`no runner for kind ${v.kind}`);
    }
  });
}
