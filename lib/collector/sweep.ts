/**
 * One sweep of a StatsCollector: typed arrays with a row per registered cgroup (values rows × FIELD_COUNT, presence,
 * status, sample time, identity), the rows' paths and labels, and views built only when asked: `stats(row)` (a
 * CgroupStats through the stats readers and converter, from this sweep's raw data) and `rates(row)` (between this
 * sample and the previous one of the same cgroup identity).
 *
 * The typed arrays belong to the Sweep (pass it back as `collect({ into })` to refill it without allocating). The raw
 * data behind `stats(row)` belongs to the collector and is reused by its next sweep: `stats()` throws
 * ERR_SWEEP_STALE after that.
 */
import { CgroupError } from '../errors';
import type { CgroupStats } from '../stats/types';
import type { StatsResult } from '../stats/reader';
import { FIELD, FIELD_COUNT, FIELDS, ROW_STATUS, type FieldName } from './layout';
import { IO_COLUMNS, KeyTable, NETWORK_COLUMNS, VectorStore } from './vectors';

/** Labels of a registered cgroup (cAdvisor's `name`, `container`, `pod`, `namespace`, `image`, or anything else). */
export type Labels = Readonly<Record<string, string>>;

/** The columns a rate is computed from, in this order in `Sweep.previous`. */
export const RATE_FIELDS = [
  FIELD.cpu_usage_ns,
  FIELD.cpu_user_ns,
  FIELD.cpu_system_ns,
  FIELD.cpu_periods,
  FIELD.cpu_throttled_periods,
  FIELD.cpu_throttled_ns,
] as const;
export const RATE_COUNT = RATE_FIELDS.length;

/** Rates between two samples of one cgroup identity (per second of wall clock between the samples). */
export interface Rates {
  /** Seconds between the two samples. */
  interval: number;
  /** CPU time used per second: cores in use (user, system and total). */
  cpuCores: number;
  cpuUserCores: number;
  cpuSystemCores: number;
  /** CFS periods that were throttled, per second, and their share of the active periods (0..1; NaN if none). */
  throttledPeriodsPerSecond: number;
  throttledRatio: number;
  /** Seconds throttled per second. */
  throttledSecondsPerSecond: number;
}

/** What the collector lends a sweep for stats(row). @internal */
export interface SweepSource {
  generation(): number;
  statsOf(row: number, bigint: boolean): StatsResult<number | bigint>;
  errorOf(row: number): CgroupError | undefined;
}

export class Sweep<V extends Float64Array | BigUint64Array = Float64Array | BigUint64Array> {
  /** Rows filled by the last sweep (≤ capacity). */
  rows = 0;
  /** The cgroup version the rows were read with. */
  version: 1 | 2 = 2;
  /** Values, row-major: `values[row * FIELD_COUNT + FIELD.x]`. Absent is NaN (number mode) and present = 0. */
  readonly values: V;
  /** 1 where the column holds a value, 0 where it is absent. */
  readonly present: Uint8Array;
  /** ROW_STATUS per row. */
  readonly status: Int32Array;
  /** Wall clock of each row's read, ms since the epoch. */
  readonly sampleMs: Float64Array;
  /** The cgroup's identity: the inode of its directory (memory hierarchy on v1) when it was added. */
  readonly identity: Float64Array;
  /**
   * When the row's spec files (limits, shares, quota/period, weights, pids.max: the collector's spec tier) were read,
   * ms since the epoch: `sampleMs` when this sweep read them, earlier when it carries the values of an earlier read
   * (at most `specIntervalMs` before). NaN for a row that was not read.
   */
  readonly specMs: Float64Array;
  /** The previous sample of the RATE_FIELDS of the same identity (NaN when there is none), and its time. */
  readonly previous: Float64Array;
  readonly previousMs: Float64Array;
  /** Path (as added, with a leading '/') and labels of each row. */
  paths: readonly string[] = [];
  labels: readonly Labels[] = [];
  /** io per device (`device` label values; IO_COLUMNS per entry), every row with io files (lib/collector/vectors.ts). */
  readonly io: VectorStore;
  /** Network per interface (`interface` label values; NETWORK_COLUMNS per entry), pod rows only by default. */
  readonly network: VectorStore;
  /** @internal */
  source: SweepSource | undefined;
  /** @internal */
  generation = -1;

  constructor(
    readonly capacity: number,
    readonly bigint: boolean,
  ) {
    this.values = (bigint ? new BigUint64Array(capacity * FIELD_COUNT) : new Float64Array(capacity * FIELD_COUNT)) as V;
    this.present = new Uint8Array(capacity * FIELD_COUNT);
    this.status = new Int32Array(capacity);
    this.sampleMs = new Float64Array(capacity);
    this.identity = new Float64Array(capacity);
    this.specMs = new Float64Array(capacity);
    this.previous = new Float64Array(capacity * RATE_COUNT);
    this.previousMs = new Float64Array(capacity);
    this.io = new VectorStore(new KeyTable('device'), IO_COLUMNS, capacity, capacity * 2);
    this.network = new VectorStore(new KeyTable('interface'), NETWORK_COLUMNS, capacity);
  }

  /** The value of a column (by index or name), or undefined when absent. */
  get(row: number, field: number | FieldName): (V extends BigUint64Array ? bigint : number) | undefined {
    const f = typeof field === 'number' ? field : FIELD[field];
    const i = row * FIELD_COUNT + f;
    if (this.present[i] === 0) return undefined;
    return this.values[i] as V extends BigUint64Array ? bigint : number;
  }

  /**
   * Whether a row holds values: read now (ok, or error with some columns absent), or the last sample of a cgroup
   * that emptied and was removed (final).
   */
  hasValues(row: number): boolean {
    const st = this.status[row];
    return st === ROW_STATUS.ok || st === ROW_STATUS.error || st === ROW_STATUS.final;
  }

  /** Whether a row's cgroup was read without error (its columns may still be absent one by one). */
  ok(row: number): boolean {
    return this.status[row] === ROW_STATUS.ok;
  }

  /**
   * Why a row is not fully read: for ROW_STATUS.error the first file that failed (code, errno, syscall, path), for
   * gone and closed rows an error saying so, undefined for an ok row. Throws ERR_SWEEP_STALE once the collector has
   * swept again.
   */
  error(row: number): CgroupError | undefined {
    this.checkCurrent(row);
    switch (this.status[row]) {
      case ROW_STATUS.ok:
        return undefined;
      case ROW_STATUS.gone:
        return new CgroupError(`cgroup ${this.paths[row]} is gone`, { code: 'ERR_CGROUP_GONE', path: this.paths[row] });
      case ROW_STATUS.closed:
        return new CgroupError(`cgroup ${this.paths[row]} was removed from the collector during the sweep`, {
          code: 'ERR_CGROUP_HANDLE_CLOSED',
          path: this.paths[row],
        });
      case ROW_STATUS.final:
        return new CgroupError(
          `cgroup ${this.paths[row]} is gone (the row holds its last sample, read when it emptied)`,
          { code: 'ERR_CGROUP_GONE', path: this.paths[row] },
        );
      default:
        return this.source!.errorOf(row);
    }
  }

  private checkCurrent(row: number): void {
    if (this.source === undefined || this.source.generation() !== this.generation) {
      throw new CgroupError(
        'this sweep is stale: the collector has swept again (call stats(row) before the next collect)',
        { code: 'ERR_SWEEP_STALE' },
      );
    }
    if (!(row >= 0 && row < this.rows))
      throw new CgroupError(`no row ${row} in this sweep (${this.rows} rows)`, { code: 'ERR_OUT_OF_RANGE' });
  }

  /** Index of a path in this sweep, or -1. */
  rowOf(path: string): number {
    return this.paths.indexOf(path.startsWith('/') ? path : `/${path}`);
  }

  /**
   * The row's CgroupStats, built now from this sweep's raw data through the stats readers and CRI-O's converter (only
   * for what the collector's controllers read). Throws the stats error (with `partial`) as statsSync() does, and
   * ERR_SWEEP_STALE once the collector has swept again.
   */
  stats(row: number): CgroupStats<V extends BigUint64Array ? bigint : number> {
    this.checkCurrent(row);
    if (this.status[row] === ROW_STATUS.final) throw this.error(row)!;
    const r = this.source!.statsOf(row, this.bigint);
    if (!r.ok) throw r.error;
    return r.stats as CgroupStats<V extends BigUint64Array ? bigint : number>;
  }

  /** Rates since the previous sample of the same cgroup identity, or undefined when there is none (first sample,
   * gone, or the counters went backwards). */
  rates(row: number): Rates | undefined {
    const st = this.status[row];
    if (st !== ROW_STATUS.ok && st !== ROW_STATUS.error && st !== ROW_STATUS.final) return undefined;
    const prevMs = this.previousMs[row]!;
    const interval = (this.sampleMs[row]! - prevMs) / 1000;
    if (!(interval > 0)) return undefined;
    const d = (k: number): number => {
      const now = Number(this.values[row * FIELD_COUNT + RATE_FIELDS[k]!]!);
      const before = this.previous[row * RATE_COUNT + k]!;
      const present = this.present[row * FIELD_COUNT + RATE_FIELDS[k]!] === 1;
      return present && now >= before ? now - before : NaN;
    };
    const usage = d(0);
    const periods = d(3);
    const throttled = d(4);
    if (Number.isNaN(usage) && Number.isNaN(periods)) return undefined;
    return {
      interval,
      cpuCores: usage / 1e9 / interval,
      cpuUserCores: d(1) / 1e9 / interval,
      cpuSystemCores: d(2) / 1e9 / interval,
      throttledPeriodsPerSecond: throttled / interval,
      throttledRatio: periods > 0 ? throttled / periods : NaN,
      throttledSecondsPerSecond: d(5) / 1e9 / interval,
    };
  }

  /** A plain object of one row (for printing): column name -> value, absent columns left out. */
  row(row: number): Partial<Record<FieldName, number | bigint>> {
    const out: Partial<Record<FieldName, number | bigint>> = {};
    for (let f = 0; f < FIELD_COUNT; f++) {
      const v = this.get(row, f);
      if (v !== undefined) out[FIELDS[f]!] = v;
    }
    return out;
  }
}
