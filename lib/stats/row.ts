/**
 * A row of a stats read as the per-controller readers see it: their own files by local name, with the library's
 * distinctions — a value, "max", a file that is not there (absent on a live cgroup, or its hierarchy is not mounted /
 * does not hold the cgroup), or an error worded as opencontainers/cgroups words it.
 */
import type { BatchResult, Engine, FileSpec, ReadPlan } from '../engine';
import { FILE_STATUS, PLAN_MAX_CAP, SLOT } from '../engine';
import { CgroupError, sysError } from '../errors';
import { parseErrorReason } from './errors';
import { toNum, type U64 as Exact } from './raw';

export const MAXU64 = (1n << 64n) - 1n;
export const U64 = 1n << 64n;
const EOPNOTSUPP = 95;
const ENOENT = 2;

/** The files one controller reader needs, by local name. */
export type FileSet = Record<string, FileSpec>;

/**
 * How a reader names one of its files when it asks the row: its local name, or its number in the reader's static file
 * list (`ControllerReader.fileNames`, numbered by `staticFiles`), resolved to the plan's entry once per view instead
 * of a lookup by name per question.
 */
export type FileRef = string | number;

/** Where a planned file sits in the compiled plan. */
export interface PlanEntry {
  file: number;
  spec: FileSpec;
}

/** One row of a batch result: the engine, the handle, and the plan's files by qualified key (`<reader>:<name>`). */
export class RowRead {
  /** The errors worded so far in this read (made on the first error: most reads have none). */
  private errs: Map<string, CgroupError> | undefined;
  /** The readers' views, made once per RowRead (a reused RowRead keeps them: they hold nothing of one read). */
  private readonly scopes = new Map<string, Files>();
  /** The same views by the reader's position in the compiled plan (extractRow's loop: no lookup by name). */
  private readonly views: Files[] = [];
  /** The row's file statuses start here in result.fileStatus. */
  readonly statusBase: number;
  /** The row's values and flags start here in result.values / result.flags. */
  readonly slotBase: number;
  /** The slot offset of each file of the plan. */
  readonly offsets: readonly number[];
  /** The plan's entries by reader, then by local name. */
  private readonly byReader: Map<string, Map<string, PlanEntry>>;

  constructor(
    readonly engine: Engine,
    readonly plan: ReadPlan,
    readonly result: BatchResult,
    readonly row: number,
    /** The handle of the row's cgroup (set again by reuse()). */
    public id: number,
    readonly entries: ReadonlyMap<string, PlanEntry>,
    /** Every file the readers asked for, planned or not (a hierarchy that is not mounted is not planned). */
    readonly specs: ReadonlyMap<string, FileSpec> = NO_SPECS,
  ) {
    this.statusBase = row * plan.files.length;
    this.slotBase = row * plan.slots;
    this.offsets = planOffsets(plan);
    this.byReader = byReader(entries);
  }

  /** The cgroup vanished during the read (ENODEV on a held descriptor, or its directory went away). */
  get gone(): boolean {
    return this.result.itemStatus[this.row] !== 0;
  }

  /** Makes this RowRead stand for a new read of the same row (another handle, or the same one again). */
  reuse(id: number): this {
    this.id = id;
    this.errs = undefined;
    return this;
  }

  scope(prefix: string, names?: readonly string[]): Files {
    let f = this.scopes.get(prefix);
    if (f === undefined)
      this.scopes.set(prefix, (f = new Files(this, prefix, this.byReader.get(prefix) ?? NO_ENTRIES, names)));
    return f;
  }

  /**
   * The view of the i-th reader of the compiled plan this row is read with (the same i always names the same reader:
   * a RowRead is reused only with the plan's own entries).
   */
  view(i: number, prefix: string, names: readonly string[] | undefined): Files {
    return (this.views[i] ??= this.scope(prefix, names));
  }

  entry(key: string): PlanEntry | undefined {
    return this.entries.get(key);
  }

  /**
   * The error of a file, with the library's wording from the native parser's record of why it failed (what it saw in
   * this read; the file is not read again). Cached per file.
   */
  error(key: string): CgroupError | undefined {
    const cached = this.errs?.get(key);
    if (cached) return cached;
    const e = this.entries.get(key);
    if (!e) return undefined;
    let err = this.result.error(this.row, e.file);
    if (!err) return undefined;
    if (err.code === 'ERR_CGROUP_PARSE' && err.path !== undefined) {
      const record = this.result.parseError(this.row, e.file);
      const reason = record === undefined ? undefined : parseErrorReason(e.spec.format, record);
      if (reason !== undefined) {
        err = new CgroupError(`unable to parse ${err.path}: ${reason}`, {
          code: 'ERR_CGROUP_PARSE',
          path: err.path,
          controller: e.spec.controller,
          file: e.spec.name,
        });
      }
    }
    (this.errs ??= new Map()).set(key, err);
    return err;
  }
}

/** A controller reader's view of a row: its own files by local name. */
export class Files {
  // The row's arrays, looked up once per reader rather than once per question (a row asks ~100 of them).
  private readonly fileStatus: Int32Array;
  private readonly statusBase: number;
  private readonly flags: Uint8Array;
  private readonly values: Float64Array | BigUint64Array;
  /** The values' 32-bit halves (bigint results only): a value below 2^53 is read from them, no BigInt made. */
  private readonly halves: Uint32Array | undefined;
  private readonly slotBase: number;
  private readonly offsets: readonly number[];
  /** The plan entries of the reader's static files, by number (undefined: not planned). */
  private readonly byNum: ReadonlyArray<PlanEntry | undefined>;
  /** By number: the index of the file's status in fileStatus and of its first slot in values/flags (-1: not planned). */
  private readonly statusAt: Int32Array;
  private readonly slotAt: Int32Array;

  constructor(
    private readonly r: RowRead,
    private readonly prefix: string,
    private readonly mine: ReadonlyMap<string, PlanEntry> = byReader(r.entries).get(prefix) ?? NO_ENTRIES,
    /** The reader's static file names, in the order of their numbers (FileRef). */
    private readonly names: readonly string[] = NO_NAMES,
  ) {
    const result = r.result;
    this.fileStatus = result.fileStatus;
    this.statusBase = r.statusBase;
    this.flags = result.flags;
    this.values = result.values;
    this.halves = result.bigint ? halvesOf(result) : undefined;
    this.slotBase = r.slotBase;
    this.offsets = r.offsets;
    this.byNum = names.map((n) => mine.get(n));
    this.statusAt = Int32Array.from(this.byNum, (e) => (e === undefined ? -1 : this.statusBase + e.file));
    this.slotAt = Int32Array.from(this.byNum, (e) => (e === undefined ? -1 : this.slotBase + this.offsets[e.file]!));
  }

  // The last name asked for: a reader asks several questions of one file in a row (ok, then value, value, ...).
  private lastName: string | undefined;
  private lastEntry: PlanEntry | undefined;

  private entry(ref: FileRef): PlanEntry | undefined {
    if (typeof ref === 'number') return this.byNum[ref];
    const name = ref;
    if (name === this.lastName) return this.lastEntry;
    this.lastName = name;
    return (this.lastEntry = this.mine.get(name));
  }

  /** The local name of a file. */
  private nameOf(ref: FileRef): string {
    return typeof ref === 'number' ? this.names[ref]! : ref;
  }

  private status(e: PlanEntry): number {
    return this.fileStatus[this.statusBase + e.file]!;
  }

  /** The row's cgroup vanished during the read. */
  get gone(): boolean {
    return this.r.gone;
  }

  /** The file was read and parsed. */
  ok(name: FileRef): boolean {
    if (typeof name === 'number') {
      const s = this.statusAt[name]!;
      return s >= 0 && this.fileStatus[s] === FILE_STATUS.ok;
    }
    const e = this.entry(name);
    return e !== undefined && this.status(e) === FILE_STATUS.ok;
  }

  /**
   * The file is not there: not planned (its hierarchy is not mounted), not in the cgroup's hierarchy, or ENOENT on a
   * live cgroup — the library's "not exist". When the cgroup vanished during the read every unread file counts as
   * missing: the row carries the one error that says so.
   */
  missing(name: FileRef): boolean {
    const e = this.entry(name);
    if (e === undefined) return true;
    const s = this.status(e);
    if (s === FILE_STATUS.ok) return false;
    if (this.r.gone) return true;
    // BatchResult.absent() on a live row, without its object per check (six absent files a v1 read).
    return s === FILE_STATUS.notInHierarchy || (s < 0 && sysStatusErrno(s) === ENOENT);
  }

  /** A read that failed with EOPNOTSUPP (PSI without psi=1; cgroup.procs of a threaded cgroup). */
  notSupported(name: FileRef): boolean {
    const e = this.entry(name);
    if (e === undefined) return false;
    const s = this.status(e);
    return s < 0 && sysStatusErrno(s) === EOPNOTSUPP;
  }

  /** The file's error (undefined when it was read, or is missing). */
  error(name: FileRef): CgroupError | undefined {
    if (this.ok(name) || this.missing(name)) return undefined;
    return this.r.error(`${this.prefix}:${this.nameOf(name)}`);
  }

  /**
   * The file's error even when it is merely missing (the library's ENOENT), for files the library requires. A file of
   * a hierarchy that is not mounted gets an ERR_CGROUP_NOT_MOUNTED error.
   */
  requiredError(name: FileRef): CgroupError | undefined {
    if (this.ok(name)) return undefined;
    const key = `${this.prefix}:${this.nameOf(name)}`;
    const e = this.entry(name);
    if (e === undefined) {
      const spec = this.r.specs.get(key);
      return new CgroupError(
        `the ${spec?.controller || 'unified'} hierarchy is not mounted: cannot read ${spec?.name ?? this.nameOf(name)}`,
        {
          code: 'ERR_CGROUP_NOT_MOUNTED',
          ...(spec ? { controller: spec.controller, file: spec.name } : {}),
        },
      );
    }
    if (this.status(e) === FILE_STATUS.notInHierarchy) {
      // The library opens <hierarchy>/<cgroup>/<file> and gets ENOENT: say the same.
      const plan = this.r.plan.files[e.file]!;
      return sysError(ENOENT, 'openat', this.r.engine.filePath(this.r.id, plan.hierarchy, plan.name), {
        controller: plan.controller,
        file: plan.name,
      });
    }
    return this.r.error(key);
  }

  /** The cgroup's directory does not exist in the file's hierarchy (or the hierarchy is not mounted): the library's
   * `PathExists(dir)` check that makes a v1 controller skip silently. */
  noDir(name: FileRef): boolean {
    const e = this.entry(name);
    if (e === undefined) return true;
    return this.status(e) === FILE_STATUS.notInHierarchy;
  }

  /** The index of slot k of file `name` in the row's arrays, or -1 when the file is not planned or the slot absent. */
  private slotIndex(name: FileRef, k: number): number {
    const e = this.entry(name);
    if (e === undefined) return -1;
    const i = this.slotBase + this.offsets[e.file]! + k;
    return this.flags[i] === SLOT.absent ? -1 : i;
  }

  /**
   * Slot k as an exact u64 in the raw stats' normal form (raw.ts U64: a number up to 2^53−1, read from the slot's two
   * 32-bit halves without a BigInt; a bigint above, "max" being 2^64-1), or undefined when the slot is absent.
   */
  value(name: FileRef, k = 0): Exact | undefined {
    if (typeof name === 'number') {
      // By number: the slot's index without the plan entry.
      const b = this.slotAt[name]!;
      if (b < 0 || this.flags[b + k] === SLOT.absent) return undefined;
      return this.valueAt(b + k);
    }
    const i = this.slotIndex(name, k);
    return i < 0 ? undefined : this.valueAt(i);
  }

  /** The u64 at slot index i (present), in the normal form. */
  private valueAt(i: number): Exact {
    if (this.flags[i] === SLOT.float) return integral(this.r.result.floats[i]!);
    const h = this.halves;
    if (h === undefined) return integral(this.values[i] as number);
    const hi = h[2 * i + 1]!;
    // Below 2^53 (the high half below 2^21) the two halves added in doubles are the exact value.
    if (hi < 0x200000) return hi * 4294967296 + h[2 * i]!;
    return this.values[i] as bigint;
  }

  /** Slot k holds the literal "max". */
  isMax(name: FileRef, k = 0): boolean {
    const e = this.entry(name);
    return e !== undefined && this.flags[this.slotBase + this.offsets[e.file]! + k] === SLOT.max;
  }

  /** Slot k as a double (PSI averages); 0 when absent. */
  float(name: FileRef, k = 0): number {
    const e = this.entry(name);
    if (e === undefined) return 0;
    const v = this.r.result.get(this.r.row, e.file, k);
    return typeof v === 'number' ? v : v === undefined ? 0 : Number(v);
  }

  /**
   * Slot k as a number (Number() of the u64, "max" 2^64 rounded as Number() rounds it), or undefined when absent; no
   * BigInt made: the two 32-bit halves added in doubles are the exact value rounded once, as Number() rounds it.
   */
  int(name: FileRef, k = 0): number | undefined {
    const i = this.slotIndex(name, k);
    if (i < 0) return undefined;
    const h = this.halves;
    if (h === undefined || this.flags[i] === SLOT.float) return toNum(this.valueAt(i));
    return h[2 * i]! + h[2 * i + 1]! * 4294967296;
  }

  /** For list/ioStat/blkio files: the number of entries in the file (slot 0). */
  count(name: FileRef): number {
    return this.int(name, 0) ?? 0;
  }

  /** For list/ioStat/blkio files: whether the file had more entries than the plan's capacity. */
  overflow(name: FileRef): boolean {
    const e = this.entry(name);
    return e !== undefined && this.status(e) === FILE_STATUS.overflow;
  }

  /**
   * Reads one of this reader's files again, for this cgroup only, with a capacity that fits `cap` entries (a list that
   * overflowed the plan's capacity). Returns a Files view over the new read, or undefined if the file is not planned.
   */
  reread(name: FileRef, cap: number): Files | undefined {
    const e = this.entry(name);
    if (e === undefined) return undefined;
    if (cap > PLAN_MAX_CAP) {
      // Before: the engine's plan() refused the capacity with a bare RangeError (issue 15 item 6).
      const path = this.r.engine.filePath(
        this.r.id,
        e.spec.controller === undefined
          ? this.r.engine.layout.hierarchies[0]!
          : this.r.engine.hierarchyFor(e.spec.controller),
        e.spec.name,
      );
      throw new CgroupError(`${path} has ${cap} entries, more than the ${PLAN_MAX_CAP} cgmgr reads from one file`, {
        code: 'ERR_CGROUP_CAPACITY',
        path,
        controller: e.spec.controller,
        file: e.spec.name,
      });
    }
    // Powers of two: the single-file plans cached per capacity stay few however the count varies.
    const fit = Math.min(PLAN_MAX_CAP, 2 ** Math.ceil(Math.log2(Math.max(cap, 1))));
    const spec: FileSpec = { ...e.spec, cap: Math.max(fit, e.spec.cap ?? 0) };
    const plan = singleFilePlan(this.r.engine, spec);
    const result = this.r.engine.readSync(plan, [this.r.id], this.r.engine.result(plan, 1, { bigint: true }));
    const key = `${this.prefix}:${this.nameOf(name)}`;
    const row = new RowRead(this.r.engine, plan, result, 0, this.r.id, new Map([[key, { file: 0, spec }]]));
    return row.scope(this.prefix, this.names);
  }

  /** Reads a file that is not in the plan (rarely needed), for this cgroup only, under the local name `name`. */
  once(name: FileRef, spec: FileSpec): Files | undefined {
    if (this.r.engine.layout.version === 1 && !hierarchyMounted(this.r.engine, spec.controller)) return undefined;
    const plan = singleFilePlan(this.r.engine, spec);
    const result = this.r.engine.readSync(plan, [this.r.id], this.r.engine.result(plan, 1, { bigint: true }));
    const key = `${this.prefix}:${this.nameOf(name)}`;
    const row = new RowRead(this.r.engine, plan, result, 0, this.r.id, new Map([[key, { file: 0, spec }]]));
    return row.scope(this.prefix, this.names);
  }

  /**
   * One of this reader's files read again from another v1 hierarchy that holds the cgroup (for when the planned
   * hierarchy does not hold it): the first of `prefer` that does, else the first other hierarchy in layout order.
   * Undefined when no other hierarchy holds it.
   */
  elsewhere(name: FileRef, prefer: readonly string[]): Files | undefined {
    const spec = this.entry(name)?.spec ?? this.r.specs.get(`${this.prefix}:${this.nameOf(name)}`); // not planned
    const engine = this.r.engine;
    const info = engine.info(this.r.id);
    if (spec === undefined || info === null || engine.layout.version !== 1) return undefined;
    const own = engine.layout.controllers.get(spec.controller);
    const candidates = [
      ...prefer.map((c) => engine.layout.controllers.get(c)),
      ...engine.layout.hierarchies.filter((h) => h.version === 1),
    ];
    for (const h of candidates) {
      if (h === undefined || h === own || info.present[h.index] !== true) continue;
      return this.once(name, { ...spec, controller: h.controllers[0]! });
    }
    return undefined;
  }

  /** The text of any file of this cgroup in a controller's hierarchy, or undefined when it cannot be read. */
  readText(controller: string, fileName: string): string | undefined {
    try {
      return this.r.engine.readFile(this.r.id, controller, fileName);
    } catch {
      return undefined;
    }
  }

  /** The whole text of one of this reader's files (for values the plan's format cannot carry), or undefined. */
  text(name: FileRef): string | undefined {
    const e = this.entry(name);
    if (e === undefined) return undefined;
    try {
      return this.r.engine.readFile(this.r.id, e.spec.controller, e.spec.name);
    } catch {
      return undefined;
    }
  }
}

const NO_ENTRIES: ReadonlyMap<string, PlanEntry> = new Map();
const NO_NAMES: readonly string[] = Object.freeze([]);

/**
 * The errno of a negative batch status, -(syscall × 4096 + errno): lib/errors decodeSysStatus's errno, without its
 * object (a missing-file check runs on every read).
 */
function sysStatusErrno(status: number): number {
  return -status % 4096;
}

/** The integer part of a double as an exact u64 in the normal form (what BigInt(Math.trunc(v)) is). */
function integral(v: number): Exact {
  const t = Math.trunc(v);
  return Number.isSafeInteger(t) ? t : BigInt(t);
}
const halvesMade = new WeakMap<BatchResult, Uint32Array>();

/** A 32-bit view over a bigint result's values (made once per result). */
function halvesOf(result: BatchResult): Uint32Array {
  let h = halvesMade.get(result);
  if (h === undefined) {
    const v = result.values;
    halvesMade.set(result, (h = new Uint32Array(v.buffer, v.byteOffset, v.length * 2)));
  }
  return h;
}
const NO_SPECS: ReadonlyMap<string, FileSpec> = new Map();
const offsetsOf = new WeakMap<ReadPlan, readonly number[]>();

/** The slot offset of each file of a plan, as an array (made once per plan). */
function planOffsets(plan: ReadPlan): readonly number[] {
  let o = offsetsOf.get(plan);
  if (o === undefined) offsetsOf.set(plan, (o = plan.files.map((f) => f.offset)));
  return o;
}
const split = new WeakMap<ReadonlyMap<string, PlanEntry>, Map<string, Map<string, PlanEntry>>>();

/** A plan's entries by reader, then by local name (`<reader>:<name>` split once per plan, not per lookup). */
function byReader(entries: ReadonlyMap<string, PlanEntry>): Map<string, Map<string, PlanEntry>> {
  let m = split.get(entries);
  if (m === undefined) {
    m = new Map();
    for (const [key, e] of entries) {
      const colon = key.indexOf(':');
      const reader = key.slice(0, colon);
      let mine = m.get(reader);
      if (mine === undefined) m.set(reader, (mine = new Map<string, PlanEntry>()));
      mine.set(key.slice(colon + 1), e);
    }
    split.set(entries, m);
  }
  return m;
}

export function hierarchyMounted(engine: Engine, controller: string): boolean {
  const l = engine.layout;
  if (l.version === 2) return true;
  return controller === '' || controller === 'unified' ? l.unified !== undefined : l.controllers.has(controller);
}

const singlePlans = new WeakMap<Engine, Map<string, ReadPlan>>();

function singleFilePlan(engine: Engine, spec: FileSpec): ReadPlan {
  let plans = singlePlans.get(engine);
  if (!plans) singlePlans.set(engine, (plans = new Map<string, ReadPlan>()));
  const key = JSON.stringify([spec.controller, spec.name, spec.format, spec.keys ?? [], spec.cap ?? 0]);
  let plan = plans.get(key);
  if (!plan) {
    plan = engine.plan([{ ...spec, hold: false }]);
    plans.set(key, plan);
  }
  return plan;
}
