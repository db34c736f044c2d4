/**
 * `cgmgr stats [path...]`: the memory, CPU and task counts of cgroups, read in one batch by the native engine.
 * A named cgroup that cannot be read fails the command (exit 1) after the others are printed.
 */
import { Engine } from '../engine';
import { listCgroups } from '../walk';
import type { Command } from './command';
import { workloadLabel } from '../kubernetes/cli-names';
import {
  EXIT_FAILURE,
  EXIT_OK,
  formatBytes,
  intOption,
  limitValue,
  parseCommand,
  renderTable,
  styler,
  toJson,
  type Io,
} from './io';

const USAGE = `Usage: cgmgr stats [options] [path...]

Prints the memory, CPU and task counts of cgroups, read in one batch.
Without paths: the cgroups of this machine down to --depth levels.

Options:
  --root DIR     cgroup root (default /sys/fs/cgroup)
  --depth N      levels below the root to list (default 2)
  --json         one JSON array on stdout instead of a table (exact: numbers above 2^53 as
                 decimal strings, no limit as "max")
  --kubernetes   add namespace, pod and container from the CRI runtime; without paths, list this node's
                 pod and container cgroups at any depth
  --runtime-endpoint unix:///PATH   the CRI socket (implies --kubernetes; default as cgmgr serve)
  -h, --help     this text

Exit status: 0 ok, 1 a named cgroup could not be read (or no cgroup root), 2 usage error (also a --root
that is neither a cgroup filesystem nor a recorded tree).
`;

/**
 * One cgroup's row. Byte counts are read exactly (bigints, written to JSON as numbers up to 2^53 and as decimal
 * strings above); a limit of "no limit" is Infinity (JSON "max"), also v1's unlimited value.
 */
export interface StatsRow {
  path: string;
  memoryUsage: bigint | null;
  memoryLimit: bigint | number | null;
  cpuSeconds: number | null;
  pids: number | null;
  /** With --kubernetes, where the runtime knows the cgroup. */
  namespace?: string;
  pod?: string;
  container?: string;
  error?: string;
}

/**
 * Reads the rows of the given cgroup paths (relative to the engine's root) in one batch: the collector's columns
 * (memory_usage_bytes, memory_limit_bytes, cpu_usage_ns, pids_current), which are the stats readers' values
 * (test/collector/formulas.test.js), so the command shows what stats() and the exporter show.
 */
export function readStatsRows(engine: Engine, paths: string[]): StatsRow[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { StatsCollector, ROW_STATUS } = require('../collector') as typeof import('../collector');
  const collector = new StatsCollector({
    engine,
    controllers: ['memory', 'cpu', 'cpuacct', 'pids'],
    oomEvents: false,
    bigint: true,
  });
  try {
    const rows: StatsRow[] = paths.map((p) => ({
      path: '/' + p.replace(/^\/+/, ''),
      memoryUsage: null,
      memoryLimit: null,
      cpuSeconds: null,
      pids: null,
    }));
    const added: boolean[] = rows.map((row) => {
      try {
        collector.add(row.path);
        return true;
      } catch (err) {
        row.error = (err as Error).message;
        return false;
      }
    });
    const sweep = collector.collect();
    rows.forEach((row, i) => {
      if (!added[i]) return;
      const r = sweep.rowOf(row.path);
      if (r < 0) return;
      const status = sweep.status[r];
      if (status === ROW_STATUS.gone || status === ROW_STATUS.closed) {
        row.error = `the cgroup ${row.path} is gone`;
        return;
      }
      if (status === ROW_STATUS.error) row.error = sweep.error(r)?.message;
      // Exact 64-bit columns (the collector in bigint mode); "max" and v1's unlimited are Infinity (JSON "max").
      const get = (f: Parameters<typeof sweep.get>[1]): bigint | null => {
        const v = sweep.get(r, f);
        return typeof v === 'bigint' ? v : null;
      };
      const num = (v: bigint | null, scale = 1): number | null => (v === null ? null : Number(v) * scale);
      row.memoryUsage = get('memory_usage_bytes');
      row.memoryLimit = limitValue(get('memory_limit_bytes'));
      row.cpuSeconds = num(get('cpu_usage_ns'), 1e-9);
      row.pids = num(get('pids_current'));
    });
    return rows;
  } finally {
    collector.close();
  }
}

function table(rows: StatsRow[], io: Io, kubernetes: boolean): string {
  const style = styler(io.stdout);
  const lines = renderTable(
    ['CGROUP', ...(kubernetes ? ['POD'] : []), 'MEMORY', 'LIMIT', 'CPU(s)', 'PIDS'],
    rows.map((r) => [
      r.path,
      ...(kubernetes ? [workloadLabel(r) || '-'] : []),
      formatBytes(r.memoryUsage),
      formatBytes(r.memoryLimit),
      r.cpuSeconds === null ? '-' : r.cpuSeconds.toFixed(2),
      r.pids === null ? '-' : String(r.pids),
    ]),
  );
  lines[0] = style('bold', lines[0]!);
  return lines.join('\n') + '\n';
}

export const statsCommand: Command = {
  name: 'stats',
  summary: 'memory, CPU and task counts of cgroups (table or --json)',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals: paths } = parseCommand(
      argv,
      {
        root: { type: 'string' },
        depth: { type: 'string' },
        json: { type: 'boolean' },
        kubernetes: { type: 'boolean' },
        'runtime-endpoint': { type: 'string' },
      },
      true,
    );
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
    if (!values.json && paths.length > 0)
      for (const r of rows) if (r.error !== undefined) io.stderr.write(`cgmgr: ${r.path}: ${r.error}\n`);
    return rows.some((r) => r.error !== undefined) && paths.length > 0 ? EXIT_FAILURE : EXIT_OK;
  },
};
