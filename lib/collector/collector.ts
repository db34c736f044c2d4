/**
 * StatsCollector: the batch API for metrics agents. Register cgroups once; each sweep is one native batch read (the
 * engine's held descriptors and pread at offset 0) of the stats readers' plan plus the collector's extra keys, turned
 * into a fixed column layout (lib/collector/layout.ts) without building objects. Rows that vanished are reported
 * (ROW_STATUS.gone) and dropped; OOM kills are events; a parent can be watched for new and removed children.
 *
 *   const c = new StatsCollector();
 *   c.add('/kubepods/pod1/crio-abc', { name: 'crio-abc', pod: 'p1' });
 *   c.on('oom', (e) => console.log(e.path, e.count));
 *   const s = await c.collectAsync();
 *   s.get(0, 'memory_working_set_bytes'); s.rates(0)?.cpuCores; s.stats(0).memory.usage;
 */
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Engine, FILE_STATUS, ITEM_STATUS, defaultFdBudget, type BatchResult, type EngineOptions, type EngineUsage, type ReadPlan } from '../engine';
import { CgroupError, invalidArg } from '../errors';
import { DEFAULT_ROOT, discoverHierarchies } from '../hierarchy';
import type { CgroupManager } from '../managers/types';
import { compileStats, controllerMask, statsOfRow, type CompiledStats, type StatsResult } from '../stats/reader';
import { hugePageSizes } from '../stats/hugepages';
import { CONTROLLERS, type StatsOptions } from '../stats/types';
import { cgroupRelPath } from '../validate';
import { parseCgroupIdentity } from '../identity';
import { ColumnProgram, extrasFor } from './columns';
import { DeviceNames } from './devices';
import { IoDeviceProgram } from './io-devices';
import { NetworkReader, newNetState, type NetState, type NetworkCounts } from './network';
import { KeyTable } from './vectors';
import { FIELD, FIELD_COUNT, ROW_STATUS } from './layout';
import { oomSource, type OomEvent, type OomSource } from './oom';
import { RATE_COUNT, RATE_FIELDS, Sweep, type Labels } from './sweep';
import { ChildWatcher, TreeWatcher, type TreeWatchOptions, type WatchOptions } from './watch';

export interface CollectorOptions {
  /** The cgroup root (default /sys/fs/cgroup), or a recorded tree. */
  root?: string;
  /** Force the cgroup version (a recorded tree). */
  version?: 1 | 2;
  /** Sweeps in BigUint64Array (exact u64) instead of Float64Array. */
  bigint?: boolean;
  /**
   * The controllers sweeps read (CONTROLLERS bits or names). Default: memory, cpu, cpuacct, pids, io and memoryEvents,
   * plus psi on v2 and on a hybrid host with the unified hierarchy. The columns' own files (spec values, cgroup.procs,
   * v1 blkio.throttle.*_recursive) are read with their controller; a column whose controller is not read is absent.
   * On v1 the io columns read blkio.throttle.*_recursive directly; stats(row).diskIO (the stats reader's ten-file blkio
   * search) only when io is asked for explicitly. The process scan (`process`) happens only in stats(row).
   */
  controllers?: StatsOptions['controllers'];
  /** Most descriptors the collector keeps open (the engine's budget; past it files are opened per read). Default:
   * ¾ of RLIMIT_NOFILE, at most 65536. Whatever this says, all collectors, engines and v1 OOM watches of the process
   * share one process budget (processFdBudget()); a larger value is clamped to it. */
  maxOpenFiles?: number;
  /** Where /proc is (stats(row) with the process controller). */
  procRoot?: string;
  /** Push OOM events (v2: inotify on memory.events; v1: eventfds on memory.oom_control in one epoll thread) for every
   * registered cgroup. Default true. Sweeps report OOM kills (a rising oom_kill) as events in any case. */
  oomEvents?: boolean;
  /** Use this engine (shares its handles' budget) instead of a collector-owned one. */
  engine?: Engine;
  /** Passed to the collector's own engine. */
  resolve?: EngineOptions['resolve'];
  /**
   * Which rows get network figures (`sweep.network`, per interface, from /proc/<pid>/net/dev of a process of the row's
   * cgroup or its descendants): 'pods' (default) the pod-level cgroups (`kubepods…/pod<uid>`,
   * `kubepods-…-pod<uid>.slice`: lib/identity.ts), as cAdvisor reports a pod's network on its infra container;
   * 'all' every row; 'none' no row (no /proc reads); or a function of the row's path (`/a/b`) saying whether it gets
   * them, asked once when the row is added.
   */
  network?: NetworkMode;
  /** Where /sys is (device names of the io per device figures: /sys/dev/block/<maj>:<min>/uevent). */
  sysRoot?: string;
}

export type NetworkMode = 'pods' | 'all' | 'none' | ((path: string) => boolean);

export interface CollectorUsage extends EngineUsage {
  registered: number;
  oomWatches: number;
  /** Rows of the last sweep that could not be read (ROW_STATUS.error). */
  failedRows: number;
  /** The last ERR_COLLECTOR_READ (undefined until a sweep fails a row). */
  lastError: CgroupError | undefined;
  /** Network figures: /proc/<pid>/net/dev reads, and pid look-ups in pods' cgroups (a pod's first sweep, or its
   * process gone). */
  network: NetworkCounts;
}

export interface CollectOptions<S extends Sweep = Sweep> {
  /** A sweep to refill (from an earlier collect): its arrays are reused when it has room for every row. */
  into?: S;
}

/** A registered cgroup. @internal */
interface Entry {
  path: string;
  rel: string;
  id: number;
  identity: number;
  labels: Labels;
  previous: Float64Array;
  previousMs: number;
  oomKill: number;
  /** The pod's process for network figures, or undefined when the row has none. */
  net: NetState | undefined;
}

export interface CollectorEvents {
  /** An OOM kill in a registered cgroup: the cgroup's oom_kill counter went up by `delta` to `count`. */
  oom: [OomEvent];
  /** A cgroup vanished (found gone by a sweep, removed from a watched parent, or re-created and added again) and was dropped. */
  gone: [{ path: string; labels: Labels; identity: number }];
  /** A cgroup was added by a watcher. */
  add: [{ path: string; labels: Labels }];
  /** A watcher failed (the error is also the watcher's), or a sweep could not read some rows (ERR_COLLECTOR_READ,
   * emitted only while an 'error' listener is attached). */
  error: [Error];
  /** Something degraded but the collector carries on (a tree watcher fell back to rescans, a label function threw). */
  warning: [Error];
}

const DEFAULT_MASK: Record<1 | 2, number> = {
  1: CONTROLLERS.memory | CONTROLLERS.cpu | CONTROLLERS.cpuacct | CONTROLLERS.pids | CONTROLLERS.io | CONTROLLERS.memoryEvents,
  2: CONTROLLERS.memory | CONTROLLERS.cpu | CONTROLLERS.pids | CONTROLLERS.io | CONTROLLERS.memoryEvents | CONTROLLERS.psi,
};

export class StatsCollector extends EventEmitter<CollectorEvents> {
  readonly engine: Engine;
  readonly version: 1 | 2;
  readonly bigint: boolean;
  /** The CONTROLLERS mask sweeps read. */
  readonly mask: number;
  private readonly ownsEngine: boolean;
  /** Whether OOM kills are pushed ('oom' between sweeps) or only seen by sweeps. */
  readonly oomPush: boolean;
  private readonly compiled: CompiledStats;
  private readonly program: ColumnProgram;
  private readonly procRoot: string;
  private readonly identityHierarchy: number;
  private readonly byPath = new Map<string, Entry>();
  /** Entries in row order; replaced (not mutated) when the set changes, so a sweep keeps its own list. */
  private list: Entry[] = [];
  private ids = new Uint32Array(0);
  private dirty = false;
  private result: BatchResult | undefined;
  private words: Uint32Array = new Uint32Array(0);
  private gen = 0;
  private lastList: Entry[] = [];
  private rowsOf: Entry[] | undefined;
  private rowPaths: readonly string[] = [];
  private rowLabels: readonly Labels[] = [];
  private inFlight: Promise<unknown> | undefined;
  private closed = false;
  private readonly scratch = new Float64Array(FIELD_COUNT);
  private readonly scratchPresent = new Uint8Array(FIELD_COUNT);
  private readonly oom: OomSource | undefined;
  private readonly watchers = new Set<ChildWatcher | TreeWatcher>();
  /** Rows of the last sweep that could not be read, and the last such failure. */
  private failedRows = 0;
  private lastReadError: CgroupError | undefined;
  private labelsDirty = false;
  /** Watched cgroups not yet in every hierarchy their parent is in (a runtime makes them one hierarchy at a time). */
  private readonly settling = new Map<string, { tries: number; timer: NodeJS.Timeout }>();
  /** Bumped by every setLabels() that changed a row's labels: renderers caching label text per row compare it. */
  labelsVersion = 0;
  /** Which rows get network figures. */
  readonly network: NetworkMode;
  /** io per device and network per interface: label values interned for the collector's life, and their readers. */
  private readonly ioKeys = new KeyTable('device');
  private readonly netKeys = new KeyTable('interface');
  private readonly ioDevices: IoDeviceProgram;
  private readonly netReader: NetworkReader | undefined;

  constructor(options: CollectorOptions = {}) {
    super();
    if (options.engine !== undefined) {
      this.engine = options.engine;
      this.ownsEngine = false;
    } else {
      const root = path.resolve(options.root ?? DEFAULT_ROOT);
      const layout = discoverHierarchies(options.version === undefined ? { root } : { root, version: options.version });
      // Every engine, collector and v1 OOM watch of the process holds from one process budget (docs/engine.md), so
      // a collector's own budget is the default engine budget; a larger maxOpenFiles is clamped to the process's.
      const eo: EngineOptions = { layout, fdBudget: options.maxOpenFiles ?? defaultFdBudget() };
      if (options.resolve !== undefined) eo.resolve = options.resolve;
      this.engine = new Engine(eo);
      this.ownsEngine = true;
    }
    const layout = this.engine.layout;
    this.version = options.version ?? layout.version;
    this.bigint = options.bigint === true;
    this.procRoot = path.resolve(options.procRoot ?? '/proc');
    let mask = options.controllers === undefined ? DEFAULT_MASK[this.version] : controllerMask(options.controllers, this.version);
    if (options.controllers === undefined && this.version === 1 && layout.unified !== undefined) mask |= CONTROLLERS.psi;
    this.mask = mask;
    // The io columns read the stats readers' files (on v1 the blkio family search), as stats(row).diskIO does.
    const ctx = {
      version: this.version, layout, mask,
      hugePageSizes: (mask & CONTROLLERS.hugetlb) !== 0 ? hugePageSizes() : [],
    };
    this.compiled = compileStats(this.engine, ctx, extrasFor(this.version, mask));
    this.program = new ColumnProgram(this.compiled, this.version);
    const idh = this.version === 1 ? layout.controllers.get('memory') ?? layout.hierarchies[0] : layout.hierarchies[0];
    this.identityHierarchy = idh?.index ?? 0;
    this.ioDevices = new IoDeviceProgram(this.compiled, this.version, new DeviceNames(path.resolve(options.sysRoot ?? '/sys')), this.ioKeys);
    const network = options.network ?? 'pods';
    if (network !== 'pods' && network !== 'all' && network !== 'none' && typeof network !== 'function') {
      throw invalidArg('network', network, "must be 'pods', 'all', 'none' or a function of a cgroup path");
    }
    this.network = network;
    if (network !== 'none' && idh !== undefined) this.netReader = new NetworkReader(this.procRoot, idh.path, this.netKeys);
    if (options.oomEvents !== false) {
      this.oom = oomSource(this.engine, (p, count) => {
        const e = this.byPath.get(p);
        if (e !== undefined) this.noteOomKill(e, count);
      }, (err) => this.emit('error', err));
    }
    this.oomPush = this.oom !== undefined;
  }

  /** Registered cgroups. */
  get size(): number {
    return this.byPath.size;
  }

  /** Registered paths, in row order. */
  paths(): string[] {
    return this.list.map((e) => e.path);
  }

  has(p: string): boolean {
    return this.byPath.has(displayPath(p));
  }

  /**
   * Registers a cgroup (path relative to the root, e.g. `/kubepods/pod1/crio-abc`). Throws ENOENT when it exists in no
   * hierarchy. Adding a registered path again replaces its labels and, if the cgroup was re-created (new identity),
   * its handle: the old registration ends with a 'gone' event.
   */
  add(p: string, labels: Labels = {}): this {
    this.checkOpen();
    const rel = cgroupRelPath(p);
    const key = displayPath(rel);
    if (labels === null || typeof labels !== 'object') throw invalidArg('labels', labels, 'must be an object of strings');
    const existing = this.byPath.get(key);
    const id = this.engine.open(rel);
    const identity = this.identityOf(id);
    if (existing !== undefined) {
      if (existing.identity === identity) {
        this.engine.close(id);
        existing.labels = { ...labels };
        this.list = [...this.list]; // a new list: sweeps' cached labels are rebuilt
        this.dirty = true;
        return this;
      }
      // Re-created behind the collector's back: the old cgroup is gone (its identity ends here).
      this.drop(existing);
      this.emit('gone', { path: existing.path, labels: existing.labels, identity: existing.identity });
    }
    const entry: Entry = {
      path: key, rel, id, identity, labels: { ...labels }, previous: new Float64Array(RATE_COUNT).fill(NaN),
      previousMs: NaN, oomKill: NaN,
      net: this.wantsNetwork(key) ? newNetState() : undefined,
    };
    this.byPath.set(key, entry);
    this.list = [...this.list, entry];
    this.dirty = true;
    this.oom?.add(entry.path, id, identity);
    return this;
  }

  /**
   * Registers a container's cgroup by manager and ids, as CRI-O places it: the manager's
   * `containerCgroupAbsolutePath(sbParent, containerId)` (cgroupfs: `<parent>/crio-<id>`; systemd:
   * `<expanded slice>/crio-<id>.scope`), labelled `{ name: <container id>, ...labels }`. Returns the path.
   */
  addContainer(manager: Pick<CgroupManager, 'containerCgroupAbsolutePath'>, sbParent: string, containerId: string, labels: Labels = {}): string {
    const p = manager.containerCgroupAbsolutePath(sbParent, containerId);
    this.add(p, { name: containerId, ...labels });
    return displayPath(p);
  }

  /**
   * Replaces the labels of a registered cgroup (by path) without reopening it: the next sweep carries them. Each call
   * installs a new frozen object (a per-row cache may compare `sweep.labels[row]` by identity) and bumps
   * `labelsVersion`. Returns false when the path is not registered (it may have gone meanwhile).
   */
  setLabels(p: string, labels: Labels): boolean {
    this.checkOpen();
    if (labels === null || typeof labels !== 'object') throw invalidArg('labels', labels, 'must be an object of strings');
    const e = this.byPath.get(displayPath(p));
    if (e === undefined) return false;
    const next = Object.freeze({ ...labels });
    if (sameLabels(e.labels, next)) return true;
    e.labels = next;
    this.labelsDirty = true;
    this.labelsVersion++;
    return true;
  }

  /** The labels of a registered cgroup, or undefined. */
  labelsOf(p: string): Labels | undefined {
    return this.byPath.get(displayPath(p))?.labels;
  }

  /**
   * A cgroup found by a watcher the moment it appeared in the watched hierarchy may not exist yet in the others (runc
   * and systemd make a v1 cgroup one hierarchy at a time); its handle would never read them. Until it is in every
   * hierarchy its parent is in, it is checked again (6 times, 20 ms doubling) and re-opened once it is.
   */
  private settle(key: string): void {
    const e = this.byPath.get(key);
    if (e === undefined || this.closed) return;
    const info = this.engine.info(e.id);
    if (info === null) return;
    const hs = this.engine.layout.hierarchies;
    let late = false;
    let waiting = false;
    for (let i = 0; i < hs.length; i++) {
      if (info.present[i]) continue;
      const h = hs[i]!;
      if (fs.existsSync(path.join(h.path, e.rel))) late = true;
      else if (fs.existsSync(path.join(h.path, path.dirname(e.rel)))) waiting = true;
    }
    if (late) {
      // Re-opened with the same labels: the same cgroup (same identity), now with a handle in each hierarchy.
      const labels = e.labels;
      this.drop(e);
      try {
        this.add(e.path, labels);
      } catch (err) {
        if (!(err instanceof CgroupError && err.code === 'ENOENT')) throw err;
        this.emit('gone', { path: e.path, labels: e.labels, identity: e.identity });
        return;
      }
    }
    const pending = this.settling.get(key);
    if (pending !== undefined) clearTimeout(pending.timer);
    const tries = (pending?.tries ?? 0) + 1;
    if ((!late && !waiting) || tries > 6) {
      this.settling.delete(key);
      return;
    }
    const timer = setTimeout(() => this.settle(key), 20 * 2 ** (tries - 1));
    timer.unref();
    this.settling.set(key, { tries, timer });
  }

  /** Unregisters a cgroup; false if it was not registered. */
  remove(p: string): boolean {
    const e = this.byPath.get(displayPath(p));
    if (e === undefined) return false;
    this.drop(e);
    return true;
  }

  private drop(e: Entry): void {
    this.byPath.delete(e.path);
    this.list = this.list.filter((x) => x !== e);
    this.dirty = true;
    this.oom?.remove(e.path);
    this.engine.close(e.id);
  }

  private identityOf(id: number): number {
    const info = this.engine.info(id);
    if (info === null) return 0;
    if (info.present[this.identityHierarchy]) return info.ino[this.identityHierarchy]!;
    const i = info.present.indexOf(true);
    return i >= 0 ? info.ino[i]! : 0;
  }

  private prepare(): Entry[] {
    this.checkOpen();
    if (this.dirty) {
      this.ids = Uint32Array.from(this.list, (e) => e.id);
      this.dirty = false;
    }
    const rows = this.ids.length;
    const plan = this.compiled.plan;
    if (plan !== undefined && (this.result === undefined || this.result.rows < rows)) {
      this.result = this.engine.result(plan, Math.max(rows, 16, Math.ceil((this.result?.rows ?? 0) * 1.5)), { bigint: true });
      this.words = new Uint32Array(this.result.values.buffer);
    }
    return this.list;
  }

  /** Reads every registered cgroup on the calling thread (runtime hooks). */
  collect<S extends Sweep>(options: CollectOptions<S> = {}): S {
    if (this.inFlight !== undefined) throw new CgroupError('a collectAsync() is in progress', { code: 'ERR_COLLECTOR_BUSY' });
    const list = this.prepare();
    if (this.compiled.plan !== undefined && list.length > 0) this.engine.readSync(this.compiled.plan, this.ids, this.result);
    return this.finish(list, options.into);
  }

  /**
   * Reads every registered cgroup off the event loop: the whole batch in one native worker. Concurrent calls are
   * queued (one sweep at a time).
   */
  async collectAsync<S extends Sweep>(options: CollectOptions<S> = {}): Promise<S> {
    while (this.inFlight !== undefined) await this.inFlight.catch(() => undefined);
    const list = this.prepare();
    const ids = this.ids;
    const p = this.compiled.plan !== undefined && list.length > 0
      ? this.engine.read(this.compiled.plan, ids, this.result)
      : Promise.resolve(undefined);
    this.inFlight = p;
    try {
      await p;
    } finally {
      this.inFlight = undefined;
    }
    this.checkOpen();
    return this.finish(list, options.into);
  }

  private finish<S extends Sweep>(list: Entry[], into: S | undefined): S {
    const rows = list.length;
    const sweep = (into !== undefined && into.capacity >= rows && into.bigint === this.bigint
      ? into : new Sweep(Math.max(rows, into?.capacity ?? 0), this.bigint)) as S;
    this.gen++;
    this.lastList = list;
    sweep.rows = rows;
    sweep.version = this.version;
    sweep.generation = this.gen;
    sweep.source = this.source;
    if (this.rowsOf !== list || this.labelsDirty) {
      // Built once per set of cgroups (the list is replaced, never mutated, when it changes) or labels change.
      this.rowsOf = list;
      this.labelsDirty = false;
      this.rowPaths = list.map((e) => e.path);
      this.rowLabels = list.map((e) => e.labels);
    }
    sweep.paths = this.rowPaths;
    sweep.labels = this.rowLabels;
    this.startVectors(sweep);
    const r = this.result;
    const gone: Entry[] = [];
    let failedRows = 0;
    let firstFailed = -1;
    for (let row = 0; row < rows; row++) {
      const e = list[row]!;
      sweep.identity[row] = e.identity;
      sweep.previousMs[row] = e.previousMs;
      for (let k = 0; k < RATE_COUNT; k++) sweep.previous[row * RATE_COUNT + k] = e.previous[k]!;
      const st = r === undefined ? ITEM_STATUS.ok : r.itemStatus[row]!;
      sweep.status[row] = st === ITEM_STATUS.ok ? ROW_STATUS.ok : st === ITEM_STATUS.gone ? ROW_STATUS.gone : ROW_STATUS.closed;
      sweep.sampleMs[row] = r === undefined ? Date.now() : r.sampleMs[row]!;
      const o = row * FIELD_COUNT;
      if (st !== ITEM_STATUS.ok || r === undefined) {
        sweep.present.fill(0, o, o + FIELD_COUNT);
        if (this.bigint) (sweep.values as BigUint64Array).fill(0n, o, o + FIELD_COUNT);
        else (sweep.values as Float64Array).fill(NaN, o, o + FIELD_COUNT);
        if (st === ITEM_STATUS.gone) gone.push(e);
        this.fillVectors(sweep, row, e, undefined);
        continue;
      }
      let nums: Float64Array;
      let base: number;
      if (this.bigint) {
        this.program.extractBigint(r, this.words, row, sweep.values as BigUint64Array, sweep.present, row, this.scratch, this.scratchPresent);
        nums = this.scratch;
        base = 0;
      } else {
        this.program.extractNumber(r, this.words, row, sweep.values as Float64Array, sweep.present, row);
        nums = sweep.values as Float64Array;
        base = o;
      }
      if (failedFile(r, row) >= 0) {
        sweep.status[row] = ROW_STATUS.error;
        if (failedRows++ === 0) firstFailed = row;
      }
      for (let k = 0; k < RATE_COUNT; k++) e.previous[k] = nums[base + RATE_FIELDS[k]!]!;
      e.previousMs = sweep.sampleMs[row]!;
      this.noteOomKill(e, nums[base + FIELD.oom_kill]!);
      this.fillVectors(sweep, row, e, r);
    }
    this.noteReadErrors(sweep, failedRows, firstFailed);
    for (const e of gone) {
      if (this.byPath.get(e.path) === e) {
        this.drop(e);
        this.emit('gone', { path: e.path, labels: e.labels, identity: e.identity });
      }
    }
    return sweep;
  }

  private wantsNetwork(p: string): boolean {
    const n = this.network;
    if (this.netReader === undefined || n === 'none') return false;
    if (n === 'all') return true;
    if (n === 'pods') return parseCgroupIdentity(p).kind === 'pod';
    return n(p) === true;
  }

  private startVectors(sweep: Sweep): void {
    sweep.io.keys = this.ioKeys;
    sweep.network.keys = this.netKeys;
    sweep.io.reset();
    sweep.network.reset();
  }

  /** A row's io per device (from the batch result; none for a row not read) and network per interface (pod rows). */
  private fillVectors(sweep: Sweep, row: number, e: Entry, r: BatchResult | undefined): void {
    if (r !== undefined && this.ioDevices.reads) this.ioDevices.extract(r, this.words, row, sweep.io);
    sweep.io.endRow(row);
    if (r !== undefined && e.net !== undefined && this.netReader !== undefined) this.netReader.read(e.rel, e.net, sweep.network);
    sweep.network.endRow(row);
  }

  /**
   * A sweep with rows that could not be read (EMFILE, EACCES, a malformed or non-regular file, ...): recorded for
   * usage() and told through an 'error' event (a CgroupError ERR_COLLECTOR_READ whose `cause` is the first row's
   * error), when an 'error' listener is attached — without one the sweep's ROW_STATUS.error and usage() say it.
   */
  private noteReadErrors(sweep: Sweep, failedRows: number, firstFailed: number): void {
    this.failedRows = failedRows;
    if (failedRows === 0) return;
    const cause = sweep.error(firstFailed);
    this.lastReadError = new CgroupError(
      `${failedRows} of ${sweep.rows} cgroups could not be read (first: ${sweep.paths[firstFailed]}: ${cause?.message ?? 'unknown error'})`,
      { code: 'ERR_COLLECTOR_READ', ...(cause ? { cause } : {}) },
    );
    if (this.listenerCount('error') > 0) this.emit('error', this.lastReadError);
  }

  /** Emits 'oom' when a cgroup's oom_kill counter rose since it was last seen (by a sweep or the OOM watcher). */
  private noteOomKill(e: Entry, count: number): void {
    if (Number.isNaN(count)) return;
    const before = e.oomKill;
    e.oomKill = count;
    if (!Number.isNaN(before) && count > before) {
      this.emit('oom', { path: e.path, labels: e.labels, identity: e.identity, count, delta: count - before, timeMs: Date.now() });
    }
  }

  private readonly source = {
    generation: () => this.gen,
    statsOf: (row: number, bigint: boolean): StatsResult<number | bigint> => {
      const e = this.lastList[row]!;
      if (this.result === undefined) {
        throw new CgroupError('the collector reads no files for its controllers', { code: 'ERR_CGROUP_NOT_MOUNTED' });
      }
      return statsOfRow(this.compiled, this.engine, this.result, row, e.id, e.rel, this.procRoot, bigint, e.path);
    },
    errorOf: (row: number): CgroupError | undefined => {
      const r = this.result;
      const f = r === undefined ? -1 : failedFile(r, row);
      return f < 0 ? undefined : r!.error(row, f);
    },
  };

  /** What a watcher (ChildWatcher, TreeWatcher) does with a cgroup that appears or goes. */
  private watcherEvents(): { add(p: string, labels: Labels): void; remove(p: string): void } {
    return {
      add: (p, labels) => {
        if (this.has(p)) return;
        try {
          this.add(p, labels);
          this.emit('add', { path: displayPath(p), labels });
          this.settle(displayPath(p));
        } catch (err) {
          // Gone again before it could be opened: nothing to add.
          if (!(err instanceof CgroupError && err.code === 'ENOENT')) throw err;
        }
      },
      remove: (p) => {
        const e = this.byPath.get(displayPath(p));
        if (e === undefined) return;
        this.drop(e);
        this.emit('gone', { path: e.path, labels: e.labels, identity: e.identity });
      },
    };
  }

  /**
   * Watches a parent cgroup for children (inotify on its directory, in the memory hierarchy on v1): existing children
   * are added now, new ones when they appear, removed ones are dropped ('gone'). `labels(path)` labels each child.
   */
  watch(parent: string, options: WatchOptions = {}): ChildWatcher {
    this.checkOpen();
    const hier = this.engine.layout.hierarchies[this.identityHierarchy]!;
    const w = new ChildWatcher(hier.path, cgroupRelPath(parent), options, {
      ...this.watcherEvents(),
      error: (err) => this.emit('error', err),
      closed: (self) => this.watchers.delete(self),
    });
    this.watchers.add(w);
    return w;
  }

  /**
   * Watches a whole subtree (inotify on each directory descended into, in the memory hierarchy on v1): every cgroup
   * found below `root` at any depth that passes `filter` is added now or when it appears, removed ones are dropped
   * ('gone'). Bounded by `maxWatches`; on the limit or ENOSPC/EMFILE from inotify: one 'warning' and periodic rescans.
   */
  watchTree(root: string, options: TreeWatchOptions = {}): TreeWatcher {
    this.checkOpen();
    const hier = this.engine.layout.hierarchies[this.identityHierarchy]!;
    const rel = root === '/' || root === '' ? '' : cgroupRelPath(root);
    const w = new TreeWatcher(hier.path, rel, options, {
      ...this.watcherEvents(),
      warning: (err) => this.emit('warning', err),
      closed: (self) => this.watchers.delete(self),
    });
    this.watchers.add(w);
    return w;
  }

  /** The engine plan each sweep reads (its `files`: controller, name, hierarchy, format), or undefined when no file
   * of the asked controllers is mounted. */
  get plan(): ReadPlan | undefined {
    return this.compiled.plan;
  }

  /** The files each sweep reads per cgroup (hierarchy mount path and file name), in plan order: what a benchmark's C
   * loop reading "the same files" must read. */
  files(): Array<{ controller: string; hierarchy: string; name: string }> {
    return (this.compiled.plan?.files ?? []).map((f) => ({ controller: f.controller, hierarchy: f.hierarchy.path, name: f.name }));
  }

  /**
   * Descriptors held against the engine's and the process's budget, open handles (flat over a collector's life once
   * its set is stable), and whether the last sweep could read every row: `failedRows` and `lastError` (the last sweep
   * that failed rows, as in the 'error' event).
   */
  usage(): CollectorUsage {
    return {
      ...this.engine.usage(), registered: this.size, oomWatches: this.oom?.size ?? 0, failedRows: this.failedRows,
      lastError: this.lastReadError, network: { ...(this.netReader?.counts ?? { reads: 0, lookups: 0 }) },
    };
  }

  /** Stops watchers, closes every handle (and the engine the collector owns). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.watchers]) w.close();
    for (const { timer } of this.settling.values()) clearTimeout(timer);
    this.settling.clear();
    this.oom?.close();
    for (const e of this.list) this.engine.close(e.id);
    this.byPath.clear();
    this.list = [];
    this.ids = new Uint32Array(0);
    if (this.ownsEngine) {
      // An async sweep in flight finishes first (its rows read as closed), then the engine goes.
      if (this.inFlight !== undefined) void this.inFlight.finally(() => this.engine.destroy()).catch(() => undefined);
      else this.engine.destroy();
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new CgroupError('the collector is closed', { code: 'ERR_COLLECTOR_CLOSED' });
  }
}

const ENOENT = 2;

/**
 * The first file of a row that failed with something other than "does not exist" (an absent file is an absent
 * column, not an error): a syscall error such as EMFILE or EACCES, a malformed or non-regular file, or a device list
 * longer than the plan holds (its sums are absent). -1 when there is none.
 */
function failedFile(r: BatchResult, row: number): number {
  const files = r.plan.files;
  const base = row * files.length;
  for (let f = 0; f < files.length; f++) {
    const s = r.fileStatus[base + f]!;
    if (s === FILE_STATUS.malformed || s === FILE_STATUS.notRegular || (s < 0 && -s % 4096 !== ENOENT)) return f;
    // A device list longer than the plan's capacity: its sums are absent, not partial (columns.ts).
    if (s === FILE_STATUS.overflow && (files[f]!.format === 'blkio' || files[f]!.format === 'ioStat')) return f;
  }
  return -1;
}

function sameLabels(a: Labels, b: Labels): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

function displayPath(p: string): string {
  return `/${cgroupRelPath(p)}`;
}
