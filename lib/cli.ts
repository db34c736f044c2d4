#!/usr/bin/env node
/**
 * The cgmgr command line. For now: `cgmgr stats [path...]`, this machine's cgroups and their usage, read in one
 * batch by the native engine. Exit codes: 0 success, 1 a runtime failure, 2 a usage error.
 */
import { parseArgs } from 'node:util';
import { Engine, type FileSpec } from './engine';
import { CgroupError } from './errors';
import { listCgroups } from './walk';

const USAGE = `Usage: cgmgr stats [options] [path...]

Prints the memory, CPU and task counts of cgroups, read in one batch.
Without paths: the cgroups of this machine down to --depth levels.

Options:
  --root DIR     cgroup root (default /sys/fs/cgroup)
  --depth N      levels below the root to list (default 2)
  --json         one JSON array on stdout instead of a table
  -h, --help     this text
`;

interface Row {
  path: string;
  memoryUsage: number | null;
  memoryLimit: number | null;
  cpuSeconds: number | null;
  pids: number | null;
  error?: string;
}

function statsSpecs(engine: Engine): { specs: FileSpec[]; cpuScale: number } {
  const v2 = engine.layout.version === 2;
  const has = (c: string): boolean => v2 || engine.layout.controllers.has(c);
  const specs: FileSpec[] = [];
  // Only controllers that are mounted; a missing one shows as "-".
  if (has('memory')) {
    specs.push({ controller: 'memory', name: v2 ? 'memory.current' : 'memory.usage_in_bytes', format: 'single' });
    specs.push({ controller: 'memory', name: v2 ? 'memory.max' : 'memory.limit_in_bytes', format: 'single' });
  }
  if (v2) specs.push({ controller: 'cpu', name: 'cpu.stat', format: 'flatKeyed', keys: ['usage_usec'] });
  else if (has('cpuacct')) specs.push({ controller: 'cpuacct', name: 'cpuacct.usage', format: 'single' });
  if (has('pids')) specs.push({ controller: 'pids', name: 'pids.current', format: 'single' });
  return { specs, cpuScale: v2 ? 1e-6 : 1e-9 };
}

function collect(engine: Engine, paths: string[]): Row[] {
  const { specs, cpuScale } = statsSpecs(engine);
  const plan = engine.plan(specs.map((s) => ({ ...s, hold: false })));
  const ids: number[] = [];
  const rows: Row[] = [];
  for (const p of paths) {
    const row: Row = { path: '/' + p.replace(/^\/+/, ''), memoryUsage: null, memoryLimit: null, cpuSeconds: null, pids: null };
    rows.push(row);
    try {
      ids.push(engine.open(p));
    } catch (err) {
      row.error = (err as Error).message;
      ids.push(0xffffffff); // an id that is never open: the row reads as a closed handle
    }
  }
  const result = engine.readSync(plan, ids);
  const num = (r: number, name: string, scale = 1): number | null => {
    const i = plan.indexOf(name);
    if (i < 0 || !result.ok(r, i)) return null;
    const v = result.get(r, i);
    return typeof v === 'number' ? v * scale : null;
  };
  rows.forEach((row, r) => {
    if (row.error === undefined) {
      const err = result.rowError(r);
      if (err) row.error = err.message;
    }
    row.memoryUsage = num(r, 'memory.current') ?? num(r, 'memory.usage_in_bytes');
    row.memoryLimit = num(r, 'memory.max') ?? num(r, 'memory.limit_in_bytes');
    row.cpuSeconds = num(r, 'cpu.stat', cpuScale) ?? num(r, 'cpuacct.usage', cpuScale);
    row.pids = num(r, 'pids.current');
    engine.close(ids[r]!);
  });
  return rows;
}

function bytes(n: number | null): string {
  if (n === null) return '-';
  if (!Number.isFinite(n) || n >= 2 ** 62) return 'max';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

function table(rows: Row[]): string {
  const header = ['CGROUP', 'MEMORY', 'LIMIT', 'CPU(s)', 'PIDS'];
  const cells = rows.map((r) => [
    r.path, bytes(r.memoryUsage), bytes(r.memoryLimit), r.cpuSeconds === null ? '-' : r.cpuSeconds.toFixed(2),
    r.pids === null ? '-' : String(r.pids),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string => c.map((s, i) => (i === 0 ? s.padEnd(widths[i]!) : s.padStart(widths[i]!))).join('  ');
  return [line(header), ...cells.map(line)].join('\n') + '\n';
}

export function main(argv: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        root: { type: 'string' },
        depth: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    process.stderr.write(`cgmgr: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...paths] = positionals;
  if (values.help || command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (command !== 'stats') {
    process.stderr.write(command === undefined ? USAGE : `cgmgr: unknown command '${command}'\n\n${USAGE}`);
    return 2;
  }
  const depth = values.depth === undefined ? 2 : Number(values.depth);
  if (!Number.isInteger(depth) || depth < 0) {
    process.stderr.write(`cgmgr: --depth must be a non-negative integer\n`);
    return 2;
  }
  try {
    const engine = new Engine(values.root === undefined ? {} : { root: values.root });
    const list = paths.length > 0 ? paths : listCgroups(engine.layout, { depth });
    const rows = collect(engine, list);
    engine.destroy();
    process.stdout.write(values.json ? JSON.stringify(rows, null, 2) + '\n' : table(rows));
    if (!values.json) {
      // In a table a failed row is all dashes: say why on stderr (JSON carries it in the row's `error`).
      for (const r of rows) if (r.error !== undefined && paths.length > 0) process.stderr.write(`cgmgr: ${r.path}: ${r.error}\n`);
    }
    return rows.some((r) => r.error !== undefined) && paths.length > 0 ? 1 : 0;
  } catch (err) {
    const code = err instanceof CgroupError ? ` (${err.code})` : '';
    process.stderr.write(`cgmgr: ${(err as Error).message}${code}\n`);
    return 1;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
