'use strict';
// The native parsers (native/parse/*) through the addon's parseText(format, text, keys, cap, strict).
// Expectations follow opencontainers/cgroups v0.0.6 as described in the spec (§3.2): see docs/parsers.md.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const { parseText } = require('../../build/Release/cgmgr.node');

const OK = 0;
const MALFORMED = 1;
const OVERFLOW = 2;
const EMPTY = 3;
const ABSENT = 0;
const VALUE = 1;
const MAX = 2;
const FLOAT = 3;
const U64_MAX = 2n ** 64n - 1n;
const OPS = ['', 'Read', 'Write', 'Sync', 'Async', 'Discard', 'Total', '(other)'];

const repoRoot = path.resolve(__dirname, '..', '..');

// ---- helpers ------------------------------------------------------------------------------------------------

function single(text) {
  const r = parseText('single', text, [], 0, false);
  return { status: r.status, flag: r.flags[0], value: r.values[0] };
}

// { status, got: { key: bigint | undefined } } — undefined for kAbsent.
function keyed(text, keys, strict) {
  const r = parseText('flatKeyed', text, keys, 0, strict);
  const got = {};
  keys.forEach((k, i) => {
    if (r.flags[i] !== ABSENT && r.flags[i] !== VALUE) throw new Error(`unexpected flag ${r.flags[i]} for ${k}`);
    got[k] = r.flags[i] === VALUE ? r.values[i] : undefined;
  });
  return { status: r.status, got, flags: Array.from(r.flags), values: Array.from(r.values) };
}

function list(text, cap) {
  const r = parseText('list', text, [], cap, false);
  return { status: r.status, count: r.count, values: Array.from(r.values.slice(0, Math.min(cap, r.count))),
    flags: Array.from(r.flags) };
}

function floatsOf(values) {
  return new Float64Array(values.buffer, values.byteOffset, values.length);
}

// PSI as { status, some: {avg10, avg60, avg300, total}, full: {...} }; an absent slot is undefined.
function psi(text) {
  const r = parseText('psi', text, [], 0, false);
  const f = floatsOf(r.values);
  const group = (base) => {
    const out = {};
    ['avg10', 'avg60', 'avg300'].forEach((k, i) => {
      const flag = r.flags[base + i];
      if (flag !== ABSENT && flag !== FLOAT) throw new Error(`psi ${k}: flag ${flag}`);
      out[k] = flag === FLOAT ? f[base + i] : undefined;
    });
    const tf = r.flags[base + 3];
    if (tf !== ABSENT && tf !== VALUE) throw new Error(`psi total: flag ${tf}`);
    out.total = tf === VALUE ? r.values[base + 3] : undefined;
    return out;
  };
  return { status: r.status, count: r.count, some: group(0), full: group(4) };
}

// io.stat: { status, count, devices: [{ major, minor, <key>: bigint | undefined }] }
function ioStat(text, keys, cap) {
  const r = parseText('ioStat', text, keys, cap, false);
  const per = 2 + keys.length;
  const devices = [];
  for (let d = 0; d < Math.min(cap, r.count); d++) {
    const b = d * per;
    const dev = { major: r.values[b], minor: r.values[b + 1] };
    if (r.flags[b] !== VALUE || r.flags[b + 1] !== VALUE) throw new Error('device numbers not set');
    keys.forEach((k, i) => {
      dev[k] = r.flags[b + 2 + i] === VALUE ? r.values[b + 2 + i] : undefined;
    });
    devices.push(dev);
  }
  return { status: r.status, count: r.count, devices, slots: r.values.length };
}

// blkio: { status, count, entries: [[major, minor, op, value]] } with op as the kernel's string.
function blkio(text, cap = 16) {
  const r = parseText('blkio', text, [], cap, false);
  const entries = [];
  for (let i = 0; i < Math.min(cap, r.count); i++) {
    const b = i * 4;
    for (let k = 0; k < 4; k++) if (r.flags[b + k] !== VALUE) throw new Error('blkio slot not set');
    entries.push([r.values[b], r.values[b + 1], OPS[Number(r.values[b + 2])], r.values[b + 3]]);
  }
  return { status: r.status, count: r.count, entries };
}

function cpuset(text) {
  const r = parseText('cpuset', text, [], 0, false);
  return { status: r.status, flag: r.flags[0], value: r.values[0] };
}

function pids(text, cap = 64) {
  const r = parseText('pids', text, [], cap, false);
  if (!(r.values instanceof Int32Array)) throw new Error('pids must come back in an Int32Array');
  return { status: r.status, count: r.count, pids: Array.from(r.values.slice(0, Math.min(cap, r.count))) };
}

// A JS reference for well-formed flat keyed content (what the kernel writes): key -> BigInt.
function refKeyed(text) {
  const m = new Map();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const sp = line.indexOf(' ');
    m.set(line.slice(0, sp), BigInt(line.slice(sp + 1)));
  }
  return m;
}

// ---- content exactly as the kernel wrote it (this machine: cgroup v1 + a v2 "unified" mount, kernel 6.x) -----

const REAL = {
  // /sys/fs/cgroup/memory/memory.stat (v1, root of the memory hierarchy)
  v1MemoryStat: 'cache 9457664\nrss 3579904\nrss_huge 0\nshmem 9166848\nmapped_file 7163904\ndirty 40960\n' +
    'writeback 0\nworkingset_refault_anon 0\nworkingset_refault_file 422\nswap 0\nswapcached 0\npgpgin 19683\n' +
    'pgpgout 16500\npgfault 16637\npgmajfault 0\ninactive_anon 0\nactive_anon 1531904\ninactive_file 16384\n' +
    'active_file 274432\nunevictable 11214848\nhierarchical_memory_limit 9223372036854771712\n' +
    'hierarchical_memsw_limit 9223372036854771712\ntotal_cache 249950208\ntotal_rss 176148480\n' +
    'total_rss_huge 0\ntotal_shmem 9166848\ntotal_mapped_file 81543168\ntotal_dirty 3354624\n' +
    'total_writeback 0\ntotal_workingset_refault_anon 0\ntotal_workingset_refault_file 125018\ntotal_swap 0\n' +
    'total_swapcached 0\ntotal_pgpgin 2335173\ntotal_pgpgout 2233978\ntotal_pgfault 2760139\n' +
    'total_pgmajfault 1243\ntotal_inactive_anon 172445696\ntotal_active_anon 1597440\n' +
    'total_inactive_file 83656704\ntotal_active_file 157126656\ntotal_unevictable 11214848\n',
  v1OomControl: 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n',
  v1CpuStat: 'nr_periods 0\nnr_throttled 0\nthrottled_time 0\nnr_bursts 0\nburst_time 0\n',
  v2CpuStat: 'usage_usec 75943688\nuser_usec 53516365\nsystem_usec 22427323\nnice_usec 0\n',
  cpuacctStat: 'user 10207\nsystem 3577\n',
  cpuacctUsage: '138229892509\n',
  usagePercpu: '50723577997 87323011570 \n', // the kernel leaves a space before the newline
  cpuPressure: 'some avg10=2.88 avg60=2.43 avg300=1.25 total=10316669\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n',
  ioPressure: 'some avg10=0.01 avg60=0.05 avg300=0.20 total=3598549\nfull avg10=0.01 avg60=0.05 avg300=0.19 total=3388953\n',
  blkioTotalOnly: 'Total 0\n', // blkio.throttle.io_serviced_recursive with no I/O
  cpusetCpus: '0-1\n',
  cpusetMems: '0\n',
  limitInBytes: '9223372036854771712\n', // v1 "unlimited": 2^63 rounded down to a page
  useHierarchy: '1\n',
  procs: '1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n71\n73\n2869\n5115\n6899\n',
};

// cgroup v2 files in the kernel's format (fs/kernfs seq_printf "%s %llu\n"; blk-cgroup "%s rbytes=%llu ...").
const V2 = {
  memoryStat: 'anon 1118208\nfile 3452928\nkernel 634880\nkernel_stack 32768\npagetables 69632\n' +
    'sec_pagetables 0\npercpu 0\nsock 0\nvmalloc 0\nshmem 0\nzswap 0\nzswapped 0\nfile_mapped 2678784\n' +
    'file_dirty 0\nfile_writeback 0\nswapcached 0\nanon_thp 0\nfile_thp 0\nshmem_thp 0\ninactive_anon 1089536\n' +
    'active_anon 28672\ninactive_file 1888256\nactive_file 1564672\nunevictable 0\nslab_reclaimable 268176\n' +
    'slab_unreclaimable 187560\nslab 455736\nworkingset_refault_anon 0\nworkingset_refault_file 0\n' +
    'workingset_activate_anon 0\nworkingset_activate_file 0\nworkingset_restore_anon 0\n' +
    'workingset_restore_file 0\nworkingset_nodereclaim 0\npgscan 0\npgsteal 0\npgscan_kswapd 0\n' +
    'pgscan_direct 0\npgsteal_kswapd 0\npgsteal_direct 0\npgfault 2451\npgmajfault 0\npgrefill 0\n' +
    'pgactivate 0\npgdeactivate 0\npglazyfree 0\npglazyfreed 0\nzswpin 0\nzswpout 0\nthp_fault_alloc 0\n' +
    'thp_collapse_alloc 0\n',
  memoryEvents: 'low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n',
  ioStat: '253:0 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n' +
    '8:0 rbytes=90112 wbytes=0 rios=8 wios=0 dbytes=0 dios=0\n',
  ioStatCost: '8:16 rbytes=2510848 wbytes=0 rios=91 wios=0 dbytes=0 dios=0 cost.vrate=100.00 cost.usage=7251 ' +
    'cost.wait=0 cost.indebt=0 cost.indelay=0\n',
  hugetlbEvents: 'max 0\n',
};

const IO_KEYS = ['rbytes', 'wbytes', 'rios', 'wios', 'cost.usage', 'cost.wait', 'cost.indebt', 'cost.indelay'];

// ---- the binding ----------------------------------------------------------------------------------------------

t.test('parseText: result shape and slot counts per format', async (t) => {
  const shapes = [
    ['single', [], 0, 1],
    ['flatKeyed', ['a', 'b', 'c'], 0, 3],
    ['list', [], 5, 5],
    ['cpuacctStat', [], 0, 2],
    ['cpuMax', [], 0, 2],
    ['psi', [], 0, 8],
    ['ioStat', ['rbytes', 'wbytes'], 3, 12],
    ['blkio', [], 3, 12],
    ['cpuset', [], 0, 1],
  ];
  for (const [format, keys, cap, slots] of shapes) {
    const r = parseText(format, '', keys, cap, false);
    t.ok(r.values instanceof BigUint64Array, `${format}: values is a BigUint64Array`);
    t.ok(r.flags instanceof Uint8Array, `${format}: flags is a Uint8Array`);
    t.equal(r.values.length, slots, `${format}: ${slots} value slots`);
    t.equal(r.flags.length, slots, `${format}: ${slots} flag slots`);
    t.equal(typeof r.status, 'number', `${format}: numeric status`);
    t.equal(typeof r.count, 'number', `${format}: numeric count`);
  }
  const p = parseText('pids', '7\n', [], 4, false);
  t.ok(p.values instanceof Int32Array, 'pids: Int32Array');
  t.equal(p.values.length, 4, 'pids: cap entries');
  t.equal(p.count, 1, 'pids: count');
  const n = parseText('newlines', 'a\nb\n', [], 0, false);
  t.equal(n.count, 2, 'newlines: count only');
  t.equal(n.values.length, 0, 'newlines: no slots');
  t.equal(parseText('single', '5', undefined, undefined, undefined).values[0], 5n, 'keys, cap and strict may be left out');
  t.equal(parseText('single', Buffer.from('42\n')).values[0], 42n, 'text may be a Buffer');
  t.equal(parseText('single', new Uint8Array([0x34, 0x32])).values[0], 42n, 'text may be a Uint8Array');
});

t.test('parseText: bad arguments throw TypeError', async (t) => {
  const bad = [
    [[], 'no arguments'],
    [['single'], 'no text'],
    [[1, '5', [], 0, false], 'format not a string'],
    [['nonsense', '5', [], 0, false], 'unknown format'],
    [['Single', '5', [], 0, false], 'format is case-sensitive'],
    [['single', 5, [], 0, false], 'text a number'],
    [['single', new Uint16Array(2), [], 0, false], 'text a Uint16Array'],
    [['flatKeyed', 'a 1', 'a', 0, false], 'keys a string'],
    [['flatKeyed', 'a 1', ['a', 1], 0, false], 'a key not a string'],
    [['list', '1', [], -1, false], 'negative cap'],
    [['list', '1', [], 1.5, false], 'fractional cap'],
    [['list', '1', [], NaN, false], 'NaN cap'],
    [['list', '1', [], 2 ** 21, false], 'cap too large'],
    [['list', '1', [], '4', false], 'cap a string'],
    [['flatKeyed', 'a 1', ['a'], 0, 1], 'strict not a boolean'],
  ];
  for (const [args, what] of bad) t.throws(() => parseText(...args), TypeError, what);
});

// ---- ParseUint rules through single value files ---------------------------------------------------------------

t.test('single: values, max, whitespace', async (t) => {
  t.same(single('5\n'), { status: OK, flag: VALUE, value: 5n }, 'a number');
  t.same(single(REAL.limitInBytes), { status: OK, flag: VALUE, value: 9223372036854771712n }, 'v1 unlimited');
  t.same(single(REAL.useHierarchy), { status: OK, flag: VALUE, value: 1n }, 'memory.use_hierarchy');
  t.same(single(REAL.cpuacctUsage), { status: OK, flag: VALUE, value: 138229892509n }, 'cpuacct.usage');
  t.same(single('0\n'), { status: OK, flag: VALUE, value: 0n }, 'zero is a value, not absent');
  t.same(single('max\n'), { status: OK, flag: MAX, value: U64_MAX }, 'max');
  t.same(single('max'), { status: OK, flag: MAX, value: U64_MAX }, 'max without a newline');
  t.same(single(' \tmax \n'), { status: OK, flag: MAX, value: U64_MAX }, 'max with surrounding whitespace');
  t.same(single('18446744073709551615\n'), { status: OK, flag: VALUE, value: U64_MAX }, 'u64 max as a number is kValue');
  t.same(single('007\n'), { status: OK, flag: VALUE, value: 7n }, 'leading zeros');
  t.same(single('5'), { status: OK, flag: VALUE, value: 5n }, 'no trailing newline');
  t.same(single('5\r\n'), { status: OK, flag: VALUE, value: 5n }, 'CRLF is trimmed');
  t.same(single('\u00a05\u3000\u2028'), { status: OK, flag: VALUE, value: 5n }, 'Unicode spaces are trimmed');
  t.same(single(Buffer.from([0xc2, 0x85, 0x35, 0xc2, 0xa0])), { status: OK, flag: VALUE, value: 5n }, 'NEL and NBSP trimmed');
  t.same(single(Buffer.from([0x35, 0x85])), { status: MALFORMED, flag: ABSENT, value: 0n }, 'a lone 0x85 is not a space');
  t.same(single('\u200b5'), { status: MALFORMED, flag: ABSENT, value: 0n }, 'zero width space is not a space');
});

t.test('single: negative numbers are 0 (fscommon.ParseUint)', async (t) => {
  for (const s of ['-1', '-1\n', '-4096', '-9223372036854775808', '-9223372036854775809', '-18446744073709551616',
    '-99999999999999999999999999999', '-000001']) {
    t.same(single(s), { status: OK, flag: VALUE, value: 0n }, `${JSON.stringify(s)} -> 0`);
  }
  t.same(single('-99999999999999999999x'), { status: OK, flag: VALUE, value: 0n },
    'Go quirk: the range error comes before the x, and a negative range error is 0');
  t.same(single('-9223372036854775809x'), { status: MALFORMED, flag: ABSENT, value: 0n },
    'no u64 overflow before the x: a syntax error');
});

t.test('single: malformed and empty', async (t) => {
  for (const s of ['+5', '-0', '-00', '-', '--1', '-1x', '5x', 'x5', '1_000', '0x10', '1.5', '1e3', '5 6', '5\n6\n',
    'MAX', 'max max', 'maximum', 'Max', '18446744073709551616', '99999999999999999999', ' + 5', '\u0665']) {
    t.same(single(s), { status: MALFORMED, flag: ABSENT, value: 0n }, `${JSON.stringify(s)} is malformed`);
  }
  for (const s of ['', '\n', '  \t\n', '\r\n', '\u00a0']) {
    t.same(single(s), { status: EMPTY, flag: ABSENT, value: 0n }, `${JSON.stringify(s)} is empty`);
  }
});

// ---- flat keyed -----------------------------------------------------------------------------------------------

t.test('flatKeyed strict: a real v1 memory.stat', async (t) => {
  const ref = refKeyed(REAL.v1MemoryStat);
  const keys = [...ref.keys()];
  t.equal(keys.length, 42, 'the reference sees every line');
  const r = keyed(REAL.v1MemoryStat, keys, true);
  t.equal(r.status, OK);
  for (const k of keys) t.equal(r.got[k], ref.get(k), k);
  const some = keyed(REAL.v1MemoryStat, ['total_inactive_file', 'cache', 'total_rss', 'no_such_key', 'rss'], true);
  t.same(some.got, { total_inactive_file: 83656704n, cache: 9457664n, total_rss: 176148480n,
    no_such_key: undefined, rss: 3579904n }, 'requested keys in slot order; a missing key is absent');
  t.same(some.flags, [VALUE, VALUE, VALUE, ABSENT, VALUE], 'flags');
});

t.test('flatKeyed strict: v2 memory.stat, cpu.stat (v1 and v2)', async (t) => {
  const ref = refKeyed(V2.memoryStat);
  const r = keyed(V2.memoryStat, [...ref.keys()], true);
  t.equal(r.status, OK);
  for (const [k, v] of ref) t.equal(r.got[k], v, k);
  t.same(keyed(V2.memoryStat, ['anon', 'file', 'inactive_file', 'pgfault'], true).got,
    { anon: 1118208n, file: 3452928n, inactive_file: 1888256n, pgfault: 2451n }, 'the CRI-O keys');
  t.same(keyed(REAL.v1CpuStat, ['nr_periods', 'nr_throttled', 'throttled_time'], true),
    { status: OK, got: { nr_periods: 0n, nr_throttled: 0n, throttled_time: 0n }, flags: [1, 1, 1], values: [0n, 0n, 0n] },
    'v1 cpu.stat');
  t.same(keyed(REAL.v2CpuStat, ['usage_usec', 'user_usec', 'system_usec', 'nr_periods'], true).got,
    { usage_usec: 75943688n, user_usec: 53516365n, system_usec: 22427323n, nr_periods: undefined },
    'v2 cpu.stat without a cpu controller has no nr_periods');
});

t.test('flatKeyed strict: line rules', async (t) => {
  const k = ['a', 'b'];
  t.same(keyed('a 1\nb 2', k, true).got, { a: 1n, b: 2n }, 'no trailing newline');
  t.same(keyed('a 1\r\nb 2\r\n', k, true).got, { a: 1n, b: 2n }, 'CRLF: bufio.Scanner drops the \\r');
  t.same(keyed('', k, true), { status: OK, got: { a: undefined, b: undefined }, flags: [0, 0], values: [0n, 0n] },
    'an empty file has no lines');
  t.equal(keyed('a 1\nb -5\n', k, true).got.b, 0n, 'negative -> 0');
  t.equal(keyed('a 1\nb -99999999999999999999999\n', k, true).got.b, 0n, 'below INT64_MIN -> 0');
  t.same(keyed('a 1\na 7\n', k, true).got, { a: 7n, b: undefined }, 'a repeated key: the last one wins (a map)');
  t.same(keyed('a 1\nb 2\n', ['b', 'b'], true).got, { b: 2n }, 'a key requested twice fills both slots');
  t.same(keyed('a 1\nb 2\n', ['b', 'b'], true).values, [2n, 2n], 'both slots');
  t.equal(keyed('c x y\n', k, true).status, MALFORMED, 'lines of keys not requested are checked too');
  for (const [text, why] of [
    ['a 1\n\nb 2\n', 'an empty line in the middle'],
    ['\n', 'a file with one empty line'],
    [' \n', 'whitespace only'],
    ['a max\n', '"max" is not special here'],
    ['a 1\nb max\n', '"max" as the value of another key'],
    ['a  1\n', 'two spaces: the value is " 1"'],
    ['a\t1\n', 'a tab is not the separator'],
    ['a 1 2\n', 'a value with a space'],
    [' 1\n', 'empty key'],
    ['a \n', 'empty value'],
    ['a\n', 'no value'],
    ['a +1\n', '+1'],
    ['a -0\n', '-0'],
    ['a 18446744073709551616\n', 'u64 overflow'],
    ['a 1\r\r\n', 'two CRs: one stays in the value'],
    ['a 1\nb 2x\n', 'garbage'],
  ]) t.equal(keyed(text, k, true).status, MALFORMED, why);
  const partial = keyed('a 1\nb\n', k, true);
  t.same(partial.got, { a: 1n, b: undefined }, 'on kMalformed the slots before the bad line are filled');
});

t.test('flatKeyed strict: bufio.Scanner line length limit', async (t) => {
  const key = (n) => 'k'.repeat(n);
  t.equal(keyed(`${key(65533)} 5\n`, [key(65533)], true).got[key(65533)], 5n, 'a 65535 byte line is read');
  t.equal(keyed(`${key(65533)} 5`, [key(65533)], true).got[key(65533)], 5n, 'also at the end of the file');
  t.equal(keyed(`${key(65534)} 5\n`, [key(65534)], true).status, MALFORMED, 'a 65536 byte line is ErrTooLong');
  t.equal(keyed(`a 1\n${key(65534)} 5`, ['a'], true).status, MALFORMED, 'wherever it is');
  t.equal(keyed(`${key(65534)} 5\n`, [key(65534)], false).got[key(65534)], 5n, 'the single-key lookup has no limit');
});

t.test('flatKeyed lookup (strict = false): memory.events, memory.oom_control, hugetlb events', async (t) => {
  t.same(keyed(REAL.v1OomControl, ['oom_kill'], false).got, { oom_kill: 0n },
    'memory.oom_control: "oom_kill_disable" does not match "oom_kill "');
  t.same(keyed('oom_kill_disable 0\nunder_oom 0\noom_kill 4\n', ['oom_kill', 'under_oom'], false).got,
    { oom_kill: 4n, under_oom: 0n }, 'the value of the oom_kill line');
  t.same(keyed(V2.memoryEvents, ['oom_kill', 'max', 'oom'], false).got, { oom_kill: 2n, max: 12n, oom: 3n }, 'memory.events');
  t.same(keyed(V2.hugetlbEvents, ['max'], false).got, { max: 0n }, 'hugetlb.2MB.events');
  t.same(keyed(V2.memoryEvents, ['missing'], false), { status: OK, got: { missing: undefined }, flags: [0], values: [0n] },
    'a key not in the file: absent, no error');
  t.same(keyed('x 1\ny\n\ngarbage line here\nk 9\n', ['k'], false).got, { k: 9n }, 'no line-format check');
  t.equal(keyed('k 1\nk 2\n', ['k'], false).got.k, 1n, 'the first matching line wins');
  t.equal(keyed('k 1\nk x\n', ['k'], false).status, OK, 'a later line for the key is never parsed');
  t.equal(keyed('k -3\n', ['k'], false).got.k, 0n, 'negative -> 0');
  t.equal(keyed('k 5', ['k'], false).got.k, 5n, 'no trailing newline');
  t.equal(keyed('j x\nk 5\n', ['k'], false).status, OK, 'a bad value of another key is ignored');
  for (const [text, why] of [
    ['k x\n', 'a bad value'],
    ['k max\n', 'max is not special'],
    ['k \n', 'an empty value'],
    ['k 1 2\n', 'the rest of the line is the value'],
    ['k 5\r\n', 'CR is not dropped: strings.Split on "\\n"'],
    ['k  5\n', 'two spaces'],
    ['k +5\n', '+5'],
  ]) t.equal(keyed(text, ['k'], false).status, MALFORMED, why);
  t.equal(keyed('kk 5\n k 6\n', ['k'], false).got.k, undefined, 'a key must start the line');
});

// ---- list -----------------------------------------------------------------------------------------------------

t.test('list: cpuacct.usage_percpu', async (t) => {
  t.same(list(REAL.usagePercpu, 8), { status: OK, count: 2, values: [50723577997n, 87323011570n],
    flags: [1, 1, 0, 0, 0, 0, 0, 0] }, 'the real file, with its trailing space');
  t.same(list('1\t2\n3  4\r\n', 8).values, [1n, 2n, 3n, 4n], 'any whitespace separates');
  t.same(list('1\u20032\u00a03', 8).values, [1n, 2n, 3n], 'Unicode spaces separate (strings.Fields)');
  t.same(list('', 4), { status: OK, count: 0, values: [], flags: [0, 0, 0, 0] }, 'empty: no entries, no error');
  t.same(list(' \n', 4), { status: OK, count: 0, values: [], flags: [0, 0, 0, 0] }, 'whitespace only');
  t.same(list('1 2 3 4 5', 3), { status: OVERFLOW, count: 5, values: [1n, 2n, 3n], flags: [1, 1, 1] },
    'overflow: status 2, the true count, the first cap values');
  t.same(list('1 2 3', 0), { status: OVERFLOW, count: 3, values: [], flags: [] }, 'cap 0');
  t.same(list('1 2 3', 3).status, OK, 'exactly cap is fine');
  t.equal(list('1 2 3 x', 2).status, MALFORMED, 'a bad entry past cap is still malformed');
  for (const s of ['-1', '1 -1', '+1', '1,2', '18446744073709551616', 'max', '1.0'])
    t.equal(list(s, 4).status, MALFORMED, `${JSON.stringify(s)}: strict unsigned`);
  t.same(list('18446744073709551615', 1).values, [U64_MAX], 'u64 max');
});

// ---- cpu.max (v2) ---------------------------------------------------------------------------------------------

t.test('cpuMax: "<quota|max> <period>", exactly two fields', async (t) => {
  const max = (s) => {
    const r = parseText('cpuMax', s, [], 0, false);
    return { status: r.status, values: Array.from(r.values), flags: Array.from(r.flags) };
  };
  t.same(max('max 100000\n'), { status: OK, values: [U64_MAX, 100000n], flags: [2, 1] }, 'no quota: max');
  t.same(max('50000 100000\n'), { status: OK, values: [50000n, 100000n], flags: [1, 1] }, 'a quota');
  t.same(max(' 1000\t1000 '), { status: OK, values: [1000n, 1000n], flags: [1, 1] }, 'fields, any whitespace');
  t.same(max('18446744073709551615 1'), { status: OK, values: [U64_MAX, 1n], flags: [1, 1] }, 'u64 max as a number');
  t.equal(max('').status, 3, 'empty');
  t.equal(max(' \n').status, 3, 'blank');
  for (const [s, why] of [['100000', 'one field'], ['max 100000 1', 'three fields'], ['-1 100000', 'negative quota'],
    ['max max', 'a max period'], ['50000 x', 'bad period'], ['MAX 100000', 'case'], ['18446744073709551616 1', 'past u64']]) {
    const r = max(s);
    t.same(r, { status: 1, values: [0n, 0n], flags: [0, 0] }, `${why}: malformed, no half value`);
  }
});

// ---- cpuacct.stat ---------------------------------------------------------------------------------------------

t.test('cpuacctStat', async (t) => {
  const stat = (s) => {
    const r = parseText('cpuacctStat', s, [], 0, false);
    return { status: r.status, values: Array.from(r.values), flags: Array.from(r.flags) };
  };
  t.same(stat(REAL.cpuacctStat), { status: OK, values: [10207n, 3577n], flags: [1, 1] }, 'the real file');
  t.same(stat('user 1 system 2'), { status: OK, values: [1n, 2n], flags: [1, 1] }, 'no newline');
  t.same(stat('user\t1\r\nsystem   2\n'), { status: OK, values: [1n, 2n], flags: [1, 1] }, 'fields, not lines');
  t.same(stat('user 1\nsystem 2\nextra 3\n'), { status: OK, values: [1n, 2n], flags: [1, 1] }, 'extra fields ignored');
  for (const [s, why] of [
    ['', 'empty'], ['\n', 'blank'], ['user 1\n', 'three fields short'], ['system 2\nuser 1\n', 'order'],
    ['User 1\nsystem 2\n', 'case'], ['user -1\nsystem 2\n', 'negative (strict parse)'],
    ['user 1\nsystem x\n', 'bad system'], ['user 18446744073709551616\nsystem 2\n', 'overflow'],
    ['user: 1\nsystem: 2\n', 'colons'],
  ]) t.equal(stat(s).status, MALFORMED, why);
  t.same(stat('user 1\nsystem x\n').flags, [VALUE, ABSENT], 'user filled before the bad system value');
});

// ---- PSI ------------------------------------------------------------------------------------------------------

t.test('psi: real files', async (t) => {
  t.same(psi(REAL.cpuPressure), { status: OK, count: 8,
    some: { avg10: 2.88, avg60: 2.43, avg300: 1.25, total: 10316669n },
    full: { avg10: 0, avg60: 0, avg300: 0, total: 0n } }, 'cpu.pressure');
  t.same(psi(REAL.ioPressure), { status: OK, count: 8,
    some: { avg10: 0.01, avg60: 0.05, avg300: 0.2, total: 3598549n },
    full: { avg10: 0.01, avg60: 0.05, avg300: 0.19, total: 3388953n } }, 'io.pressure');
  t.same(psi('some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n').full,
    { avg10: undefined, avg60: undefined, avg300: undefined, total: undefined }, 'v1-era cpu.pressure: no full line');
  const r = parseText('psi', REAL.cpuPressure, [], 0, false);
  t.same(Array.from(r.flags), [FLOAT, FLOAT, FLOAT, VALUE, FLOAT, FLOAT, FLOAT, VALUE], 'flags');
});

t.test('psi: line and token rules', async (t) => {
  t.same(psi('').some, { avg10: undefined, avg60: undefined, avg300: undefined, total: undefined }, 'empty file');
  t.equal(psi('').status, OK, 'empty file is fine');
  t.equal(psi('some avg10=1.5 avg60=2 avg300=3 total=4').some.avg10, 1.5, 'no trailing newline');
  t.equal(psi('some avg10=1.5 avg60=2 avg300=3 total=4\r\n').some.total, 4n, 'CRLF');
  t.same(psi('other avg10=x\nsome avg10=1\n').some.avg10, 1, 'a line whose first word is not some/full is ignored');
  t.same(psi('Some avg10=1\n').some.avg10, undefined, 'first word is case-sensitive');
  t.same(psi('some foo=bar avg10=1 total=2\n').some, { avg10: 1, avg60: undefined, avg300: undefined, total: 2n },
    'unknown keys ignored, their values never parsed');
  t.same(psi('some avg10=1 total=5\nsome avg60=2\n').some,
    { avg10: undefined, avg60: 2, avg300: undefined, total: undefined }, 'a later some line replaces the earlier one');
  t.equal(psi('some avg10=1 avg10=2\n').some.avg10, 2, 'a repeated key: the last one');
  t.equal(psi('  some   avg10=1\t\ttotal=2  \n').some.total, 2n, 'fields split on any whitespace');
  for (const [text, why] of [
    ['some avg10\n', 'a token without "="'],
    ['some avg10=1 total\n', 'a later token without "="'],
    ['some avg10=\n', 'empty float'],
    ['some avg10=abc\n', 'bad float'],
    ['some avg10=1,5\n', 'comma'],
    ['some avg10=1=2\n', 'value "1=2"'],
    ['some total=-1\n', 'negative total (strict ParseUint)'],
    ['some total=max\n', 'total max'],
    ['some total=1.0\n', 'fractional total'],
    ['some total=18446744073709551616\n', 'total overflow'],
    ['\n', 'an empty line (the Go reader would panic on it)'],
    ['some avg10=1\n\nfull avg10=1\n', 'an empty line in the middle'],
    ['   \n', 'whitespace only'],
    ['full avg300=x\n', 'full line errors too'],
  ]) t.equal(psi(text).status, MALFORMED, why);
  t.same(psi('some avg10=0.5 avg60=x\n').some, { avg10: 0.5, avg60: undefined, avg300: undefined, total: undefined },
    'on error the slots parsed so far stay');
});

t.test('psi: averages follow strconv.ParseFloat', async (t) => {
  const avg = (v) => {
    const r = psi(`some avg10=${v}\n`);
    return r.status === OK ? r.some.avg10 : 'malformed';
  };
  const cases = [
    ['0.50', 0.5], ['100.00', 100], ['1e2', 100], ['1E2', 100], ['.5', 0.5], ['5.', 5], ['-1.5', -1.5],
    ['+1.5', 1.5], ['007.5', 7.5], ['0x1p-2', 0.25], ['0X1.8P1', 3], ['-0x10p0', -16], ['1_0.5', 10.5],
    ['0x_1p0', 1], ['1e1_0', 1e10], ['1e-400', 0], ['-1e-400', -0], ['1e308', 1e308],
    ['1.7976931348623157e308', 1.7976931348623157e308], ['4.9e-324', 5e-324], ['inf', Infinity],
    ['+Inf', Infinity], ['-infinity', -Infinity], ['INFINITY', Infinity], ['0x1p-1075', 0],
    ['0.1000000000000000055511151231257827021181583404541015625', 0.1],
    [`0.${'0'.repeat(400)}1e401`, 1], [`${'1'.repeat(30)}`, 111111111111111110000000000000],
    [`1_${'0'.repeat(1000)}e-1000`, 1], [`0x1${'0'.repeat(40)}p-160`, 1],
  ];
  for (const [v, want] of cases) t.equal(avg(v), want, `${v.length > 40 ? v.slice(0, 40) + '…' : v} -> ${want}`);
  t.ok(Number.isNaN(avg('nan')), 'nan');
  t.ok(Number.isNaN(avg('NaN')), 'NaN');
  t.ok(Object.is(avg('-0'), -0), '-0 keeps its sign');
  t.ok(Object.is(avg('-1e-400'), -0), 'negative underflow is -0');
  for (const v of ['1e400', '-1e400', '1.7976931348623159e308', '0x1p1024', '0x1.fffffffffffff8p1023', '1e',
    '1e+', 'e5', '.', '-', '+', '1..5', '1.5.', '0x1', '0x1.8', '0xp1', '0x', '1_', '_1', '1__0', '1_.5', '1._5',
    '0x1p-1_', '1e_1', '+nan', '-nan', 'nan1', 'infx', 'infin', 'inf inity', '1p5', '0b101', '1.5f', '１']) {
    t.equal(avg(v), 'malformed', `${v} is malformed`);
  }
});

// ---- io.stat --------------------------------------------------------------------------------------------------

t.test('ioStat: kernel content', async (t) => {
  const r = ioStat(V2.ioStat, IO_KEYS, 8);
  t.equal(r.status, OK);
  t.equal(r.count, 2, 'two devices');
  t.same(r.devices[0], { major: 253n, minor: 0n, rbytes: 1459200n, wbytes: 314773504n, rios: 192n, wios: 353n,
    'cost.usage': undefined, 'cost.wait': undefined, 'cost.indebt': undefined, 'cost.indelay': undefined },
  'devices in order of appearance; dbytes/dios not requested');
  t.same(r.devices[1], { major: 8n, minor: 0n, rbytes: 90112n, wbytes: 0n, rios: 8n, wios: 0n,
    'cost.usage': undefined, 'cost.wait': undefined, 'cost.indebt': undefined, 'cost.indelay': undefined });
  const c = ioStat(V2.ioStatCost, IO_KEYS, 2);
  t.same(c.devices, [{ major: 8n, minor: 16n, rbytes: 2510848n, wbytes: 0n, rios: 91n, wios: 0n, 'cost.usage': 7251n,
    'cost.wait': 0n, 'cost.indebt': 0n, 'cost.indelay': 0n }], 'iocost columns; cost.vrate (a float) is not parsed');
  t.equal(ioStat(V2.ioStatCost, ['cost.vrate'], 2).status, MALFORMED, 'unless it is requested');
  t.same(ioStat('', IO_KEYS, 4), { status: OK, count: 0, devices: [], slots: 40 }, 'empty file');
});

t.test('ioStat: skip rules and errors', async (t) => {
  const k = ['rbytes', 'wbytes'];
  const dev = (major, minor, rbytes, wbytes) => ({ major, minor, rbytes, wbytes });
  t.same(ioStat('8:0\n8:1 rbytes=1\n', k, 4).devices, [dev(8n, 1n, 1n, undefined)], 'a one-field line is skipped');
  t.same(ioStat('8:x\n', k, 4).status, OK, 'even with a bad device');
  t.same(ioStat('8 rbytes=x\n8:0:1 rbytes=x\nnone rbytes=x\n8:1 rbytes=2\n', k, 4).devices, [dev(8n, 1n, 2n, undefined)],
    'a first field without exactly one ":" is skipped with its bad values');
  t.same(ioStat('8:0 rbytes==5 rbytes wbytes=1=2 =5 rbytes=7\n', k, 4).devices, [dev(8n, 0n, 7n, undefined)],
    'tokens without exactly one "=" are skipped');
  t.same(ioStat('8:0 dbytes=x rbytes=3 foo=bar\n', k, 4).devices, [dev(8n, 0n, 3n, undefined)],
    'values of keys not requested are never parsed');
  t.same(ioStat('8:0 rbytes=1 wbytes=2\r\n', k, 4).devices, [dev(8n, 0n, 1n, 2n)], 'CRLF');
  t.same(ioStat('8:0 rbytes=1 wbytes=2', k, 4).devices, [dev(8n, 0n, 1n, 2n)], 'no trailing newline');
  t.same(ioStat('  8:0\trbytes=1   wbytes=2  \n', k, 4).devices, [dev(8n, 0n, 1n, 2n)], 'any whitespace');
  for (const [text, why] of [
    ['x:0 rbytes=1\n', 'bad major'],
    ['8:y rbytes=1\n', 'bad minor'],
    [':0 rbytes=1\n', 'empty major'],
    ['-8:0 rbytes=1\n', 'negative major'],
    ['8:0 rbytes=x\n', 'bad requested value'],
    ['8:0 rbytes=\n', 'empty requested value'],
    ['8:0 rbytes=-1\n', 'negative value (strict ParseUint, no negative rule)'],
    ['8:0 wbytes=18446744073709551616\n', 'u64 overflow'],
    ['8:0 rbytes=1\n9:0 rbytes=x\n', 'in a later device'],
  ]) t.equal(ioStat(text, k, 4).status, MALFORMED, why);
});

t.test('ioStat: a later line for a device replaces the earlier one', async (t) => {
  const k = ['rbytes', 'wbytes', 'rios'];
  const r = ioStat('8:0 rbytes=1 wbytes=2\n9:0 rbytes=5\n8:0 rios=3\n', k, 4);
  t.equal(r.count, 2, 'two devices');
  t.same(r.devices, [{ major: 8n, minor: 0n, rbytes: undefined, wbytes: undefined, rios: 3n },
    { major: 9n, minor: 0n, rbytes: 5n, wbytes: undefined, rios: undefined }],
  'order of first appearance; the replaced line leaves nothing behind');
  t.same(ioStat('8:0 rbytes=x\n8:0 rbytes=5\n', k, 4).devices[0].rbytes, 5n, 'a replaced bad value is not an error');
  t.equal(ioStat('8:0 rbytes=x\n8:0 rbytes=5\n', k, 4).status, OK, 'status ok');
  t.equal(ioStat('8:0 rbytes=5\n8:0 rbytes=x\n', k, 4).status, MALFORMED, 'the last line counts');
  t.equal(ioStat('8:0 rbytes=x\n8:0\n', k, 4).status, MALFORMED, 'a one-field line does not replace');
  const z = ioStat('08:0 rbytes=1\n8:0 rbytes=2\n08:0 wbytes=3\n', k, 4);
  t.same(z.devices, [{ major: 8n, minor: 0n, rbytes: undefined, wbytes: 3n, rios: undefined },
    { major: 8n, minor: 0n, rbytes: 2n, wbytes: undefined, rios: undefined }],
  '"08:0" and "8:0" are different map keys');
  t.equal(ioStat('08:0 rbytes=x\n8:0 rbytes=2\n08:0 wbytes=3\n', k, 4).status, OK, 'replaced bad value, slow path');
  t.equal(ioStat('8:0 rbytes=1\n9:0 rbytes=2\n10:0 rbytes=3\n8:0 rbytes=x\n', k, 2).status, MALFORMED,
    'a bad last line past cap');
  const pending = parseText('ioStat', '9:0 rbytes=1\n8:0 rbytes=x\n08:0 rbytes=2\n9:0 rbytes=y\n', k, 4, false);
  t.equal(pending.status, MALFORMED, 'a bad last line, then a key that needs the slow pass (a fuzz find)');
  t.ok(pending.flags.every((f) => f <= FLOAT), 'no internal marks left in the flags');
  const o = ioStat('8:0 rbytes=1\n9:0 rbytes=2\n10:0 rbytes=3\n8:0 rbytes=4\n', k, 2);
  t.same({ status: o.status, count: o.count, first: o.devices.map((d) => [d.major, d.rbytes]) },
    { status: OVERFLOW, count: 3, first: [[8n, 4n], [9n, 2n]] }, 'overflow with replacement');
});

t.test('ioStat: capacity', async (t) => {
  const text = '8:0 rbytes=1\n8:16 rbytes=2\n253:0 rbytes=3\n';
  const r = ioStat(text, ['rbytes'], 2);
  t.same({ status: r.status, count: r.count }, { status: OVERFLOW, count: 3 }, 'status 2 and the true count');
  t.same(r.devices.map((d) => [d.major, d.minor, d.rbytes]), [[8n, 0n, 1n], [8n, 16n, 2n]], 'the first cap devices');
  t.equal(ioStat(text, ['rbytes'], 3).status, OK, 'exactly cap');
  t.same(ioStat(text, ['rbytes'], 0), { status: OVERFLOW, count: 3, devices: [], slots: 0 }, 'cap 0');
  t.equal(ioStat(`${text}9:0 rbytes=x\n`, ['rbytes'], 1).status, MALFORMED, 'malformed wins over overflow');
  t.same(ioStat('8:0 rbytes=1\n', [], 2).devices, [{ major: 8n, minor: 0n }], 'no keys: devices only');
});

// ---- blkio ----------------------------------------------------------------------------------------------------

t.test('blkio: kernel content', async (t) => {
  const file = '8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 4096\n8:0 Async 8192\n8:0 Discard 0\n8:0 Total 12288\n' +
    '253:0 Read 1\n253:0 Write 0\n253:0 Sync 0\n253:0 Async 1\n253:0 Discard 0\n253:0 Total 1\nTotal 12289\n';
  const r = blkio(file);
  t.equal(r.status, OK);
  t.equal(r.count, 12, 'every data line; the last "Total" line skipped');
  t.same(r.entries.slice(0, 6), [[8n, 0n, 'Read', 4096n], [8n, 0n, 'Write', 8192n], [8n, 0n, 'Sync', 4096n],
    [8n, 0n, 'Async', 8192n], [8n, 0n, 'Discard', 0n], [8n, 0n, 'Total', 12288n]], 'ops');
  t.same(blkio(REAL.blkioTotalOnly), { status: OK, count: 0, entries: [] }, 'the real "Total 0" file: no data lines');
  t.same(blkio(''), { status: OK, count: 0, entries: [] }, 'empty');
  t.same(blkio('8:0 2048\n8:16 0\n'), { status: OK, count: 2, entries: [[8n, 0n, '', 2048n], [8n, 16n, '', 0n]] },
    'blkio.sectors style: MAJ:MIN VALUE, op ""');
  t.same(blkio('8:0 Read 3').entries, [[8n, 0n, 'Read', 3n]], 'no trailing newline');
  t.same(blkio('8:0 Read 3\r\n').entries, [[8n, 0n, 'Read', 3n]], 'CRLF');
  t.same(blkio('8 0 Read 3\n8::1  Write  4\n').entries, [[8n, 0n, 'Read', 3n], [8n, 1n, 'Write', 4n]],
    'split on runs of spaces and colons');
  t.same(blkio('8:0 Frob 3\n').entries, [[8n, 0n, '(other)', 3n]], 'an op the kernel does not print: kOpOther');
  t.same(blkio('8:0 read 3\n').entries, [[8n, 0n, '(other)', 3n]], 'ops are case-sensitive');
  t.same(blkio('8:0 7 x y\n').entries, [[8n, 0n, '', 7n]], 'more than 4 fields: MAJ MIN VALUE, the rest ignored');
  t.same(blkio('Total: 5\nTotal x\n').entries, [], 'any 2-field "Total" line is skipped');
});

t.test('blkio: malformed lines', async (t) => {
  for (const [text, why] of [
    ['Total\n', 'one field'],
    ['Total 5 6\n', 'three fields starting with Total'],
    ['Foo 5\n', 'two fields not Total'],
    ['8:0 Read 3\n\n8:0 Write 4\n', 'an empty line in the middle'],
    ['\n', 'a lone empty line'],
    ['8:0\tRead 3\n', 'a tab is not a separator'],
    ['8:0 Read -1\n', 'negative (strict)'],
    ['8:0 Read x\n', 'bad value'],
    ['x:0 Read 3\n', 'bad major'],
    ['8:0 Read 3 x\n', '5 fields: value is "Read"'],
    ['8:0 Read 18446744073709551616\n', 'overflow'],
    ['8:0 Read 3\r\r\n', 'two CRs'],
  ]) t.equal(blkio(text).status, MALFORMED, why);
});

t.test('blkio: capacity', async (t) => {
  const r = blkio('8:0 Read 1\n8:0 Write 2\n8:0 Total 3\nTotal 3\n', 2);
  t.same(r, { status: OVERFLOW, count: 3, entries: [[8n, 0n, 'Read', 1n], [8n, 0n, 'Write', 2n]] }, 'overflow');
  t.equal(blkio('8:0 Read 1\n8:0 Write 2\n8:0 Total x\n', 1).status, MALFORMED, 'malformed wins over overflow');
});

// ---- cpuset ---------------------------------------------------------------------------------------------------

t.test('cpuset', async (t) => {
  t.same(cpuset(REAL.cpusetCpus), { status: OK, flag: VALUE, value: 2n }, 'cpuset.cpus 0-1');
  t.same(cpuset(REAL.cpusetMems), { status: OK, flag: VALUE, value: 1n }, 'cpuset.mems 0');
  t.same(cpuset('0-3,8,10-11\n').value, 7n, 'ranges and singles');
  t.same(cpuset('0-65535').value, 65536n, 'the largest range');
  t.same(cpuset(' 2-2 \n').value, 1n, 'trimmed; a one-CPU range');
  t.same(cpuset('1,1').value, 2n, 'a CPU named twice counts twice, as the Go slice does');
  for (const s of ['', '\n', ' \t\n']) t.same(cpuset(s), { status: EMPTY, flag: ABSENT, value: 0n }, `${JSON.stringify(s)}: empty file`);
  for (const s of ['3-1', '65536', '0-65536', '0,,1', '0-1,', ',0', '1-2-3', '0, 1', '0-1\n2', '-1', '1-', 'a',
    '0x1', '+1', '0 - 1', '0-1;2']) {
    t.same(cpuset(s), { status: MALFORMED, flag: ABSENT, value: 0n }, `${JSON.stringify(s)} is malformed`);
  }
});

// ---- pids and newlines ----------------------------------------------------------------------------------------

t.test('pids', async (t) => {
  t.same(pids(REAL.procs), { status: OK, count: 15, pids: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 71, 73, 2869, 5115, 6899] },
    'cgroup.procs');
  t.same(pids(''), { status: OK, count: 0, pids: [] }, 'empty');
  t.same(pids('1\n\n2\n\n'), { status: OK, count: 2, pids: [1, 2] }, 'blank lines skipped');
  t.same(pids('5\r\n6'), { status: OK, count: 2, pids: [5, 6] }, 'CRLF, no trailing newline');
  t.same(pids('+5\n007\n'), { status: OK, count: 2, pids: [5, 7] }, 'strconv.Atoi accepts a sign and leading zeros');
  t.same(pids('2147483647\n').pids, [2147483647], 'INT32_MAX');
  t.same(pids('1\n2\n3\n4\n', 2), { status: OVERFLOW, count: 4, pids: [1, 2] }, 'overflow');
  for (const s of ['0\n', '-1\n', '-0\n', '2147483648\n', ' 5\n', '5 \n', 'abc\n', '1\n2x\n', '\r\r\n', '+\n', '1.0\n'])
    t.equal(pids(s).status, MALFORMED, `${JSON.stringify(s)} is malformed`);
  t.equal(pids('1\n2\nx\n', 1).status, MALFORMED, 'malformed wins over overflow');
  t.equal(pids(`${'1'.repeat(70000)}\n`).status, MALFORMED, 'a line past the Scanner limit');
});

t.test('newlines', async (t) => {
  const n = (s) => parseText('newlines', s, [], 0, false).count;
  t.equal(n(REAL.procs), 15, 'cgroup.procs');
  t.equal(n('1\n2'), 1, 'no trailing newline: the last pid is not counted (as in the library)');
  t.equal(n(''), 0, 'empty');
  t.equal(n('\n\n\n'), 3, 'blank lines count');
  t.equal(n('a\r\nb\r\n'), 2, 'CRLF');
});

// ---- the spec's vectors ---------------------------------------------------------------------------------------

const fixture = JSON.parse(fs.readFileSync(path.join(repoRoot, 'test', 'fixtures', 'parse-vectors.json'), 'utf8'));
const sharedPath = path.resolve(repoRoot, '..', 'shared', 'spec', 'vectors.json');
const shared = fs.existsSync(sharedPath) ? JSON.parse(fs.readFileSync(sharedPath, 'utf8')) : null;
const PARSE_KINDS = ['parsePSI', 'parseIoStatV2', 'parseBlkioV1'];

function runVector(t, v) {
  switch (v.kind) {
    case 'parsePSI': {
      if (v.input.content === null) {
        // A missing file: the reader returns null without parsing (nothing for the parser to do).
        t.same(v.expect, { result: null, error: null }, `${v.id}: missing file -> null, no error`);
        return;
      }
      const r = psi(v.input.content);
      if (v.expect.errorContains) {
        t.equal(r.status, MALFORMED, `${v.id}: ${v.expect.errorContains}`);
        const m = /invalid (\w+) PSI value/.exec(v.expect.errorContains);
        if (m) {
          // The parse stops at the key the error names: that slot is absent, the ones before it are set.
          const order = ['avg10', 'avg60', 'avg300', 'total'];
          const at = order.indexOf(m[1]);
          t.equal(r.some[m[1]], undefined, `${v.id}: ${m[1]} not set`);
          for (const k of order.slice(0, at)) t.not(r.some[k], undefined, `${v.id}: ${k} before it was parsed`);
        }
        return;
      }
      t.equal(r.status, OK, `${v.id}: ok`);
      for (const [group, key] of [['Some', 'some'], ['Full', 'full']]) {
        const e = v.expect[group];
        t.same(r[key], { avg10: e.Avg10, avg60: e.Avg60, avg300: e.Avg300, total: BigInt(e.Total) }, `${v.id}: ${group}`);
      }
      return;
    }
    case 'parseIoStatV2': {
      const r = ioStat(v.input.content, ['rbytes', 'wbytes', 'rios', 'wios'], 16);
      t.equal(r.status, OK, `${v.id}: ok`);
      const table = (readKey, writeKey) => {
        const rows = [];
        for (const d of r.devices) {
          if (d[readKey] !== undefined) rows.push([String(d.major), String(d.minor), 'Read', String(d[readKey])]);
          if (d[writeKey] !== undefined) rows.push([String(d.major), String(d.minor), 'Write', String(d[writeKey])]);
        }
        return rows.map((x) => x.join(' ')).sort();
      };
      const sorted = (rows) => rows.map((x) => x.join(' ')).sort();
      t.same(table('rbytes', 'wbytes'), sorted(v.expect['IoServiceBytes(unordered across devices)']), `${v.id}: service bytes`);
      t.same(table('rios', 'wios'), sorted(v.expect['IoServiced(unordered across devices)']), `${v.id}: serviced`);
      return;
    }
    case 'parseBlkioV1': {
      const files = v.input.files;
      const name = (f) => Object.keys(files).find((k) => k.endsWith(f));
      const rows = (text) => blkio(text).entries.map(([a, b, op, val]) => [String(a), String(b), op, String(val)]);
      for (const [file, expectKey] of [['io_serviced_recursive', 'IoServiced'], ['io_service_bytes_recursive', 'IoServiceBytes']]) {
        const f = name(file);
        t.ok(f, `${v.id}: has a ${file} file`);
        t.equal(blkio(files[f]).status, OK, `${v.id}: ${f} ok`);
        t.same(rows(files[f]), v.expect[expectKey], `${v.id}: ${expectKey}`);
      }
      return;
    }
    default:
      t.fail(`unexpected vector kind ${v.kind}`);
  }
}

t.test('spec vectors (test/fixtures/parse-vectors.json)', async (t) => {
  const kinds = new Set(fixture.vectors.map((v) => v.kind));
  t.same([...kinds].sort(), [...PARSE_KINDS].sort(), 'the fixture has every parser kind');
  for (const v of fixture.vectors) t.test(v.id, async (t) => runVector(t, v));
});

t.test('spec vectors (../shared/spec/vectors.json)', { skip: shared ? false : `${sharedPath} not present` }, async (t) => {
  const vectors = shared.filter((v) => PARSE_KINDS.includes(v.kind));
  t.ok(vectors.length >= fixture.vectors.length, 'the shared file has the parser vectors');
  const copy = new Map(fixture.vectors.map((v) => [v.id, v]));
  for (const v of vectors) {
    t.same(copy.get(v.id), v, `${v.id}: the fixture copy is up to date`);
    t.test(v.id, async (t) => runVector(t, v));
  }
});

// ---- live files on this machine (read only) -------------------------------------------------------------------

function readIf(p) {
  try {
    return fs.readFileSync(p, 'latin1');
  } catch {
    return null;
  }
}

t.test('live cgroup files parse like the JS reference', async (t) => {
  const root = '/sys/fs/cgroup';
  let seen = 0;
  for (const p of [`${root}/memory/memory.stat`, `${root}/memory.stat`, `${root}/cpu/cpu.stat`, `${root}/cpu.stat`,
    `${root}/unified/cpu.stat`]) {
    const text = readIf(p);
    if (text === null) continue;
    seen++;
    const ref = refKeyed(text);
    const r = keyed(text, [...ref.keys()], true);
    t.equal(r.status, OK, `${p}: ok`);
    t.same(r.got, Object.fromEntries(ref), `${p}: every key`);
  }
  for (const p of [`${root}/unified/cpu.pressure`, `${root}/unified/io.pressure`, `${root}/cpu.pressure`]) {
    const text = readIf(p);
    if (text === null) continue;
    seen++;
    const r = psi(text);
    t.equal(r.status, OK, `${p}: ok`);
    const line = text.split('\n').find((l) => l.startsWith('some '));
    const want = Object.fromEntries(line.split(' ').slice(1).map((kv) => kv.split('=')));
    t.same(r.some, { avg10: Number(want.avg10), avg60: Number(want.avg60), avg300: Number(want.avg300),
      total: BigInt(want.total) }, `${p}: some`);
  }
  for (const p of [`${root}/cpuacct/cpuacct.usage_percpu`]) {
    const text = readIf(p);
    if (text === null) continue;
    seen++;
    const want = text.trim().split(/\s+/).map(BigInt);
    t.same(list(text, 1024).values, want, p);
  }
  for (const p of [`${root}/cpuset/cpuset.cpus`, `${root}/cpuset/cpuset.effective_cpus`, `${root}/cpuset.cpus.effective`]) {
    const text = readIf(p);
    if (text === null) continue;
    seen++;
    const want = text.trim().split(',').reduce((n, part) => {
      const [a, b] = part.split('-').map(Number);
      return n + (b === undefined ? 1 : b - a + 1);
    }, 0);
    t.equal(cpuset(text).value, BigInt(want), p);
  }
  for (const p of [`${root}/memory/cgroup.procs`, `${root}/cgroup.procs`]) {
    const text = readIf(p);
    if (text === null) continue;
    seen++;
    const want = text.split('\n').filter((l) => l !== '').map(Number);
    t.same(pids(text, 1 << 16).pids, want, p);
  }
  if (seen === 0) t.skip('no cgroup files readable here');
});
