/**
 * Where each column of the layout comes from, per cgroup version, and the compiled column program that turns one row of
 * an engine BatchResult (read with the stats readers' plan plus the collector's extra keys and files) into the row's
 * columns. The program is compiled once per plan (file indices and slot offsets resolved); extracting a row allocates
 * nothing in number mode (u64 cells are read through a Uint32Array view of the bigint result).
 *
 * Sources name the stats readers' files by their plan keys (`<reader>:<file>`, lib/stats/v1, lib/stats/v2) so there is
 * one list of file names and formats; the formulas that CgroupStats also has (working set) come from lib/stats/convert.
 */
import { FILE_STATUS, SLOT, type BatchResult, type FileSpec } from '../engine';
import type { CompiledStats, PlanExtras } from '../stats/reader';
import { workingSetOf } from '../stats/convert';
import { BLKIO_CAP } from '../stats/v1/blkio';
import { CONTROLLERS } from '../stats/types';
import { USER_HZ } from '../stats/v1/cpuacct';
import { FIELD, FIELD_COUNT, type FieldName } from './layout';

/** How a column is computed from its source slots. */
type Source =
  /** slot `slot` (a number) or key `key` of a file, times `scale`; `zeroMeans: 'unlimited'` maps 0 to Infinity. */
  | { kind: 'value'; file: string; key?: string; slot?: number; scale?: number; zeroIsUnlimited?: boolean }
  /** usage − inactive file (lib/stats/convert workingSetOf). */
  | { kind: 'workingSet'; usage: string; stat: string; inactiveKey: string }
  /** v1 swap only: memsw usage − usage, clamped at 0 (cAdvisor's container_memory_swap). */
  | { kind: 'swapV1'; memsw: string; usage: string }
  /** v1 blkio entries (4 slots: major, minor, op code, value) summed for one op code over every device. */
  | { kind: 'blkioSum'; file: string; op: number }
  /** v2 io.stat devices (2 + keys slots each) summed for one key. */
  | { kind: 'ioStatSum'; file: string; key: string }
  /** v2 cpu.weight as v1 cpu.shares, as cAdvisor converts it: 2 + (weight − 1) × 262142 / 9999, integer division. */
  | { kind: 'weightToShares'; file: string };

const NS_PER_TICK = 1e9 / Number(USER_HZ);
/** native/parse blkio op codes (lib/stats/v1/blkio OPS). */
const OP_READ = 1;
const OP_WRITE = 2;

type Sources = Partial<Record<FieldName, Source>>;

const v = (file: string, more: Partial<Extract<Source, { kind: 'value' }>> = {}): Source => ({ kind: 'value', file, ...more });

/** Extra memory.stat / cpu.stat keys and extra (spec) files the columns need beyond the stats readers'. */
const EXTRAS: Record<1 | 2, PlanExtras> = {
  1: {
    keys: { 'memory:stat': ['total_cache', 'total_pgfault', 'total_pgmajfault', 'total_active_file'] },
    files: {
      procs: { controller: 'memory', name: 'cgroup.procs', format: 'newlines' },
      // The io columns read blkio.throttle.*_recursive (cAdvisor's source on modern kernels) directly, so sweeps need
      // not plan the stats reader's ten-file family search (the `io` controller, for stats(row).diskIO).
      ioBytes: { controller: 'blkio', name: 'blkio.throttle.io_service_bytes_recursive', format: 'blkio', cap: BLKIO_CAP },
      ioOps: { controller: 'blkio', name: 'blkio.throttle.io_serviced_recursive', format: 'blkio', cap: BLKIO_CAP },
      softLimit: { controller: 'memory', name: 'memory.soft_limit_in_bytes', format: 'single' },
      shares: { controller: 'cpu', name: 'cpu.shares', format: 'single' },
      quota: { controller: 'cpu', name: 'cpu.cfs_quota_us', format: 'single' },
      period: { controller: 'cpu', name: 'cpu.cfs_period_us', format: 'single' },
    } satisfies Record<string, FileSpec>,
  },
  2: {
    keys: { 'memory:stat': ['kernel', 'active_file'] },
    files: {
      procs: { controller: 'memory', name: 'cgroup.procs', format: 'newlines' },
      low: { controller: 'memory', name: 'memory.low', format: 'single' },
      weight: { controller: 'cpu', name: 'cpu.weight', format: 'single' },
    } satisfies Record<string, FileSpec>,
  },
};

/** The controller (CONTROLLERS bit) each extra file belongs to: it is read only when that controller is. */
const EXTRA_CONTROLLER: Readonly<Record<string, number>> = {
  procs: CONTROLLERS.pids, ioBytes: CONTROLLERS.io, ioOps: CONTROLLERS.io, softLimit: CONTROLLERS.memory,
  shares: CONTROLLERS.cpu, quota: CONTROLLERS.cpu, period: CONTROLLERS.cpu, low: CONTROLLERS.memory, weight: CONTROLLERS.cpu,
};

/** The extra keys and files for the controllers in `mask` (a column whose controller is not read is absent). */
export function extrasFor(version: 1 | 2, mask: number): PlanExtras {
  const e = EXTRAS[version];
  const files = Object.fromEntries(Object.entries(e.files ?? {}).filter(([k]) => (EXTRA_CONTROLLER[k]! & mask) !== 0));
  return { keys: e.keys, files };
}

/** PSI totals (the psi readers' files, slot 3: some total, slot 7: full total): the same on v1 hybrid hosts and v2. */
const PSI: Sources = {
  psi_cpu_some_us: v('psi-cpu:p', { slot: 3 }),
  psi_cpu_full_us: v('psi-cpu:p', { slot: 7 }),
  psi_memory_some_us: v('psi-memory:p', { slot: 3 }),
  psi_memory_full_us: v('psi-memory:p', { slot: 7 }),
  psi_io_some_us: v('psi-io:p', { slot: 3 }),
  psi_io_full_us: v('psi-io:p', { slot: 7 }),
};

const SOURCES: Record<1 | 2, Sources> = {
  1: {
    cpu_usage_ns: v('cpuacct:usage'),
    cpu_user_ns: v('cpuacct:stat', { slot: 0, scale: NS_PER_TICK }),
    cpu_system_ns: v('cpuacct:stat', { slot: 1, scale: NS_PER_TICK }),
    cpu_periods: v('cpu:stat', { key: 'nr_periods' }),
    cpu_throttled_periods: v('cpu:stat', { key: 'nr_throttled' }),
    cpu_throttled_ns: v('cpu:stat', { key: 'throttled_time' }),
    memory_usage_bytes: v('memory:usage'),
    memory_working_set_bytes: { kind: 'workingSet', usage: 'memory:usage', stat: 'memory:stat', inactiveKey: 'total_inactive_file' },
    memory_rss_bytes: v('memory:stat', { key: 'total_rss' }),
    memory_cache_bytes: v('memory:stat', { key: 'total_cache' }),
    memory_swap_bytes: { kind: 'swapV1', memsw: 'memory:memswUsage', usage: 'memory:usage' },
    memory_mapped_file_bytes: v('memory:stat', { key: 'total_mapped_file' }),
    memory_kernel_bytes: v('memory:kmemUsage'),
    memory_max_usage_bytes: v('memory:maxUsage'),
    memory_failcnt: v('memory:failcnt'),
    memory_pgfault: v('memory:stat', { key: 'total_pgfault' }),
    memory_pgmajfault: v('memory:stat', { key: 'total_pgmajfault' }),
    memory_active_file_bytes: v('memory:stat', { key: 'total_active_file' }),
    memory_inactive_file_bytes: v('memory:stat', { key: 'total_inactive_file' }),
    pids_current: v('pids:current'),
    pids_limit: v('pids:max'),
    processes: v('extra:procs'),
    io_read_bytes: { kind: 'blkioSum', file: 'extra:ioBytes', op: OP_READ },
    io_write_bytes: { kind: 'blkioSum', file: 'extra:ioBytes', op: OP_WRITE },
    io_read_ops: { kind: 'blkioSum', file: 'extra:ioOps', op: OP_READ },
    io_write_ops: { kind: 'blkioSum', file: 'extra:ioOps', op: OP_WRITE },
    ...PSI,
    oom_kill: v('events:oom', { slot: 0 }),
    memory_limit_bytes: v('memory:limit'),
    memory_swap_limit_bytes: v('memory:memswLimit'),
    memory_reservation_bytes: v('extra:softLimit'),
    cpu_shares: v('extra:shares'),
    // cpu.cfs_quota_us "-1" parses as 0 (the library's ParseUint of a negative number); no quota is unlimited.
    cpu_quota_us: v('extra:quota', { zeroIsUnlimited: true }),
    cpu_period_us: v('extra:period'),
  },
  2: {
    cpu_usage_ns: v('cpu:stat', { key: 'usage_usec', scale: 1000 }),
    cpu_user_ns: v('cpu:stat', { key: 'user_usec', scale: 1000 }),
    cpu_system_ns: v('cpu:stat', { key: 'system_usec', scale: 1000 }),
    cpu_periods: v('cpu:stat', { key: 'nr_periods' }),
    cpu_throttled_periods: v('cpu:stat', { key: 'nr_throttled' }),
    cpu_throttled_ns: v('cpu:stat', { key: 'throttled_usec', scale: 1000 }),
    memory_usage_bytes: v('memory:current'),
    memory_working_set_bytes: { kind: 'workingSet', usage: 'memory:current', stat: 'memory:stat', inactiveKey: 'inactive_file' },
    memory_rss_bytes: v('memory:stat', { key: 'anon' }),
    memory_cache_bytes: v('memory:stat', { key: 'file' }),
    memory_swap_bytes: v('memory:swapCurrent'),
    memory_mapped_file_bytes: v('memory:stat', { key: 'file_mapped' }),
    memory_kernel_bytes: v('memory:stat', { key: 'kernel' }),
    memory_max_usage_bytes: v('memory:peak'),
    memory_pgfault: v('memory:stat', { key: 'pgfault' }),
    memory_pgmajfault: v('memory:stat', { key: 'pgmajfault' }),
    memory_active_file_bytes: v('memory:stat', { key: 'active_file' }),
    memory_inactive_file_bytes: v('memory:stat', { key: 'inactive_file' }),
    pids_current: v('pids:current'),
    pids_limit: v('pids:max'),
    processes: v('extra:procs'),
    io_read_bytes: { kind: 'ioStatSum', file: 'io:stat', key: 'rbytes' },
    io_write_bytes: { kind: 'ioStatSum', file: 'io:stat', key: 'wbytes' },
    io_read_ops: { kind: 'ioStatSum', file: 'io:stat', key: 'rios' },
    io_write_ops: { kind: 'ioStatSum', file: 'io:stat', key: 'wios' },
    ...PSI,
    memory_events_high: v('events:events', { key: 'high' }),
    memory_events_max: v('events:events', { key: 'max' }),
    oom_kill: v('events:events', { key: 'oom_kill' }),
    memory_limit_bytes: v('memory:max'),
    memory_swap_limit_bytes: v('memory:swapMax'),
    memory_reservation_bytes: v('extra:low'),
    cpu_shares: { kind: 'weightToShares', file: 'extra:weight' },
  },
};

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
  private readonly fileCount: number;
  private readonly slots: number;

  constructor(c: CompiledStats, version: 1 | 2) {
    this.fileCount = c.plan?.files.length ?? 0;
    this.slots = c.plan?.slots ?? 0;
    const sources = SOURCES[version];
    const locate = (key: string, k?: string, slot = 0): [number, number] | undefined => {
      const e = c.entries.get(key);
      if (e === undefined || c.plan === undefined) return undefined;
      let s = slot;
      if (k !== undefined) {
        s = (e.spec.keys ?? []).indexOf(k);
        if (s < 0) return undefined;
      }
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
        case 'blkioSum':
          a = locate(src.file);
          if (a) {
            this.op[i] = OP_BLKIO;
            this.arg[i] = src.op;
          }
          break;
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
      if (this.op[i] === OP_ABSENT) continue;
      if (a) [this.fileA[i], this.slotA[i]] = a;
      if (b) [this.fileB[i], this.slotB[i]] = b;
    }
  }

  /** Fills row `out` of values/present (number mode) from row `row` of a bigint BatchResult. Allocates nothing. */
  extractNumber(r: BatchResult, words: Uint32Array, row: number, values: Float64Array, present: Uint8Array, out: number): void {
    const base = row * this.slots;
    const fbase = row * this.fileCount;
    const o = out * FIELD_COUNT;
    const fs = r.fileStatus;
    const flags = r.flags;
    const floats = r.floats;
    for (let i = 0; i < FIELD_COUNT; i++) {
      let x = NaN;
      const op = this.op[i]!;
      const fa = this.fileA[i]!;
      if (op !== OP_ABSENT && (fs[fbase + fa] === FILE_STATUS.ok || fs[fbase + fa] === FILE_STATUS.overflow)) {
        const sa = base + this.slotA[i]!;
        switch (op) {
          case OP_VALUE:
            x = cell(flags, words, floats, sa) * this.arg[i]!;
            if (x === 0 && this.zeroUnlimited[i] === 1) x = Infinity;
            break;
          case OP_WS: {
            const usage = cell(flags, words, floats, sa);
            const fb = this.fileB[i]!;
            const inactive = fb >= 0 && fs[fbase + fb] === FILE_STATUS.ok ? cell(flags, words, floats, base + this.slotB[i]!) : NaN;
            x = workingSetOf(usage, Number.isNaN(inactive) ? undefined : inactive);
            break;
          }
          case OP_SWAPV1: {
            const fb = this.fileB[i]!;
            if (fs[fbase + fb] === FILE_STATUS.ok) {
              const d = cell(flags, words, floats, sa) - cell(flags, words, floats, base + this.slotB[i]!);
              x = d > 0 ? d : 0;
            }
            break;
          }
          case OP_BLKIO: {
            // slot 0: entry count; then (major, minor, op, value) per entry. More entries than the plan holds: a sum
            // of some of them would be a wrong number, so the column is absent (the row reports ERR_CGROUP_CAPACITY).
            if (fs[fbase + fa] === FILE_STATUS.overflow) break;
            const n = Math.min(cell(flags, words, floats, sa), (this.slotsOf(r, fa) - 1) / 4);
            const want = this.arg[i]!;
            x = 0;
            for (let j = 0; j < n; j++) {
              const e = sa + 1 + j * 4;
              if (words[2 * (e + 2)] === want && words[2 * (e + 2) + 1] === 0) x += cell(flags, words, floats, e + 3);
            }
            break;
          }
          case OP_WEIGHT: {
            const w = cell(flags, words, floats, sa);
            // cpu.weight is 1..10000; anything else has no shares equivalent (absent).
            x = w >= 1 && w <= 10000 ? 2 + Math.floor(((w - 1) * 262142) / 9999) : NaN;
            break;
          }
          case OP_IOSTAT: {
            if (fs[fbase + fa] === FILE_STATUS.overflow) break; // as OP_BLKIO: no partial sums
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
  extractBigint(r: BatchResult, words: Uint32Array, row: number, values: BigUint64Array, present: Uint8Array, out: number,
    scratch: Float64Array, scratchPresent: Uint8Array): void {
    // Compute in number mode for presence and the derived columns' shape, then replace direct values by exact ones.
    this.extractNumber(r, words, row, scratch, scratchPresent, 0);
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
      } else if (this.op[i] === OP_VALUE && Number.isInteger(this.arg[i]!) && r.flags[base + this.slotA[i]!] === SLOT.value) {
        values[o + i] = big[base + this.slotA[i]!]! * BigInt(this.arg[i]!);
      } else if (this.op[i] === OP_WS) {
        const usage = big[base + this.slotA[i]!]!;
        const hasInactive = this.fileB[i]! >= 0 && r.flags[base + this.slotB[i]!] === SLOT.value &&
          r.fileStatus[row * this.fileCount + this.fileB[i]!] === FILE_STATUS.ok;
        values[o + i] = workingSetOf(usage, hasInactive ? big[base + this.slotB[i]!]! : undefined);
      } else {
        values[o + i] = BigInt(Math.round(x));
      }
    }
  }

  private slotsOf(r: BatchResult, file: number): number {
    const files = r.plan.files;
    const next = file + 1 < files.length ? files[file + 1]!.offset : r.plan.slots;
    return next - files[file]!.offset;
  }
}

const MAXU64 = (1n << 64n) - 1n;
const TWO32 = 4294967296;

/** A cell of a bigint result as a number: NaN when absent, Infinity for "max", the double for PSI averages. */
function cell(flags: Uint8Array, words: Uint32Array, floats: Float64Array, i: number): number {
  const f = flags[i];
  if (f === SLOT.value) return words[2 * i + 1]! * TWO32 + words[2 * i]!;
  if (f === SLOT.max) return Infinity;
  if (f === SLOT.float) return floats[i]!;
  return NaN;
}
