/**
 * The CgroupManager interface (CRI-O's `cgmgr.CgroupManager`, method names in lowerCamelCase) and the argument checks
 * every manager method runs before it touches the disk.
 */
import type { Cgroup, CgroupOptions, CgroupResources } from '../cgroup';
import { invalidArg } from '../errors';
import type { CgroupStats, StatsOptions } from '../stats';
import { cgroupName } from '../validate';

/** Options of every manager constructor. */
export interface CgroupManagerOptions extends CgroupOptions {
  /** Most handles each v1 cache keeps (container ids, sandbox ids). Default 1024. */
  cacheSize?: number;
}

/** What sandboxCgroupPath returns: the parent CRI-O stores for the sandbox and the infra container's cgroupsPath. */
export interface SandboxCgroupPath {
  cgParent: string;
  cgPath: string;
}

/** Stats options the managers pass on (the root, version and procRoot come from the manager). */
export type ManagerStatsOptions = Omit<StatsOptions, 'root' | 'version' | 'procRoot'>;

export interface CgroupManager {
  /** "cgroupfs" or "systemd". */
  name(): string;
  isSystemd(): boolean;
  /** The container's cgroupsPath for the OCI spec. */
  containerCgroupPath(sbParent: string, containerId: string): string;
  /** The container's cgroup path below the cgroup root. Throws (systemd) when the parent is not a valid slice. */
  containerCgroupAbsolutePath(sbParent: string, containerId: string): string;
  /** A handle on the container's cgroup (cached by id on cgroup v1). */
  containerCgroupManager(sbParent: string, containerId: string): Cgroup;
  /** Evicts the container's cached handle. */
  removeContainerCgManager(containerId: string): void;
  containerCgroupStats(sbParent: string, containerId: string, options?: ManagerStatsOptions): Promise<CgroupStats>;
  containerCgroupStatsSync(sbParent: string, containerId: string, options?: ManagerStatsOptions): CgroupStats;
  /** Validates the pod parent (slice or not, parent memory limit >= containerMinMemory) and returns the paths. */
  sandboxCgroupPath(sbParent: string, sbId: string, containerMinMemory: number | bigint): Promise<SandboxCgroupPath>;
  sandboxCgroupPathSync(sbParent: string, sbId: string, containerMinMemory: number | bigint): SandboxCgroupPath;
  /** A handle on the cgroup sandbox stats are read from (the pod's parent cgroup / pod slice). */
  sandboxCgroupManager(sbParent: string, sbId: string): Cgroup;
  removeSandboxCgManager(sbId: string): void;
  sandboxCgroupStats(sbParent: string, sbId: string, options?: ManagerStatsOptions): Promise<CgroupStats>;
  sandboxCgroupStatsSync(sbParent: string, sbId: string, options?: ManagerStatsOptions): CgroupStats;
  /** Places conmon; resolves to the cgroup path CRI-O must remove later ("" when there is none). */
  moveConmonToCgroup(
    cid: string,
    cgroupParent: string,
    conmonCgroup: string,
    pid: number,
    resources?: CgroupResources | null,
  ): Promise<string>;
  /** Creates the (empty) cgroup of a sandbox whose infra container is dropped. */
  createSandboxCgroup(sbParent: string, containerId: string): Promise<void>;
  createSandboxCgroupSync(sbParent: string, containerId: string): void;
  removeSandboxCgroup(sbParent: string, containerId: string): Promise<void>;
  removeSandboxCgroupSync(sbParent: string, containerId: string): void;
  /** The pod's handle and the container's handles (plus crun's `container` sub-cgroup when it exists). */
  podAndContainerCgroupManagers(sbParent: string, containerId: string): { pod: Cgroup; containers: Cgroup[] };
  /** The handle of `<container>/exec` (cgroup v2 only). */
  execCgroupManager(cgroupPath: string): Cgroup;
}

/** A container or sandbox id: a non-empty name (no '/', not '.' or '..', no NUL). */
export function checkId(value: unknown, name: string): string {
  return cgroupName(value, name);
}

/** A '.' or '..' element of a path. */
const DOT_ELEMENT = /(?:^|\/)\.\.?(?:\/|$)/;

/**
 * A cgroup parent: a string without NUL, with no '.' or '..' element (so it cannot leave the root), at most 4095
 * bytes. Leading, trailing and repeated slashes are allowed (Go's Join cleans them); '' means the default parent.
 */
export function checkParent(value: unknown, name: string): string {
  if (typeof value !== 'string') throw invalidArg(name, value, 'must be a string');
  // A UTF-16 unit is at most 3 UTF-8 bytes: a short string needs no byte count (the per-container call checks this).
  if (value.includes('\0') || (value.length > 1365 && Buffer.byteLength(value) >= 4096))
    throw invalidArg(name, value, 'must be a cgroup path (no NUL, under 4096 bytes)');
  if (DOT_ELEMENT.test(value)) throw invalidArg(name, value, "must be a clean cgroup path (no '.' or '..' elements)");
  return value;
}

export function checkCacheSize(value: unknown): number {
  if (value === undefined) return 1024;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw invalidArg('cacheSize', value, 'must be a positive integer');
  return value;
}
