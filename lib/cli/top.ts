/**
 * `cgmgr top`: a live view of the busiest cgroups. A StatsCollector holds this machine's cgroups (down to --depth,
 * re-listed every frame so new cgroups appear and removed ones drop out); every --interval seconds one sweep gives
 * each cgroup's CPU cores in use (the rate since the previous sweep), memory and tasks, sorted by CPU or memory.
 *
 * On a terminal: the alternate screen, redrawn in place; `q` or Ctrl-C quits (also SIGINT/SIGTERM) and restores the
 * terminal. Otherwise (a pipe, a file, a test): --iterations frames as plain text (default 1), or one JSON object per
 * frame with --json. The first frame comes one interval after the start, so every frame has rates.
 */
import type { StatsCollector, Sweep } from '../collector';
import { workloadLabel } from '../kubernetes/cli-names';
import { listCgroups } from '../walk';
import type { Command } from './command';
import {
  EXIT_OK,
  UsageError,
  formatBytes,
  intOption,
  limitValue,
  numberOption,
  parseCommand,
  renderTable,
  styler,
  toJson,
  type Io,
} from './io';

const USAGE = `Usage: cgmgr top [options]

A live view of the busiest cgroups: CPU cores in use (since the previous refresh), memory and tasks.
On a terminal it refreshes in place until 'q' or Ctrl-C; otherwise it prints --iterations frames.

Options:
  --interval S     seconds between refreshes (default 2; at least 0.05)
  --iterations N   frames to print, then exit (default: until quit on a terminal, 1 otherwise)
  --sort KEY       cpu (default) or memory
  --limit N        rows per frame (default: what fits the terminal, 20 otherwise)
  --depth N        levels of cgroups below the root to watch (default 3)
  --root DIR       cgroup root (default /sys/fs/cgroup)
  --json           one JSON object per frame on stdout (no screen handling; no limit as "max")
  --kubernetes     this node's pods and containers (any depth, as they come and go) with namespace/pod/container
                   from the CRI runtime
  --runtime-endpoint unix:///PATH   the CRI socket (implies --kubernetes; default as cgmgr serve)
  -h, --help       this text

Exit status: 0 ok, 1 no cgroup root or no cgroup readable, 2 usage error (also a --root that is neither a
cgroup filesystem nor a recorded tree).
`;

export interface TopRow {
  path: string;
  cpuCores: number | null;
  memoryBytes: number | null;
  memoryLimitBytes: number | null;
  workingSetBytes: number | null;
  pids: number | null;
  /** Where known (--kubernetes): the cgroup's pod and container. */
  namespace?: string;
  pod?: string;
  container?: string;
}

export interface TopFrame {
  time: string;
  intervalSeconds: number;
  cgroups: number;
  sort: 'cpu' | 'memory';
  rows: TopRow[];
}

const num = (v: number | bigint | undefined): number | null => (v === undefined ? null : Number(v));
/** A limit: Infinity (JSON "max") for no limit, v1's unlimited value included. */
const limitOf = (v: number | bigint | undefined): number | null => {
  const l = limitValue(v);
  return l === null ? null : Number(l);
};

/** One frame's rows from a sweep, sorted (busiest first; missing values last), cut to `limit`. */
export function frameRows(sweep: Sweep, sort: 'cpu' | 'memory', limit: number): TopRow[] {
  const rows: TopRow[] = [];
  for (let r = 0; r < sweep.rows; r++) {
    if (!sweep.ok(r)) continue;
    const rates = sweep.rates(r);
    rows.push({
      path: sweep.paths[r]!,
      cpuCores: rates !== undefined && Number.isFinite(rates.cpuCores) ? rates.cpuCores : null,
      memoryBytes: num(sweep.get(r, 'memory_usage_bytes')),
      memoryLimitBytes: limitOf(sweep.get(r, 'memory_limit_bytes')),
      workingSetBytes: num(sweep.get(r, 'memory_working_set_bytes')),
      pids: num(sweep.get(r, 'pids_current')),
    });
    const l = sweep.labels[r];
    if (l?.pod)
      Object.assign(rows[rows.length - 1]!, { namespace: l.namespace ?? '', pod: l.pod, container: l.container ?? '' });
  }
  const key = (row: TopRow): number => (sort === 'cpu' ? row.cpuCores : row.memoryBytes) ?? -1;
  rows.sort((a, b) => key(b) - key(a) || (b.memoryBytes ?? -1) - (a.memoryBytes ?? -1) || (a.path < b.path ? -1 : 1));
  return rows.slice(0, limit);
}

function renderFrame(frame: TopFrame, io: Io, width: number | undefined): string {
  const style = styler(io.stdout);
  const header =
    `cgmgr top  ${frame.time.slice(11, 19)}  ${frame.cgroups} cgroups  sorted by ${frame.sort}  every ${frame.intervalSeconds} s` +
    (io.stdout.isTTY ? '  (q quits)' : '');
  const cells = frame.rows.map((r) => [
    r.pod ? workloadLabel(r) : r.path,
    r.cpuCores === null ? '-' : r.cpuCores.toFixed(2),
    formatBytes(r.memoryBytes),
    formatBytes(r.workingSetBytes),
    formatBytes(r.memoryLimitBytes),
    r.pids === null ? '-' : String(r.pids),
  ]);
  // A long path keeps its end (the part that names the cgroup) when the table is wider than the terminal.
  if (width !== undefined) {
    const others = renderTable(
      ['', 'CPU', 'MEMORY', 'WORKING SET', 'LIMIT', 'TASKS'],
      cells.map((c) => ['', ...c.slice(1)]),
    )[0]!.length;
    const room = Math.max(12, width - others - 2);
    for (const c of cells) if (c[0]!.length > room) c[0] = '…' + c[0]!.slice(c[0]!.length - room + 1);
  }
  const lines = renderTable(['CGROUP', 'CPU', 'MEMORY', 'WORKING SET', 'LIMIT', 'TASKS'], cells, width);
  lines[0] = style('inverse', lines[0]!);
  return [style('bold', width !== undefined ? header.slice(0, width) : header), '', ...lines].join('\n') + '\n';
}

/** Adds the cgroups that appeared since the last listing (removed ones are dropped by the sweeps themselves). */
function refreshList(collector: StatsCollector, depth: number): void {
  for (const p of listCgroups(collector.engine.layout, { depth })) {
    if (collector.has(p)) continue;
    try {
      collector.add(p);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') throw err; // removed since the listing
    }
  }
}

/** The terminal while top runs on it: alternate screen, no cursor, raw keys; restore() undoes all of it once. */
function takeTerminal(io: Io, onQuit: () => void): { restore: () => void } {
  const { stdin, stdout } = io;
  stdout.write('\x1b[?1049h\x1b[?25l');
  const raw = stdin.isTTY === true;
  const onData = (d: Buffer): void => {
    const s = d.toString('latin1');
    if (s === 'q' || s === 'Q' || s === '\x03' || s === '\x1b') onQuit();
  };
  if (raw) {
    stdin.setRawMode(true);
    stdin.on('data', onData);
    stdin.resume();
  }
  let done = false;
  return {
    restore: () => {
      if (done) return;
      done = true;
      if (raw) {
        stdin.off('data', onData);
        stdin.setRawMode(false);
        stdin.pause();
      }
      stdout.write('\x1b[?25h\x1b[?1049l');
    },
  };
}

export const topCommand: Command = {
  name: 'top',
  summary: 'live view of the busiest cgroups (q quits)',
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommand(argv, {
      interval: { type: 'string' },
      iterations: { type: 'string' },
      sort: { type: 'string' },
      limit: { type: 'string' },
      depth: { type: 'string' },
      root: { type: 'string' },
      json: { type: 'boolean' },
      kubernetes: { type: 'boolean' },
      'runtime-endpoint': { type: 'string' },
    });
    if (values.help) {
      io.stdout.write(USAGE);
      return EXIT_OK;
    }
    const interval = numberOption(values.interval, 'interval', 0.05, 86400) ?? 2;
    const sort = values.sort ?? 'cpu';
    if (sort !== 'cpu' && sort !== 'memory')
      throw new UsageError(`--sort must be cpu or memory, got ${JSON.stringify(sort)}`);
    const depth = intOption(values.depth, 'depth', 0, 64) ?? 3;
    const live = io.stdout.isTTY === true && !values.json;
    const iterations = intOption(values.iterations, 'iterations', 1) ?? (live ? Infinity : 1);
    const limitOption = intOption(values.limit, 'limit', 1);
    const limit = (): number => limitOption ?? (live ? Math.max(1, (io.stdout.rows || 24) - 4) : 20);

    const kubernetes = values.kubernetes === true || values['runtime-endpoint'] !== undefined;
    const { StatsCollector } = await import('../collector'); // loaded only by this command
    const co = {
      ...(values.root === undefined ? {} : { root: values.root }),
      controllers: ['memory', 'cpu', 'cpuacct', 'pids'] as const,
      oomEvents: false,
    };
    let collector: InstanceType<typeof StatsCollector>;
    if (kubernetes) {
      const { createKubernetesCollector } = await import('../kubernetes/collector');
      collector = createKubernetesCollector({
        ...co,
        controllers: [...co.controllers],
        ...(values['runtime-endpoint'] === undefined ? {} : { runtimeEndpoint: values['runtime-endpoint'] }),
      });
      if (!live) collector.on('warning', (err) => io.stderr.write(`cgmgr: warning: ${err.message}\n`));
    } else {
      collector = new StatsCollector({ ...co, controllers: [...co.controllers] });
    }
    let quit = false;
    let wake: (() => void) | undefined;
    const stop = (): void => {
      quit = true;
      wake?.();
    };
    const wait = (ms: number): Promise<void> =>
      new Promise((resolve) => {
        const t = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    const terminal = live ? takeTerminal(io, stop) : undefined;
    try {
      if (!kubernetes) refreshList(collector, depth);
      if (collector.size === 0 && !kubernetes)
        throw new Error(`no cgroups found under ${collector.engine.layout.hierarchies[0]?.path ?? 'the root'}`);
      let sweep = await collector.collectAsync();
      for (let frame = 0; frame < iterations && !quit; frame++) {
        await wait(interval * 1000);
        if (quit) break;
        sweep = await collector.collectAsync({ into: sweep });
        const out: TopFrame = {
          time: new Date().toISOString(),
          intervalSeconds: interval,
          cgroups: sweep.rows,
          sort,
          rows: frameRows(sweep, sort, limit()),
        };
        if (values.json) io.stdout.write(toJson(out, 0));
        else if (live) io.stdout.write('\x1b[H\x1b[2J' + renderFrame(out, io, io.stdout.columns || undefined));
        else io.stdout.write((frame > 0 ? '\n' : '') + renderFrame(out, io, undefined));
        if (!kubernetes) refreshList(collector, depth);
      }
    } finally {
      terminal?.restore();
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      collector.close();
    }
    return EXIT_OK;
  },
};
