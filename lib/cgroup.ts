/**
 * The Cgroup handle: this project's counterpart of libcontainer's `cgroups.Manager` (spec §2.10), returned by the
 * managers' `…CgroupManager` methods and by `libctrManager`. It knows where a cgroup is in every hierarchy (cgroupfs
 * or systemd driver rules, v1 or v2), and can create it (`apply`), move pids into it, read its pids, stats and OOM
 * kill count, write limits (`set`) and remove it (`destroy`). Building one never touches the filesystem beyond mount
 * discovery; every method has a synchronous twin.
 *
 * Paths are built from validated parts under the configured root only: the inner path is cleaned per element so
 * ".." can never climb above the root, and directories are created with fs.mkdirSync beneath the hierarchy roots.
 */
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { Engine } from './engine';
import { CgroupError, invalidArg, sysError } from './errors';
import { DEFAULT_ROOT, discoverHierarchies, isCgroup2, type Hierarchy, type Layout } from './hierarchy';
import { base, clean, dir, expandSlice, join } from './paths';
import type * as StatsModule from './stats';
import type { CgroupStats, StatsHandle, StatsOptions } from './stats';

/** lib/stats, loaded on the first stats read (`cgmgr paths` / `cgmgr move` never load it). */
let statsModule: typeof StatsModule | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const stats = (): typeof StatsModule => (statsModule ??= require('./stats') as typeof StatsModule);
import { pid as checkPid } from './validate';

/** Log sink for the few messages CRI-O logs (warnings of the memory check, info of systemd create/remove). */
export interface Logger {
  debug?(message: string): void;
  info?(message: string): void;
  warn?(message: string): void;
}

/** Options accepted by every constructor (managers, libctrManager, moveProcessToContainerCgroup). */
export interface CgroupOptions {
  /** The cgroup root, `/sys/fs/cgroup` by default (or a recorded/scratch tree standing in for it). */
  root?: string;
  /** Where /proc is (moveProcessToContainerCgroup, process stats, own cgroup). Default `/proc`. */
  procRoot?: string;
  /** The cgroup version; default: CRI-O's test (statfs magic of the root; hybrid hosts are 1). */
  version?: 1 | 2;
  /** The mountinfo used for hierarchy discovery (default /proc/self/mountinfo). */
  mountinfo?: string;
  /** Whether systemd runs (spec §1.2): a value or a probe; default: `/run/systemd/system` is a directory (lstat). */
  systemdRunning?: boolean | (() => boolean);
  /** Where messages go; default: nowhere. */
  logger?: Logger;
}

/** The resources `set` writes (a subset of the OCI/libcontainer ones: what CRI-O's hooks and conmon placement use). */
export interface CgroupResources {
  cpu?: {
    /** cpuset.cpus, e.g. "0-3". */
    cpus?: string;
    /** cpuset.mems, e.g. "0". */
    mems?: string;
    /** v1 cpu.shares; v2 cpu.weight converted as runc does. */
    shares?: number;
    /** CFS quota in µs; -1 = unlimited. */
    quota?: number;
    /** CFS period in µs. */
    period?: number;
  };
  memory?: {
    /** Bytes; -1 = unlimited. */
    limit?: number;
  };
  pids?: {
    /** Most tasks; -1 = unlimited; 0 = leave unchanged. */
    limit?: number;
  };
}

/** A libcontainer-style cgroup config (spec §2.10). */
export interface CgroupConfig {
  name: string;
  parent: string;
  systemd?: boolean;
  /** systemd driver: unit = `<scopePrefix>-<name>.scope` unless name ends in ".slice". Default "crio". */
  scopePrefix?: string;
}

let systemdProbe: boolean | undefined;
/** CRI-O's (the library's) "systemd running?" test, cached: `/run/systemd/system` is a directory. */
export function isSystemdRunning(): boolean {
  if (systemdProbe === undefined) {
    try {
      systemdProbe = fs.lstatSync('/run/systemd/system').isDirectory();
    } catch {
      systemdProbe = false;
    }
  }
  return systemdProbe;
}

/** Environment shared by a manager and the handles it builds: root, version, lazily discovered layout and engine. */
export class CgroupContext {
  readonly root: string;
  readonly procRoot: string;
  readonly version: 1 | 2;
  readonly logger: Logger;
  private readonly mountinfo: string | undefined;
  private readonly systemdRunningOpt: boolean | (() => boolean) | undefined;
  private layoutCache: Layout | undefined;
  private engineCache: Engine | undefined;

  constructor(options: CgroupOptions = {}) {
    if (options === null || typeof options !== 'object') throw invalidArg('options', options, 'must be an object');
    const root = options.root ?? DEFAULT_ROOT;
    if (typeof root !== 'string' || root === '' || root.includes('\0')) throw invalidArg('root', root, 'must be a non-empty path');
    this.root = nodePath.resolve(root);
    const procRoot = options.procRoot ?? '/proc';
    if (typeof procRoot !== 'string' || procRoot === '' || procRoot.includes('\0')) throw invalidArg('procRoot', procRoot, 'must be a non-empty path');
    this.procRoot = nodePath.resolve(procRoot);
    if (options.version !== undefined && options.version !== 1 && options.version !== 2) {
      throw invalidArg('version', options.version, 'must be 1 or 2');
    }
    this.version = options.version ?? (isCgroup2(this.root) ? 2 : 1);
    this.mountinfo = options.mountinfo;
    this.systemdRunningOpt = options.systemdRunning;
    this.logger = options.logger ?? {};
  }

  systemdRunning(): boolean {
    const o = this.systemdRunningOpt;
    if (typeof o === 'boolean') return o;
    if (typeof o === 'function') return o();
    return isSystemdRunning();
  }

  get layout(): Layout {
    this.layoutCache ??= discoverHierarchies({ root: this.root, version: this.version, ...(this.mountinfo ? { mountinfo: this.mountinfo } : {}) });
    return this.layoutCache;
  }

  get engine(): Engine {
    this.engineCache ??= new Engine({ layout: this.layout, fdBudget: 64 });
    return this.engineCache;
  }

  /** Options for the stats functions. */
  statsOptions(extra: StatsOptions = {}): StatsOptions {
    return { ...extra, root: this.root, version: this.version, procRoot: this.procRoot };
  }
}

/** The v1 hierarchies a cgroupfs-driver cgroup lives in: every mounted controller hierarchy (not name=…, not cgroup2). */
function v1Hierarchies(layout: Layout): Hierarchy[] {
  return layout.hierarchies.filter((h) => h.version === 1 && h.controllers.some((c) => !c.startsWith('name=')));
}

// cleanElem of spec §2.10: an absolute element is cleaned; a relative one is cleaned as if rooted, then unrooted, so
// ".." in it never climbs above it.
function cleanElem(p: string): string {
  if (p === '') return '';
  if (p.startsWith('/')) return clean(p);
  return clean('/' + p).slice(1);
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A failed fs call as a CgroupError shaped like Node's. */
function fsError(e: unknown): CgroupError {
  const err = e as NodeJS.ErrnoException;
  if (err instanceof CgroupError) return err;
  if (typeof err?.errno === 'number' && err.syscall) return sysError(-err.errno, err.syscall, err.path, { cause: err });
  return new CgroupError(String(err?.message ?? err), { code: err?.code ?? 'ERR_CGROUP_IO', cause: err });
}

function errCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException)?.code;
}

/** v2 cpu.weight from v1 cpu.shares, as runc converts it: [2, 262144] → [1, 10000]. */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/** v2 cpu.max from quota/period as runc writes it ("" = nothing to write). */
export function cpuMaxValue(quota: number | undefined, period: number | undefined): string {
  const q = quota ?? 0;
  let p = period ?? 0;
  if (q <= 0 && p === 0) return q === -1 ? 'max 100000' : '';
  if (p === 0) p = 100000;
  return `${q <= 0 ? 'max' : q} ${p}`;
}

function checkResources(r: unknown): CgroupResources {
  if (r === undefined || r === null) return {};
  if (typeof r !== 'object') throw invalidArg('resources', r, 'must be an object');
  const res = r as CgroupResources;
  const int = (v: unknown, name: string, min: number): void => {
    if (v !== undefined && (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)) {
      throw invalidArg(name, v, `must be an integer >= ${min}`);
    }
  };
  const list = (v: unknown, name: string): void => {
    if (v !== undefined && (typeof v !== 'string' || !/^[0-9,\- ]*$/.test(v))) throw invalidArg(name, v, 'must be a cpu/node list like "0-3,5"');
  };
  if (res.cpu !== undefined) {
    if (res.cpu === null || typeof res.cpu !== 'object') throw invalidArg('resources.cpu', res.cpu, 'must be an object');
    list(res.cpu.cpus, 'resources.cpu.cpus');
    list(res.cpu.mems, 'resources.cpu.mems');
    int(res.cpu.shares, 'resources.cpu.shares', 0);
    int(res.cpu.quota, 'resources.cpu.quota', -1);
    int(res.cpu.period, 'resources.cpu.period', 0);
  }
  if (res.memory !== undefined) {
    if (res.memory === null || typeof res.memory !== 'object') throw invalidArg('resources.memory', res.memory, 'must be an object');
    int(res.memory.limit, 'resources.memory.limit', -1);
  }
  if (res.pids !== undefined) {
    if (res.pids === null || typeof res.pids !== 'object') throw invalidArg('resources.pids', res.pids, 'must be an object');
    int(res.pids.limit, 'resources.pids.limit', -1);
  }
  return res;
}

/** Stats options of a handle: the root, version and procRoot are the handle's. */
export type HandleStatsOptions = Omit<StatsOptions, 'root' | 'version' | 'procRoot'>;
type NumFor<O> = O extends { bigint: true } ? bigint : number;

/** A pid for apply: a positive 32-bit integer, or -1 for "create, attach nothing". */
function applyPid(value: unknown, name = 'pid'): number {
  if (value === -1) return -1;
  return checkPid(value, name);
}

/**
 * A cgroup, by libcontainer's rules (spec §2.10). `innerPath` is the cgroup path below the hierarchy roots
 * (always absolute). `paths` maps each controller to its directory (v2: the key "" only).
 */
export class Cgroup {
  readonly name: string;
  readonly parent: string;
  readonly systemd: boolean;
  /** The cgroup's path below every hierarchy root, e.g. "/kubepods/pod1/crio-abc". */
  readonly innerPath: string;
  /** @internal */
  readonly context: CgroupContext;

  /** @internal Use libctrManager or a manager's …CgroupManager. */
  constructor(config: CgroupConfig, context: CgroupContext, innerPath: string) {
    this.name = config.name;
    this.parent = config.parent;
    this.systemd = config.systemd === true;
    this.context = context;
    this.innerPath = innerPath;
  }

  get version(): 1 | 2 {
    return this.context.version;
  }

  /** The cgroup's directory per controller (v1: every mounted controller; v2: `{ '': dir }`). */
  get paths(): Record<string, string> {
    const ctx = this.context;
    if (ctx.version === 2) return { '': this.dirIn(ctx.root) };
    const out: Record<string, string> = {};
    for (const h of v1Hierarchies(ctx.layout)) {
      for (const c of h.controllers) if (!c.startsWith('name=')) out[c] = this.dirIn(h.path);
    }
    return out;
  }

  /** The directory in one controller's hierarchy (v2: the unified directory whatever the controller). */
  path(controller = ''): string | undefined {
    if (this.context.version === 2) return this.dirIn(this.context.root);
    return this.paths[controller];
  }

  /** Distinct directories (co-mounted controllers once), hierarchy order. */
  dirs(): string[] {
    if (this.context.version === 2) return [this.dirIn(this.context.root)];
    return v1Hierarchies(this.context.layout).map((h) => this.dirIn(h.path));
  }

  private dirIn(hierarchyRoot: string): string {
    return this.innerPath === '/' ? hierarchyRoot : hierarchyRoot + this.innerPath;
  }

  private relPath(): string {
    return this.innerPath.slice(1);
  }

  // ---- existence ------------------------------------------------------------------------------------------------

  /** Whether the cgroup's directory exists (v1: in any of its hierarchies). */
  existsSync(): boolean {
    return this.dirs().some((d) => fs.existsSync(d));
  }

  async exists(): Promise<boolean> {
    return this.existsSync();
  }

  // ---- apply: create, attach ------------------------------------------------------------------------------------

  /**
   * Creates the cgroup (v1: in every mounted controller, copying cpuset.cpus/mems from the parent when empty; v2:
   * every missing directory from the root down, enabling the root's controllers in the ancestors'
   * cgroup.subtree_control) and moves `pid` into it; pid -1 creates only.
   */
  applySync(pid: number): void {
    const p = applyPid(pid);
    this.createSync();
    if (p !== -1) this.addPidsSync([p]);
  }

  async apply(pid: number): Promise<void> {
    const p = applyPid(pid);
    this.createSync();
    if (p !== -1) await this.addPids([p]);
  }

  /** @internal mkdir -p beneath a hierarchy root; returns the directories made (top first). */
  mkdirBeneath(hierarchyRoot: string, target: string): string[] {
    const made: string[] = [];
    const rel = nodePath.relative(hierarchyRoot, target);
    if (rel.startsWith('..') || nodePath.isAbsolute(rel)) throw invalidArg('path', target, `must be beneath ${hierarchyRoot}`);
    let cur = hierarchyRoot;
    for (const part of rel === '' ? [] : rel.split('/')) {
      cur = nodePath.join(cur, part);
      try {
        fs.mkdirSync(cur, 0o755);
        made.push(cur);
      } catch (e) {
        if (errCode(e) !== 'EEXIST') throw fsError(e);
      }
    }
    return made;
  }

  private createSync(): void {
    const ctx = this.context;
    if (ctx.version === 2) {
      this.createV2();
      return;
    }
    for (const h of v1Hierarchies(ctx.layout)) {
      const d = this.dirIn(h.path);
      this.mkdirBeneath(h.path, d);
      if (h.controllers.includes('cpuset')) this.ensureCpuset(h.path, d);
    }
  }

  private createV2(): void {
    const root = this.context.root;
    let controllers: string[] = [];
    try {
      controllers = fs.readFileSync(nodePath.join(root, 'cgroup.controllers'), 'utf8').split(/\s+/).filter(Boolean);
    } catch { /* no controllers to enable */ }
    const parts = this.relPath() === '' ? [] : this.relPath().split('/');
    let cur = root;
    for (let i = 0; i < parts.length; i++) {
      // Enable the controllers in this ancestor before creating the child (all at once, then one by one).
      if (controllers.length > 0) {
        const file = nodePath.join(cur, 'cgroup.subtree_control');
        try {
          fs.writeFileSync(file, controllers.map((c) => '+' + c).join(' '));
        } catch {
          for (const c of controllers) {
            try { fs.writeFileSync(file, '+' + c); } catch { /* not available here */ }
          }
        }
      }
      cur = nodePath.join(cur, parts[i]!);
      try {
        fs.mkdirSync(cur, 0o755);
      } catch (e) {
        if (errCode(e) !== 'EEXIST') throw fsError(e);
      }
    }
  }

  // v1 cpuset: a new cgroup has empty cpus/mems and takes no task; copy them from the parent, top down.
  private ensureCpuset(hierarchyRoot: string, d: string): void {
    const chain: string[] = [];
    for (let cur = d; cur !== hierarchyRoot && cur.startsWith(hierarchyRoot + '/'); cur = nodePath.dirname(cur)) chain.unshift(cur);
    for (const c of chain) {
      for (const f of ['cpuset.cpus', 'cpuset.mems']) {
        const file = nodePath.join(c, f);
        let own: string;
        try {
          own = fs.readFileSync(file, 'utf8').trim();
        } catch (e) {
          if (errCode(e) === 'ENOENT') continue; // not a cpuset directory (recorded tree)
          throw fsError(e);
        }
        if (own !== '') continue;
        const parentValue = fs.readFileSync(nodePath.join(nodePath.dirname(c), f), 'utf8').trim();
        try {
          fs.writeFileSync(file, parentValue);
        } catch (e) {
          throw fsError(e);
        }
      }
    }
  }

  // ---- pids -----------------------------------------------------------------------------------------------------

  private withHandle<T>(fn: (id: number, engine: Engine) => T): T {
    const engine = this.context.engine;
    let id: number;
    try {
      id = engine.open(this.relPath());
    } catch (e) {
      throw fsError(e);
    }
    try {
      return fn(id, engine);
    } finally {
      engine.close(id);
    }
  }

  private async withHandleAsync<T>(fn: (id: number, engine: Engine) => Promise<T>): Promise<T> {
    const engine = this.context.engine;
    let id: number;
    try {
      id = engine.open(this.relPath());
    } catch (e) {
      throw fsError(e);
    }
    try {
      return await fn(id, engine);
    } finally {
      engine.close(id);
    }
  }

  private checkPids(pids: unknown): number[] {
    if (!Array.isArray(pids)) throw invalidArg('pids', pids, 'must be an array of pids');
    return pids.map((p, i) => checkPid(p, `pids[${i}]`));
  }

  /** Moves pids into the cgroup (every hierarchy it exists in); throws the first pid's error. EINVAL is retried. */
  addPidsSync(pids: readonly number[]): void {
    const list = this.checkPids(pids);
    if (list.length === 0) return;
    const errors = this.withHandle((id, engine) => engine.writePidsSync(list.map(() => id), list));
    const first = errors.find((e) => e !== undefined);
    if (first) throw first;
  }

  async addPids(pids: readonly number[]): Promise<void> {
    const list = this.checkPids(pids);
    if (list.length === 0) return;
    const errors = await this.withHandleAsync((id, engine) => engine.writePids(list.map(() => id), list));
    const first = errors.find((e) => e !== undefined);
    if (first) throw first;
  }

  private pidsController(): string {
    if (this.context.version === 2) return '';
    const l = this.context.layout;
    for (const c of ['devices', 'pids', 'memory', 'cpu', 'cpuset']) if (l.controllers.has(c)) return c;
    const h = v1Hierarchies(l)[0];
    if (!h) throw new CgroupError(`no cgroup hierarchy mounted under ${this.context.root}`, { code: 'ERR_CGROUP_NOT_MOUNTED' });
    return h.controllers[0]!;
  }

  /** The pids of the cgroup's own cgroup.procs (v1: of the devices hierarchy, as libcontainer; not recursive). */
  getPidsSync(): number[] {
    const c = this.pidsController();
    return this.withHandle((id, engine) => engine.readPids(id, c));
  }

  async getPids(): Promise<number[]> {
    return this.getPidsSync();
  }

  // ---- stats, OOM -----------------------------------------------------------------------------------------------

  /**
   * The cgroup's statistics (lib/stats; spec §3); `{ bigint: true }` for exact u64 values. Read through the handle's
   * held StatsHandle (one pread per file on held descriptors, answered on the calling thread) unless the options name
   * another sysRoot or huge page sizes.
   */
  async stats<O extends HandleStatsOptions | undefined = undefined>(options?: O): Promise<CgroupStats<NumFor<O>>> {
    const held = this.heldStats(options);
    if (held) return held.read(options) as Promise<CgroupStats<NumFor<O>>>;
    return stats().stats(this.relPath(), this.context.statsOptions(options ?? {})) as Promise<CgroupStats<NumFor<O>>>;
  }

  statsSync<O extends HandleStatsOptions | undefined = undefined>(options?: O): CgroupStats<NumFor<O>> {
    const held = this.heldStats(options);
    if (held) return held.readSync(options) as CgroupStats<NumFor<O>>;
    return stats().statsSync(this.relPath(), this.context.statsOptions(options ?? {})) as CgroupStats<NumFor<O>>;
  }

  private statsHandle?: StatsHandle;

  private heldStats(options: HandleStatsOptions | undefined): StatsHandle | undefined {
    if (options !== undefined && Object.keys(options).some((k) => k !== 'controllers' && k !== 'bigint')) return undefined;
    return (this.statsHandle ??= stats().openStatsHandle(this.relPath(), this.context.statsOptions()));
  }

  /** OOM kills: v2 `memory.events` oom_kill, v1 `memory.oom_control` oom_kill (0 when the key is absent). */
  oomKillCountSync(): number {
    const d = this.path('memory');
    if (d === undefined) throw new CgroupError('the memory hierarchy is not mounted', { code: 'ERR_CGROUP_NOT_MOUNTED', controller: 'memory' });
    const file = nodePath.join(d, this.context.version === 2 ? 'memory.events' : 'memory.oom_control');
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw fsError(e);
    }
    const m = /^oom_kill (\d+)$/m.exec(text);
    return m ? Number(m[1]) : 0;
  }

  async oomKillCount(): Promise<number> {
    return this.oomKillCountSync();
  }

  // ---- set ------------------------------------------------------------------------------------------------------

  private writeFile(controller: string, file: string, value: string): void {
    const d = this.path(controller);
    if (d === undefined) throw new CgroupError(`the ${controller} hierarchy is not mounted`, { code: 'ERR_CGROUP_NOT_MOUNTED', controller });
    try {
      fs.writeFileSync(nodePath.join(d, file), value);
    } catch (e) {
      throw fsError(e);
    }
  }

  private readFile(controller: string, file: string): string {
    const d = this.path(controller);
    if (d === undefined) throw new CgroupError(`the ${controller} hierarchy is not mounted`, { code: 'ERR_CGROUP_NOT_MOUNTED', controller });
    try {
      return fs.readFileSync(nodePath.join(d, file), 'utf8').trim();
    } catch (e) {
      throw fsError(e);
    }
  }

  /**
   * Writes limits into the existing cgroup. v1: cpuset.cpus/mems, cpu.shares (read back: the kernel clamps, and a
   * different value fails as in libcontainer), cpu.cfs_period_us / cpu.cfs_quota_us (ordered so EINVAL is avoided),
   * memory.limit_in_bytes, pids.max. v2: cpuset.cpus/mems, cpu.weight (from shares), cpu.max, memory.max, pids.max.
   */
  setSync(resources: CgroupResources): void {
    const r = checkResources(resources);
    const v2 = this.context.version === 2;
    const cpu = r.cpu ?? {};
    if (cpu.cpus) this.writeFile('cpuset', 'cpuset.cpus', cpu.cpus);
    if (cpu.mems) this.writeFile('cpuset', 'cpuset.mems', cpu.mems);
    if (v2) {
      if (cpu.shares) this.writeFile('cpu', 'cpu.weight', String(sharesToWeight(cpu.shares)));
      const max = cpuMaxValue(cpu.quota, cpu.period);
      if (max !== '') this.writeFile('cpu', 'cpu.max', max);
    } else {
      if (cpu.shares) {
        this.writeFile('cpu', 'cpu.shares', String(cpu.shares));
        const got = Number(this.readFile('cpu', 'cpu.shares'));
        if (cpu.shares > got) throw new CgroupError(`the maximum allowed cpu-shares is ${got}`, { code: 'ERR_CGROUP_CPU_SHARES' });
        if (cpu.shares < got) throw new CgroupError(`the minimum allowed cpu-shares is ${got}`, { code: 'ERR_CGROUP_CPU_SHARES' });
      }
      const quota = cpu.quota ?? 0;
      const period = cpu.period ?? 0;
      let quotaDone = false;
      if (period !== 0) {
        try {
          this.writeFile('cpu', 'cpu.cfs_period_us', String(period));
        } catch (e) {
          // A period below the current quota's ratio is refused: write the quota first, then the period.
          if ((e as CgroupError).code !== 'EINVAL' || quota === 0) throw e;
          this.writeFile('cpu', 'cpu.cfs_quota_us', String(quota));
          quotaDone = true;
          this.writeFile('cpu', 'cpu.cfs_period_us', String(period));
        }
      }
      if (quota !== 0 && !quotaDone) this.writeFile('cpu', 'cpu.cfs_quota_us', String(quota));
    }
    const mem = r.memory?.limit;
    if (mem !== undefined && mem !== 0) {
      if (v2) this.writeFile('memory', 'memory.max', mem === -1 ? 'max' : String(mem));
      else this.writeFile('memory', 'memory.limit_in_bytes', String(mem));
    }
    const pidsLimit = r.pids?.limit;
    if (pidsLimit !== undefined && pidsLimit !== 0) this.writeFile('pids', 'pids.max', pidsLimit === -1 ? 'max' : String(pidsLimit));
  }

  async set(resources: CgroupResources): Promise<void> {
    this.setSync(resources);
  }

  // ---- destroy --------------------------------------------------------------------------------------------------

  /**
   * Removes the cgroup (v1: in every hierarchy): rmdir; if that fails, child cgroups first, then rmdir again with
   * EBUSY retried 10 times with exponential back-off from 1 ms. A missing directory is success. v1 failure:
   * `Failed to remove paths: map[<controller>:<dir> ...]`.
   */
  destroySync(): void {
    const steps = this.destroySteps();
    for (let r = steps.next(); !r.done; r = steps.next()) sleepSync(r.value);
  }

  async destroy(): Promise<void> {
    const steps = this.destroySteps();
    for (let r = steps.next(); !r.done; r = steps.next()) await sleep(r.value);
  }

  // The removal as steps: yields the milliseconds to wait between EBUSY retries (sync and async drivers above).
  private *destroySteps(): Generator<number, void, void> {
    const failed = new Set<string>();
    let lastError: unknown;
    const dirs = [...new Set(Object.values(this.paths))];
    for (const d of dirs) {
      try {
        yield* removePath(d);
      } catch (e) {
        lastError = e;
        failed.add(d);
      }
    }
    if (failed.size === 0) return;
    if (this.context.version === 2) throw fsError(lastError);
    const all = Object.entries(this.paths).filter(([, d]) => failed.has(d)).sort(([a], [b]) => (a < b ? -1 : 1));
    throw new CgroupError(`Failed to remove paths: map[${all.map(([c, d]) => `${c}:${d}`).join(' ')}]`, {
      code: 'ERR_CGROUP_REMOVE', cause: lastError,
    });
  }
}

/** libcontainer's RemovePath: rmdir; else children first, then rmdir retrying EBUSY with back-off (yielded waits). */
function* removePath(d: string): Generator<number, void, void> {
  try {
    fs.rmdirSync(d);
    return;
  } catch (e) {
    if (errCode(e) === 'ENOENT') return;
  }
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(d, { withFileTypes: true });
  } catch (e) {
    if (errCode(e) === 'ENOENT') return;
    throw fsError(e);
  }
  for (const ent of entries) if (ent.isDirectory()) yield* removePath(nodePath.join(d, ent.name));
  for (let attempt = 0; ; attempt++) {
    try {
      fs.rmdirSync(d);
      return;
    } catch (e) {
      const code = errCode(e);
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || attempt >= 10) throw fsError(e);
      yield 2 ** attempt;
    }
  }
}

/**
 * Builds a handle by libcontainer's path rules (spec §2.10). Throws `systemd not running on this host, cannot use
 * systemd cgroups manager` for the systemd driver when systemd does not run, and ExpandSlice errors for a bad slice.
 * Touches nothing on disk.
 */
export function newCgroup(config: CgroupConfig, context: CgroupContext): Cgroup {
  if (config.systemd) {
    if (!context.systemdRunning()) {
      throw new CgroupError('systemd not running on this host, cannot use systemd cgroups manager', { code: 'ERR_CGROUP_NO_SYSTEMD' });
    }
    const prefix = config.scopePrefix ?? 'crio';
    const unit = config.name.endsWith('.slice') ? config.name : `${prefix}-${config.name}.scope`;
    const slice = expandSlice(config.parent === '' ? 'system.slice' : config.parent);
    return new Cgroup(config, context, join('/', slice, unit));
  }
  const inner = join(cleanElem(config.parent), cleanElem(config.name));
  if (inner.startsWith('/')) return new Cgroup(config, context, inner);
  // A relative path is resolved under the parent of our own cgroup (the "0::" line of /proc/self/cgroup).
  let own = '/';
  try {
    const line = fs.readFileSync(nodePath.join(context.procRoot, 'self', 'cgroup'), 'utf8').split('\n').find((l) => l.startsWith('0::'));
    if (line) own = line.slice(3) || '/';
  } catch { /* treat as / */ }
  return new Cgroup(config, context, join(dir(cleanElem(own) || '/'), inner));
}

/** Go's Base/Dir split of an absolute cgroup path, for building a handle from a path. */
export function splitPath(p: string): { name: string; parent: string } {
  return { name: base(p), parent: dir(p) };
}
