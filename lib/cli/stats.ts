/**
 * `cgmgr stats [path...]`: the memory, CPU and task counts of cgroups, read in one batch by the native engine.
 * A named cgroup that cannot be read fails the command (exit 1) after the others are printed.
 */
import { Engine, type FileSpec } from '../engine';
import { listCgroups } from '../walk';
import type { Command } from './command';
import { workloadLabel } from '../kubernetes/cli-names';
import { EXIT_FAILURE, EXIT_OK, formatBytes, intOption, parseCommand, renderTable, styler, toJson, type Io } from './io';

const USAGE = `Usage: cgmgr stats [options] [path...]

Prints the memory, CPU and task counts of cgroups, read in one batch.
Without paths: the cgroups of this machine down to --depth levels.

Options:
  --root DIR     cgroup root (default /sys/fs/cgroup)
  --depth N      levels below the root to list (default 2)
  --json         one JSON array on stdout instead of a table
  --kubernetes   add namespace, pod and container from the CRI runtime; without paths, list this node's
                 pod and container cgroups at any depth
  --runtime-endpoint unix:///PATH   the CRI socket (implies --kubernetes; default as cgmgr serve)
  -h, --help     this text

Exit status: 0 ok, 1 a named cgroup could not be read (or no cgroup root), 2 usage error.
`;

export interface StatsRow {
  path: string;
  memoryUsage: number | null;
  memoryLimit: number | null;
  cpuSeconds: number | null;
  pids: number | null;
  /** With --kubernetes, where the runtime knows the cgroup. */
  namespace?: string;
  pod?: string;
  container?: string;
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

/** Reads the rows of the given cgroup paths (relative to the engine's root) in one batch. */
export function readStatsRows(engine: Engine, paths: string[]): StatsRow[] {
  const { specs, cpuScale } = statsSpecs(engine);
  const plan = engine.plan(specs.map((s) => ({ ...s, hold: false })));
  const ids: number[] = [];
  const rows: StatsRow[] = [];
  for (const p of paths) {
    const row: StatsRow = { path: '/' + p.replace(/^\/+/, ''), memoryUsage: null, memoryLimit: null, cpuSeconds: null, pids: null };
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
    if (ids[r] !== 0xffffffff) engine.close(ids[r]!);
  });
  return rows;
}

function table(rows: StatsRow[], io: Io, kubernetes: boolean): string {
  const style = styler(io.stdout);
  const lines = renderTable(['CGROUP', ...(kubernetes ? ['POD'] : []), 'MEMORY', 'LIMIT', 'CPU(s)', 'PIDS'], rows.map((r) => [
    r.path, ...(kubernetes ? [workloadLabel(r) || '-'] : []), formatBytes(r.memoryUsage), formatBytes(r.memoryLimit), r.cpuSeconds === null ? '-' : r.cpuSeconds.toFixed(2),
    r.pids === null ? '-' : String(r.pids),
  ]));
  lines[0] = style('bold', lines[0]!);
  return lines.join('\n') + '\n';
}

export const statsCommand: Command = {
  name: 'stats',
  summary: 'memory, CPU and task counts of cgroups (table or --json)',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals: paths } = parseCommand(argv, {
      root: { type: 'string' },
      depth: { type: 'string' },
      json: { type: 'boolean' },
      kubernetes: { type: 'boolean' },
      'runtime-endpoint': { type: 'string' },
    }, true);
    if (values.help) {
      io.stdout.write(USAGE);
      return EXIT_OK;
    }
    const depth = intOption(values.depth, 'depth', 0, 64) ?? 2;
    const kubernetes = values.kubernetes === true || values['runtime-endpoint'] !== undefined;
    const engine = new Engine(values.root === undefined ? {} : { root: values.root });
    let rows: StatsRow[];
    try {
      let list = paths.length > 0 ? paths : listCgroups(engine.layout, { depth });
      if (kubernetes && paths.length === 0) {
        const { isWorkloadCgroup } = await import('../kubernetes/discovery');
        list = listCgroups(engine.layout, { depth: 64 }).filter(isWorkloadCgroup);
      }
      rows = readStatsRows(engine, list);
    } finally {
      engine.destroy();
    }
    if (kubernetes) {
      const { workloadNamer } = await import('../kubernetes/cli-names');
      const namer = await workloadNamer(values['runtime-endpoint'], (m) => io.stderr.write(`cgmgr: warning: ${m}\n`));
      for (const r of rows) Object.assign(r, namer.lookup(r.path) ?? {});
    }
    io.stdout.write(values.json ? toJson(rows) : table(rows, io, kubernetes));
    // In a table a failed row is all dashes: say why on stderr (JSON carries it in the row's `error`).
    if (!values.json && paths.length > 0) for (const r of rows) if (r.error !== undefined) io.stderr.write(`cgmgr: ${r.path}: ${r.error}\n`);
    return rows.some((r) => r.error !== undefined) && paths.length > 0 ? EXIT_FAILURE : EXIT_OK;
  },
};
