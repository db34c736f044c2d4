/**
 * What the cgroupfs and systemd managers share: the options and memory-check paths (v1 vs v2), the bounded per-id
 * handle caches of cgroup v1, and the methods that only combine a handle with the stats reader. The drivers
 * differ only in where a cgroup is (their path rules); they never compute a stat.
 */
import { CgroupContext, type Cgroup } from '../cgroup';
import { join } from '../paths';
import type { CgroupStats } from '../stats';
import { runAsync, runSync, type Steps } from '../steps';
import { LruCache } from './cache';
import { checkCacheSize, type CgroupManagerOptions, type ManagerStatsOptions, type SandboxCgroupPath } from './types';

export abstract class ManagerBase {
  /** v2: root; v1: root/memory. */
  readonly memoryPath: string;
  /** v2 `memory.max`, v1 `memory.limit_in_bytes`. */
  readonly memoryMaxFile: string;
  /** @internal */
  readonly context: CgroupContext;
  private readonly containerCache: LruCache<Cgroup> | undefined;
  private readonly sandboxCache: LruCache<Cgroup> | undefined;

  constructor(options: CgroupManagerOptions = {}) {
    this.context = new CgroupContext(options);
    const size = checkCacheSize(options.cacheSize);
    const v2 = this.context.version === 2;
    this.memoryPath = v2 ? this.context.root : join(this.context.root, 'memory');
    this.memoryMaxFile = v2 ? 'memory.max' : 'memory.limit_in_bytes';
    if (!v2) {
      // A handle that leaves the cache gives its held descriptors back at once (not when it is garbage collected):
      // else a stream of new ids would fill the process descriptor budget with handles nobody reads.
      const release = (cg: Cgroup): void => cg.releaseStatsHandle();
      this.containerCache = new LruCache(size, release);
      this.sandboxCache = new LruCache(size, release);
    }
  }

  abstract containerCgroupManager(sbParent: string, containerId: string): Cgroup;
  abstract sandboxCgroupManager(sbParent: string, sbId: string): Cgroup;
  /** @internal The sandbox path rule and its parent memory check, as engine steps (run sync or async below). */
  protected abstract sandboxCgroupPathSteps(
    sbParent: string,
    sbId: string,
    containerMinMemory: number | bigint,
  ): Steps<SandboxCgroupPath>;

  /** Whether the per-id handle caches exist (cgroup v1 only, as in CRI-O). */
  get hasCaches(): boolean {
    return this.containerCache !== undefined;
  }

  /** Cached handles: [containers, sandboxes] (0 on v2). */
  cacheSizes(): { containers: number; sandboxes: number } {
    return { containers: this.containerCache?.size ?? 0, sandboxes: this.sandboxCache?.size ?? 0 };
  }

  /**
   * The cached container handle of `id` for `key` (its path), or a new one from `make`, cached on v1. `parentArg` is the
   * sbParent the path was computed from: the next call with the same id and sbParent finds the handle by
   * containerByArg without computing (or validating) the path again — the per-container stats call's first step.
   */
  protected cachedContainer(id: string, key: string, make: () => Cgroup, parentArg?: string): Cgroup {
    return ManagerBase.cached(this.containerCache, id, key, make, parentArg);
  }

  protected cachedSandbox(id: string, key: string, make: () => Cgroup, parentArg?: string): Cgroup {
    return ManagerBase.cached(this.sandboxCache, id, key, make, parentArg);
  }

  /** The cached container handle that this very (sbParent, id) pair led to last time (v1), else undefined. */
  protected containerByArg(sbParent: string, id: string): Cgroup | undefined {
    return this.containerCache?.getByArg(id, sbParent);
  }

  protected sandboxByArg(sbParent: string, id: string): Cgroup | undefined {
    return this.sandboxCache?.getByArg(id, sbParent);
  }

  private static cached(
    cache: LruCache<Cgroup> | undefined,
    id: string,
    key: string,
    make: () => Cgroup,
    arg?: string,
  ): Cgroup {
    const hit = cache?.get(id, key, arg);
    if (hit) return hit;
    const cg = make();
    cache?.set(id, key, cg, arg);
    return cg;
  }

  removeContainerCgManager(containerId: string): void {
    this.containerCache?.delete(containerId);
  }

  removeSandboxCgManager(sbId: string): void {
    this.sandboxCache?.delete(sbId);
  }

  async containerCgroupStats(
    sbParent: string,
    containerId: string,
    options?: ManagerStatsOptions,
  ): Promise<CgroupStats> {
    return this.containerCgroupManager(sbParent, containerId).stats(options);
  }

  containerCgroupStatsSync(sbParent: string, containerId: string, options?: ManagerStatsOptions): CgroupStats {
    return this.containerCgroupManager(sbParent, containerId).statsSync(options);
  }

  /** The sandbox's cgroup parent and path; reads the parent's memory limit through the engine's async calls. */
  async sandboxCgroupPath(
    sbParent: string,
    sbId: string,
    containerMinMemory: number | bigint,
  ): Promise<SandboxCgroupPath> {
    return runAsync(this.context.engine, this.sandboxCgroupPathSteps(sbParent, sbId, containerMinMemory));
  }

  sandboxCgroupPathSync(sbParent: string, sbId: string, containerMinMemory: number | bigint): SandboxCgroupPath {
    return runSync(this.context.engine, this.sandboxCgroupPathSteps(sbParent, sbId, containerMinMemory));
  }

  async sandboxCgroupStats(sbParent: string, sbId: string, options?: ManagerStatsOptions): Promise<CgroupStats> {
    return this.sandboxCgroupManager(sbParent, sbId).stats(options);
  }

  sandboxCgroupStatsSync(sbParent: string, sbId: string, options?: ManagerStatsOptions): CgroupStats {
    return this.sandboxCgroupManager(sbParent, sbId).statsSync(options);
  }
}
