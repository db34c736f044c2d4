'use strict';
// The column program's two paths give the same row: extractNumber() runs the program resolved once per pattern of
// read files (lib/collector/columns.ts: live columns only, plain values as one straight-line function), and the
// checked path decides every column per row from the file statuses. Every row of every recorded tree is extracted
// both ways, as read and with each of its files' statuses changed in turn to each status a sweep gives (read, absent,
// not in the hierarchy, not read by the row's tier, failed), and the two rows must be equal cell for cell.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const { StatsCollector, FIELDS, FIELD_COUNT } = require('../../dist/collector');
const { Engine, listCgroups } = require('../../dist');
const { FILE_STATUS } = require('../../dist/engine');

const TREES = path.join(__dirname, '..', 'fixtures', 'trees');
const ENOENT = 2;
const EACCES = 13;
// What a status can be after a read: ok, ENOENT (absent), EACCES (failed), and the engine's own statuses.
const STATUSES = [
  FILE_STATUS.ok,
  -ENOENT,
  -EACCES,
  FILE_STATUS.notInHierarchy,
  FILE_STATUS.notRead,
  FILE_STATUS.malformed,
  FILE_STATUS.overflow,
];

/** Both extractions of one row: [values, present] of the resolved path and of the checked path, and whether the
 * resolved path said the row is clean. */
function both(program, r, words, row) {
  const a = [new Float64Array(FIELD_COUNT), new Uint8Array(FIELD_COUNT)];
  const b = [new Float64Array(FIELD_COUNT).fill(7), new Uint8Array(FIELD_COUNT).fill(7)];
  const clean = program.extractNumber(r, words, row, a[0], a[1], 0);
  program.extractChecked(r, words, row, b[0], b[1], 0);
  return { a, b, clean };
}

/** The first column where the two differ, or undefined. */
function firstDifference({ a, b }) {
  for (let i = 0; i < FIELD_COUNT; i++) {
    if (!Object.is(a[0][i], b[0][i]) || a[1][i] !== b[1][i]) {
      return `${FIELDS[i]}: resolved ${a[0][i]} (present ${a[1][i]}), checked ${b[0][i]} (present ${b[1][i]})`;
    }
  }
  return undefined;
}

const trees = fs.readdirSync(TREES).filter((d) => /^v[12]-/.test(d));
for (const tree of trees) {
  t.test(`recorded tree ${tree}: the resolved and the checked column program agree on every row and status`, (t) => {
    const root = path.join(TREES, tree);
    const engine = new Engine({ root });
    const paths = listCgroups(engine.layout, { depth: 8 }).map((p) => '/' + p);
    engine.destroy();
    for (const specIntervalMs of [0, 60000]) {
      const c = new StatsCollector({ root, oomEvents: false, lastSample: false, specIntervalMs });
      t.teardown(() => c.close());
      for (const p of paths) c.add(p);
      c.collect();
      // Internals under test: the compiled program and the last sweep's batch result.
      const program = c.program;
      const r = c.current.result;
      const words = c.current.words;
      const files = r.plan.files.length;
      let rows = 0;
      let cases = 0;
      let resolved = 0;
      let presentCells = 0;
      for (let row = 0; row < paths.length; row++) {
        const d = both(program, r, words, row);
        t.equal(firstDifference(d), undefined, `${paths[row]} (spec interval ${specIntervalMs}) as read`);
        for (let i = 0; i < FIELD_COUNT; i++) presentCells += d.a[1][i];
        rows++;
        for (let f = 0; f < files; f++) {
          const at = row * files + f;
          const was = r.fileStatus[at];
          for (const s of STATUSES) {
            r.fileStatus[at] = s;
            const e = both(program, r, words, row);
            cases++;
            if (e.clean) resolved++;
            const diff = firstDifference(e);
            if (diff !== undefined) t.fail(`${paths[row]}: ${r.plan.files[f].name} status ${s}: ${diff}`);
          }
          r.fileStatus[at] = was;
        }
      }
      t.ok(rows > 0 && cases > 0, `${rows} rows, ${cases} status changes compared`);
      t.ok(resolved > 0, 'the resolved path ran');
      t.ok(resolved < cases, 'the checked path ran (a failed status)');
      t.ok(presentCells > 0, 'some columns are present');
    }
    t.end();
  });
}

// Without code generation from strings (node --disallow-code-generation-from-strings) the collector takes the checked
// path for every row and copySpec() for the carried spec values: the same sweep.
t.test('with code generation from strings disallowed: the same sweep through the checked path', (t) => {
  const { execFileSync } = require('node:child_process');
  const root = path.join(TREES, 'v1-real');
  const script = `
    const { StatsCollector } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'dist', 'collector'))});
    let generated = true;
    try { new Function('return 1'); } catch { generated = false; }
    const c = new StatsCollector({ root: ${JSON.stringify(root)}, oomEvents: false, lastSample: false });
    for (const p of JSON.parse(process.argv[1])) c.add(p);
    c.collect();
    const s = c.collect();
    const rows = [];
    for (let r = 0; r < s.rows; r++) rows.push(s.row(r));
    c.close();
    process.stdout.write(JSON.stringify({ generated, rows }));
  `;
  const engine = new Engine({ root });
  const paths = listCgroups(engine.layout, { depth: 8 }).map((p) => '/' + p);
  engine.destroy();
  const run = (flags) =>
    JSON.parse(execFileSync(process.execPath, [...flags, '-e', script, JSON.stringify(paths)], { encoding: 'utf8' }));
  const plain = run([]);
  const checked = run(['--disallow-code-generation-from-strings']);
  t.equal(plain.generated, true, 'code generation allowed in the first process');
  t.equal(checked.generated, false, 'and disallowed in the second');
  const strip = (rows) => rows.map(({ last_seen_ms: _seen, ...rest }) => rest);
  t.ok(plain.rows.length > 0 && Object.keys(plain.rows[0]).length > 5, 'rows with columns');
  t.same(strip(checked.rows), strip(plain.rows), 'every row the same (but its last-seen time)');
  t.end();
});
