/**
 * The native engine, in JavaScript terms. An Engine owns one set of hierarchies: it opens cgroup handles (the
 * directory descriptors of a cgroup in every hierarchy it lives in, under a descriptor budget), compiles read plans
 * (which files to read and how to parse them), reads plans for many handles in one native call (sync, or async as one
 * worker per batch) into caller-reusable typed arrays, writes pids to cgroup.procs in batches, and, by path, makes
 * and removes cgroup directories and reads or writes single control files (the write side, native/fsops.h). Every
 * path is resolved beneath a hierarchy root descriptor without following a symlink.
 *
 * Everything above it (the stats formulas, the managers, the collector) uses this one way into cgroupfs.
 */
import { availableParallelism } from 'node:os';
import { CgroupError, decodeSysStatus, invalidArg, sysError } from './errors';
import { discoverHierarchies, type DiscoverOptions, type Hierarchy, type Layout } from './hierarchy';
import {
  native,
  type EngineUsage,
  type NativeEngine,
  type NativeFileParseError,
  type NativeParseError,
} from './native';
import { cgroupName, cgroupRelPath, pid as checkPid } from './validate';

/** File formats of native/parse (spec §3.2); keep in step with native/plan.h Format. */
export const FORMAT = {
  single: 0,
  flatKeyed: 1,
  keyLookup: 2,
  list: 3,
  cpuacctStat: 4,
  psi: 5,
  ioStat: 6,
  blkio: 7,
  cpuset: 8,
  newlines: 9,
  cpuMax: 10,
} as const;
export type FormatName = keyof typeof FORMAT;

/**
 * Per file status of a batch row; negative values are failed syscalls. Keep in step with native/reader.h. `notRead`: the
 * file's tier is above the row's (a read with `tiers`): not read, its slots absent.
 */
export const FILE_STATUS = {
  ok: 0,
  malformed: 1,
  overflow: 2,
  empty: 3,
  notInHierarchy: 4,
  skipped: 5,
  notRead: 6,
  notRegular: 7,
} as const;
/** Why a file did not parse (BatchResult.parseError(...).reason). Keep in step with native/parse/parse.h ParseReason. */
export const PARSE_REASON = {
  none: 0,
  uintSyntax: 1,
  uintRange: 2,
  floatSyntax: 3,
  floatRange: 4,
  keyValueLine: 5,
  malformedLine: 6,
  noEquals: 7,
  empty: 8,
  reversedRange: 9,
  lineTooLong: 10,
  noFields: 11,
  tooMany: 12,
  notPid: 13,
} as const;
/** A parser's own account of why a file of a batch did not parse (the text it saw, not a second read). */
export type ParseErrorRecord = NativeParseError;

/** Per row status of a batch. */
export const ITEM_STATUS = { ok: 0, gone: 1, badHandle: 2 } as const;
/** Per pid status of a pid batch. Keep in step with native/procs.h. */
export const PID_STATUS = { ok: 0, badHandle: 2, notInHierarchy: 4, invalid: 6, notRegular: 7 } as const;
/** Slot flags: what a value cell holds. Keep in step with native/parse/parse.h SlotFlag. */
export const SLOT = { absent: 0, value: 1, max: 2, float: 3 } as const;
/** Limits of a planned file (native/plan.h kMaxCap, kMaxKeys): entries of a list/ioStat/blkio file, keys per file. */
export const PLAN_LIMITS = { maxCap: 1 << 16, maxKeys: 256 } as const;

/** Operations of the write side. Keep in step with native/fsops.h FsOpCode. */
export const FS_OP = { mkdir: 0, rmdir: 1, list: 2, read: 3, write: 4 } as const;

/** Where a path-based operation acts: a controller's hierarchy (see FileSpec.controller) or a Hierarchy of the layout. */
export type HierarchyRef = string | Hierarchy;

const ENOENT = 2;

export interface FileSpec {
  /** v1: the controller whose hierarchy holds the file (`memory`, `cpuacct`, `name=systemd`, ...); `unified` (or
   * `''`) for the cgroup2 hierarchy of a hybrid host. On a unified (v2) host any value means the one hierarchy. */
  controller: string;
  name: string;
  format: FormatName;
  /** Keys to extract, for flatKeyed, keyLookup and ioStat. */
  keys?: string[];
  /** Capacity (entries) for list, ioStat and blkio. */
  cap?: number;
  /** Keep the file's descriptor open between reads (within the budget). Default true. */
  hold?: boolean;
  /** 0..255, default 0. A read given per-row `tiers` reads this file only in rows whose tier is at least this
   * (the others get FILE_STATUS.notRead); a read without `tiers` reads every file. */
  tier?: number;
}

/** Options of a batch read. */
export interface ReadOptions {
  /** Per row (at least as many as ids), the highest file tier to read (FileSpec.tier); omitted: every file. */
  tiers?: Uint8Array;
  /**
   * With `tiers`: a file a row does not read keeps its cells in the result (status, flags, values) as they were,
   * instead of FILE_STATUS.notRead — for a caller that carries a file's values from an earlier read of the same row
   * into the same result (the collector's spec files). A new result's files are all FILE_STATUS.notRead.
   */
  keepUnread?: boolean;
}

export interface PlannedFile extends Required<Omit<FileSpec, 'hold' | 'keys' | 'cap' | 'tier'>> {
  keys: string[];
  cap: number;
  /** Whether the engine keeps the file's descriptor open between reads (FileSpec.hold, default true). */
  hold: boolean;
  tier: number;
  hierarchy: Hierarchy;
  /** First slot of this file in a row. */
  offset: number;
}

/** What ends a native plan: its engine's native half and plan cache, never the JS Engine or the ReadPlan (the registry
 * holds this strongly until the ReadPlan dies, so a path back to the plan would keep it alive forever). */
interface PlanTicket {
  native: NativeEngine;
  plans: Map<string, WeakRef<ReadPlan>>;
  id: number;
  key: string;
}

function endPlan({ native: engine, plans, id, key }: PlanTicket): void {
  const cached = plans.get(key);
  if (cached !== undefined) {
    const live = cached.deref();
    if (live === undefined || live.id === id) plans.delete(key);
  }
  engine.freePlan(id);
}

/** Frees a native plan when its ReadPlan is collected. */
const planRegistry = new FinalizationRegistry<PlanTicket>(endPlan);

/**
 * A compiled read plan. Its native part lives until the ReadPlan is garbage-collected or `free()`d (a read in flight
 * keeps its own reference); reading a freed plan is a CgroupError `ERR_CGROUP_NO_SUCH_PLAN`. Plans are shared: while
 * a ReadPlan is alive, `engine.plan()` of the same files returns that same (immutable) ReadPlan, so a program that
 * plans the same files again and again holds one native plan. `free()` ends one use; the native plan goes with the
 * last (or when the object is collected).
 */
export class ReadPlan {
  /** @internal plan() calls that returned this object, less free() calls. */
  uses = 1;

  private readonly ticket: PlanTicket;

  /** @internal */
  constructor(
    readonly engine: Engine,
    readonly id: number,
    readonly slots: number,
    readonly files: readonly PlannedFile[],
    key = '',
    plans = new Map<string, WeakRef<ReadPlan>>(),
  ) {
    this.ticket = { native: engine.nativeEngine, plans, id, key };
    planRegistry.register(this, this.ticket, this);
  }

  /** True once every use was freed (reads then fail with ERR_CGROUP_NO_SUCH_PLAN). */
  get freed(): boolean {
    return this.uses <= 0;
  }

  /** Ends one use of the plan (each plan() call that returned it is one); the last frees the native plan now. */
  free(): void {
    if (this.uses <= 0) return;
    if (--this.uses > 0) return;
    planRegistry.unregister(this);
    endPlan(this.ticket);
  }

  /** @internal */
  checkLive(): void {
    if (this.uses <= 0) throw new CgroupError('the read plan was freed', { code: 'ERR_CGROUP_NO_SUCH_PLAN' });
  }

  /** Index of a file in the plan (by name, or controller + name). */
  indexOf(name: string, controller?: string): number {
    return this.files.findIndex((f) => f.name === name && (controller === undefined || f.controller === controller));
  }
}

export interface ResultOptions {
  bigint?: boolean;
  /**
   * The arrays in SharedArrayBuffers: memory that cannot be detached, so an async read's workers write it in place
   * (no copy on the JavaScript thread when they finish). Do not read the result while a read into it runs.
   */
  shared?: boolean;
}

/**
 * The output of a batch read: one row per handle. Reuse it across sweeps (engine.readSync(plan, ids, result)) so a
 * sweep allocates nothing.
 */
export class BatchResult {
  readonly bigint: boolean;
  readonly values: Float64Array | BigUint64Array;
  /** Float view over the same memory as values, for PSI averages in bigint mode. */
  readonly floats: Float64Array;
  readonly flags: Uint8Array;
  readonly fileStatus: Int32Array;
  readonly itemStatus: Int32Array;
  /** Wall-clock time of each row's read, in ms since the epoch. */
  readonly sampleMs: Float64Array;
  /** The handle ids of the last read. */
  ids: Uint32Array = new Uint32Array(0);
  /** The parsers' diagnoses of the last read's failed files, by `row * files + file`; undefined when none failed. */
  private parseErrors: Map<number, ParseErrorRecord> | undefined;

  constructor(
    readonly plan: ReadPlan,
    readonly rows: number,
    options: ResultOptions = {},
  ) {
    this.bigint = options.bigint === true;
    const memory = (bytes: number): ArrayBuffer | SharedArrayBuffer =>
      options.shared === true ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
    const buffer = memory(8 * plan.slots * rows);
    this.values = this.bigint ? new BigUint64Array(buffer) : new Float64Array(buffer);
    this.floats = new Float64Array(buffer);
    this.flags = new Uint8Array(memory(plan.slots * rows));
    // Nothing read yet: every file FILE_STATUS.notRead (a read with keepUnread leaves a file it skips as it was).
    this.fileStatus = new Int32Array(memory(4 * plan.files.length * rows)).fill(FILE_STATUS.notRead);
    this.itemStatus = new Int32Array(memory(4 * rows));
    this.sampleMs = new Float64Array(memory(8 * rows));
  }

  /** Status of file f (index in the plan) in row r. */
  status(row: number, file: number): number {
    return this.fileStatus[row * this.plan.files.length + file]!;
  }

  /**
   * Why file f of row r did not parse, as the native parser saw it during this read (reason, line, field, token); undefined
   * when it parsed, or failed otherwise (a syscall error).
   */
  parseError(row: number, file: number): ParseErrorRecord | undefined {
    return this.parseErrors?.get(row * this.plan.files.length + file);
  }

  /** @internal Starts a read: forgets the previous read's diagnoses. */
  clearParseErrors(): void {
    this.parseErrors = undefined;
  }

  /** @internal Keeps the diagnoses a native read returned for rows from `firstRow` on. */
  addParseErrors(records: NativeFileParseError[] | undefined, firstRow = 0): void {
    if (records === undefined) return;
    const files = this.plan.files.length;
    this.parseErrors ??= new Map();
    for (const r of records) {
      const { row, file, ...record } = r;
      this.parseErrors.set((firstRow + row) * files + file, record);
    }
  }

  /** True when file f of row r was read and parsed. */
  ok(row: number, file: number): boolean {
    return this.status(row, file) === FILE_STATUS.ok;
  }

  /** Slot flag of value k of file f in row r. */
  flag(row: number, file: number, k = 0): number {
    return this.flags[row * this.plan.slots + this.plan.files[file]!.offset + k]!;
  }

  /**
   * Value k of file f in row r: a number (bigint in bigint mode; PSI averages are always numbers), `Infinity` /
   * 2^64-1 for "max", or undefined when absent.
   */
  get(row: number, file: number, k = 0): number | bigint | undefined {
    const i = row * this.plan.slots + this.plan.files[file]!.offset + k;
    const flag = this.flags[i];
    if (flag === SLOT.absent) return undefined;
    if (flag === SLOT.float) return this.floats[i];
    return this.values[i];
  }

  /** The error of file f in row r, or undefined when it was read (a parse error is ERR_CGROUP_PARSE). */
  error(row: number, file: number): CgroupError | undefined {
    const s = this.status(row, file);
    if (s === FILE_STATUS.ok) return undefined;
    const f = this.plan.files[file]!;
    const path = this.plan.engine.filePath(this.ids[row]!, f.hierarchy, f.name);
    const extra = { controller: f.controller, file: f.name };
    if (s < 0) {
      const { errno, syscall } = decodeSysStatus(s);
      return sysError(errno, syscall, path, extra);
    }
    switch (s) {
      case FILE_STATUS.malformed:
        return new CgroupError(`unable to parse ${path}: malformed ${f.format} content`, {
          code: 'ERR_CGROUP_PARSE',
          path,
          ...extra,
        });
      case FILE_STATUS.empty:
        return new CgroupError(`unable to parse ${path}: empty file`, { code: 'ERR_CGROUP_PARSE', path, ...extra });
      case FILE_STATUS.overflow:
        return new CgroupError(`${path}: more entries than the plan's capacity (${f.cap})`, {
          code: 'ERR_CGROUP_CAPACITY',
          path,
          ...extra,
        });
      case FILE_STATUS.notInHierarchy:
        return new CgroupError(`the cgroup does not exist in the ${f.controller || 'unified'} hierarchy`, {
          code: 'ERR_CGROUP_NOT_IN_HIERARCHY',
          path,
          ...extra,
        });
      case FILE_STATUS.notRegular:
        return new CgroupError(`${path} is not a regular file (a FIFO, device or directory is never read)`, {
          code: 'ERR_CGROUP_NOT_REGULAR_FILE',
          path,
          ...extra,
        });
      case FILE_STATUS.notRead:
        return new CgroupError(`${path} was not read (its tier is above the row's)`, {
          code: 'ERR_CGROUP_NOT_READ',
          path,
          ...extra,
        });
      default:
        return new CgroupError(`the cgroup handle is closed`, { code: 'ERR_CGROUP_HANDLE_CLOSED', ...extra });
    }
  }

  /** True when file f of row r does not exist in a cgroup that does (ENOENT on a live cgroup). */
  absent(row: number, file: number): boolean {
    const s = this.status(row, file);
    return (
      (s < 0 && decodeSysStatus(s).errno === ENOENT && this.itemStatus[row] === ITEM_STATUS.ok) ||
      s === FILE_STATUS.notInHierarchy
    );
  }

  /** The row-level error: the cgroup is gone (ERR_CGROUP_GONE) or the handle closed. */
  rowError(row: number): CgroupError | undefined {
    const s = this.itemStatus[row];
    if (s === ITEM_STATUS.ok) return undefined;
    const id = this.ids[row]!;
    const info = this.plan.engine.nativeEngine.info(id);
    if (s === ITEM_STATUS.gone) {
      return new CgroupError(`cgroup ${info ? '/' + info.path : ''} is gone`, {
        code: 'ERR_CGROUP_GONE',
        ...(info ? { path: '/' + info.path } : {}),
      });
    }
    return new CgroupError('the cgroup handle is closed', { code: 'ERR_CGROUP_HANDLE_CLOSED' });
  }
}

export interface EngineOptions extends DiscoverOptions {
  /** Most descriptors the engine keeps open (directories first, then files). Default: 3/4 of RLIMIT_NOFILE, at most
   * 65536. A larger value is clamped to the process budget (processFdBudget()): every engine, collector and OOM
   * watcher of the process holds from that one budget as well. */
  fdBudget?: number;
  /** How paths are resolved beneath the hierarchy roots: openat2(RESOLVE_BENEATH) or a component walk. */
  resolve?: 'auto' | 'openat2' | 'walk';
  /** Use this layout instead of discovering one. */
  layout?: Layout;
}

export function defaultFdBudget(): number {
  const { soft } = native.nofileLimit();
  const limit = Number.isFinite(soft) ? soft : 65536;
  return Math.min(processFdBudget(), Math.max(64, Math.min(65536, Math.floor(limit * 0.75))));
}

/** Headroom left to Node itself below RLIMIT_NOFILE: a quarter of it, at least this. Keep in step with native/handle.h. */
export const PROCESS_FD_HEADROOM = 128;

/**
 * The descriptors the whole process may hold (every Engine, collector and v1 OOM watcher, in every thread, shares
 * them): RLIMIT_NOFILE's soft limit less a quarter of it (at least PROCESS_FD_HEADROOM) for Node's own files and
 * sockets. An open that fails with EMFILE/ENFILE lowers it to what is held then: reads go transient instead of failing.
 */
export function processFdBudget(): number {
  const { soft } = native.nofileLimit();
  if (!Number.isFinite(soft)) return Infinity;
  return Math.max(0, soft - Math.max(PROCESS_FD_HEADROOM, Math.floor(soft / 4)));
}

const RESOLVE = { auto: 0, openat2: 1, walk: 2 } as const;

/** The native engine's capacity limit per file (native/plan.h kMaxCap). */
export const PLAN_MAX_CAP = 65536;

export type { EngineUsage } from './native';

/** Rows below which an async batch is not split: a worker's start costs about what reading a few rows does. */
export const ROWS_PER_WORKER = 256;

/** The libuv pool's size and the CPUs this process may use, read at the first async read: libuv sizes its pool once,
 * when it starts, and looking again cost every read a getenv and a sched_getaffinity. */
let workerLimit: number | undefined;

function defaultWorkers(rows: number): number {
  workerLimit ??= Math.min(Number(process.env.UV_THREADPOOL_SIZE) || 4, availableParallelism());
  return Math.max(1, Math.min(Math.ceil(rows / ROWS_PER_WORKER), workerLimit));
}

function toIds(ids: Uint32Array | readonly number[]): Uint32Array {
  if (ids instanceof Uint32Array) return ids;
  if (!Array.isArray(ids)) throw invalidArg('ids', ids, 'must be a Uint32Array or an array of handle ids');
  return Uint32Array.from(ids);
}

export class Engine {
  readonly layout: Layout;
  /** Live plans by their files, so that planning the same files again shares one native plan. */
  private readonly plans = new Map<string, WeakRef<ReadPlan>>();
  /** @internal */
  readonly nativeEngine: NativeEngine;

  constructor(options: EngineOptions = {}) {
    this.layout = options.layout ?? discoverHierarchies(options);
    const asked = options.fdBudget ?? defaultFdBudget();
    if (!Number.isInteger(asked) || asked < 0) throw invalidArg('fdBudget', asked, 'must be a non-negative integer');
    // Above the process budget it could never be used: clamped (documented), so usage() tells the truth.
    const budget = Math.min(asked, processFdBudget(), 0xffffffff);
    const resolve = options.resolve ?? 'auto';
    if (!(resolve in RESOLVE)) throw invalidArg('resolve', resolve, "must be 'auto', 'openat2' or 'walk'");
    this.nativeEngine = new native.Engine(
      this.layout.hierarchies.map((h) => h.path),
      budget,
      RESOLVE[resolve],
    );
  }

  /** The hierarchy that holds a controller's files (see FileSpec.controller). */
  hierarchyFor(controller: string): Hierarchy {
    const l = this.layout;
    if (l.version === 2) return l.hierarchies[0]!;
    const h = controller === '' || controller === 'unified' ? l.unified : l.controllers.get(controller);
    if (h === undefined) {
      throw new CgroupError(`the ${controller || 'unified'} hierarchy is not mounted under ${l.root}`, {
        code: 'ERR_CGROUP_NOT_MOUNTED',
        controller,
      });
    }
    return h;
  }

  /** Opens a cgroup (every hierarchy it exists in) and returns its handle id. Throws ENOENT if it exists nowhere. */
  open(path: string): number {
    return this.nativeEngine.open(cgroupRelPath(path));
  }

  close(id: number): boolean {
    return this.nativeEngine.close(id);
  }

  /** Which hierarchies a handle's cgroup exists in, whether its directory descriptor is held, and its inodes. */
  info(id: number): { path: string; present: boolean[]; held: boolean[]; ino: number[] } | null {
    return this.nativeEngine.info(id);
  }

  /** Compiles a read plan. */
  plan(files: readonly FileSpec[]): ReadPlan {
    if (!Array.isArray(files)) throw invalidArg('files', files, 'must be an array of file specs');
    // Each spec is read once, property by property, into plain values: a getter runs once and its exception is the
    // caller's, and native code sees only plain objects.
    const holds: boolean[] = [];
    const planned: PlannedFile[] = Array.from(files, (f: FileSpec, i) => {
      if (f === null || typeof f !== 'object') throw invalidArg(`files[${i}]`, f, 'must be an object');
      const { controller, name, format, keys, cap, hold, tier } = f;
      if (typeof controller !== 'string') throw invalidArg(`files[${i}].controller`, controller, 'must be a string');
      if (typeof format !== 'string' || !Object.hasOwn(FORMAT, format)) {
        throw invalidArg(`files[${i}].format`, format, `must be one of ${Object.keys(FORMAT).join(', ')}`);
      }
      if (keys !== undefined && (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string'))) {
        throw invalidArg(`files[${i}].keys`, keys, 'must be an array of strings');
      }
      if (cap !== undefined && (!Number.isInteger(cap) || cap < 0 || cap > PLAN_MAX_CAP)) {
        throw invalidArg(`files[${i}].cap`, cap, `must be an integer from 0 to ${PLAN_MAX_CAP}`);
      }
      if (hold !== undefined && typeof hold !== 'boolean')
        throw invalidArg(`files[${i}].hold`, hold, 'must be a boolean');
      if (tier !== undefined && (!Number.isInteger(tier) || tier < 0 || tier > 255)) {
        throw invalidArg(`files[${i}].tier`, tier, 'must be an integer from 0 to 255');
      }
      holds.push(hold ?? true);
      return {
        controller,
        name: cgroupName(name, `files[${i}].name`),
        format,
        keys: keys === undefined ? [] : [...keys],
        cap: cap ?? 0,
        hold: hold ?? true,
        tier: tier ?? 0,
        hierarchy: this.hierarchyFor(controller),
        offset: 0,
      };
    });
    const key = JSON.stringify(
      planned.map((f, i) => [f.hierarchy.index, f.name, f.format, f.keys, f.cap, holds[i], f.tier]),
    );
    const live = this.plans.get(key)?.deref();
    if (live !== undefined && !live.freed) {
      live.uses++;
      return live;
    }
    let compiled: { id: number; slots: number; offsets: number[] };
    try {
      compiled = this.nativeEngine.createPlan(
        planned.map((f, i) => ({
          hierarchy: f.hierarchy.index,
          name: f.name,
          format: FORMAT[f.format],
          keys: f.keys,
          cap: f.cap,
          hold: holds[i]!,
          tier: f.tier,
        })),
      );
    } catch (err) {
      // Native range checks (keys/capacity per format, sizes): a CgroupError with a code, like every plan() error.
      if (err instanceof CgroupError) throw err;
      const e = err as Error & { code?: string };
      throw new CgroupError(`plan(): ${e.message}`, { code: e.code ?? 'ERR_CGROUP_PLAN' });
    }
    planned.forEach((f, i) => {
      f.offset = compiled.offsets[i]!;
      Object.freeze(f);
    });
    const plan = new ReadPlan(this, compiled.id, compiled.slots, Object.freeze(planned), key, this.plans);
    this.plans.set(key, new WeakRef(plan));
    return plan;
  }

  /** A result sized for `rows` handles of a plan. */
  result(plan: ReadPlan, rows: number, options: ResultOptions = {}): BatchResult {
    return new BatchResult(plan, rows, options);
  }

  private prepare(
    plan: ReadPlan,
    ids: Uint32Array | readonly number[],
    result?: BatchResult,
    options?: ReadOptions,
  ): [Uint32Array, BatchResult, Uint8Array | undefined, boolean] {
    if (!(plan instanceof ReadPlan)) throw invalidArg('plan', plan, 'must be a ReadPlan');
    if (plan.engine !== this) throw invalidArg('plan', 'ReadPlan', 'belongs to another engine');
    plan.checkLive();
    if (!(result === undefined || result instanceof BatchResult))
      throw invalidArg('result', result, 'must be a BatchResult');
    const idArray = toIds(ids);
    const out = result ?? new BatchResult(plan, idArray.length);
    if (out.plan !== plan || out.rows < idArray.length)
      throw invalidArg('result', 'BatchResult', 'must be made for this plan with enough rows');
    if (options !== undefined && (options === null || typeof options !== 'object'))
      throw invalidArg('options', options, 'must be an object');
    const tiers = options?.tiers;
    if (tiers !== undefined && !(tiers instanceof Uint8Array && tiers.length >= idArray.length)) {
      throw invalidArg('options.tiers', tiers, 'must be a Uint8Array with a tier per row');
    }
    const keep = options?.keepUnread;
    if (keep !== undefined && typeof keep !== 'boolean')
      throw invalidArg('options.keepUnread', keep, 'must be a boolean');
    out.ids = idArray;
    out.clearParseErrors();
    return [idArray, out, tiers, keep === true];
  }

  /** Reads a plan for every handle, synchronously (with `tiers`: only the files of each row's tier and below). */
  readSync(
    plan: ReadPlan,
    ids: Uint32Array | readonly number[],
    result?: BatchResult,
    options?: ReadOptions,
  ): BatchResult {
    const [idArray, out, tiers, keepUnread] = this.prepare(plan, ids, result, options);
    out.addParseErrors(
      this.nativeEngine.read(
        plan.id,
        idArray,
        out.values,
        out.flags,
        out.fileStatus,
        out.itemStatus,
        out.sampleMs,
        !out.bigint,
        tiers,
        keepUnread,
      ),
    );
    return out;
  }

  /**
   * Reads a plan for every handle off the event loop. A large batch is split into contiguous row ranges read by
   * several libuv workers at once (`workers`: default one per ROWS_PER_WORKER rows, at most the pool size and the CPU
   * count); rows of different handles are read in parallel (docs/engine.md). Do not touch `result` (or `ids`) until
   * the promise settles.
   */
  async read(
    plan: ReadPlan,
    ids: Uint32Array | readonly number[],
    result?: BatchResult,
    options: ReadOptions & { workers?: number } = {},
  ): Promise<BatchResult> {
    const [idArray, out, tiers, keepUnread] = this.prepare(plan, ids, result, options);
    const n = idArray.length;
    const workers = options.workers ?? defaultWorkers(n);
    if (!Number.isInteger(workers) || workers < 1) throw invalidArg('workers', workers, 'must be a positive integer');
    const count = Math.max(1, Math.min(workers, n));
    const chunk = Math.ceil(n / count);
    const slots = plan.slots;
    const files = plan.files.length;
    const parts: Array<Promise<void>> = [];
    for (let w = 0; w < count; w++) {
      const start = Math.min(n, w * chunk);
      const end = Math.min(n, start + chunk);
      parts.push(
        this.nativeEngine
          .readAsync(
            plan.id,
            idArray.subarray(start, end),
            out.values.subarray(start * slots, end * slots),
            out.flags.subarray(start * slots, end * slots),
            out.fileStatus.subarray(start * files, end * files),
            out.itemStatus.subarray(start, end),
            out.sampleMs.subarray(start, end),
            !out.bigint,
            tiers?.subarray(start, end),
            keepUnread,
          )
          .then((records) => out.addParseErrors(records, start)),
      );
    }
    await Promise.all(parts);
    return out;
  }

  /** Reads a whole file of a cgroup as text. */
  readFile(id: number, controller: string, name: string): string {
    return this.nativeEngine.readFile(id, this.hierarchyFor(controller).index, cgroupName(name));
  }

  // ---- the write side: cgroup paths (no handle), resolved beneath the hierarchy root without following symlinks ----

  /** The index of a hierarchy given by controller name or as a Hierarchy of this engine's layout. */
  hierarchyIndex(where: HierarchyRef): number {
    if (typeof where === 'string') return this.hierarchyFor(where).index;
    if (where !== null && typeof where === 'object' && this.layout.hierarchies[where.index] === where)
      return where.index;
    throw invalidArg('hierarchy', where, "must be a controller name or a Hierarchy of this engine's layout");
  }

  private fsArgs(where: HierarchyRef, path: string, name?: string, data?: string): [number, string, string, string] {
    if (data !== undefined && typeof data !== 'string') throw invalidArg('data', data, 'must be a string');
    return [this.hierarchyIndex(where), cgroupRelPath(path), name === undefined ? '' : cgroupName(name), data ?? ''];
  }

  /**
   * Creates the cgroup directory `path` (its parent must exist) in one hierarchy: true when it made it, false when a
   * directory was already there. A symlink on the way or in its place is refused (ELOOP / EEXIST); the hierarchy root
   * itself is refused (ERR_CGROUP_ROOT_REFUSED).
   */
  mkdirSync(where: HierarchyRef, path: string): boolean {
    return native.fsOp(this.nativeEngine, FS_OP.mkdir, ...this.fsArgs(where, path)) as boolean;
  }

  async mkdir(where: HierarchyRef, path: string): Promise<boolean> {
    return (await native.fsOpAsync(this.nativeEngine, FS_OP.mkdir, ...this.fsArgs(where, path))) as boolean;
  }

  /** Removes the (empty) cgroup directory `path`: true when removed, false when it did not exist. Never the root. */
  rmdirSync(where: HierarchyRef, path: string): boolean {
    return native.fsOp(this.nativeEngine, FS_OP.rmdir, ...this.fsArgs(where, path)) as boolean;
  }

  async rmdir(where: HierarchyRef, path: string): Promise<boolean> {
    return (await native.fsOpAsync(this.nativeEngine, FS_OP.rmdir, ...this.fsArgs(where, path))) as boolean;
  }

  /** The names of the child directories of `path` (symlinks are not directories), or undefined when it does not exist. */
  childrenSync(where: HierarchyRef, path: string): string[] | undefined {
    return (native.fsOp(this.nativeEngine, FS_OP.list, ...this.fsArgs(where, path)) as string[] | null) ?? undefined;
  }

  async children(where: HierarchyRef, path: string): Promise<string[] | undefined> {
    return (
      ((await native.fsOpAsync(this.nativeEngine, FS_OP.list, ...this.fsArgs(where, path))) as string[] | null) ??
      undefined
    );
  }

  /** A small file (at most 1 MiB) of the cgroup `path`, as text. Only regular files are read. */
  readTextSync(where: HierarchyRef, path: string, name: string): string {
    return native.fsOp(this.nativeEngine, FS_OP.read, ...this.fsArgs(where, path, name)) as string;
  }

  async readText(where: HierarchyRef, path: string, name: string): Promise<string> {
    return (await native.fsOpAsync(this.nativeEngine, FS_OP.read, ...this.fsArgs(where, path, name))) as string;
  }

  /**
   * Writes `data` to a file of the cgroup `path` in one write(2) (a cgroup file takes one value per write). Only
   * regular files are written; on a plain directory standing in for cgroupfs a missing file is created.
   */
  writeTextSync(where: HierarchyRef, path: string, name: string, data: string): void {
    native.fsOp(this.nativeEngine, FS_OP.write, ...this.fsArgs(where, path, name, data));
  }

  async writeText(where: HierarchyRef, path: string, name: string, data: string): Promise<void> {
    await native.fsOpAsync(this.nativeEngine, FS_OP.write, ...this.fsArgs(where, path, name, data));
  }

  /** The pids of a cgroup's own cgroup.procs (not recursive). */
  readPids(id: number, controller: string, name = 'cgroup.procs'): number[] {
    return Array.from(this.nativeEngine.readPids(id, this.hierarchyFor(controller).index, cgroupName(name)));
  }

  /** readPids off the event loop: the file is read and parsed on the libuv pool. */
  async readPidsAsync(id: number, controller: string, name = 'cgroup.procs'): Promise<number[]> {
    return Array.from(await this.nativeEngine.readPidsAsync(id, this.hierarchyFor(controller).index, cgroupName(name)));
  }

  private pidArgs(ids: Uint32Array | readonly number[], pids: Int32Array | readonly number[], controller?: string) {
    const idArray = toIds(ids);
    const pidArray = pids instanceof Int32Array ? pids : Int32Array.from(pids.map((p, i) => checkPid(p, `pids[${i}]`)));
    if (pidArray.length !== idArray.length)
      throw invalidArg('pids', pidArray.length, `must have one pid per id (${idArray.length})`);
    const hier = controller === undefined ? -1 : this.hierarchyFor(controller).index;
    return { idArray, pidArray, hier, results: new Int32Array(idArray.length) };
  }

  /**
   * Writes pids[i] into ids[i]'s cgroup.procs: in the controller's hierarchy, or in every hierarchy the cgroup exists
   * in when controller is undefined. Returns one result per pid: undefined for success, or the error of that pid
   * (ESRCH for a pid that has exited), never a failed batch.
   */
  writePidsSync(
    ids: Uint32Array | readonly number[],
    pids: Int32Array | readonly number[],
    controller?: string,
  ): Array<CgroupError | undefined> {
    const a = this.pidArgs(ids, pids, controller);
    this.nativeEngine.writePids(a.idArray, a.pidArray, a.hier, a.results);
    return this.pidResults(a.idArray, a.pidArray, a.hier, a.results);
  }

  async writePids(
    ids: Uint32Array | readonly number[],
    pids: Int32Array | readonly number[],
    controller?: string,
  ): Promise<Array<CgroupError | undefined>> {
    const a = this.pidArgs(ids, pids, controller);
    await this.nativeEngine.writePidsAsync(a.idArray, a.pidArray, a.hier, a.results);
    return this.pidResults(a.idArray, a.pidArray, a.hier, a.results);
  }

  private pidResults(
    ids: Uint32Array,
    pids: Int32Array,
    hier: number,
    results: Int32Array,
  ): Array<CgroupError | undefined> {
    return Array.from(results, (s, i) => {
      if (s === PID_STATUS.ok) return undefined;
      const target = hier >= 0 ? this.layout.hierarchies[hier]! : undefined;
      const path = target ? this.filePath(ids[i]!, target, 'cgroup.procs') : undefined;
      if (s < 0) {
        const { errno, syscall } = decodeSysStatus(s);
        return sysError(errno, syscall, path ?? this.cgroupPath(ids[i]!), { file: 'cgroup.procs' });
      }
      if (s === PID_STATUS.badHandle)
        return new CgroupError('the cgroup handle is closed', { code: 'ERR_CGROUP_HANDLE_CLOSED' });
      if (s === PID_STATUS.invalid) return invalidArg(`pids[${i}]`, pids[i], 'must be a positive 32-bit integer');
      if (s === PID_STATUS.notRegular) {
        return new CgroupError('cgroup.procs is not a regular file', {
          code: 'ERR_CGROUP_NOT_REGULAR_FILE',
          ...(path ? { path } : {}),
        });
      }
      return new CgroupError(`the cgroup does not exist in hierarchy ${target?.path}`, {
        code: 'ERR_CGROUP_NOT_IN_HIERARCHY',
        ...(path ? { path } : {}),
      });
    });
  }

  /** Full path of a file of a handle in a hierarchy (for messages). */
  filePath(id: number, hierarchy: Hierarchy, name: string): string {
    const info = this.nativeEngine.info(id);
    const rel = info?.path ? '/' + info.path : '';
    return `${hierarchy.path}${rel}/${name}`;
  }

  private cgroupPath(id: number): string {
    const info = this.nativeEngine.info(id);
    return info ? '/' + info.path : '(closed handle)';
  }

  /**
   * Descriptor use: this engine's held descriptors against its budget, open handles and live plans, and the process's
   * (every engine and OOM watcher): held, budget, RLIMIT_NOFILE, and whether an EMFILE/ENFILE cut the budget.
   */
  usage(): EngineUsage {
    return this.nativeEngine.usage();
  }

  /** Closes every handle and descriptor now (otherwise they are closed when the engine is collected). */
  destroy(): void {
    this.nativeEngine.destroy();
  }
}
