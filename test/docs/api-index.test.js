'use strict';
// docs/api.md "Index of exports" lists exactly what each entry point of package.json "exports" exports: its values
// (Object.keys(require(entry)), the root's lazy names included without loading them) and its types (the type-only
// exports of the entry's .d.ts, by the TypeScript checker). A name added, removed or renamed on one side fails here.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');

const repo = path.resolve(__dirname, '..', '..');
const pkg = require(path.join(repo, 'package.json'));
const doc = fs.readFileSync(path.join(repo, 'docs', 'api.md'), 'utf8');

/** The index section's rows: entry point -> { values, types } (names in backticks; `name(args)` counts as name). */
function documented() {
  const start = doc.indexOf('\n## Index of exports');
  if (start < 0) throw new Error('docs/api.md has no "## Index of exports" section');
  const next = doc.indexOf('\n## ', start + 1);
  const section = doc.slice(start, next < 0 ? undefined : next);
  const names = (cell) => [...cell.matchAll(/`([A-Za-z_$][\w$]*)(?:\([^`]*\))?`/g)].map((m) => m[1]);
  const out = new Map();
  const add = (entry, values, types) => {
    const e = out.get(entry) ?? { values: [], types: [] };
    e.values.push(...names(values));
    e.types.push(...names(types));
    out.set(entry, e);
  };
  let heading = '';
  for (const line of section.split('\n')) {
    const h = /^### `([^`]+)`/.exec(line) ?? /^### (.+)$/.exec(line);
    if (h) heading = h[1];
    if (!line.startsWith('| ') || line.startsWith('| area') || line.startsWith('| entry point')) continue;
    const cells = line.split(' | ');
    if (cells.length !== 3) throw new Error(`docs/api.md index: a row without 3 cells: ${line}`);
    if (heading === 'cgmgr') add('cgmgr', cells[1], cells[2]);
    else add(/`([^`]+)`/.exec(cells[0])[1], cells[1], cells[2]);
  }
  return out;
}

/** entry ('cgmgr', 'cgmgr/stats', ...) -> [package.json key, the .d.ts, the .js]. */
function entries() {
  return Object.entries(pkg.exports).filter(([k]) => k !== './package.json')
    .map(([k, v]) => [k === '.' ? 'cgmgr' : `cgmgr/${k.slice(2)}`, path.join(repo, v.types), path.join(repo, v.default)]);
}

const sorted = (a) => [...new Set(a)].sort();

t.test('every entry point of package.json is in the index, and nothing else', async (t) => {
  t.same(sorted([...documented().keys()]), sorted(entries().map(([e]) => e)));
});

t.test('each entry point\'s values are the documented ones', async (t) => {
  const docs = documented();
  for (const [entry, , js] of entries()) {
    const d = docs.get(entry);
    if (!d) continue; // reported above
    t.same(sorted(d.values), sorted(Object.keys(require(js))), `${entry}: values`);
    t.equal(d.values.length, new Set(d.values).size, `${entry}: each value listed once`);
  }
});

t.test('each entry point\'s types are the documented ones', async (t) => {
  let ts;
  try {
    ts = require(require.resolve('typescript', { paths: [repo] }));
  } catch {
    return t.skip('typescript is not installed (a devDependency)');
  }
  const list = entries();
  const program = ts.createProgram(list.map(([, dts]) => dts), { noEmit: true });
  const checker = program.getTypeChecker();
  const docs = documented();
  for (const [entry, dts] of list) {
    const sf = program.getSourceFile(dts);
    t.ok(sf, `${dts} exists (npx tsc -p tsconfig.json)`);
    if (!sf) continue;
    const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(sf));
    const typeOnly = exports.filter((s) => {
      const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
      return (target.flags & ts.SymbolFlags.Value) === 0;
    }).map((s) => s.name);
    const d = docs.get(entry);
    if (!d) continue;
    t.same(sorted(d.types), sorted(typeOnly), `${entry}: types`);
  }
});

t.test('the root export keeps the engine internals out', async (t) => {
  const root = Object.keys(require(path.join(repo, 'dist')));
  const engine = Object.keys(require(path.join(repo, 'dist', 'engine')));
  const internals = engine.filter((k) => k !== 'Engine');
  t.same(internals.filter((k) => root.includes(k)), [], 'only Engine itself is in both');
});
