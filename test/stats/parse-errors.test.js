'use strict';
// Parse errors carry the native parser's own reason (native/parse ParseError, BatchResult.parseError): every reason
// code reached through stats() on recorded and derived trees, each message equal to the library's wording (spec §3.2,
// opencontainers/cgroups v0.0.6), and the reason is what the parser saw in that read — the file is not read again.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const cgmgr = require('../../dist');
const { Engine } = require('../../dist/engine');
const { FILE_STATUS, PARSE_REASON } = require('../../dist/engine');
const { RowRead } = require('../../dist/stats/row');
const { parseErrorReason, goQuote } = require('../../dist/stats/errors');
const { native } = require('../../dist/native');
const { tmpdir, v1Tree, v2Tree, write } = require('./fixtures/trees');

const TREES = path.join(__dirname, '..', 'fixtures', 'trees');
const CTR = 'cgmgr-rec/ctr';
const reached = new Set();

/** The stats error of a read (sync and async agree), and the one collected error about `file`. */
async function failure(t, root, version, controllers, file) {
  const opts = { root, version, controllers, hugePageSizes: [] };
  let syncErr;
  try {
    cgmgr.statsSync('ctr', opts);
  } catch (e) {
    syncErr = e;
  }
  const asyncErr = await cgmgr.stats('ctr', opts).then(() => undefined, (e) => e);
  t.ok(syncErr instanceof cgmgr.CgroupError, 'statsSync fails');
  t.ok(asyncErr instanceof cgmgr.CgroupError, 'stats fails');
  t.equal(asyncErr.message, syncErr.message, 'async and sync word it the same');
  const one = syncErr.errors.find((e) => e.path !== undefined && e.path.endsWith(`/${file}`));
  t.ok(one, `an error names ${file}`);
  return one;
}

// [name, version, controllers, file (in the hierarchy dir of ctr), content, reason, expected message after the path]
const CASES = [
  ['single: not a number', 2, ['memory'], 'memory/memory.current', 'abc\n', 'uintSyntax',
    'strconv.ParseUint: parsing "abc": invalid syntax'],
  ['single: empty (the library parses "")', 2, ['memory'], 'memory/memory.current', ' \n', 'uintSyntax',
    'strconv.ParseUint: parsing "": invalid syntax'],
  ['single: past 2^64', 2, ['memory'], 'memory/memory.current', '18446744073709551616\n', 'uintRange',
    'strconv.ParseUint: parsing "18446744073709551616": value out of range'],
  ['single: the range error comes before a later bad byte (as in Go)', 2, ['memory'], 'memory/memory.current',
    '99999999999999999999x\n', 'uintRange', 'strconv.ParseUint: parsing "99999999999999999999x": value out of range'],
  ['flat keyed: a bad value', 2, ['memory'], 'memory/memory.stat', 'anon 1\nfile 12x\n', 'uintSyntax',
    'strconv.ParseUint: parsing "12x": invalid syntax'],
  ['flat keyed: a line without a value', 2, ['cpu'], 'cpu/cpu.stat', 'usage_usec 1\nuser_usec\n', 'keyValueLine',
    'line "user_usec" is not in "key value" format'],
  ['flat keyed: an empty value (CRLF dropped, as the Scanner does)', 2, ['cpu'], 'cpu/cpu.stat', 'usage_usec \r\n',
    'keyValueLine', 'line "usage_usec " is not in "key value" format'],
  ['flat keyed: non-ASCII and invalid UTF-8 quoted as Go quotes them', 2, ['memory'], 'memory/memory.stat',
    Buffer.concat([Buffer.from('anon 1\ncaf\u00e9\t'), Buffer.from([0xff, 0x0a])]), 'keyValueLine', null],
  ['flat keyed: a line of 64 KiB', 2, ['memory'], 'memory/memory.stat', `anon 1\n${'a'.repeat(70000)} 1\n`, 'lineTooLong',
    'bufio.Scanner: token too long'],
  ['key lookup: the bad value of the key', 2, ['memoryEvents'], 'memory/memory.events', 'low 0\noom_kill -x\n',
    'uintSyntax', 'strconv.ParseUint: parsing "-x": invalid syntax'],
  ['psi: the spec vector PSI-2', 2, ['psi'], 'cpu/cpu.pressure', 'some avg10=0.50 avg60=x avg300=0.10 total=1\n',
    'floatSyntax', 'invalid avg60 PSI value: strconv.ParseFloat: parsing "x": invalid syntax'],
  ['psi: an average out of range', 2, ['psi'], 'cpu/cpu.pressure', 'some avg10=1e400 avg60=0 avg300=0 total=1\n',
    'floatRange', 'invalid avg10 PSI value: strconv.ParseFloat: parsing "1e400": value out of range'],
  ['psi: a bad total', 2, ['psi'], 'cpu/cpu.pressure', 'some avg10=0.00 avg60=0.00 avg300=0.00 total=-1\n', 'uintSyntax',
    'invalid total PSI value: strconv.ParseUint: parsing "-1": invalid syntax'],
  ['psi: a token without "="', 2, ['psi'], 'cpu/cpu.pressure', 'some avg10=0.00 avg60\n', 'noEquals',
    'invalid psi data: "avg60"'],
  ['psi: a line without fields', 2, ['psi'], 'cpu/cpu.pressure',
    'some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n', 'noFields',
    'line 2 has no fields'],
  ['io.stat: a bad minor', 2, ['io'], 'io/io.stat', '8:0 rbytes=1 wbytes=2\n8:x rbytes=1\n', 'uintSyntax',
    'strconv.ParseUint: parsing "x": invalid syntax'],
  ['io.stat: a bad value of a recognised key (the device\'s last line)', 2, ['io'], 'io/io.stat',
    '8:0 rbytes=1\n9:0 rbytes=1\n8:0 wbytes=77777777777777777777\n', 'uintRange',
    'strconv.ParseUint: parsing "77777777777777777777": value out of range'],
  ['cpuacct.stat: a bad number', 1, ['cpuacct'], 'cpu,cpuacct/cpuacct.stat', 'user 5 system 1.5\n', 'uintSyntax',
    'strconv.ParseUint: parsing "1.5": invalid syntax'],
  ['cpuacct.usage_percpu: a bad entry', 1, ['cpuacct'], 'cpu,cpuacct/cpuacct.usage_percpu', '1 2 -3 \n', 'uintSyntax',
    'strconv.ParseUint: parsing "-3": invalid syntax'],
  ['blkio: a line of the wrong shape', 1, ['io'], 'blkio/blkio.throttle.io_service_bytes', '8:0 Read 1\nFoo 5\n',
    'malformedLine', 'malformed line: Foo 5'],
  ['blkio: a bad major', 1, ['io'], 'blkio/blkio.throttle.io_service_bytes', '8:0 Read 1\nx:0 Read 1\n', 'uintSyntax',
    'strconv.ParseUint: parsing "x": invalid syntax'],
  ['cpuset: an empty list', 1, ['cpuset'], 'cpuset/cpuset.cpus', '\n', 'empty', 'empty file'],
  ['cpuset: from > to', 1, ['cpuset'], 'cpuset/cpuset.mems', '0-1,3-2\n', 'reversedRange', 'invalid values, from > to'],
  ['cpuset: a CPU past 16 bits (ParseUint(s, 10, 16))', 1, ['cpuset'], 'cpuset/cpuset.cpus', '0-65536\n', 'uintRange',
    'strconv.ParseUint: parsing "65536": value out of range'],
];

for (const [name, version, controllers, file, content, reason, message] of CASES) {
  t.test(`${name}: ${reason}`, async (t) => {
    const slash = file.indexOf('/');
    const [hier, base] = [file.slice(0, slash), file.slice(slash + 1)];
    let root;
    if (version === 2) {
      // memory.stat comes first and is required for the rest of the memory files.
      root = v2Tree(t, controllers.includes('memory') ? { 'memory.stat': 'anon 1\n' } : {});
      write(path.join(root, 'ctr', base), content);
    } else {
      // cpuacct.stat and cpuacct.usage come before cpuacct.usage_percpu, and are required.
      const cpuacct = { 'cpu,cpuacct/cpuacct.stat': 'user 1 system 1\n', 'cpu,cpuacct/cpuacct.usage': '5\n' };
      root = v1Tree(t, { ...(controllers.includes('cpuacct') ? cpuacct : {}), [file]: content });
    }
    if (controllers.includes('io') && version === 1) {
      // The throttle family: its first file parses, so a malformed second file fails the read.
      write(path.join(root, 'blkio', 'ctr', 'blkio.throttle.io_serviced'), '8:0 Read 1\nTotal 1\n');
    }
    const err = await failure(t, root, version, controllers, base);
    const full = path.join(root, version === 2 ? 'ctr' : path.join(hier, 'ctr'), base);
    t.equal(err.code, 'ERR_CGROUP_PARSE');
    t.equal(err.path, full);
    const want = message ?? 'line "caf\u00e9\\t\\xff" is not in "key value" format';
    t.equal(err.message, `unable to parse ${full}: ${want}`, 'the library\'s wording');
    reached.add(reason);
  });
}

t.test('recorded trees: v1-malformed and v1-empty word their errors from the parser\'s record', async (t) => {
  const opts = (name) => ({ root: path.join(TREES, name), procRoot: tmpdir(t), hugePageSizes: [] });
  const stat = path.join(TREES, 'v1-malformed', 'memory', CTR, 'memory.stat');
  t.throws(() => cgmgr.statsSync(CTR, opts('v1-malformed')), {
    code: 'ERR_CGROUP_PARSE', message: `unable to parse ${stat}: line "rss_huge" is not in "key value" format`,
  });
  const cpuacct = path.join(TREES, 'v1-malformed', 'cpuacct', 'cgmgr-rec/ctr-cpuacct', 'cpuacct.stat');
  const text = fs.readFileSync(cpuacct, 'utf8');
  t.throws(() => cgmgr.statsSync('cgmgr-rec/ctr-cpuacct', opts('v1-malformed')), {
    code: 'ERR_CGROUP_PARSE', message: `unable to parse ${cpuacct}: malformed line: ${text}`,
  }, 'fs/cpuacct.go: "malformed line: <the whole file>"');
  reached.add('malformedLine');
  const cpus = path.join(TREES, 'v1-empty', 'cpuset', CTR, 'cpuset.cpus');
  const err = await cgmgr.stats(CTR, opts('v1-empty')).then(() => undefined, (e) => e);
  t.equal(err.message, `unable to parse ${cpus}: empty file`);
});

t.test('the reason is the parser\'s, from the read that failed: the file is not read again', async (t) => {
  const root = v2Tree(t, { 'memory.stat': 'anon 1\nfile x1\n' });
  const engine = new Engine({ root });
  t.teardown(() => engine.destroy());
  const spec = { controller: 'memory', name: 'memory.stat', format: 'flatKeyed', keys: ['anon', 'file'] };
  const plan = engine.plan([spec]);
  const id = engine.open('ctr');
  const result = engine.readSync(plan, [id], engine.result(plan, 1, { bigint: true }));
  t.equal(result.status(0, 0), FILE_STATUS.malformed);
  // The file changes after the read (on cgroupfs the kernel regenerates it each read): the error still says what the
  // parser saw. Before, the TS layer read the file again here and worded whatever it found then.
  fs.writeFileSync(path.join(root, 'ctr', 'memory.stat'), 'anon 1\nnot-a-line\n');
  const rec = result.parseError(0, 0);
  t.same({ ...rec, token: rec.token.toString() }, {
    reason: PARSE_REASON.uintSyntax, line: 2, field: 'file', token: 'x1', tokenSize: 2,
  }, 'reason, line, field and token of the failed read');
  const row = new RowRead(engine, plan, result, 0, id, new Map([['memory:stat', { file: 0, spec }]]));
  const err = row.error('memory:stat');
  t.equal(err.message, `unable to parse ${path.join(root, 'ctr', 'memory.stat')}: strconv.ParseUint: parsing "x1": invalid syntax`);
  // The next read parses the new content and forgets the old record.
  engine.readSync(plan, [id], result);
  t.equal(result.parseError(0, 0).reason, PARSE_REASON.keyValueLine);
  t.equal(result.parseError(0, 0).token.toString(), 'not-a-line');
  fs.writeFileSync(path.join(root, 'ctr', 'memory.stat'), 'anon 1\n');
  engine.readSync(plan, [id], result);
  t.equal(result.status(0, 0), FILE_STATUS.ok);
  t.equal(result.parseError(0, 0), undefined, 'a clean read has no records');
  // The async path splits a batch across workers: the records land on the right rows.
  fs.writeFileSync(path.join(root, 'ctr', 'memory.stat'), 'anon 1\nfile 2\n\n');
  const ids = [id, id, id, id];
  const many = await engine.read(plan, ids, engine.result(plan, ids.length), { workers: 2 });
  for (let row = 0; row < ids.length; row++) {
    t.equal(many.parseError(row, 0)?.reason, PARSE_REASON.keyValueLine, `row ${row}`);
    t.equal(many.parseError(row, 0)?.line, 3);
  }
});

t.test('too many entries: the record says so (the capacity error keeps its own code)', async (t) => {
  const root = v1Tree(t, { 'cpu,cpuacct/cpuacct.usage_percpu': '1 2 3 \n' });
  const engine = new Engine({ root });
  t.teardown(() => engine.destroy());
  const plan = engine.plan([{ controller: 'cpuacct', name: 'cpuacct.usage_percpu', format: 'list', cap: 2 }]);
  const r = engine.readSync(plan, [engine.open('ctr')]);
  t.equal(r.status(0, 0), FILE_STATUS.overflow);
  t.equal(r.parseError(0, 0).reason, PARSE_REASON.tooMany);
  t.equal(r.error(0, 0).code, 'ERR_CGROUP_CAPACITY');
  t.equal(parseErrorReason('list', r.parseError(0, 0)), undefined, 'no library wording: the engine\'s stands');
  reached.add('tooMany');
});

t.test('cgroup.procs that is not a list of pids', async (t) => {
  const root = v2Tree(t, { 'cgroup.procs': '12\nx\n' });
  const engine = new Engine({ root });
  t.teardown(() => engine.destroy());
  const id = engine.open('ctr');
  t.throws(() => engine.nativeEngine.readPids(id, 0, 'cgroup.procs'),
    { code: 'ERR_CGROUP_PARSE', message: 'unable to parse cgroup.procs: not a list of pids (line 2)' });
  const r = native.parseText('pids', '12\nx\n', [], 4);
  t.same({ ...r.error, token: r.error.token.toString() }, { reason: PARSE_REASON.notPid, line: 2, field: '', token: 'x', tokenSize: 1 });
  t.equal(parseErrorReason('list', r.error), 'line 2: "x" is not a pid');
  reached.add('notPid');
});

t.test('the record is bounded: a long token is cut at a UTF-8 boundary and marked', async (t) => {
  const long = 'é'.repeat(200); // 400 bytes
  const r = native.parseText('single', `${long}\n`, [], 0, false);
  t.equal(r.error.reason, PARSE_REASON.uintSyntax);
  t.equal(r.error.tokenSize, 400);
  t.ok(r.error.token.length <= 256 && r.error.token.length % 2 === 0, 'cut between two-byte runes');
  t.equal(r.error.token.toString('utf8'), 'é'.repeat(r.error.token.length / 2));
  t.equal(parseErrorReason('single', r.error), `strconv.ParseUint: parsing "${'é'.repeat(128)}"... (400 bytes): invalid syntax`);
});

t.test('goQuote is strconv.Quote', async (t) => {
  t.equal(goQuote('a"b\\c'), '"a\\"b\\\\c"');
  t.equal(goQuote('\x07\b\f\n\r\t\v\x00\x7f'), '"\\a\\b\\f\\n\\r\\t\\v\\x00\\x7f"');
  t.equal(goQuote(Buffer.from([0xff, 0x61, 0xc3])), '"\\xffa\\xc3"', 'invalid UTF-8 byte by byte');
  t.equal(goQuote(Buffer.from([0xe0, 0x80, 0x80])), '"\\xe0\\x80\\x80"', 'an overlong form is invalid');
  t.equal(goQuote('caf\u00e9 \u00a0\u200b\u{1f600}'), '"caf\u00e9 \\u00a0\\u200b\u{1f600}"', 'printable kept, spaces and format runes escaped');
});

t.test('every reason code is reached', async (t) => {
  const all = Object.keys(PARSE_REASON).filter((k) => k !== 'none');
  t.same(all.filter((k) => !reached.has(k)), [], 'no reason left untested');
});
