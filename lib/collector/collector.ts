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
import {
  Engine,
  FILE_STATUS,
  ITEM_STATUS,
  defaultFdBudget,
  type BatchResult,
  type EngineOptions,
  type EngineUsage,
  type ReadOptions,
  type ReadPlan,
} from '../engine';
import { CgroupError, invalidArg } from '../errors';
import { DEFAULT_ROOT, discoverHierarchies } from '../hierarchy';
import type { CgroupManager } from '../managers/types';
import { compileStats, controllerMask, statsOfRow, type CompiledStats, type StatsResult } from '../stats/reader';
import { hugePageSizes } from '../stats/hugepages';
import { CONTROLLERS, type StatsOptions } from '../stats/types';
import { cgroupRelPath } from '../validate';
import { parseCgroupIdentity } from '../identity';
import { ColumnProgram, extrasFor } from './columns';
import {
  copySpec,
  fileTiers,
  newSpecCopy,
  SpecPhase,
  TIER,
  TIER_NAMES,
  tieredSpecs,
  TierSlots,
  type SpecCopy,
  type TierName,
} from './tiers';
import { DeviceNames } from './devices';
import { IoDeviceProgram } from './io-devices';
import { NetworkReader, newNetState, type NetPrefetch, type NetState, type NetworkCounts } from './network';
import { KeyTable } from './vectors';
import { FIELD, FIELD_COUNT, FIELDS, ROW_STATUS, type FieldName } from './layout';
import { oomSource, type OomEvent, type OomSource } from './oom';
import { cgroupStartTimeMs } from './start-time';
import { ProcessFigureScanner } from './process-figures';
import { emptySource, type EmptySource, type LastSample } from './last-sample';
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
   * search) only when io is asked for explicitly. The process scan of the `process` controller happens only in
   * stats(row); the sweep's own process figures are `processMetrics`.
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
  /**
   * The process figures (cAdvisor's opt-in `process` metrics): each sweep also counts, per cgroup, the open
   * descriptors and sockets of the processes of its own cgroup.procs from /proc (columns `file_descriptors`,
   * `sockets`; absent when off). Costs a few syscalls per process and one per descriptor, on the calling thread
   * (lib/collector/process-figures.ts, bench/process-figures.js). Default false.
   */
  processMetrics?: boolean;
  /**
   * Read a cgroup's counters once more when it empties (v2, and v1 hybrid hosts for cgroups also in the unified
   * hierarchy: inotify on cgroup.events), so a short-lived container's last values reach users: a 'final' event
   * then, and the next sweep's row of the cgroup, once it is removed, holds them (ROW_STATUS.final) instead of
   * nothing. lib/collector/last-sample.ts. Default true.
   */
  lastSample?: boolean;
  /** Use this engine (shares its handles' budget) instead of a collector-owned one. */
  engine?: Engine;
  /** Passed to the collector's own engine. */
  resolve?: EngineOptions['resolve'];
  /**
   * How often each cgroup's spec files (limits, shares, quota/period, weights, pids.max, ...: lib/collector/tiers.ts)
   * are read, in ms. Default 60000. A cgroup's first sweep reads them; later sweeps carry the values of the last read
   * (so spec columns and the stats(row) fields from those files are at most this old) and re-read them for a slice of
   * the cgroups each sweep. 0: every sweep reads every file (no tiers).
   */
  specIntervalMs?: number;
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
  /** Cgroups watched for emptying (their last sample, `lastSample`). */
  emptyWatches: number;
  /** Network figures: /proc/<pid>/net/dev reads, and pid look-ups in pods' cgroups (a pod's first sweep, or its
   * process gone). */
  network: NetworkCounts;
}

/** A registered cgroup emptied: its counters read then, before it could be removed. */
export interface FinalEvent {
  path: string;
  labels: Labels;
  identity: number;
  /** When the counters were read (ms since the epoch). */
  timeMs: number;
  /** The row's columns (absent ones left out), as Sweep.row(). */
  values: Partial<Record<FieldName, number | bigint>>;
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
  /** The values of the last read of its spec files; when they were read; when they are due again (NaN: now). */
  spec: SpecCopy | undefined;
  /** How many times its spec files were read (a row of a read buffer holds the values of one of these reads). */
  specReads: number;
  specMs: number;
  specDueMs: number;
  /** When the cgroup was created, as cAdvisor estimates it (start-time.ts): read once, at add(). NaN if unknown. */
  startMs: number;
  /** Its counters read when it last emptied (lastSample). */
  final?: LastSample;
  /** The pod's process for network figures, or undefined when the row has none. */
  net: NetState | undefined;
}

export interface CollectorEvents {
  /** An OOM kill in a registered cgroup: the cgroup's oom_kill counter went up by `delta` to `count`. */
  oom: [OomEvent];
  /** A cgroup vanished (found gone by a sweep, removed from a watched parent, or re-created and added again) and was dropped. */
  gone: [{ path: string; labels: Labels; identity: number }];
  /** A registered cgroup emptied (its processes exited): its last sample, read before it is removed (lastSample). */
  final: [FinalEvent];
  /** A cgroup was added by a watcher. */
  add: [{ path: string; labels: Labels }];
  /** A watcher failed (the error is also the watcher's), or a sweep could not read some rows (ERR_COLLECTOR_READ,
   * emitted only while an 'error' listener is attached). */
  error: [Error];
  /** Something degraded but the collector carries on (a tree watcher fell back to rescans, a label function threw). */
  warning: [Error];
}

/**
 * Copies `n` value cells (their flags and both 32-bit words of each u64 value, as `Uint32Array` views of a bigint
 * result) from one batch result's row into another's.
 */
function copyCells(
  srcFlags: Uint8Array,
  srcWords: Uint32Array,
  from: number,
  dstFlags: Uint8Array,
  dstWords: Uint32Array,
  to: number,
  n: number,
): void {
  dstFlags.set(srcFlags.subarray(from, from + n), to);
  dstWords.set(srcWords.subarray(2 * from, 2 * (from + n)), 2 * to);
}

/** A sweep being filled (beginFill → fillRows → endFill). @internal */
interface Fill<S extends Sweep> {
  sweep: S;
  list: Entry[];
  retired: Entry[];
  inList: Set<Entry> | undefined;
  gone: Entry[];
  failedRows: number;
  firstFailed: number;
  /** The pods' net/dev read on the pool (collectAsync), or undefined: read while filling. */
  net?: NetPrefetch | undefined;
}

/** One of the collector's two read buffers: a result and its 32-bit view. */
interface ReadBuffer {
  readonly result: BatchResult;
  readonly words: Uint32Array;
  /** Per row, the cgroup whose spec files' cells it holds (read or put back) and which of its spec reads
   * (Entry.specReads): a row that reads only its usage files keeps them (keepUnread), so they are put back only when
   * the row held another cgroup's, or an older read of them (the other buffer read them since). */
  specHeld: Array<Entry | undefined>;
  specHeldReads: number[];
}

/**
 * Rows an async sweep fills on the JS thread before it lets the event loop run (setImmediate): about 0.2 ms of work
 * on this machine kind (bench/sweep.js), so no callback waits long for a sweep of any size.
 */
export const FILL_SLICE = 128;

/** Lets the event loop run (timers, I/O callbacks) before the next slice of work. */
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Default of CollectorOptions.specIntervalMs: a cgroup's spec files are read again after a minute. */
export const DEFAULT_SPEC_INTERVAL_MS = 60_000;

const DEFAULT_MASK: Record<1 | 2, number> = {
  1:
    CONTROLLERS.memory |
    CONTROLLERS.cpu |
    CONTROLLERS.cpuacct |
    CONTROLLERS.pids |
    CONTROLLERS.io |
    CONTROLLERS.memoryEvents,
  2:
    CONTROLLERS.memory |
    CONTROLLERS.cpu |
    CONTROLLERS.pids |
    CONTROLLERS.io |
    CONTROLLERS.memoryEvents |
    CONTROLLERS.psi,
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
  /** Spec re-read interval (0: no tiers); the tier of each plan file; where the spec and detail files sit in a row. */
  readonly specIntervalMs: number;
  private readonly tiers: Uint8Array;
  private readonly specSlots: TierSlots | undefined;
  private readonly putSpec: SpecPutter | undefined;
  private readonly detailSlots: TierSlots | undefined;
  private readonly detailPlan: ReadPlan | undefined;
  private detailResult: BatchResult | undefined;
  /** The stats plan as compiled (every file with its full capacity): stats(row) of a row whose detail files the
   * sweep did not read is built on a one-row result of it. Undefined without tiers. */
  private readonly full: CompiledStats | undefined;
  private fullResult: BatchResult | undefined;
  private readonly phase = new SpecPhase();
  /** Per row of the sweep being read, its tier (usage only, or with the spec files). */
  private rowTiers = new Uint8Array(0);
  private readonly procRoot: string;
  private readonly identityHierarchy: number;
  private readonly byPath = new Map<string, Entry>();
  /** Entries in row order; replaced (not mutated) when the set changes, so a sweep keeps its own list. */
  private list: Entry[] = [];
  private ids = new Uint32Array(0);
  private dirty = false;
  /** The read buffer the last sweep was filled from (stats(row) reads it); `spare` is the one the next read goes
   * into (the workers write a shared result in place, so a read never touches what stats(row) may be reading). */
  private current: ReadBuffer | undefined;
  private spare: ReadBuffer | undefined;
  private gen = 0;
  private lastList: Entry[] = [];
  private rowsOf: Entry[] | undefined;
  private rowPaths: readonly string[] = [];
  private rowLabels: readonly Labels[] = [];
  private netStatesOf: Entry[] | undefined;
  private netStatesCache: ReadonlyArray<NetState | undefined> | undefined;
  private inFlight: Promise<unknown> | undefined;
  private closed = false;
  private readonly scratch = new Float64Array(FIELD_COUNT);
  private readonly scratchPresent = new Uint8Array(FIELD_COUNT);
  private readonly oom: OomSource | undefined;
  /** The /proc scan of the process figures (processMetrics), or undefined when off. */
  private readonly processFigures: ProcessFigureScanner | undefined;
  /** Emptying cgroups (lastSample), and the gone ones whose last sample the next sweep still reports. */
  private readonly empties: EmptySource | undefined;
  private retired: Entry[] = [];
  private lastResult: BatchResult | undefined;
  private lastWords: Uint32Array | undefined;
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
    let mask =
      options.controllers === undefined
        ? DEFAULT_MASK[this.version]
        : controllerMask(options.controllers, this.version);
    if (options.controllers === undefined && this.version === 1 && layout.unified !== undefined)
      mask |= CONTROLLERS.psi;
    this.mask = mask;
    // The io columns read the stats readers' files (on v1 the blkio family search), as stats(row).diskIO does.
    const ctx = {
      version: this.version,
      layout,
      mask,
      hugePageSizes: (mask & CONTROLLERS.hugetlb) !== 0 ? hugePageSizes() : [],
    };
    const specIntervalMs = options.specIntervalMs ?? DEFAULT_SPEC_INTERVAL_MS;
    if (typeof specIntervalMs !== 'number' || !(specIntervalMs >= 0) || !Number.isFinite(specIntervalMs)) {
      throw invalidArg('specIntervalMs', specIntervalMs, 'must be a number of ms, 0 or more');
    }
    this.specIntervalMs = specIntervalMs;
    const compiled = compileStats(this.engine, ctx, extrasFor(this.version, mask));
    this.tiers = fileTiers(compiled, this.version, new ColumnProgram(compiled, this.version).files());
    if (specIntervalMs > 0 && compiled.plan !== undefined) {
      // The same files in the same order (so the same entries), with their tiers: usage files held, spec and detail
      // files opened per read, detail files with the least capacity (a sweep never reads them: their slots would only
      // be cleared and copied every sweep). The column program is compiled for this plan's slots.
      this.compiled = { ...compiled, plan: this.engine.plan(tieredSpecs(compiled, this.tiers)) };
      this.full = compiled;
      this.specSlots = new TierSlots(this.compiled, this.tiers, TIER.spec);
      this.putSpec = specPutter(this.specSlots);
      this.detailSlots = new TierSlots(this.compiled, this.tiers, TIER.detail);
      if (this.detailSlots.files.length > 0) {
        this.detailPlan = this.engine.plan(
          Array.from(this.detailSlots.files, (i) => {
            const f = compiled.plan!.files[i]!;
            return {
              controller: f.controller,
              name: f.name,
              format: f.format,
              keys: [...f.keys],
              cap: f.cap,
              hold: false,
            };
          }),
        );
      }
    } else {
      this.compiled = compiled;
    }
    this.program = new ColumnProgram(this.compiled, this.version);
    const idh =
      this.version === 1 ? (layout.controllers.get('memory') ?? layout.hierarchies[0]) : layout.hierarchies[0];
    this.identityHierarchy = idh?.index ?? 0;
    this.ioDevices = new IoDeviceProgram(
      this.compiled,
      this.version,
      new DeviceNames(path.resolve(options.sysRoot ?? '/sys')),
      this.ioKeys,
    );
    const network = options.network ?? 'pods';
    if (network !== 'pods' && network !== 'all' && network !== 'none' && typeof network !== 'function') {
      throw invalidArg('network', network, "must be 'pods', 'all', 'none' or a function of a cgroup path");
    }
    this.network = network;
    if (network !== 'none' && idh !== undefined)
      this.netReader = new NetworkReader(this.procRoot, idh.path, this.netKeys);
    if (options.oomEvents !== false) {
      this.oom = oomSource(
        this.engine,
        (p, count) => {
          const e = this.byPath.get(p);
          if (e !== undefined) this.noteOomKill(e, count);
        },
        (err) => this.emit('error', err),
      );
    }
    this.oomPush = this.oom !== undefined;
    this.processFigures =
      options.processMetrics === true ? new ProcessFigureScanner(this.engine, this.procRoot) : undefined;
    this.empties = options.lastSample === false ? undefined : emptySource(this.engine, (p) => this.readLastSample(p));
  }

  /** Whether sweeps fill the process figures (`processMetrics`). */
  get processMetrics(): boolean {
    return this.processFigures !== undefined;
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
    if (labels === null || typeof labels !== 'object')
      throw invalidArg('labels', labels, 'must be an object of strings');
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
      this.retire(existing);
      this.emit('gone', { path: existing.path, labels: existing.labels, identity: existing.identity });
    }
    const entry: Entry = {
      path: key,
      rel,
      id,
      identity,
      labels: { ...labels },
      previous: new Float64Array(RATE_COUNT).fill(NaN),
      previousMs: NaN,
      oomKill: NaN,
      spec: undefined,
      specReads: 0,
      specMs: NaN,
      specDueMs: NaN,
      startMs: cgroupStartTimeMs(this.engine.layout, rel, this.engine.info(id)?.present),
      net: this.wantsNetwork(key) ? newNetState() : undefined,
    };
    this.byPath.set(key, entry);
    this.list = [...this.list, entry];
    this.dirty = true;
    this.oom?.add(entry.path, id, identity);
    this.empties?.add(entry.path, id);
    return this;
  }

  /**
   * Registers a container's cgroup by manager and ids, as CRI-O places it: the manager's
   * `containerCgroupAbsolutePath(sbParent, containerId)` (cgroupfs: `<parent>/crio-<id>`; systemd:
   * `<expanded slice>/crio-<id>.scope`), labelled `{ name: <container id>, ...labels }`. Returns the path.
   */
  addContainer(
    manager: Pick<CgroupManager, 'containerCgroupAbsolutePath'>,
    sbParent: string,
    containerId: string,
    labels: Labels = {},
  ): string {
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
    if (labels === null || typeof labels !== 'object')
      throw invalidArg('labels', labels, 'must be an object of strings');
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
    this.empties?.remove(e.path);
    this.engine.close(e.id);
  }

  /** A dropped cgroup that went away: the next sweep reports its last sample, if it has one (ROW_STATUS.final). */
  private retire(e: Entry): void {
    if (e.final !== undefined) this.retired.push(e);
  }

  /**
   * A registered cgroup emptied: its counters, read now (one row through the sweep's plan and columns) before a
   * runtime removes it, are kept for the sweep that finds it gone and told in a 'final' event.
   */
  private readLastSample(p: string): void {
    const e = this.byPath.get(p);
    const plan = this.compiled.plan;
    if (e === undefined || plan === undefined || this.closed) return;
    if (this.lastResult === undefined) {
      this.lastResult = this.engine.result(plan, 1, { bigint: true });
      this.lastWords = new Uint32Array(this.lastResult.values.buffer);
    }
    const r = this.lastResult;
    try {
      this.engine.readSync(plan, [e.id], r);
    } catch {
      return; // closed meanwhile
    }
    if (r.itemStatus[0] !== ITEM_STATUS.ok) return; // removed first: the sweep finds it gone
    const values = this.bigint ? new BigUint64Array(FIELD_COUNT) : new Float64Array(FIELD_COUNT);
    const present = new Uint8Array(FIELD_COUNT);
    if (values instanceof BigUint64Array) {
      this.program.extractBigint(r, this.lastWords!, 0, values, present, 0, this.scratch, this.scratchPresent);
    } else {
      this.program.extractNumber(r, this.lastWords!, 0, values, present, 0);
    }
    if (this.processFigures !== undefined) {
      // Empty: no process holds a descriptor.
      for (const f of [FIELD.file_descriptors, FIELD.sockets]) {
        if (values instanceof BigUint64Array) values[f] = 0n;
        else values[f] = 0;
        present[f] = 1;
      }
    }
    e.final = { values, present, sampleMs: r.sampleMs[0]! };
    this.noteOomKill(e, present[FIELD.oom_kill] === 1 ? Number(values[FIELD.oom_kill]) : NaN);
    const row: Partial<Record<FieldName, number | bigint>> = {};
    for (let f = 0; f < FIELD_COUNT; f++) if (present[f] === 1) row[FIELDS[f]!] = values[f]!;
    this.emit('final', { path: e.path, labels: e.labels, identity: e.identity, timeMs: e.final.sampleMs, values: row });
  }

  /** Fills a sweep row with a gone cgroup's last sample. */
  private putLastSample(sweep: Sweep, row: number, e: Entry): void {
    const f = e.final!;
    const o = row * FIELD_COUNT;
    sweep.values.set(f.values as never, o);
    sweep.present.set(f.present, o);
    sweep.status[row] = ROW_STATUS.final;
    sweep.sampleMs[row] = f.sampleMs;
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
    if (plan !== undefined && (this.spare === undefined || this.spare.result.rows < rows)) {
      // The size of the buffer in use when it has room (the second buffer), else half as much again.
      const have = Math.max(this.spare?.result.rows ?? 0, this.current?.result.rows ?? 0);
      const size = have >= rows ? have : Math.max(rows, 16, Math.ceil(have * 1.5));
      const result = this.engine.result(plan, size, { bigint: true, shared: true });
      this.spare = { result, words: new Uint32Array(result.values.buffer), specHeld: [], specHeldReads: [] };
    }
    if (this.specSlots !== undefined) {
      // A row reads its spec files when it has none yet (a new registration) or they are due; the others carry them.
      if (this.rowTiers.length < rows)
        this.rowTiers = new Uint8Array(Math.max(rows, Math.ceil(this.rowTiers.length * 1.5)));
      const now = Date.now();
      const list = this.list;
      for (let row = 0; row < rows; row++) {
        const e = list[row]!;
        this.rowTiers[row] = e.spec === undefined || !(now < e.specDueMs) ? TIER.spec : TIER.usage;
      }
    }
    return this.list;
  }

  /** The buffer the last read went into becomes the one the sweep is filled from (and stats(row) reads). */
  private useSpare(): void {
    [this.current, this.spare] = [this.spare, this.current];
  }

  /** A read into the spare buffer failed part way: what its rows hold is no longer known. */
  private forgetSpare(): void {
    if (this.spare === undefined) return;
    this.spare.specHeld = [];
    this.spare.specHeldReads = [];
  }

  /**
   * The read options of a sweep: per-row tiers, the spec files of a row that does not read them left as the result
   * holds them (carrySpec()); none (every file) without tiers.
   */
  private readOptions(): ReadOptions {
    return this.specSlots === undefined ? {} : { tiers: this.rowTiers, keepUnread: true };
  }

  /**
   * Makes the next sweep read the spec files of a cgroup (by path), or of every registered cgroup: after a runtime
   * changed its limits, say. Returns false when the path is not registered.
   */
  refreshSpec(p?: string): boolean {
    if (p === undefined) {
      for (const e of this.list) e.specDueMs = NaN;
      return true;
    }
    const e = this.byPath.get(displayPath(p));
    if (e === undefined) return false;
    e.specDueMs = NaN;
    return true;
  }

  /** Reads every registered cgroup on the calling thread (runtime hooks). */
  collect<S extends Sweep>(options: CollectOptions<S> = {}): S {
    if (this.inFlight !== undefined)
      throw new CgroupError('a collectAsync() is in progress', { code: 'ERR_COLLECTOR_BUSY' });
    const list = this.prepare();
    if (this.compiled.plan !== undefined && list.length > 0) {
      try {
        this.engine.readSync(this.compiled.plan, this.ids, this.spare!.result, this.readOptions());
      } catch (err) {
        this.forgetSpare();
        throw err;
      }
      this.useSpare();
    }
    const fill = this.beginFill(list, options.into);
    this.fillRows(fill, 0, list.length);
    return this.endFill(fill);
  }

  /**
   * Reads every registered cgroup off the event loop: the whole batch in native workers, then the sweep is filled on
   * the JS thread in slices of FILL_SLICE rows with the event loop free between them (docs/collector.md "The event
   * loop during an async sweep"). Concurrent calls are queued (one sweep at a time).
   */
  async collectAsync<S extends Sweep>(options: CollectOptions<S> = {}): Promise<S> {
    while (this.inFlight !== undefined) await this.inFlight.catch(() => undefined);
    const run = this.sweepAsync(options.into);
    this.inFlight = run;
    try {
      return await run;
    } finally {
      if (this.inFlight === run) this.inFlight = undefined;
    }
  }

  private async sweepAsync<S extends Sweep>(into: S | undefined): Promise<S> {
    const list = this.prepare();
    // The pods' network files are read on the pool beside the cgroups' files (network.ts prefetch()).
    const states = this.netStates(list);
    const net =
      this.netReader !== undefined && states !== undefined
        ? this.netReader.prefetch(this.engine.nativeEngine, states)
        : undefined;
    let read = false;
    try {
      if (this.compiled.plan !== undefined && list.length > 0) {
        await this.engine.read(this.compiled.plan, this.ids, this.spare!.result, this.readOptions());
        read = true;
      }
    } catch (err) {
      this.forgetSpare();
      throw err;
    } finally {
      // Settled either way (a read that failed leaves no prefetch unhandled).
      if (net !== undefined) await net.catch(() => undefined);
    }
    this.checkOpen();
    if (read) this.useSpare();
    const fill = this.beginFill(list, into);
    fill.net = net === undefined ? undefined : await net.catch(() => undefined);
    for (let from = 0; from < list.length; from += FILL_SLICE) {
      if (from > 0) {
        await yieldToLoop();
        this.checkOpen();
      }
      this.fillRows(fill, from, Math.min(list.length, from + FILL_SLICE));
    }
    return this.endFill(fill);
  }

  /** The network state of each row of `list`, or undefined when no row gets network figures: kept per list (a list
   * is replaced, never mutated, and a row's state object is its entry's for life). */
  private netStates(list: Entry[]): ReadonlyArray<NetState | undefined> | undefined {
    if (this.netStatesOf !== list) {
      this.netStatesOf = list;
      this.netStatesCache = list.some((e) => e.net !== undefined) ? list.map((e) => e.net) : undefined;
    }
    return this.netStatesCache;
  }

  /** Starts filling a sweep of `list` (and the retired rows) from this.current: the rows are filled by fillRows(). */
  private beginFill<S extends Sweep>(list: Entry[], into: S | undefined): Fill<S> {
    // Cgroups dropped since the last sweep (gone) whose last sample was read: one more row each, after the list's —
    // unless this sweep's list still has them (dropped during an async read): then that row holds the last sample.
    let retired = this.retired;
    this.retired = [];
    let inList: Set<Entry> | undefined;
    if (retired.length > 0) {
      const listed = new Set(list);
      inList = new Set(retired.filter((e) => listed.has(e)));
      if (inList.size > 0) retired = retired.filter((e) => !inList!.has(e));
    }
    const rows = list.length + retired.length;
    const sweep = (
      into !== undefined && into.capacity >= rows && into.bigint === this.bigint
        ? into
        : new Sweep(Math.max(rows, into?.capacity ?? 0), this.bigint)
    ) as S;
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
    sweep.paths = retired.length === 0 ? this.rowPaths : [...this.rowPaths, ...retired.map((e) => e.path)];
    sweep.labels = retired.length === 0 ? this.rowLabels : [...this.rowLabels, ...retired.map((e) => e.labels)];
    this.startVectors(sweep);
    return { sweep, list, retired, inList, gone: [], failedRows: 0, firstFailed: -1, net: undefined };
  }

  /** Fills the sweep's rows [from, to) of the list from this.current (rows in order: the vector stores append). */
  private fillRows<S extends Sweep>(fill: Fill<S>, from: number, to: number): void {
    const { sweep, list, inList, gone } = fill;
    const buf = this.current;
    const r = buf?.result;
    // The sweep's arrays, loaded once per slice (not once per row: the calls below could change them, as far as the
    // compiler knows).
    const { identity, previousMs, previous, status, sampleMs } = sweep;
    for (let row = from; row < to; row++) {
      const e = list[row]!;
      identity[row] = e.identity;
      previousMs[row] = e.previousMs;
      const ep = e.previous;
      for (let k = 0; k < RATE_COUNT; k++) previous[row * RATE_COUNT + k] = ep[k]!;
      const st = r === undefined ? ITEM_STATUS.ok : r.itemStatus[row]!;
      status[row] =
        st === ITEM_STATUS.ok ? ROW_STATUS.ok : st === ITEM_STATUS.gone ? ROW_STATUS.gone : ROW_STATUS.closed;
      sampleMs[row] = r === undefined ? Date.now() : r.sampleMs[row]!;
      const o = row * FIELD_COUNT;
      if (e.final !== undefined && (st === ITEM_STATUS.gone || inList?.has(e) === true)) {
        this.putLastSample(sweep, row, e);
        this.fillVectors(sweep, row, e, undefined);
        gone.push(e);
        continue;
      }
      if (st !== ITEM_STATUS.ok || buf === undefined) {
        if (buf !== undefined) buf.specHeld[row] = undefined; // the row's spec cells may be another read's now
        sweep.specMs[row] = NaN;
        sweep.present.fill(0, o, o + FIELD_COUNT);
        if (this.bigint) (sweep.values as BigUint64Array).fill(0n, o, o + FIELD_COUNT);
        else (sweep.values as Float64Array).fill(NaN, o, o + FIELD_COUNT);
        if (st === ITEM_STATUS.gone) gone.push(e);
        else if (buf === undefined) this.fillLifetime(sweep, o, e.startMs, sweep.sampleMs[row]!); // no files to read
        this.fillVectors(sweep, row, e, undefined);
        continue;
      }
      if (this.specSlots !== undefined) this.carrySpec(e, buf, row);
      else e.specMs = sweep.sampleMs[row]!;
      sweep.specMs[row] = e.specMs;
      let nums: Float64Array;
      let base: number;
      let clean: boolean;
      if (this.bigint) {
        clean = this.program.extractBigint(
          buf.result,
          buf.words,
          row,
          sweep.values as BigUint64Array,
          sweep.present,
          row,
          this.scratch,
          this.scratchPresent,
        );
        nums = this.scratch;
        base = 0;
      } else {
        clean = this.program.extractNumber(
          buf.result,
          buf.words,
          row,
          sweep.values as Float64Array,
          sweep.present,
          row,
        );
        nums = sweep.values as Float64Array;
        base = o;
      }
      this.fillLifetime(sweep, o, e.startMs, sweep.sampleMs[row]!);
      if (!clean && failedFile(buf.result, row) >= 0) {
        sweep.status[row] = ROW_STATUS.error;
        if (fill.failedRows++ === 0) fill.firstFailed = row;
      }
      for (let k = 0; k < RATE_COUNT; k++) e.previous[k] = nums[base + RATE_FIELDS[k]!]!;
      e.previousMs = sweep.sampleMs[row]!;
      this.noteOomKill(e, nums[base + FIELD.oom_kill]!);
      const processes = nums[base + FIELD.processes]!;
      if (processes > 0) this.empties?.seen?.(e.id, processes);
      this.fillVectors(sweep, row, e, buf, fill.net);
    }
  }

  /** Ends a fill: the retired rows, read errors, process figures, and the gone cgroups dropped ('gone'). */
  private endFill<S extends Sweep>(fill: Fill<S>): S {
    const { sweep, list, retired, gone } = fill;
    for (let k = 0; k < retired.length; k++) {
      const row = list.length + k;
      const e = retired[k]!;
      sweep.identity[row] = e.identity;
      sweep.previousMs[row] = e.previousMs;
      for (let j = 0; j < RATE_COUNT; j++) sweep.previous[row * RATE_COUNT + j] = e.previous[j]!;
      this.putLastSample(sweep, row, e);
      this.fillVectors(sweep, row, e, undefined);
    }
    this.noteReadErrors(sweep, fill.failedRows, fill.firstFailed);
    this.processFigures?.fill(sweep, (row) => list[row]!.id);
    for (const e of gone) {
      if (this.byPath.get(e.path) === e) {
        this.drop(e);
        this.emit('gone', { path: e.path, labels: e.labels, identity: e.identity });
      }
    }
    return sweep;
  }

  /** The lifetime columns of a read row: start time (NaN: absent) and last seen (the row's sample time, whole ms). */
  private fillLifetime(sweep: Sweep, o: number, startMs: number, sampleMs: number): void {
    const seen = Math.floor(sampleMs);
    const s = o + FIELD.start_time_ms;
    const l = o + FIELD.last_seen_ms;
    sweep.present[s] = Number.isNaN(startMs) ? 0 : 1;
    sweep.present[l] = 1;
    if (this.bigint) {
      const values = sweep.values as BigUint64Array;
      values[s] = Number.isNaN(startMs) ? 0n : BigInt(startMs);
      values[l] = BigInt(seen);
    } else {
      const values = sweep.values as Float64Array;
      values[s] = startMs;
      values[l] = seen;
    }
  }

  /**
   * A row that read its spec files keeps their values (and is due again one interval later, the first time after a
   * phase of the interval: spread); a row that did not finds them in the result as its last read left them
   * (keepUnread), or — when the row held another cgroup's since (the list changed, the result grew) — gets its kept
   * values put back, so the columns and stats(row) see them as read.
   */
  private carrySpec(e: Entry, buf: ReadBuffer, row: number): void {
    const { result: r, words } = buf;
    const t = this.specSlots!;
    const files = r.plan.files.length;
    if (this.rowTiers[row] === TIER.spec) {
      const first = e.spec === undefined;
      e.spec ??= newSpecCopy(t);
      copySpec(t, r.fileStatus, r.flags, words, files, r.plan.slots, row, e.spec, true);
      e.specMs = r.sampleMs[row]!;
      // A spec file that failed (EMFILE, EACCES, malformed: not merely absent) is read again by the next sweep.
      let failed = false;
      for (let j = 0; j < t.files.length; j++) {
        const s = e.spec.status[j]!;
        if (
          s === FILE_STATUS.malformed ||
          s === FILE_STATUS.notRegular ||
          s === FILE_STATUS.overflow ||
          (s < 0 && -s % 4096 !== ENOENT)
        )
          failed = true;
      }
      e.specDueMs = failed ? NaN : e.specMs + this.specIntervalMs * (first ? this.phase.next() : 1);
      buf.specHeld[row] = e;
      buf.specHeldReads[row] = ++e.specReads;
    } else if (e.spec !== undefined && (buf.specHeld[row] !== e || buf.specHeldReads[row] !== e.specReads)) {
      buf.specHeld[row] = e;
      buf.specHeldReads[row] = e.specReads;
      const c = e.spec;
      if (this.putSpec !== undefined)
        this.putSpec(r.fileStatus, r.flags, words, files * row, r.plan.slots * row, c.status, c.flags, c.words);
      else copySpec(t, r.fileStatus, r.flags, words, files, r.plan.slots, row, c, false);
    }
  }

  /**
   * stats(row) of a row whose detail files (only stats(row) reads them) the sweep did not read: a one-row result of
   * the full plan with the row's usage and spec files copied from the sweep and the detail files read now.
   */
  private statsWithDetail(row: number, e: Entry, bigint: boolean): StatsResult<number | bigint> {
    const t = this.detailSlots!;
    const full = this.full!;
    const { result: r, words } = this.current!;
    const fp = full.plan!;
    const f1 = (this.fullResult ??= this.engine.result(fp, 1, { bigint: true }));
    const w1 = new Uint32Array(f1.values.buffer);
    const files = r.plan.files.length;
    const isDetail = new Uint8Array(files);
    for (const i of t.files) isDetail[i] = 1;
    for (let i = 0; i < files; i++) {
      if (isDetail[i] === 1) continue;
      f1.fileStatus[i] = r.fileStatus[row * files + i]!;
      const from = row * r.plan.slots + r.plan.files[i]!.offset;
      const to = fp.files[i]!.offset;
      const n = (i + 1 < files ? fp.files[i + 1]!.offset : fp.slots) - to;
      copyCells(r.flags, words, from, f1.flags, w1, to, n);
    }
    this.detailResult ??= this.engine.result(this.detailPlan!, 1, { bigint: true });
    const d = this.engine.readSync(this.detailPlan!, [e.id], this.detailResult);
    const dw = new Uint32Array(d.values.buffer);
    for (let j = 0; j < t.files.length; j++) {
      const i = t.files[j]!;
      f1.fileStatus[i] = d.fileStatus[j]!;
      const from = this.detailPlan!.files[j]!.offset;
      const to = fp.files[i]!.offset;
      const n = (j + 1 < t.files.length ? this.detailPlan!.files[j + 1]!.offset : this.detailPlan!.slots) - from;
      copyCells(d.flags, dw, from, f1.flags, w1, to, n);
    }
    // The cgroup vanished while its detail files were read: the row says so, as a sweep would.
    f1.itemStatus[0] = r.itemStatus[row] === ITEM_STATUS.ok ? d.itemStatus[0]! : r.itemStatus[row]!;
    f1.sampleMs[0] = r.sampleMs[row]!;
    f1.ids = Uint32Array.of(e.id);
    return statsOfRow(full, this.engine, f1, 0, e.id, e.rel, this.procRoot, bigint, e.path);
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
  private fillVectors(sweep: Sweep, row: number, e: Entry, buf: ReadBuffer | undefined, net?: NetPrefetch): void {
    if (buf !== undefined && this.ioDevices.reads) this.ioDevices.extract(buf.result, buf.words, row, sweep.io);
    sweep.io.endRow(row);
    if (buf !== undefined && e.net !== undefined && this.netReader !== undefined)
      this.netReader.read(e.rel, e.net, sweep.network, net, row);
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
      this.emit('oom', {
        path: e.path,
        labels: e.labels,
        identity: e.identity,
        count,
        delta: count - before,
        timeMs: Date.now(),
      });
    }
  }

  private readonly source = {
    generation: () => this.gen,
    statsOf: (row: number, bigint: boolean): StatsResult<number | bigint> => {
      const e = this.lastList[row]!;
      const r = this.current?.result;
      if (r === undefined) {
        throw new CgroupError('the collector reads no files for its controllers', { code: 'ERR_CGROUP_NOT_MOUNTED' });
      }
      const t = this.detailSlots;
      if (
        t !== undefined &&
        t.files.length > 0 &&
        r.itemStatus[row] === ITEM_STATUS.ok &&
        r.fileStatus[row * r.plan.files.length + t.files[0]!] === FILE_STATUS.notRead
      ) {
        return this.statsWithDetail(row, e, bigint);
      }
      return statsOfRow(this.compiled, this.engine, r, row, e.id, e.rel, this.procRoot, bigint, e.path);
    },
    errorOf: (row: number): CgroupError | undefined => {
      const r = this.current?.result;
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
        this.retire(e);
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

  /** The files each sweep reads per cgroup (hierarchy mount path and file name), in plan order, with their tier and
   * whether the engine holds their descriptor (else each read opens and closes it): what a benchmark's C loop reading
   * "the same files" must read, and how. */
  files(): Array<{ controller: string; hierarchy: string; name: string; tier: TierName; hold: boolean }> {
    return (this.compiled.plan?.files ?? []).map((f, i) => ({
      controller: f.controller,
      hierarchy: f.hierarchy.path,
      name: f.name,
      tier: TIER_NAMES[this.tiers[i]!]!,
      hold: f.hold,
    }));
  }

  /**
   * Descriptors held against the engine's and the process's budget, open handles (flat over a collector's life once
   * its set is stable), and whether the last sweep could read every row: `failedRows` and `lastError` (the last sweep
   * that failed rows, as in the 'error' event).
   */
  usage(): CollectorUsage {
    return {
      ...this.engine.usage(),
      registered: this.size,
      oomWatches: this.oom?.size ?? 0,
      failedRows: this.failedRows,
      lastError: this.lastReadError,
      emptyWatches: this.empties?.size ?? 0,
      network: { ...(this.netReader?.counts ?? { reads: 0, offThread: 0, lookups: 0 }) },
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
    this.empties?.close();
    this.retired = [];
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

/** Puts a SpecCopy back into a row at file base `fbase` and slot base `sbase` (specPutter()). */
type SpecPutter = (
  fileStatus: Int32Array,
  flags: Uint8Array,
  words: Uint32Array,
  fbase: number,
  sbase: number,
  status: Int32Array,
  copyFlags: Uint8Array,
  copyWords: Uint32Array,
) => void;

/**
 * copySpec(..., save = false) of lib/collector/tiers.ts for the spec files of `t`, as one straight-line function (file
 * indices and slot offsets as constants): run for every row of every sweep that carries its spec files (all but the
 * few due), where the loop over the tier's arrays cost as much as the row's columns. Built from integers only.
 */
function specPutter(t: TierSlots): SpecPutter | undefined {
  const int = (x: number): string => {
    if (!Number.isSafeInteger(x)) throw new Error(`spec putter: not an integer: ${x}`);
    return String(x);
  };
  const lines: string[] = [];
  let k = 0;
  for (let j = 0; j < t.files.length; j++) {
    lines.push(`fileStatus[fbase + ${int(t.files[j]!)}] = status[${int(j)}];`);
    for (let s = 0; s < t.counts[j]!; s++, k++) {
      const cell = `sbase + ${int(t.offsets[j]! + s)}`;
      lines.push(
        `flags[${cell}] = copyFlags[${int(k)}];`,
        `words[2 * (${cell})] = copyWords[${int(2 * k)}];`,
        `words[2 * (${cell}) + 1] = copyWords[${int(2 * k + 1)}];`,
      );
    }
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    return new Function(
      'fileStatus',
      'flags',
      'words',
      'fbase',
      'sbase',
      'status',
      'copyFlags',
      'copyWords',
      lines.join('\n'),
    ) as SpecPutter;
  } catch (err) {
    // Code generation from strings disallowed (node --disallow-code-generation-from-strings): copySpec() instead.
    if (err instanceof EvalError) return undefined;
    throw err;
  }
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
