/**
 * cgmgr: Linux cgroup management in the manner of CRI-O's cgmgr, on a native engine that reads cgroup files in
 * batches. This entry point exports everything: the engine, the stats, the managers, systemd's D-Bus side, the collector
 * and the exporter.
 */
export { CgroupError, type CgroupErrorProperties } from './errors';
export {
  DEFAULT_ROOT, discoverHierarchies, hierarchiesFromMountinfo, isCgroup2, type DiscoverOptions, type Hierarchy, type Layout,
} from './hierarchy';
export {
  BatchResult, Engine, FILE_STATUS, FORMAT, ITEM_STATUS, PID_STATUS, ReadPlan, SLOT, defaultFdBudget,
  type EngineOptions, type FileSpec, type FormatName, type PlannedFile, type ResultOptions,
} from './engine';
export { listCgroups, type ListOptions } from './walk';
export {
  CONTROLLERS, DEFAULT_CONTROLLERS, StatsReader, controllerMask, hugePageSizeNames, hugePageSizes, isMemoryUnlimited,
  stats, statsMany, statsManySync, statsSync, V1_UNLIMITED_MIN,
  type BlkioStatEntry, type CgroupStats, type CgroupStatsError, type ControllerName, type CPUStats, type DiskIOStats,
  type HugetlbStats, type MemoryEvents, type MemoryStats, type PidsStats, type PSIData, type PSIStats, type StatsOptions,
  type StatsResult,
} from './stats';
export { memLimitGivenSystem, verifyMemoryIsEnough, type MemLimitOptions, type SysinfoFn } from './memory';
export { base, clean, dir, expandSlice, join } from './paths';
export { Cgroup, CgroupContext, cpuMaxValue, isSystemdRunning, sharesToWeight, type CgroupConfig, type CgroupOptions, type CgroupResources, type Logger } from './cgroup';
export {
  CGROUP_MEMORY_PATH_V1, CGROUP_MEMORY_PATH_V2, CRIO_PREFIX, DEFAULT_CGROUP_MANAGER, CgroupfsManager, LruCache, SystemdManager,
  libctrManager, moveProcessToContainerCgroup, moveProcessToContainerCgroupSync, newDefault, newSystemdManager, parseCgroupFile,
  setCgroupManager, type CgroupManager, type CgroupManagerOptions, type ManagerStatsOptions, type SandboxCgroupPath,
  type SystemdConmonError, type SystemdManagerOptions,
} from './managers';
export {
  DEFAULT_JOB_TIMEOUT_MS, SystemdBus, rangeToBits, sharedBus, systemdRunningAt, systemdSupportsAllowedCPUs,
  type BusOptions, type DBusError, type Probe, type ScopeError,
} from './systemd';
export {
  ChildWatcher, TreeWatcher, FIELD, FIELDS, FIELD_COUNT, LAYOUT_VERSION, RATE_FIELDS, ROW_STATUS, StatsCollector, Sweep,
  type CollectOptions, type CollectorEvents, type CollectorOptions, type FieldName, type Labels, type OomEvent, type Rates,
  type TreeWatchOptions, type WatchOptions,
} from './collector';
export {
  CONTENT_TYPE, FAMILIES, createMetricsServer, familyName, negotiateFormat, promClientCollector, renderMetrics,
  type ExpositionFormat, type Family, type MetricsServer, type MetricsServerOptions, type PromClientOptions, type RenderOptions,
} from './exporter';
export {
  CriClient, CriError, KubernetesCollector, NameCache, createKubernetesCollector, parseCgroupIdentity, resolveRuntimeEndpoint,
  type CgroupIdentity, type CgroupKind, type KubernetesCollectorOptions, type QosClass, type RuntimeGuess,
} from './kubernetes';
