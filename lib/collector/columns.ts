/**
 * Where each column of the layout comes from, per cgroup version, and the compiled column program that turns one row of
 * an engine BatchResult (read with the stats readers' plan plus the collector's extra keys and files) into the row's
 * columns. The program is compiled once per plan (file indices and slot offsets resolved), and resolved once per
 * pattern of read files into straight-line code (ColumnProgram.extractNumber: which columns a row has depends only on
 * which files read ok); extracting a row allocates nothing in number mode (u64 cells are read through a Uint32Array
 * view of the bigint result).
 *
 * Sources name the stats readers' files by typed plan keys (`reader.key.<file>`, lib/stats/v1, lib/stats/v2: a file
 * renamed in its reader breaks this file at compile time; a key or slot that is not in the plan throws when the program
 * is compiled), so there is one list of file names and formats; scales, slots and op codes come from the readers, the
 * formulas that CgroupStats also has (working set) from lib/stats/convert. test/collector/formulas.test.js checks every
 * column against stats(row) of the same row.
 */
import { FILE_STATUS, SLOT, type BatchResult, type FileSpec } from '../engine';
import type { PlanKey } from '../stats/controller';
import type { CompiledStats, PlanExtras } from '../stats/reader';
import { workingSetOf } from '../stats/convert';
import { CONTROLLERS } from '../stats/types';
import * as v1 from '../stats/v1';
import { BLKIO_ENTRY_SLOTS, BLKIO_OP, FAMILIES } from '../stats/v1/blkio';
import { CPUACCT_STAT_SLOT, ticksToNs } from '../stats/v1/cpuacct';
import * as v2 from '../stats/v2';
import { V2_CPU_STAT } from '../stats/v2/cpu';
import { PSI_SLOT } from '../stats/v2/psi';
import { FIELD, FIELD_COUNT, type FieldName } from './layout';

/** How a column is computed from its source slots. Files are typed plan keys of the stats readers (or extras). */
type Source =
  /**
   * slot `slot` (a number) or key `key` of a file, times `scale`; `zeroIsUnlimited` maps 0 to Infinity; `fallback`: a
   * file whose slot 0 is read instead when `file` is not there (v2 pids.current -> cgroup.procs lines, as stats() does).
   */
  (
    | {
        kind: 'value';
        file: PlanKey;
        key?: string;
        slot?: number;
        scale?: number;
        zeroIsUnlimited?: boolean;
        fallback?: PlanKey;
      }
    /** usage − inactive file (lib/stats/convert workingSetOf). */
    | { kind: 'workingSet'; usage: PlanKey; stat: PlanKey; inactiveKey: string }
    /** v1 swap only: memsw usage − usage, clamped at 0 (cAdvisor's container_memory_swap). */
    | { kind: 'swapV1'; memsw: PlanKey; usage: PlanKey }
    /**
     * v1 blkio: the stats reader's family search (lib/stats/v1/blkio FAMILIES: the first family whose first file has
     * entries), then that family's `target` file's entries (major, minor, op code, value) summed for one op code.
     */
    | { kind: 'blkioSum'; target: 'ioServiceBytesRecursive' | 'ioServicedRecursive'; op: number }
    /** v2 io.stat devices (2 + keys slots each) summed for one key. */
    | { kind: 'ioStatSum'; file: PlanKey; key: string }
    /** v2 cpu.weight as v1 cpu.shares, as cAdvisor converts it: 2 + (weight − 1) × 262142 / 9999, integer division. */
    | { kind: 'weightToShares'; file: PlanKey }
  ) & {
    /**
     * Files that must have been read for the column to be present: the stats reader leaves the field absent without
     * them (v1: no memory.stat, no memory block; v2: no memory.current or memory.max, no usage block).
     */
    requires?: readonly PlanKey[];
  };

const NS_PER_TICK = Number(ticksToNs(1n));
const v2Scale = (key: keyof typeof V2_CPU_STAT): number => Number(V2_CPU_STAT[key][1]);

type Sources = Partial<Record<FieldName, Source>>;

const v = (file: PlanKey, more: Omit<Extract<Source, { kind: 'value' }>, 'kind' | 'file'> = {}): Source => ({
  kind: 'value',
  file,
  ...more,
});

/** Extra files the columns need beyond the stats readers' (spec values that CgroupStats does not carry). */
const EXTRA_FILES = {
  1: {
    // Not held: a v1 cgroup.procs read again through the same open file within a second of the previous read returns
    // the kernel's cached pid list (cgroup_pidlist_start reuses it while it lives), so sweeps faster than once a second
    // counted a process moved in or out never; a fresh open loads the list anew.
    procs: { controller: 'memory', name: 'cgroup.procs', format: 'newlines', hold: false },
    softLimit: { controller: 'memory', name: 'memory.soft_limit_in_bytes', format: 'single' },
    shares: { controller: 'cpu', name: 'cpu.shares', format: 'single' },
    quota: { controller: 'cpu', name: 'cpu.cfs_quota_us', format: 'single' },
    period: { controller: 'cpu', name: 'cpu.cfs_period_us', format: 'single' },
  },
  2: {
    // No procs: on v2 the pids reader plans cgroup.procs (its pids.current fallback) whenever pids is read, and the
    // processes column reads that one (the same file in the one hierarchy: read twice per sweep before).
    low: { controller: 'memory', name: 'memory.low', format: 'single' },
    weight: { controller: 'cpu', name: 'cpu.weight', format: 'single' },
    // Spec: "<quota|max> <period>" (cAdvisor's GetSpec: quota only when not "max").
    cpuMax: { controller: 'cpu', name: 'cpu.max', format: 'cpuMax' },
  },
} as const satisfies Record<1 | 2, Record<string, FileSpec>>;

type ExtraName = keyof (typeof EXTRA_FILES)[1] | keyof (typeof EXTRA_FILES)[2];
/** The plan key of an extra file (compileStats plans them under `extra:<name>`). */
const extra = (name: ExtraName): PlanKey => `extra:${name}` as PlanKey;

/**
 * The memory.stat detail columns (layout 2) and their keys: v2's own keys, v1's hierarchical `total_*` keys where
 * v1 has them (dirty, writeback, shmem and, since 5.9, the refaults; v1 has no slab, sock, pgscan or pgsteal).
 */
const MEMORY_DETAIL: ReadonlyArray<[FieldName, string | undefined, string]> = [
  ['memory_dirty_bytes', 'total_dirty', 'file_dirty'],
  ['memory_writeback_bytes', 'total_writeback', 'file_writeback'],
  ['memory_shmem_bytes', 'total_shmem', 'shmem'],
  ['memory_slab_bytes', undefined, 'slab'],
  ['memory_slab_reclaimable_bytes', undefined, 'slab_reclaimable'],
  ['memory_slab_unreclaimable_bytes', undefined, 'slab_unreclaimable'],
  ['memory_sock_bytes', undefined, 'sock'],
  ['memory_pgscan', undefined, 'pgscan'],
  ['memory_pgsteal', undefined, 'pgsteal'],
  ['memory_workingset_refault_anon', 'total_workingset_refault_anon', 'workingset_refault_anon'],
  ['memory_workingset_refault_file', 'total_workingset_refault_file', 'workingset_refault_file'],
];
const detailKeys = (version: 1 | 2): string[] =>
  MEMORY_DETAIL.map((d) => d[version]).filter((k): k is string => k !== undefined);
const detailSources = (version: 1 | 2, stat: PlanKey): Sources =>
  Object.fromEntries(
    MEMORY_DETAIL.filter((d) => d[version] !== undefined).map((d) => [d[0], v(stat, { key: d[version] })]),
  );

/** Extra memory.stat keys the columns need beyond the stats readers' (appended: the readers' slots do not move). */
const EXTRA_KEYS: Record<1 | 2, Array<[PlanKey, string[]]>> = {
  1: [
    [v1.memory.key.stat, ['total_cache', 'total_pgfault', 'total_pgmajfault', 'total_active_file', ...detailKeys(1)]],
  ],
  2: [[v2.memory.key.stat, ['kernel', 'active_file', ...detailKeys(2)]]],
};

/** The controller (CONTROLLERS bit) each extra file belongs to: it is read only when that controller is. */
const EXTRA_CONTROLLER: Readonly<Record<ExtraName, number>> = {
  procs: CONTROLLERS.pids,
  softLimit: CONTROLLERS.memory,
  shares: CONTROLLERS.cpu,
  quota: CONTROLLERS.cpu,
  period: CONTROLLERS.cpu,
  low: CONTROLLERS.memory,
  weight: CONTROLLERS.cpu,
  cpuMax: CONTROLLERS.cpu,
};

/** The extra keys and files for the controllers in `mask` (a column whose controller is not read is absent). */
export function extrasFor(version: 1 | 2, mask: number): PlanExtras {
  const files = Object.fromEntries(
    Object.entries(EXTRA_FILES[version]).filter(([k]) => (EXTRA_CONTROLLER[k as ExtraName] & mask) !== 0),
  ) as Record<string, FileSpec>;
  return { keys: Object.fromEntries(EXTRA_KEYS[version]), files };
}

/** PSI totals (the psi readers' files): the same on v1 hybrid hosts and v2. */
const PSI: Sources = {
  psi_cpu_some_us: v(v2.cpuPressure.key.p, { slot: PSI_SLOT.someTotal }),
  psi_cpu_full_us: v(v2.cpuPressure.key.p, { slot: PSI_SLOT.fullTotal }),
  psi_memory_some_us: v(v2.memoryPressure.key.p, { slot: PSI_SLOT.someTotal }),
  psi_memory_full_us: v(v2.memoryPressure.key.p, { slot: PSI_SLOT.fullTotal }),
  psi_io_some_us: v(v2.ioPressure.key.p, { slot: PSI_SLOT.someTotal }),
  psi_io_full_us: v(v2.ioPressure.key.p, { slot: PSI_SLOT.fullTotal }),
};

const M1 = v1.memory.key;
const M2 = v2.memory.key;
/** What the stats memory readers need before they fill the usage block (and, v2, swap). */
const R1 = [M1.stat];
const R2 = [M2.stat, M2.current, M2.max];
const R2_SWAP = [...R2, M2.swapMax];

/**
 * Every column's source per version. Exported for the tests that check each column against stats(row). The lifetime
 * columns (start_time_ms, last_seen_ms) have none: the collector fills them (a stat when a cgroup is added, the
 * row's sample time).
 */
export const SOURCES: Readonly<Record<1 | 2, Sources>> = {
  1: {
    cpu_usage_ns: v(v1.cpuacct.key.usage),
    cpu_user_ns: v(v1.cpuacct.key.stat, { slot: CPUACCT_STAT_SLOT.user, scale: NS_PER_TICK }),
    cpu_system_ns: v(v1.cpuacct.key.stat, { slot: CPUACCT_STAT_SLOT.system, scale: NS_PER_TICK }),
    cpu_periods: v(v1.cpu.key.stat, { key: 'nr_periods' }),
    cpu_throttled_periods: v(v1.cpu.key.stat, { key: 'nr_throttled' }),
    cpu_throttled_ns: v(v1.cpu.key.stat, { key: 'throttled_time' }),
    memory_usage_bytes: v(M1.usage, { requires: R1 }),
    memory_working_set_bytes: {
      kind: 'workingSet',
      usage: M1.usage,
      stat: M1.stat,
      inactiveKey: 'total_inactive_file',
      requires: R1,
    },
    memory_rss_bytes: v(M1.stat, { key: 'total_rss' }),
    memory_cache_bytes: v(M1.stat, { key: 'total_cache' }),
    memory_swap_bytes: { kind: 'swapV1', memsw: M1.memswUsage, usage: M1.usage, requires: [M1.stat, M1.memswLimit] },
    memory_mapped_file_bytes: v(M1.stat, { key: 'total_mapped_file' }),
    memory_kernel_bytes: v(M1.kmemUsage, { requires: R1 }),
    memory_max_usage_bytes: v(M1.maxUsage, { requires: R1 }),
    memory_failcnt: v(M1.failcnt, { requires: R1 }),
    memory_pgfault: v(M1.stat, { key: 'total_pgfault' }),
    memory_pgmajfault: v(M1.stat, { key: 'total_pgmajfault' }),
    memory_active_file_bytes: v(M1.stat, { key: 'total_active_file' }),
    memory_inactive_file_bytes: v(M1.stat, { key: 'total_inactive_file' }),
    pids_current: v(v1.pids.key.current),
    pids_limit: v(v1.pids.key.max),
    processes: v(extra('procs')),
    io_read_bytes: { kind: 'blkioSum', target: 'ioServiceBytesRecursive', op: BLKIO_OP.Read },
    io_write_bytes: { kind: 'blkioSum', target: 'ioServiceBytesRecursive', op: BLKIO_OP.Write },
    io_read_ops: { kind: 'blkioSum', target: 'ioServicedRecursive', op: BLKIO_OP.Read },
    io_write_ops: { kind: 'blkioSum', target: 'ioServicedRecursive', op: BLKIO_OP.Write },
    ...PSI,
    oom_kill: v(v1.events.key.oom, { key: 'oom_kill' }),
    memory_limit_bytes: v(M1.limit, { requires: R1 }),
    memory_swap_limit_bytes: v(M1.memswLimit, { requires: [M1.stat, M1.memswUsage] }),
    memory_reservation_bytes: v(extra('softLimit')),
    cpu_shares: v(extra('shares')),
    // cpu.cfs_quota_us "-1" parses as 0 (the library's ParseUint of a negative number); no quota is unlimited.
    cpu_quota_us: v(extra('quota'), { zeroIsUnlimited: true }),
    cpu_period_us: v(extra('period')),
    ...detailSources(1, M1.stat),
  },
  2: {
    cpu_usage_ns: v(v2.cpu.key.stat, { key: 'usage_usec', scale: v2Scale('usage_usec') }),
    cpu_user_ns: v(v2.cpu.key.stat, { key: 'user_usec', scale: v2Scale('user_usec') }),
    cpu_system_ns: v(v2.cpu.key.stat, { key: 'system_usec', scale: v2Scale('system_usec') }),
    cpu_periods: v(v2.cpu.key.stat, { key: 'nr_periods', scale: v2Scale('nr_periods') }),
    cpu_throttled_periods: v(v2.cpu.key.stat, { key: 'nr_throttled', scale: v2Scale('nr_throttled') }),
    cpu_throttled_ns: v(v2.cpu.key.stat, { key: 'throttled_usec', scale: v2Scale('throttled_usec') }),
    memory_usage_bytes: v(M2.current, { requires: R2 }),
    memory_working_set_bytes: {
      kind: 'workingSet',
      usage: M2.current,
      stat: M2.stat,
      inactiveKey: 'inactive_file',
      requires: R2,
    },
    memory_rss_bytes: v(M2.stat, { key: 'anon' }),
    memory_cache_bytes: v(M2.stat, { key: 'file' }),
    memory_swap_bytes: v(M2.swapCurrent, { requires: R2_SWAP }),
    memory_mapped_file_bytes: v(M2.stat, { key: 'file_mapped' }),
    memory_kernel_bytes: v(M2.stat, { key: 'kernel' }),
    memory_max_usage_bytes: v(M2.peak, { requires: R2 }),
    memory_pgfault: v(M2.stat, { key: 'pgfault' }),
    memory_pgmajfault: v(M2.stat, { key: 'pgmajfault' }),
    memory_active_file_bytes: v(M2.stat, { key: 'active_file' }),
    memory_inactive_file_bytes: v(M2.stat, { key: 'inactive_file' }),
    pids_current: v(v2.pids.key.current, { fallback: v2.pids.key.procs }),
    pids_limit: v(v2.pids.key.max),
    processes: v(v2.pids.key.procs),
    io_read_bytes: { kind: 'ioStatSum', file: v2.io.key.stat, key: 'rbytes' },
    io_write_bytes: { kind: 'ioStatSum', file: v2.io.key.stat, key: 'wbytes' },
    io_read_ops: { kind: 'ioStatSum', file: v2.io.key.stat, key: 'rios' },
    io_write_ops: { kind: 'ioStatSum', file: v2.io.key.stat, key: 'wios' },
    ...PSI,
    memory_events_high: v(v2.events.key.events, { key: 'high' }),
    memory_events_max: v(v2.events.key.events, { key: 'max' }),
    oom_kill: v(v2.events.key.events, { key: 'oom_kill' }),
    memory_limit_bytes: v(M2.max, { requires: R2 }),
    memory_swap_limit_bytes: v(M2.swapMax),
    memory_reservation_bytes: v(extra('low')),
    cpu_shares: { kind: 'weightToShares', file: extra('weight') },
    // cpu.max: "max" is Infinity (no quota), as v1's -1.
    cpu_quota_us: v(extra('cpuMax'), { slot: 0 }),
    cpu_period_us: v(extra('cpuMax'), { slot: 1 }),
    ...detailSources(2, M2.stat),
  },
};

/** The blkio families as plan keys: each family's first file, and its file per target (lib/stats/v1/blkio). */
const BLKIO_FAMILIES = FAMILIES.map((fam) => ({
  first: `${v1.blkio.name}:${fam[0]!.name}` as PlanKey,
  bytes: `${v1.blkio.name}:${fam.find((f) => f.target === 'ioServiceBytesRecursive')!.name}` as PlanKey,
  serviced: `${v1.blkio.name}:${fam.find((f) => f.target === 'ioServicedRecursive')!.name}` as PlanKey,
}));

/**
 * The column program resolved for one pattern of read files: a function that writes its columns of one or two cells
 * and its absent columns, and its device-sum columns (column index, op, slot offsets in the row, argument).
 */
interface Pattern {
  /** Writes the columns of one or two cells and the absent ones of a row (straightLine()). */
  fill: ColumnFill;
  /** The device sums (OP_IOSTAT, OP_BLKIO), run in a loop. */
  col: Int32Array;
  op: Uint8Array;
  slotA: Int32Array;
  /** OP_WS: the inactive slot, or -1 when its file was not read; OP_SWAPV1: usage's slot; OP_IOSTAT: slots per device. */
  slotB: Int32Array;
  arg: Float64Array;
}

/** Fills the one- and two-cell columns and the absent ones of output row `o` (offset) from result row `base` (slot
 * offset). */
type ColumnFill = (
  values: Float64Array,
  present: Uint8Array,
  flags: Uint8Array,
  words: Uint32Array,
  floats: Float64Array,
  o: number,
  base: number,
) => void;

/** A live column of one or two cells: column, op, slot, second slot (OP_WS: -1 when not read), scale, zero is
 * unlimited. */
type LineColumn = readonly [number, number, number, number, number, boolean];

/**
 * The columns of a pattern that read one or two cells (values, working set, v1 swap, weight as shares) and its absent
 * columns as one straight-line function: slots and scales as constants, no loop, no look-ups of the program's arrays.
 * A value's cell is read as cell() reads it (written out: the hottest line of a sweep); the formulas are the
 * functions of this file and lib/stats/convert, called. Built from the integers and doubles of the compiled program.
 */
function straightLine(columns: readonly LineColumn[], absent: readonly number[]): ColumnFill {
  const num = (x: number): string => {
    if (!Number.isFinite(x)) throw new Error(`column program: not a finite number: ${x}`);
    return String(x);
  };
  const at = (slot: number): string => `base + ${num(slot)}`;
  const lines: string[] = ['let s, f, x, y;'];
  for (const i of absent) lines.push(`values[o + ${num(i)}] = NaN; present[o + ${num(i)}] = 0;`);
  for (const [i, op, slot, slotB, scale, zeroIsUnlimited] of columns) {
    switch (op) {
      case OP_VALUE:
        lines.push(
          `s = ${at(slot)}; f = flags[s];`,
          `x = f === ${SLOT.value} ? words[2 * s + 1] * ${TWO32} + words[2 * s] : f === ${SLOT.max} ? Infinity : f === ${SLOT.float} ? floats[s] : NaN;`,
        );
        if (scale !== 1) lines.push(`x *= ${num(scale)};`);
        if (zeroIsUnlimited) lines.push('if (x === 0) x = Infinity;');
        break;
      case OP_WS:
        lines.push(
          slotB < 0 ? 'y = undefined;' : `y = cell(flags, words, floats, ${at(slotB)}); if (y !== y) y = undefined;`,
          `x = workingSetOf(cell(flags, words, floats, ${at(slot)}), y);`,
        );
        break;
      case OP_SWAPV1:
        lines.push(`x = swapOfV1(cell(flags, words, floats, ${at(slot)}), cell(flags, words, floats, ${at(slotB)}));`);
        break;
      case OP_WEIGHT:
        lines.push(`x = sharesOfWeight(cell(flags, words, floats, ${at(slot)}));`);
        break;
      default:
        throw new Error(`column program: op ${op} is not a one- or two-cell column`);
    }
    lines.push(`values[o + ${num(i)}] = x; present[o + ${num(i)}] = x === x ? 1 : 0;`);
  }
  const body = `return function fillColumns(values, present, flags, words, floats, o, base) {\n${lines.join('\n')}\n};`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const make = new Function('cell', 'workingSetOf', 'swapOfV1', 'sharesOfWeight', body) as (
    ...fns: [typeof cell, typeof workingSetOf, typeof swapOfV1, typeof sharesOfWeight]
  ) => ColumnFill;
  return make(cell, workingSetOf, swapOfV1, sharesOfWeight);
}

/** v1 swap (cAdvisor's container_memory_swap): memsw usage − usage, clamped at 0. */
function swapOfV1(memsw: number, usage: number): number {
  const d = memsw - usage;
  return d > 0 ? d : 0;
}

/** v2 cpu.weight as v1 cpu.shares, as cAdvisor converts it; a weight outside 1..10000 has none (NaN: absent). */
function sharesOfWeight(w: number): number {
  return w >= 1 && w <= 10000 ? 2 + Math.floor(((w - 1) * 262142) / 9999) : NaN;
}

/** Whether this process may build functions from strings (false after an EvalError: the checked path only). */
let codeGeneration = true;

/** Plan files at most in a pattern key (bits of a double's integer range), and patterns kept per program. */
const MAX_PATTERN_FILES = 52;
const MAX_PATTERNS = 64;

// Op codes of the compiled program.
const OP_ABSENT = 0;
const OP_VALUE = 1;
const OP_WS = 2;
const OP_SWAPV1 = 3;
const OP_BLKIO = 4;
const OP_IOSTAT = 5;
const OP_WEIGHT = 6;

/**
 * One plan's column program: per column an op and its operands (file index, slot offset in the row, ...), in flat
 * typed arrays.
 */
export class ColumnProgram {
  private readonly op = new Uint8Array(FIELD_COUNT);
  private readonly fileA = new Int32Array(FIELD_COUNT).fill(-1);
  private readonly slotA = new Int32Array(FIELD_COUNT);
  private readonly fileB = new Int32Array(FIELD_COUNT).fill(-1);
  private readonly slotB = new Int32Array(FIELD_COUNT);
  private readonly arg = new Float64Array(FIELD_COUNT);
  private readonly zeroUnlimited = new Uint8Array(FIELD_COUNT);
  /** Per column: the files (indices) that must have been read for it to be present; the fallback file and slot. */
  private readonly requires: Array<Int32Array | undefined> = new Array<Int32Array | undefined>(FIELD_COUNT).fill(
    undefined,
  );
  private readonly fallbackFile = new Int32Array(FIELD_COUNT).fill(-1);
  private readonly fallbackSlot = new Int32Array(FIELD_COUNT);
  /** blkio columns: per family in the library's order (first file, its slot, target file, its slot). */
  private readonly families: Array<Int32Array | undefined> = new Array<Int32Array | undefined>(FIELD_COUNT).fill(
    undefined,
  );
  private readonly fileCount: number;
  private readonly slots: number;
  /** Slots of each plan file. */
  private readonly fileSlots: Int32Array;
  /** Programs resolved per pattern, and the last one used (rows of a sweep mostly share one). */
  private readonly patterns = new Map<number, Pattern>();
  private lastKey = -1;
  private lastPattern: Pattern | undefined;

  constructor(c: CompiledStats, version: 1 | 2) {
    this.fileCount = c.plan?.files.length ?? 0;
    this.slots = c.plan?.slots ?? 0;
    const sources = SOURCES[version];
    const locate = (key: PlanKey, k?: string, slot = 0): [number, number] | undefined => {
      const e = c.entries.get(key);
      if (e === undefined || c.plan === undefined) return undefined; // its controller is not read, or not mounted
      let s = slot;
      if (k !== undefined) {
        s = (e.spec.keys ?? []).indexOf(k);
        // A key the plan does not hold is a renamed key, not an absent value: say so where it is compiled.
        if (s < 0) throw new Error(`column source ${key} has no key ${k} (keys: ${(e.spec.keys ?? []).join(', ')})`);
      }
      const files = c.plan.files;
      const count = (e.file + 1 < files.length ? files[e.file + 1]!.offset : c.plan.slots) - files[e.file]!.offset;
      if (s >= count) throw new Error(`column source ${key} has no slot ${s}`);
      return [e.file, c.plan.files[e.file]!.offset + s];
    };
    for (const [name, src] of Object.entries(sources) as Array<[FieldName, Source]>) {
      const i = FIELD[name];
      let a: [number, number] | undefined;
      let b: [number, number] | undefined;
      switch (src.kind) {
        case 'value':
          a = locate(src.file, src.key, src.slot);
          if (a) {
            this.op[i] = OP_VALUE;
            this.arg[i] = src.scale ?? 1;
            this.zeroUnlimited[i] = src.zeroIsUnlimited ? 1 : 0;
          }
          break;
        case 'workingSet':
          a = locate(src.usage);
          b = locate(src.stat, src.inactiveKey);
          if (a) this.op[i] = OP_WS;
          break;
        case 'swapV1':
          a = locate(src.memsw);
          b = locate(src.usage);
          if (a && b) this.op[i] = OP_SWAPV1;
          break;
        case 'blkioSum': {
          const cand: number[] = [];
          for (const fam of BLKIO_FAMILIES) {
            const first = locate(fam.first);
            const target = locate(src.target === 'ioServiceBytesRecursive' ? fam.bytes : fam.serviced);
            if (first && target) cand.push(first[0], first[1], target[0], target[1]);
          }
          if (cand.length > 0) {
            this.op[i] = OP_BLKIO;
            this.arg[i] = src.op;
            this.families[i] = Int32Array.from(cand);
            a = [cand[0]!, cand[1]!];
          }
          break;
        }
        case 'weightToShares':
          a = locate(src.file);
          if (a) this.op[i] = OP_WEIGHT;
          break;
        case 'ioStatSum': {
          const e = c.entries.get(src.file);
          a = locate(src.file);
          const k = (e?.spec.keys ?? []).indexOf(src.key);
          if (a && k >= 0) {
            this.op[i] = OP_IOSTAT;
            this.arg[i] = k;
            this.slotB[i] = 2 + (e!.spec.keys ?? []).length; // slots per device
          }
          break;
        }
      }
      if (src.kind === 'value' && src.fallback !== undefined) {
        const fb = locate(src.fallback);
        if (fb) {
          [this.fallbackFile[i], this.fallbackSlot[i]] = fb;
          if (this.op[i] === OP_ABSENT) {
            this.op[i] = OP_VALUE;
            this.arg[i] = 1;
            a = fb;
          }
        }
      }
      if (this.op[i] === OP_ABSENT) continue;
      if (src.requires !== undefined) {
        const files: number[] = [];
        for (const k of src.requires) {
          const e = c.entries.get(k);
          if (e === undefined)
            this.op[i] = OP_ABSENT; // a required file that is not planned: never present
          else files.push(e.file);
        }
        if (this.op[i] === OP_ABSENT) continue;
        this.requires[i] = Int32Array.from(files);
      }
      if (a) [this.fileA[i], this.slotA[i]] = a;
      if (b) [this.fileB[i], this.slotB[i]] = b;
    }
    const pf = c.plan?.files ?? [];
    this.fileSlots = Int32Array.from(pf, (f, i) => (i + 1 < pf.length ? pf[i + 1]!.offset : this.slots) - f.offset);
  }

  /** The plan files (indices) any column reads: its source, second operand, fallback, required files, blkio families.
   * The collector's read tiers (lib/collector/tiers.ts) read these every sweep unless they are spec files. */
  files(): Set<number> {
    const used = new Set<number>();
    const add = (f: number): void => {
      if (f >= 0) used.add(f);
    };
    for (let i = 0; i < FIELD_COUNT; i++) {
      if (this.op[i] === OP_ABSENT) continue;
      add(this.fileA[i]!);
      add(this.fileB[i]!);
      add(this.fallbackFile[i]!);
      for (const f of this.requires[i] ?? []) add(f);
      const fam = this.families[i];
      if (fam !== undefined)
        for (let c = 0; c < fam.length; c += 4) {
          add(fam[c]!);
          add(fam[c + 2]!);
        }
    }
    return used;
  }

  /**
   * Fills row `out` of values/present (number mode) from row `row` of a bigint BatchResult. Allocates nothing once the
   * row's pattern of read files has been seen: the program resolved for that pattern (which columns are present,
   * which file a fallback reads) runs only the live columns, with no per-column status checks. Returns true when no
   * file of the row failed (every status is ok or an absence), false when one may have (the caller looks closer).
   */
  extractNumber(
    r: BatchResult,
    words: Uint32Array,
    row: number,
    values: Float64Array,
    present: Uint8Array,
    out: number,
  ): boolean {
    const p = this.patternOf(r.fileStatus, row * this.fileCount);
    if (p === undefined) {
      this.extractChecked(r, words, row, values, present, out);
      return false;
    }
    const o = out * FIELD_COUNT;
    const base = row * this.slots;
    const flags = r.flags;
    const floats = r.floats;
    const { col, op, slotA, slotB, arg } = p;
    p.fill(values, present, flags, words, floats, o, base);
    // The device sums (io.stat, the blkio family search): loops over the row's entries.
    for (let k = 0; k < col.length; k++) {
      const i = col[k]!;
      const sa = base + slotA[k]!;
      let x: number;
      switch (op[k]) {
        case OP_IOSTAT: {
          const per = slotB[k]!;
          const n = Math.min(cell(flags, words, floats, sa), (this.fileSlots[this.fileA[i]!]! - 1) / per);
          const key = arg[k]!;
          x = 0;
          for (let d = 0; d < n; d++) {
            const s = sa + 1 + d * per + 2 + key;
            if (flags[s] !== SLOT.absent) x += cell(flags, words, floats, s);
          }
          break;
        }
        default: // OP_BLKIO: the family search reads the statuses itself
          x = this.blkioSum(r, words, i, base, row * this.fileCount);
      }
      values[o + i] = x;
      present[o + i] = x === x ? 1 : 0;
    }
    return true;
  }

  /**
   * The program resolved for the pattern of a row's files (which of them read ok), or undefined when a file may have
   * failed (malformed, not regular, overflowed its capacity, a syscall error other than ENOENT: the checked path
   * decides per column and the caller looks for the failure) or the plan has too many files for a pattern key.
   */
  private patternOf(fs: Int32Array, fbase: number): Pattern | undefined {
    const files = this.fileCount;
    if (files > MAX_PATTERN_FILES || !codeGeneration) return undefined;
    let key = 0;
    let bit = 1;
    for (let f = 0; f < files; f++, bit *= 2) {
      const s = fs[fbase + f]!;
      if (s === FILE_STATUS.ok) key += bit;
      else if (
        s === FILE_STATUS.malformed ||
        s === FILE_STATUS.notRegular ||
        s === FILE_STATUS.overflow ||
        (s < 0 && -s % 4096 !== ENOENT)
      )
        return undefined;
    }
    if (key === this.lastKey) return this.lastPattern;
    let p = this.patterns.get(key);
    if (p === undefined) {
      if (this.patterns.size >= MAX_PATTERNS) this.patterns.clear();
      try {
        p = this.resolve(key);
      } catch (err) {
        // Code generation from strings disallowed (node --disallow-code-generation-from-strings): every row takes
        // the checked path, as before there were patterns.
        if (!(err instanceof EvalError)) throw err;
        codeGeneration = false;
        return undefined;
      }
      this.patterns.set(key, p);
    }
    this.lastKey = key;
    this.lastPattern = p;
    return p;
  }

  /**
   * Resolves the program for one pattern of read files (bit f of `key`: plan file f read ok; none failed), deciding
   * per column what extractChecked() decides per row: required files, fallback, operand files.
   */
  private resolve(key: number): Pattern {
    const ok = (f: number): boolean => f >= 0 && Math.floor(key / 2 ** f) % 2 === 1;
    const live: Array<[col: number, op: number, slotA: number, slotB: number, arg: number]> = [];
    const absent: number[] = [];
    for (let i = 0; i < FIELD_COUNT; i++) {
      const o = this.op[i]!;
      const req = this.requires[i];
      let fa = this.fileA[i]!;
      let sa = this.slotA[i]!;
      if (o === OP_ABSENT || (req !== undefined && !Array.from(req).every(ok))) {
        absent.push(i);
        continue;
      }
      if (this.fallbackFile[i]! >= 0 && !ok(fa)) {
        fa = this.fallbackFile[i]!;
        sa = this.fallbackSlot[i]!;
      }
      let sb = this.slotB[i]!;
      if (o !== OP_BLKIO) {
        if (!ok(fa)) {
          absent.push(i);
          continue;
        }
        if (o === OP_WS && !ok(this.fileB[i]!)) sb = -1;
        if (o === OP_SWAPV1 && !ok(this.fileB[i]!)) {
          absent.push(i);
          continue;
        }
      }
      live.push([i, o, sa, sb, this.arg[i]!]);
    }
    // The columns of one or two cells go into the straight-line function; the device sums stay in a loop.
    const isSum = (c: (typeof live)[number]): boolean => c[1] === OP_IOSTAT || c[1] === OP_BLKIO;
    const ordered = live.filter(isSum);
    return {
      fill: straightLine(
        live.filter((c) => !isSum(c)).map(([i, o, sa, sb, a]) => [i, o, sa, sb, a, this.zeroUnlimited[i] === 1]),
        absent,
      ),
      col: Int32Array.from(ordered, (c) => c[0]),
      op: Uint8Array.from(ordered, (c) => c[1]),
      slotA: Int32Array.from(ordered, (c) => c[2]),
      slotB: Int32Array.from(ordered, (c) => c[3]),
      arg: Float64Array.from(ordered, (c) => c[4]),
    };
  }

  /**
   * extractNumber() for any row: every column's status checks made per row. For the rows patternOf() has no program
   * for: a file that may have failed (or overflowed its capacity), a plan of more than MAX_PATTERN_FILES files, a
   * process that disallows code generation from strings. test/collector/column-patterns.test.js checks that both
   * paths give the same row.
   */
  private extractChecked(
    r: BatchResult,
    words: Uint32Array,
    row: number,
    values: Float64Array,
    present: Uint8Array,
    out: number,
  ): void {
    const base = row * this.slots;
    const fbase = row * this.fileCount;
    const o = out * FIELD_COUNT;
    const fs = r.fileStatus;
    const flags = r.flags;
    const floats = r.floats;
    for (let i = 0; i < FIELD_COUNT; i++) {
      let x = NaN;
      const op = this.op[i]!;
      let fa = this.fileA[i]!;
      let slotA = this.slotA[i]!;
      const req = this.requires[i];
      if (req !== undefined && !allRead(fs, fbase, req)) {
        values[o + i] = NaN;
        present[o + i] = 0;
        continue;
      }
      const fb0 = this.fallbackFile[i]!;
      if (fb0 >= 0 && fs[fbase + fa] !== FILE_STATUS.ok) {
        fa = fb0;
        slotA = this.fallbackSlot[i]!;
      }
      if (op === OP_BLKIO) {
        x = this.blkioSum(r, words, i, base, fbase);
      } else if (op !== OP_ABSENT && (fs[fbase + fa] === FILE_STATUS.ok || fs[fbase + fa] === FILE_STATUS.overflow)) {
        const sa = base + slotA;
        switch (op) {
          case OP_VALUE:
            x = cell(flags, words, floats, sa) * this.arg[i]!;
            if (x === 0 && this.zeroUnlimited[i] === 1) x = Infinity;
            break;
          case OP_WS: {
            const usage = cell(flags, words, floats, sa);
            const fb = this.fileB[i]!;
            const inactive =
              fb >= 0 && fs[fbase + fb] === FILE_STATUS.ok ? cell(flags, words, floats, base + this.slotB[i]!) : NaN;
            x = workingSetOf(usage, Number.isNaN(inactive) ? undefined : inactive);
            break;
          }
          case OP_SWAPV1: {
            const fb = this.fileB[i]!;
            if (fs[fbase + fb] === FILE_STATUS.ok)
              x = swapOfV1(cell(flags, words, floats, sa), cell(flags, words, floats, base + this.slotB[i]!));
            break;
          }
          case OP_WEIGHT:
            x = sharesOfWeight(cell(flags, words, floats, sa));
            break;
          case OP_IOSTAT: {
            if (fs[fbase + fa] === FILE_STATUS.overflow) break; // as blkioSum: no partial sums
            const per = this.slotB[i]!;
            const n = Math.min(cell(flags, words, floats, sa), (this.slotsOf(r, fa) - 1) / per);
            const k = this.arg[i]!;
            x = 0;
            for (let d = 0; d < n; d++) {
              const s = sa + 1 + d * per + 2 + k;
              if (flags[s] !== SLOT.absent) x += cell(flags, words, floats, s);
            }
            break;
          }
        }
      }
      values[o + i] = x;
      present[o + i] = Number.isNaN(x) ? 0 : 1;
    }
  }

  /** Fills row `out` of a bigint sweep: exact u64 arithmetic (allocates bigints). */
  extractBigint(
    r: BatchResult,
    words: Uint32Array,
    row: number,
    values: BigUint64Array,
    present: Uint8Array,
    out: number,
    scratch: Float64Array,
    scratchPresent: Uint8Array,
  ): boolean {
    // Compute in number mode for presence and the derived columns' shape, then replace direct values by exact ones.
    const clean = this.extractNumber(r, words, row, scratch, scratchPresent, 0);
    const base = row * this.slots;
    const o = out * FIELD_COUNT;
    const big = r.values as BigUint64Array;
    for (let i = 0; i < FIELD_COUNT; i++) {
      present[o + i] = scratchPresent[i]!;
      const x = scratch[i]!;
      if (scratchPresent[i] === 0) {
        values[o + i] = 0n;
      } else if (x === Infinity) {
        values[o + i] = MAXU64;
      } else if (
        this.op[i] === OP_VALUE &&
        Number.isInteger(this.arg[i]!) &&
        r.flags[base + this.slotA[i]!] === SLOT.value
      ) {
        values[o + i] = big[base + this.slotA[i]!]! * BigInt(this.arg[i]!);
      } else if (this.op[i] === OP_WS) {
        const usage = big[base + this.slotA[i]!]!;
        const hasInactive =
          this.fileB[i]! >= 0 &&
          r.flags[base + this.slotB[i]!] === SLOT.value &&
          r.fileStatus[row * this.fileCount + this.fileB[i]!] === FILE_STATUS.ok;
        values[o + i] = workingSetOf(usage, hasInactive ? big[base + this.slotB[i]!]! : undefined);
      } else {
        values[o + i] = BigInt(Math.round(x));
      }
    }
    return clean;
  }

  /**
   * The v1 blkio family search of lib/stats/v1/blkio on one row: the first family whose first file has entries gives
   * the sum of its target file's entries with this column's op; 0 when files are there but none has entries; NaN when
   * none is there. (The intermediate files of the bfq-debug and cfq families, read by stats() only on kernels before
   * 5.0, are not consulted.)
   */
  private blkioSum(r: BatchResult, words: Uint32Array, i: number, base: number, fbase: number): number {
    const cand = this.families[i]!;
    const fs = r.fileStatus;
    const want = this.arg[i]!;
    let x = NaN;
    for (let c = 0; c < cand.length; c += 4) {
      const s0 = fs[fbase + cand[c]!];
      if (s0 !== FILE_STATUS.ok && s0 !== FILE_STATUS.overflow) continue;
      if (Number.isNaN(x)) x = 0;
      if (cell(r.flags, words, r.floats, base + cand[c + 1]!) === 0) continue; // no data lines: the next family
      const tf = cand[c + 2]!;
      const st = fs[fbase + tf];
      // More entries than the plan holds: a sum of some of them would be a wrong number, so the column is absent
      // (the row reports ERR_CGROUP_CAPACITY).
      if (st === FILE_STATUS.overflow) return NaN;
      if (st !== FILE_STATUS.ok) return 0;
      const sa = base + cand[c + 3]!;
      const n = Math.min(cell(r.flags, words, r.floats, sa), (this.slotsOf(r, tf) - 1) / BLKIO_ENTRY_SLOTS);
      for (let j = 0; j < n; j++) {
        const e = sa + 1 + j * BLKIO_ENTRY_SLOTS;
        if (words[2 * (e + 2)] === want && words[2 * (e + 2) + 1] === 0) x += cell(r.flags, words, r.floats, e + 3);
      }
      return x;
    }
    return x;
  }

  private slotsOf(r: BatchResult, file: number): number {
    const files = r.plan.files;
    const next = file + 1 < files.length ? files[file + 1]!.offset : r.plan.slots;
    return next - files[file]!.offset;
  }
}

/** Whether every file of `files` was read in the row. */
function allRead(fs: Int32Array, fbase: number, files: Int32Array): boolean {
  for (let k = 0; k < files.length; k++) if (fs[fbase + files[k]!] !== FILE_STATUS.ok) return false;
  return true;
}

const ENOENT = 2;
const MAXU64 = (1n << 64n) - 1n;
const TWO32 = 4294967296;

/** A cell of a bigint result as a number: NaN when absent, Infinity for "max", the double for PSI averages (also io-devices.ts). */
export function cell(flags: Uint8Array, words: Uint32Array, floats: Float64Array, i: number): number {
  const f = flags[i];
  if (f === SLOT.value) return words[2 * i + 1]! * TWO32 + words[2 * i]!;
  if (f === SLOT.max) return Infinity;
  if (f === SLOT.float) return floats[i]!;
  return NaN;
}
