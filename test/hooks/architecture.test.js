'use strict';
// docs/architecture.md kept true: the module map's "may import" table, checked against every import of lib/. A
// value import (`import ... from`, `require(...)`, `import(...)`) outside the table fails; type-only imports
// (`import type`) have their own, wider allowance (they cost nothing at run time). The table here is the one of the
// doc: the doc's table is parsed and compared, so the two cannot drift apart.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const LIB = path.join(ROOT, 'lib');

/** The unit a lib/ file belongs to: its folder (stats/v1 and stats/v2 are part of stats), or its own name at the top. */
function unitOf(file) {
  const rel = path.relative(LIB, file);
  const parts = rel.split(path.sep);
  if (parts.length === 1) return parts[0].replace(/\.ts$/, '');
  return parts[0];
}

function tsFiles(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

function resolveImport(from, spec) {
  const base = path.resolve(path.dirname(from), spec);
  if (fs.existsSync(base + '.ts')) return base + '.ts';
  if (fs.existsSync(path.join(base, 'index.ts'))) return path.join(base, 'index.ts');
  throw new Error(`${path.relative(ROOT, from)}: cannot resolve ${spec}`);
}

/** Every relative import of lib/: [fromUnit, toUnit, typeOnly, where]. */
function imports() {
  const out = [];
  for (const file of tsFiles(LIB)) {
    const src = fs.readFileSync(file, 'utf8');
    const re = /(import\s+type\s[^;]*?from\s*'(\.[^']+)')|((?:import|export)\s[^;]*?from\s*'(\.[^']+)')|(require\(\s*'(\.[^']+)'\s*\))|(import\(\s*'(\.[^']+)'\s*\))/g;
    for (const m of src.matchAll(re)) {
      const spec = m[2] ?? m[4] ?? m[6] ?? m[8];
      const typeOnly = m[2] !== undefined || /^export\s+type\s/.test(m[3] ?? '');
      const to = unitOf(resolveImport(file, spec));
      const from = unitOf(file);
      if (from !== to) out.push([from, to, typeOnly, `${path.relative(ROOT, file)} -> ${spec}`]);
    }
  }
  return out;
}

/** docs/architecture.md's table: | unit | may import | (type-only also) |. */
function docTable() {
  const md = fs.readFileSync(path.join(ROOT, 'docs', 'architecture.md'), 'utf8');
  const start = md.indexOf('<!-- imports:begin -->');
  const end = md.indexOf('<!-- imports:end -->');
  if (start < 0 || end < 0) throw new Error('docs/architecture.md has no imports table markers');
  const rows = md.slice(start, end).split('\n').filter((l) => /^\|\s*`/.test(l));
  const list = (cell) => [...cell.matchAll(/`([^`]+)`/g)].map((x) => x[1]);
  const table = new Map();
  for (const row of rows) {
    const cells = row.split('|').slice(1, -1).map((c) => c.trim());
    const [unit] = list(cells[0]);
    table.set(unit, { value: new Set(list(cells[1] ?? '')), type: new Set(list(cells[2] ?? '')) });
  }
  return table;
}

t.test('every unit of lib/ is in the doc\'s table', async (t) => {
  const table = docTable();
  const units = new Set(tsFiles(LIB).map(unitOf));
  t.same([...units].filter((u) => !table.has(u)).sort(), [], 'no unit missing from docs/architecture.md');
  t.same([...table.keys()].filter((u) => !units.has(u)).sort(), [], 'no unit in the doc that lib/ does not have');
});

t.test('every import of lib/ is one the doc allows', async (t) => {
  const table = docTable();
  const bad = [];
  for (const [from, to, typeOnly, where] of imports()) {
    const rule = table.get(from);
    if (rule === undefined) continue; // reported above
    const ok = rule.value.has('*') || rule.value.has(to) || (typeOnly && rule.type.has(to));
    if (!ok) bad.push(`${where} (${from} -> ${to}${typeOnly ? ', type only' : ''})`);
  }
  t.same(bad, [], 'imports outside docs/architecture.md');
});

t.test('the table is layered: no two units may import each other at run time', async (t) => {
  const table = docTable();
  const cycles = [];
  for (const [a, r] of table) for (const b of r.value) if (b !== '*' && table.get(b)?.value.has(a)) cycles.push(`${a} <-> ${b}`);
  t.same(cycles, []);
});
