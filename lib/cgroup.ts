/**
 * The Cgroup handle: this project's counterpart of libcontainer's `cgroups.Manager` (spec §2.10), returned by the
 * managers' `…CgroupManager` methods and by `libctrManager`. It knows where a cgroup is in every hierarchy (cgroupfs
 * or systemd driver rules, v1 or v2), and can create it (`apply`), move pids into it, read its pids, stats and OOM
 * kill count, write limits (`set`) and remove it (`destroy`). Building one never touches the filesystem beyond mount
 * discovery; every method has a synchronous twin.
 *
 * Paths are built from validated parts under the configured root only: the inner path is cleaned per element so
 * ".." can never climb above the root. Every read, write, mkdir, rmdir and pid move goes through the context's one
 * engine, resolved beneath the hierarchy root descriptors without following symlinks (lib/steps.ts, docs/engine.md);
 * the root cgroup is refused as the target of a create or remove.
 */
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { Engine } from './engine';
import { CgroupError, invalidArg, sysError } from './errors';
import { DEFAULT_ROOT, discoverHierarchies, isCgroup2, type Hierarchy, type Layout } from './hierarchy';
import { base, clean, dir, expandSlice, join } from './paths';
import type { CgroupStats, StatsOptions } from './stats';
import type { StatsHandle } from './stats/handle';
import type { StatsReader, StatsResult } from './stats/reader';
import * as steps from './steps';
import { runAsync, runSync, type Steps } from './steps';

/** lib/stats, loaded on the first stats read (`cgmgr paths` / `cgmgr move` never load it). */
/* eslint-disable @typescript-eslint/no-require-imports -- lazy: loaded on the first stats read */
const statsReaderModule = (): typeof import('./stats/reader') =>
  require('./stats/reader') as typeof import('./stats/reader');
const statsHandleModule = (): typeof import('./stats/handle') =>
  require('./stats/handle') as typeof import('./stats/handle');
const statsOomModule = (): typeof import('./stats/oom') => require('./stats/oom') as typeof import('./stats/oom');
/* eslint-enable @typescript-eslint/no-require-imports */
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
  /** The cgroup version; default: CRI-O's test (statfs magic of the root; hybrid hosts are 1), or for a plain
   * directory standing in for the root, whether it has a cgroup.controllers (a recorded v2 root). */
  version?: 1 | 2;
  /** The mountinfo used for hierarchy discovery (default /proc/self/mountinfo). */
  mountinfo?: string;
  /** Whether systemd runs (spec §1.2): a value or a probe; default: `/run/systemd/system` is a directory (lstat). */
  systemdRunning?: boolean | (() => boolean);
  /** Where messages go; default: nowhere. */
  logger?: Logger;
  /** Most descriptors the context's engine keeps open for its handles' reads (held directories and files; past it
   * files are opened per read). Default: the engine default, ¾ of RLIMIT_NOFILE; every engine of the process shares
   * one process budget (processFdBudget()) and a larger value is clamped to it. */
  maxOpenFiles?: number;
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
  private readonly maxOpenFiles: number | undefined;
  private readonly systemdRunningOpt: boolean | (() => boolean) | undefined;
  private layoutCache: Layout | undefined;
  private engineCache: Engine | undefined;
  private readonly readers = new Map<string, StatsReader>();

  constructor(options: CgroupOptions = {}) {
    if (options === null || typeof options !== 'object') throw invalidArg('options', options, 'must be an object');
    const root = options.root ?? DEFAULT_ROOT;
    if (typeof root !== 'string' || root === '' || root.includes('\0'))
      throw invalidArg('root', root, 'must be a non-empty path');
    this.root = nodePath.resolve(root);
    const procRoot = options.procRoot ?? '/proc';
    if (typeof procRoot !== 'string' || procRoot === '' || procRoot.includes('\0'))
      throw invalidArg('procRoot', procRoot, 'must be a non-empty path');
    this.procRoot = nodePath.resolve(procRoot);
    if (options.version !== undefined && options.version !== 1 && options.version !== 2) {
      throw invalidArg('version', options.version, 'must be 1 or 2');
    }
    // CRI-O's test (statfs magic); a plain directory standing in for the root is v2 when it has cgroup.controllers.
    this.version =
      options.version ??
      (isCgroup2(this.root) || fs.existsSync(nodePath.join(this.root, 'cgroup.controllers')) ? 2 : 1);
    this.mountinfo = options.mountinfo;
    if (options.maxOpenFiles !== undefined && (!Number.isInteger(options.maxOpenFiles) || options.maxOpenFiles < 0)) {
      throw invalidArg('maxOpenFiles', options.maxOpenFiles, 'must be a non-negative integer');
    }
    this.maxOpenFiles = options.maxOpenFiles;
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
    this.layoutCache ??= discoverHierarchies({
      root: this.root,
      version: this.version,
      ...(this.mountinfo ? { mountinfo: this.mountinfo } : {}),
    });
    return this.layoutCache;
  }

  /** The one engine of this context: its handles' reads, writes, mkdirs, rmdirs, pid moves and stats all use it. */
  get engine(): Engine {
    this.engineCache ??= new Engine({
      layout: this.layout,
      ...(this.maxOpenFiles === undefined ? {} : { fdBudget: this.maxOpenFiles }),
    });
    return this.engineCache;
  }

  /** The stats reader of the handles, on the context's engine (one per sysRoot / huge page sizes asked for). */
  statsReader(options: Pick<StatsOptions, 'sysRoot' | 'hugePageSizes'> = {}): StatsReader {
    const key = JSON.stringify([options.sysRoot ?? null, options.hugePageSizes ?? null]);
    let r = this.readers.get(key);
    if (r === undefined) {
      r = new (statsReaderModule().StatsReader)({
        engine: this.engine,
        version: this.version,
        procRoot: this.procRoot,
        ...(options.sysRoot === undefined ? {} : { sysRoot: options.sysRoot }),
        ...(options.hugePageSizes === undefined ? {} : { hugePageSizes: options.hugePageSizes }),
      });
      this.readers.set(key, r);
    }
    return r;
  }
}

/** The v1 hierarchies a cgroupfs-driver cgroup lives in: every mounted controller hierarchy (not name=…, not cgroup2). */
function v1Hierarchies(layout: Layout): Hierarchy[] {
  return layout.hierarchies.filter((h) => h.version === 1 && h.controllers.some((c) => !c.startsWith('name=')));
}

/** The cgroup2 hierarchy of a unified (v2) layout: the one mounted at the root. */
export function unifiedHierarchy(layout: Layout): Hierarchy {
  const h =
    layout.hierarchies.find((x) => x.version === 2 && x.path === layout.root) ??
    layout.unified ??
    layout.hierarchies[0];
  if (h === undefined)
    throw new CgroupError(`no cgroup hierarchy mounted under ${layout.root}`, { code: 'ERR_CGROUP_NOT_MOUNTED' });
  return h;
}

// cleanElem of spec §2.10: an absolute element is cleaned; a relative one is cleaned as if rooted, then unrooted, so
// ".." in it never climbs above it.
function cleanElem(p: string): string {
  if (p === '') return '';
  if (p.startsWith('/')) return clean(p);
  return clean('/' + p).slice(1);
}

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
    if (v !== undefined && (typeof v !== 'string' || !/^[0-9,\- ]*$/.test(v)))
      throw invalidArg(name, v, 'must be a cpu/node list like "0-3,5"');
  };
  if (res.cpu !== undefined) {
    if (res.cpu === null || typeof res.cpu !== 'object')
      throw invalidArg('resources.cpu', res.cpu, 'must be an object');
    list(res.cpu.cpus, 'resources.cpu.cpus');
    list(res.cpu.mems, 'resources.cpu.mems');
    int(res.cpu.shares, 'resources.cpu.shares', 0);
    int(res.cpu.quota, 'resources.cpu.quota', -1);
    int(res.cpu.period, 'resources.cpu.period', 0);
  }
  if (res.memory !== undefined) {
    if (res.memory === null || typeof res.memory !== 'object')
      throw invalidArg('resources.memory', res.memory, 'must be an object');
    int(res.memory.limit, 'resources.memory.limit', -1);
  }
  if (res.pids !== undefined) {
    if (res.pids === null || typeof res.pids !== 'object')
      throw invalidArg('resources.pids', res.pids, 'must be an object');
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

  /** @internal The hierarchies the cgroup lives in (v1: every mounted controller hierarchy; v2: the unified one). */
  hierarchies(): Hierarchy[] {
    const ctx = this.context;
    return ctx.version === 2 ? [unifiedHierarchy(ctx.layout)] : v1Hierarchies(ctx.layout);
  }

  private dirIn(hierarchyRoot: string): string {
    return this.innerPath === '/' ? hierarchyRoot : hierarchyRoot + this.innerPath;
  }

  /** @internal The cgroup path relative to the hierarchy roots ('' for the root cgroup). */
  get relPath(): string {
    return this.innerPath.slice(1);
  }

  // The hierarchy holding a controller's files (v2: the unified one), or ERR_CGROUP_NOT_MOUNTED.
  private hierarchyOf(controller: string): Hierarchy {
    const ctx = this.context;
    if (ctx.version === 2) return unifiedHierarchy(ctx.layout);
    const h = ctx.layout.controllers.get(controller);
    if (h === undefined)
      throw new CgroupError(`the ${controller} hierarchy is not mounted`, {
        code: 'ERR_CGROUP_NOT_MOUNTED',
        controller,
      });
    return h;
  }

  /** @internal Refuses the root cgroup (and so anything that resolved to it) as the target of a create or remove. */
  refuseRoot(what: string): void {
    if (this.relPath === '') {
      throw new CgroupError(
        `refusing to ${what} the root cgroup: a container or sandbox cgroup must be below the hierarchy root`,
        {
          code: 'ERR_CGROUP_ROOT_REFUSED',
        },
      );
    }
  }

  // ---- existence ------------------------------------------------------------------------------------------------

  /** Whether the cgroup's directory exists (v1: in any of its hierarchies). */
  existsSync(): boolean {
    return runSync(this.context.engine, this.existsSteps());
  }

  async exists(): Promise<boolean> {
    return runAsync(this.context.engine, this.existsSteps());
  }

  private *existsSteps(): Steps<boolean> {
    for (const h of this.hierarchies()) {
      try {
        if ((yield* steps.children(h, this.relPath)) !== undefined) return true;
      } catch (e) {
        if (errCode(e) !== 'ENOTDIR') throw e; // a file in its place is no cgroup; a symlink is refused (ELOOP)
      }
    }
    return false;
  }

  // ---- apply: create, attach ------------------------------------------------------------------------------------

  /**
   * Creates the cgroup (v1: in every mounted controller, copying cpuset.cpus/mems from the parent when empty; v2:
   * every missing directory from the root down, enabling the root's controllers in the ancestors'
   * cgroup.subtree_control) and moves `pid` into it; pid -1 creates only. The root cgroup is refused.
   */
  applySync(pid: number): void {
    const p = applyPid(pid);
    runSync(this.context.engine, this.createSteps());
    if (p !== -1) this.addPidsSync([p]);
  }

  async apply(pid: number): Promise<void> {
    const p = applyPid(pid);
    await runAsync(this.context.engine, this.createSteps());
    if (p !== -1) await this.addPids([p]);
  }

  /** @internal The creation of apply(), as engine steps. */
  *createSteps(): Steps<void> {
    this.refuseRoot('create');
    if (this.context.version === 2) {
      yield* this.createV2();
      return;
    }
    for (const h of v1Hierarchies(this.context.layout)) {
      yield* steps.mkdirAll(h, this.relPath);
      if (h.controllers.includes('cpuset')) yield* ensureCpuset(h, this.relPath);
    }
  }

  private *createV2(): Steps<void> {
    const h = unifiedHierarchy(this.context.layout);
    let controllers: string[] = [];
    try {
      controllers = (yield* steps.read(h, '', 'cgroup.controllers')).split(/\s+/).filter(Boolean);
    } catch {
      /* no controllers to enable */
    }
    const parts = this.relPath.split('/');
    for (let i = 0; i < parts.length; i++) {
      const cur = parts.slice(0, i).join('/');
      // Enable the controllers in this ancestor before creating the child (all at once, then one by one).
      if (controllers.length > 0) {
        try {
          yield* steps.write(h, cur, 'cgroup.subtree_control', controllers.map((c) => '+' + c).join(' '));
        } catch {
          for (const c of controllers) {
            try {
              yield* steps.write(h, cur, 'cgroup.subtree_control', '+' + c);
            } catch {
              /* not available here */
            }
          }
        }
      }
      yield* steps.mkdir(h, parts.slice(0, i + 1).join('/'));
    }
  }

  // ---- pids -----------------------------------------------------------------------------------------------------

  private withHandle<T>(fn: (id: number, engine: Engine) => T): T {
    const engine = this.context.engine;
    const id = engine.open(this.relPath);
    try {
      return fn(id, engine);
    } finally {
      engine.close(id);
    }
  }

  private async withHandleAsync<T>(fn: (id: number, engine: Engine) => Promise<T>): Promise<T> {
    const engine = this.context.engine;
    const id = engine.open(this.relPath);
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
    const errors = this.withHandle((id, engine) =>
      engine.writePidsSync(
        list.map(() => id),
        list,
      ),
    );
    const first = errors.find((e) => e !== undefined);
    if (first) throw first;
  }

  async addPids(pids: readonly number[]): Promise<void> {
    const list = this.checkPids(pids);
    if (list.length === 0) return;
    const errors = await this.withHandleAsync((id, engine) =>
      engine.writePids(
        list.map(() => id),
        list,
      ),
    );
    const first = errors.find((e) => e !== undefined);
    if (first) throw first;
  }

  private pidsController(): string {
    if (this.context.version === 2) return '';
    const l = this.context.layout;
    for (const c of ['devices', 'pids', 'memory', 'cpu', 'cpuset']) if (l.controllers.has(c)) return c;
    const h = v1Hierarchies(l)[0];
    if (!h)
      throw new CgroupError(`no cgroup hierarchy mounted under ${this.context.root}`, {
        code: 'ERR_CGROUP_NOT_MOUNTED',
      });
    return h.controllers[0]!;
  }

  /** The pids of the cgroup's own cgroup.procs (v1: of the devices hierarchy, as libcontainer; not recursive). */
  getPidsSync(): number[] {
    const c = this.pidsController();
    return this.withHandle((id, engine) => engine.readPids(id, c));
  }

  async getPids(): Promise<number[]> {
    const c = this.pidsController();
    return this.withHandleAsync((id, engine) => engine.readPidsAsync(id, c));
  }

  // ---- stats, OOM -----------------------------------------------------------------------------------------------

  /**
   * The cgroup's statistics (lib/stats; spec §3), read through the context's engine; `{ bigint: true }` for exact u64
   * values. Read through the handle's held StatsHandle (one pread per file on held descriptors, answered on the calling
   * thread) unless the options name another sysRoot or huge page sizes.
   */
  async stats<O extends HandleStatsOptions | undefined = undefined>(options?: O): Promise<CgroupStats<NumFor<O>>> {
    const held = this.heldStats(options);
    if (held) return held.read(options);
    const o: HandleStatsOptions = options ?? {};
    const [r] = await this.context
      .statsReader(o)
      .read([this.relPath], { controllers: o.controllers, bigint: o.bigint === true });
    return unwrapStats(r!) as CgroupStats<NumFor<O>>;
  }

  statsSync<O extends HandleStatsOptions | undefined = undefined>(options?: O): CgroupStats<NumFor<O>> {
    const held = this.heldStats(options);
    if (held) return held.readSync(options);
    const o: HandleStatsOptions = options ?? {};
    const [r] = this.context
      .statsReader(o)
      .readSync([this.relPath], { controllers: o.controllers, bigint: o.bigint === true });
    return unwrapStats(r!) as CgroupStats<NumFor<O>>;
  }

  private statsHandle?: StatsHandle;

  /** Closes the held StatsHandle (its descriptors); the next stats read opens a new one. Managers call it when the
   * handle leaves their cache. */
  releaseStatsHandle(): void {
    this.statsHandle?.close();
    this.statsHandle = undefined;
  }

  private heldStats(options: HandleStatsOptions | undefined): StatsHandle | undefined {
    if (options !== undefined && Object.keys(options).some((k) => k !== 'controllers' && k !== 'bigint'))
      return undefined;
    return (this.statsHandle ??= new (statsHandleModule().StatsHandle)(this.context.statsReader(), this.relPath));
  }

  /**
   * OOM kills: v2 `memory.events` oom_kill, v1 `memory.oom_control` oom_kill (0 when the key is absent), read the one
   * way cgmgr reads it (lib/stats/oom.ts: the stats `events` reader, parsed natively). A missing file, a symlink, a
   * non-regular file or a parse error throws.
   */
  oomKillCountSync(): number {
    this.hierarchyOf('memory');
    return this.withHandle((id, engine) => statsOomModule().oomKillCountOrThrowSync(engine, id));
  }

  async oomKillCount(): Promise<number> {
    this.hierarchyOf('memory');
    return this.withHandleAsync((id, engine) => statsOomModule().oomKillCountOrThrow(engine, id));
  }

  // ---- set ------------------------------------------------------------------------------------------------------

  private *writeFile(controller: string, file: string, value: string): Steps<void> {
    yield* steps.write(this.hierarchyOf(controller), this.relPath, file, value);
  }

  private *readFile(controller: string, file: string): Steps<string> {
    return (yield* steps.read(this.hierarchyOf(controller), this.relPath, file)).trim();
  }

  /**
   * Writes limits into the existing cgroup. v1: cpuset.cpus/mems, cpu.shares (read back: the kernel clamps, and a
   * different value fails as in libcontainer), cpu.cfs_period_us / cpu.cfs_quota_us (ordered so EINVAL is avoided),
   * memory.limit_in_bytes, pids.max. v2: cpuset.cpus/mems, cpu.weight (from shares), cpu.max, memory.max, pids.max.
   */
  setSync(resources: CgroupResources): void {
    runSync(this.context.engine, this.setSteps(checkResources(resources)));
  }

  async set(resources: CgroupResources): Promise<void> {
    await runAsync(this.context.engine, this.setSteps(checkResources(resources)));
  }

  private *setSteps(r: CgroupResources): Steps<void> {
    const v2 = this.context.version === 2;
    const cpu = r.cpu ?? {};
    if (cpu.cpus) yield* this.writeFile('cpuset', 'cpuset.cpus', cpu.cpus);
    if (cpu.mems) yield* this.writeFile('cpuset', 'cpuset.mems', cpu.mems);
    if (v2) {
      if (cpu.shares) yield* this.writeFile('cpu', 'cpu.weight', String(sharesToWeight(cpu.shares)));
      const max = cpuMaxValue(cpu.quota, cpu.period);
      if (max !== '') yield* this.writeFile('cpu', 'cpu.max', max);
    } else {
      if (cpu.shares) {
        yield* this.writeFile('cpu', 'cpu.shares', String(cpu.shares));
        const got = Number(yield* this.readFile('cpu', 'cpu.shares'));
        if (cpu.shares > got)
          throw new CgroupError(`the maximum allowed cpu-shares is ${got}`, { code: 'ERR_CGROUP_CPU_SHARES' });
        if (cpu.shares < got)
          throw new CgroupError(`the minimum allowed cpu-shares is ${got}`, { code: 'ERR_CGROUP_CPU_SHARES' });
      }
      const quota = cpu.quota ?? 0;
      const period = cpu.period ?? 0;
      let quotaDone = false;
      if (period !== 0) {
        try {
          yield* this.writeFile('cpu', 'cpu.cfs_period_us', String(period));
        } catch (e) {
          // A period below the current quota's ratio is refused: write the quota first, then the period.
          if (errCode(e) !== 'EINVAL' || quota === 0) throw e;
          yield* this.writeFile('cpu', 'cpu.cfs_quota_us', String(quota));
          quotaDone = true;
          yield* this.writeFile('cpu', 'cpu.cfs_period_us', String(period));
        }
      }
      if (quota !== 0 && !quotaDone) yield* this.writeFile('cpu', 'cpu.cfs_quota_us', String(quota));
    }
    const mem = r.memory?.limit;
    if (mem !== undefined && mem !== 0) {
      if (v2) yield* this.writeFile('memory', 'memory.max', mem === -1 ? 'max' : String(mem));
      else yield* this.writeFile('memory', 'memory.limit_in_bytes', String(mem));
    }
    const pidsLimit = r.pids?.limit;
    if (pidsLimit !== undefined && pidsLimit !== 0)
      yield* this.writeFile('pids', 'pids.max', pidsLimit === -1 ? 'max' : String(pidsLimit));
  }

  // ---- destroy --------------------------------------------------------------------------------------------------

  /**
   * Removes the cgroup (v1: in every hierarchy): rmdir; if that fails, child cgroups first, then rmdir again with
   * EBUSY retried 10 times with exponential back-off from 1 ms. A missing directory is success. v1 failure:
   * `Failed to remove paths: map[<controller>:<dir> ...]`. The root cgroup is refused (nothing is removed).
   */
  destroySync(): void {
    runSync(this.context.engine, this.destroySteps());
  }

  async destroy(): Promise<void> {
    await runAsync(this.context.engine, this.destroySteps());
  }

  /** @internal The removal, as engine steps. */
  *destroySteps(): Steps<void> {
    this.refuseRoot('remove');
    const failed = new Set<string>();
    let lastError: unknown;
    for (const h of this.hierarchies()) {
      try {
        yield* removePath(h, this.relPath);
      } catch (e) {
        lastError = e;
        failed.add(this.dirIn(h.path));
      }
    }
    if (failed.size === 0) return;
    if (this.context.version === 2) throw fsError(lastError);
    const all = Object.entries(this.paths)
      .filter(([, d]) => failed.has(d))
      .sort(([a], [b]) => (a < b ? -1 : 1));
    throw new CgroupError(`Failed to remove paths: map[${all.map(([c, d]) => `${c}:${d}`).join(' ')}]`, {
      code: 'ERR_CGROUP_REMOVE',
      cause: lastError,
    });
  }
}

// v1 cpuset: a new cgroup has empty cpus/mems and takes no task; copy them from the parent, top down.
function* ensureCpuset(h: Hierarchy, rel: string): Steps<void> {
  const parts = rel.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const c = parts.slice(0, i).join('/');
    const parent = parts.slice(0, i - 1).join('/');
    for (const f of ['cpuset.cpus', 'cpuset.mems']) {
      let own: string;
      try {
        own = (yield* steps.read(h, c, f)).trim();
      } catch (e) {
        if (errCode(e) === 'ENOENT') continue; // not a cpuset directory (recorded tree)
        throw e;
      }
      if (own !== '') continue;
      const parentValue = (yield* steps.read(h, parent, f)).trim();
      yield* steps.write(h, c, f, parentValue);
    }
  }
}

/**
 * libcontainer's RemovePath beneath one hierarchy: rmdir; else children first, then rmdir retrying EBUSY with
 * back-off. Never the hierarchy root (the engine refuses it too), never through a symlink.
 */
function* removePath(h: Hierarchy, rel: string): Steps<void> {
  if (rel === '')
    throw new CgroupError(`refusing to remove the hierarchy root ${h.path}`, {
      code: 'ERR_CGROUP_ROOT_REFUSED',
      path: h.path,
    });
  try {
    yield* steps.rmdir(h, rel); // false: it did not exist, which is success
    return;
  } catch {
    /* not empty, busy, or not a directory: look inside */
  }
  const names = yield* steps.children(h, rel);
  if (names === undefined) return;
  for (const name of names) yield* removePath(h, `${rel}/${name}`);
  for (let attempt = 0; ; attempt++) {
    try {
      yield* steps.rmdir(h, rel);
      return;
    } catch (e) {
      if (errCode(e) !== 'EBUSY' || attempt >= 10) throw fsError(e);
      yield* steps.sleep(2 ** attempt);
    }
  }
}

function unwrapStats<N extends number | bigint>(r: StatsResult<N>): CgroupStats<N> {
  if (r.ok) return r.stats;
  throw r.error;
}

/**
 * Builds a handle by libcontainer's path rules (spec §2.10). Throws `systemd not running on this host, cannot use
 * systemd cgroups manager` for the systemd driver when systemd does not run, and ExpandSlice errors for a bad slice.
 * Touches nothing on disk.
 */
export function newCgroup(config: CgroupConfig, context: CgroupContext): Cgroup {
  if (config.systemd) {
    if (!context.systemdRunning()) {
      throw new CgroupError('systemd not running on this host, cannot use systemd cgroups manager', {
        code: 'ERR_CGROUP_NO_SYSTEMD',
      });
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
    const line = fs
      .readFileSync(nodePath.join(context.procRoot, 'self', 'cgroup'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('0::'));
    if (line) own = line.slice(3) || '/';
  } catch {
    /* treat as / */
  }
  return new Cgroup(config, context, join(dir(cleanElem(own) || '/'), inner));
}

/** Go's Base/Dir split of an absolute cgroup path, for building a handle from a path. */
export function splitPath(p: string): { name: string; parent: string } {
  return { name: base(p), parent: dir(p) };
}
