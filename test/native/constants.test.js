'use strict';
// The TS <-> C++ constant tables come from one source: the C++ headers. This test parses the enums and constexprs of
// native/*.h and native/parse/parse.h and fails when a TS table (lib/engine.ts, lib/errors.ts, lib/stats/*) differs:
// a member added, removed, renumbered or renamed on one side only.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const engine = require('../../dist/engine');
const { SYSCALLS } = require('../../dist/errors');
const { BLKIO_OP, BLKIO_ENTRY_SLOTS } = require('../../dist/stats/v1/blkio');
const { PSI_SLOT, PSI_SLOTS } = require('../../dist/stats/v2/psi');
const { CPUACCT_STAT_SLOT } = require('../../dist/stats/v1/cpuacct');

const NATIVE = path.join(__dirname, '..', '..', 'native');
const header = (f) => fs.readFileSync(path.join(NATIVE, f), 'utf8').replace(/\/\/[^\n]*/g, '');

/** The members of `enum [class] Name [: type] { ... }` as [name, value] in order (implicit values counted). */
function cppEnum(file, name) {
  const m = new RegExp(`enum\\s+(?:class\\s+)?${name}\\s*(?::\\s*\\w+)?\\s*\\{([^}]*)\\}`).exec(header(file));
  if (!m) throw new Error(`enum ${name} not found in ${file}`);
  let next = 0;
  return m[1].split(',').map((s) => s.trim()).filter(Boolean).map((item) => {
    const [k, v] = item.split('=').map((x) => x.trim());
    const value = v === undefined ? next : Number(v);
    next = value + 1;
    return [k, value];
  });
}

/** `constexpr <type> Name = <expr>;` evaluated (integer literals, <<, +, -, u suffixes). */
function cppConst(file, name) {
  const m = new RegExp(`constexpr\\s+[\\w:]+\\s+${name}\\s*=\\s*([^;]+);`).exec(header(file));
  if (!m) throw new Error(`constexpr ${name} not found in ${file}`);
  const expr = m[1].replace(/\b(\d+)u?l*\b/gi, '$1').replace(/size_t\{(\d+)\}/g, '$1');
  if (!/^[\d\s<>+\-()*]+$/.test(expr)) throw new Error(`cannot evaluate ${name} = ${m[1]}`);
  return Function(`return (${expr});`)();
}

/** kFileNotInHierarchy -> notInHierarchy (prefix dropped, first letter lowered). */
const tsName = (cpp, prefix) => {
  const rest = cpp.slice(prefix.length);
  return rest.charAt(0).toLowerCase() + rest.slice(1);
};

function sameTable(t, ts, cpp, prefix, what, omit = []) {
  const fromCpp = Object.fromEntries(cpp.filter(([k]) => !omit.includes(k)).map(([k, v]) => [tsName(k, prefix), v]));
  t.same(ts, fromCpp, `${what}: the TS table is the C++ enum`);
}

t.test('FORMAT is native/plan.h Format (kCount is the count)', async (t) => {
  const cpp = cppEnum('plan.h', 'Format');
  sameTable(t, engine.FORMAT, cpp, 'k', 'FORMAT', ['kCount']);
  t.equal(Object.keys(engine.FORMAT).length, cpp.find(([k]) => k === 'kCount')[1], 'kCount = number of formats');
});

t.test('FILE_STATUS, ITEM_STATUS are native/reader.h FileStatus, ItemStatus', async (t) => {
  sameTable(t, engine.FILE_STATUS, cppEnum('reader.h', 'FileStatus'), 'kFile', 'FILE_STATUS');
  sameTable(t, engine.ITEM_STATUS, cppEnum('reader.h', 'ItemStatus'), 'kItem', 'ITEM_STATUS');
});

t.test('the parsers\' statuses are the file statuses they become', async (t) => {
  const parse = cppEnum('parse/parse.h', 'ParseStatus');
  for (const [k, v] of parse) t.equal(engine.FILE_STATUS[tsName(k, 'k')], v, `ParseStatus ${k}`);
});

t.test('PARSE_REASON is native/parse/parse.h ParseReason (kCount is the count)', async (t) => {
  const cpp = cppEnum('parse/parse.h', 'ParseReason');
  sameTable(t, engine.PARSE_REASON, cpp, 'k', 'PARSE_REASON', ['kCount']);
  t.equal(Object.keys(engine.PARSE_REASON).length, cpp.find(([k]) => k === 'kCount')[1], 'kCount = number of reasons');
});

t.test('PID_STATUS is native/procs.h PidStatus', async (t) => {
  sameTable(t, engine.PID_STATUS, cppEnum('procs.h', 'PidStatus'), 'kPid', 'PID_STATUS');
});

t.test('SLOT is native/parse/parse.h SlotFlag', async (t) => {
  sameTable(t, engine.SLOT, cppEnum('parse/parse.h', 'SlotFlag'), 'k', 'SLOT');
});

t.test('SYSCALLS is native/errors.h SyscallId', async (t) => {
  const cpp = cppEnum('errors.h', 'SyscallId');
  const byValue = [];
  for (const [k, v] of cpp) byValue[v] = k === 'kSysNone' ? '' : tsName(k, 'kSys');
  t.same(SYSCALLS, byValue, 'SYSCALLS[id] names SyscallId id');
});

t.test('blkio op codes and entry slots are native/parse/parse.h BlkioOp, kBlkioSlotsPerEntry', async (t) => {
  const cpp = cppEnum('parse/parse.h', 'BlkioOp');
  const fromCpp = Object.fromEntries(cpp.map(([k, v]) => [k === 'kOpNone' ? '' : k === 'kOpOther' ? 'other' : k.slice(3), v]));
  t.same(BLKIO_OP, fromCpp);
  t.equal(BLKIO_ENTRY_SLOTS, cppConst('parse/parse.h', 'kBlkioSlotsPerEntry'));
});

t.test('PSI slots are native/parse/parse.h kPsiSlots; the layout is the parser\'s', async (t) => {
  t.equal(PSI_SLOTS, cppConst('parse/parse.h', 'kPsiSlots'));
  t.equal(Object.keys(PSI_SLOT).length, PSI_SLOTS);
  t.same(Object.values(PSI_SLOT), [...Array(PSI_SLOTS).keys()], 'each slot once');
  // The order the parser fills (parse.h: some avg10, avg60, avg300, total, then full): checked on real text.
  const { native } = require('../../dist/native');
  if (typeof native.parseText !== 'function') return t.skip('the addon has no parseText');
  const r = native.parseText('psi', 'some avg10=1.00 avg60=2.00 avg300=3.00 total=4\nfull avg10=5.00 avg60=6.00 avg300=7.00 total=8\n');
  const asNumber = (i) => (r.flags[i] === engine.SLOT.float ? new Float64Array(new BigUint64Array([r.values[i]]).buffer)[0] : Number(r.values[i]));
  for (const [name, i] of Object.entries(PSI_SLOT)) t.equal(asNumber(i), i + 1, name);
});

t.test('cpuacct.stat slots: user then system', async (t) => {
  t.same(CPUACCT_STAT_SLOT, { user: 0, system: 1 });
});

t.test('PLAN_LIMITS are native/plan.h kMaxCap, kMaxKeys', async (t) => {
  t.equal(engine.PLAN_LIMITS.maxCap, cppConst('plan.h', 'kMaxCap'));
  t.equal(engine.PLAN_LIMITS.maxKeys, cppConst('plan.h', 'kMaxKeys'));
  // And the engine enforces them where a plan is made.
  const e = new engine.Engine({ root: path.join(__dirname, '..', 'fixtures', 'trees', 'v2-full') });
  t.teardown(() => e.destroy());
  t.ok(e.plan([{ controller: 'memory', name: 'cgroup.procs', format: 'list', cap: engine.PLAN_LIMITS.maxCap }]), 'maxCap is accepted');
  t.throws(() => e.plan([{ controller: 'memory', name: 'cgroup.procs', format: 'list', cap: engine.PLAN_LIMITS.maxCap + 1 }]), 'maxCap + 1 is not');
});
