/**
 * cgmgr: Linux cgroup management in the manner of CRI-O's cgmgr, on a native engine that reads cgroup files in
 * batches. This entry point exports what users need: the stats, the managers and handles, the engine and hierarchies,
 * systemd's D-Bus side, the collector and the exporter (docs/api.md). The engine's plan/result internals (FORMAT,
 * FILE_STATUS, SLOT, BatchResult, ...) are in `cgmgr/engine`.
 *
 * Loading is lazy so that a runtime hook starts fast: `require('cgmgr')` loads the stats path (errors, hierarchies,
 * the addon, the engine, lib/stats) and nothing else; the managers, handles, systemd client, collector, exporter and
 * the small helpers are loaded on first access to one of their names. Hooks that want even less can require a subpath
 * (`cgmgr/stats`, `cgmgr/engine`, `cgmgr/managers`, ...; package.json "exports").
 */
import type * as CgroupModule from './cgroup';
import type * as CollectorModule from './collector';
import type * as ExporterModule from './exporter';
import type * as KubernetesModule from './kubernetes';
import type * as ManagersModule from './managers';
import type * as MemoryModule from './memory';
import type * as PathsModule from './paths';
import type * as SystemdModule from './systemd';
import type * as WalkModule from './walk';

// The start-up bundle first (lib/bundle.ts): the modules below then come from it, one file with V8's code cache.
import { loadBundle } from './bundle';
loadBundle('hook');

// Loaded now: what stats() needs anyway.
export { CgroupError, type CgroupErrorProperties } from './errors';
export {
  DEFAULT_ROOT,
  discoverHierarchies,
  hierarchiesFromMountinfo,
  isCgroup2,
  type DiscoverOptions,
  type Hierarchy,
  type Layout,
} from './hierarchy';
export { Engine, type EngineOptions, type FileSpec, type FormatName } from './engine';
export {
  CONTROLLERS,
  DEFAULT_CONTROLLERS,
  StatsReader,
  controllerMask,
  hugePageSizeNames,
  hugePageSizes,
  isMemoryUnlimited,
  stats,
  statsMany,
  statsManySync,
  statsSync,
  V1_UNLIMITED_MIN,
  type BlkioStatEntry,
  type CgroupStats,
  type CgroupStatsError,
  type ControllerName,
  type CPUStats,
  type DiskIOStats,
  type HugetlbStats,
  type MemoryEvents,
  type MemoryStats,
  type PidsStats,
  type PSIData,
  type PSIStats,
  type StatsOptions,
  type StatsResult,
} from './stats';

// Types of the lazily loaded parts (types cost nothing at run time).
export type { ListOptions } from './walk';
export type { MemLimitOptions, SysinfoFn } from './memory';
export type { CgroupConfig, CgroupOptions, CgroupResources, Logger } from './cgroup';
export type {
  CgroupManager,
  CgroupManagerOptions,
  ManagerStatsOptions,
  SandboxCgroupPath,
  SystemdConmonError,
  SystemdManagerOptions,
} from './managers';
export type { BusOptions, DBusError, Probe, ScopeError } from './systemd';
export type {
  CollectOptions,
  CollectorEvents,
  CollectorOptions,
  FieldName,
  FinalEvent,
  Labels,
  NetworkMode,
  OomEvent,
  Rates,
  TreeWatchOptions,
  WatchOptions,
} from './collector';
export type {
  ExpositionFormat,
  Family,
  FamilyGroup,
  MetricsServer,
  MetricsServerCounts,
  MetricsServerOptions,
  PromClientOptions,
  RenderOptions,
  Selection,
} from './exporter';
export type { CgroupIdentity, CgroupKind, KubernetesCollectorOptions, QosClass, RuntimeGuess } from './kubernetes';

// The lazily loaded values: declared here for the types, defined below as getters that load their module once.
export declare const listCgroups: typeof WalkModule.listCgroups;
export declare const memLimitGivenSystem: typeof MemoryModule.memLimitGivenSystem;
export declare const verifyMemoryIsEnough: typeof MemoryModule.verifyMemoryIsEnough;
export declare const base: typeof PathsModule.base;
export declare const clean: typeof PathsModule.clean;
export declare const dir: typeof PathsModule.dir;
export declare const expandSlice: typeof PathsModule.expandSlice;
export declare const join: typeof PathsModule.join;
export declare const Cgroup: typeof CgroupModule.Cgroup;
export type Cgroup = CgroupModule.Cgroup;
export declare const CgroupContext: typeof CgroupModule.CgroupContext;
export type CgroupContext = CgroupModule.CgroupContext;
export declare const cpuMaxValue: typeof CgroupModule.cpuMaxValue;
export declare const isSystemdRunning: typeof CgroupModule.isSystemdRunning;
export declare const sharesToWeight: typeof CgroupModule.sharesToWeight;
export declare const CGROUP_MEMORY_PATH_V1: typeof ManagersModule.CGROUP_MEMORY_PATH_V1;
export declare const CGROUP_MEMORY_PATH_V2: typeof ManagersModule.CGROUP_MEMORY_PATH_V2;
export declare const CRIO_PREFIX: typeof ManagersModule.CRIO_PREFIX;
export declare const DEFAULT_CGROUP_MANAGER: typeof ManagersModule.DEFAULT_CGROUP_MANAGER;
export declare const CgroupfsManager: typeof ManagersModule.CgroupfsManager;
export type CgroupfsManager = ManagersModule.CgroupfsManager;
export declare const LruCache: typeof ManagersModule.LruCache;
export type LruCache<V> = ManagersModule.LruCache<V>;
export declare const SystemdManager: typeof ManagersModule.SystemdManager;
export type SystemdManager = ManagersModule.SystemdManager;
export declare const libctrManager: typeof ManagersModule.libctrManager;
export declare const moveProcessToContainerCgroup: typeof ManagersModule.moveProcessToContainerCgroup;
export declare const moveProcessToContainerCgroupSync: typeof ManagersModule.moveProcessToContainerCgroupSync;
export declare const newDefault: typeof ManagersModule.newDefault;
export declare const newSystemdManager: typeof ManagersModule.newSystemdManager;
export declare const parseCgroupFile: typeof ManagersModule.parseCgroupFile;
export declare const setCgroupManager: typeof ManagersModule.setCgroupManager;
export declare const DEFAULT_JOB_TIMEOUT_MS: typeof SystemdModule.DEFAULT_JOB_TIMEOUT_MS;
export declare const SystemdBus: typeof SystemdModule.SystemdBus;
export type SystemdBus = SystemdModule.SystemdBus;
export declare const rangeToBits: typeof SystemdModule.rangeToBits;
export declare const sharedBus: typeof SystemdModule.sharedBus;
export declare const systemdRunningAt: typeof SystemdModule.systemdRunningAt;
export declare const systemdSupportsAllowedCPUs: typeof SystemdModule.systemdSupportsAllowedCPUs;
export declare const ChildWatcher: typeof CollectorModule.ChildWatcher;
export declare const TreeWatcher: typeof CollectorModule.TreeWatcher;
export type TreeWatcher = CollectorModule.TreeWatcher;
export type ChildWatcher = CollectorModule.ChildWatcher;
export declare const FIELD: typeof CollectorModule.FIELD;
export declare const FIELDS: typeof CollectorModule.FIELDS;
export declare const FIELD_COUNT: typeof CollectorModule.FIELD_COUNT;
export declare const LAYOUT_VERSION: typeof CollectorModule.LAYOUT_VERSION;
export declare const RATE_FIELDS: typeof CollectorModule.RATE_FIELDS;
export declare const ROW_STATUS: typeof CollectorModule.ROW_STATUS;
export declare const StatsCollector: typeof CollectorModule.StatsCollector;
export type StatsCollector = CollectorModule.StatsCollector;
export declare const Sweep: typeof CollectorModule.Sweep;
export type Sweep<V extends Float64Array | BigUint64Array = Float64Array | BigUint64Array> = CollectorModule.Sweep<V>;
export declare const CONTENT_TYPE: typeof ExporterModule.CONTENT_TYPE;
export declare const FAMILIES: typeof ExporterModule.FAMILIES;
export declare const createMetricsServer: typeof ExporterModule.createMetricsServer;
export declare const familyName: typeof ExporterModule.familyName;
export declare const negotiateFormat: typeof ExporterModule.negotiateFormat;
export declare const promClientCollector: typeof ExporterModule.promClientCollector;
export declare const renderMetrics: typeof ExporterModule.renderMetrics;
export declare const ExpositionRenderer: typeof ExporterModule.ExpositionRenderer;
export type ExpositionRenderer = ExporterModule.ExpositionRenderer;
export declare const FAMILY_GROUPS: typeof ExporterModule.FAMILY_GROUPS;
export declare const selectFamilies: typeof ExporterModule.selectFamilies;
export declare const CriClient: typeof KubernetesModule.CriClient;
export type CriClient = KubernetesModule.CriClient;
export declare const CriError: typeof KubernetesModule.CriError;
export declare const KubernetesCollector: typeof KubernetesModule.KubernetesCollector;
export type KubernetesCollector = KubernetesModule.KubernetesCollector;
export declare const NameCache: typeof KubernetesModule.NameCache;
export type NameCache = KubernetesModule.NameCache;
export declare const createKubernetesCollector: typeof KubernetesModule.createKubernetesCollector;
export declare const parseCgroupIdentity: typeof KubernetesModule.parseCgroupIdentity;
export declare const resolveRuntimeEndpoint: typeof KubernetesModule.resolveRuntimeEndpoint;

/** The lazily loaded modules and the names each provides to this entry point. */
const LAZY: ReadonlyArray<[() => Record<string, unknown>, readonly string[]]> = [
  [() => require('./walk'), ['listCgroups']],
  [() => require('./memory'), ['memLimitGivenSystem', 'verifyMemoryIsEnough']],
  [() => require('./paths'), ['base', 'clean', 'dir', 'expandSlice', 'join']],
  [() => require('./cgroup'), ['Cgroup', 'CgroupContext', 'cpuMaxValue', 'isSystemdRunning', 'sharesToWeight']],
  [
    () => require('./managers'),
    [
      'CGROUP_MEMORY_PATH_V1',
      'CGROUP_MEMORY_PATH_V2',
      'CRIO_PREFIX',
      'DEFAULT_CGROUP_MANAGER',
      'CgroupfsManager',
      'LruCache',
      'SystemdManager',
      'libctrManager',
      'moveProcessToContainerCgroup',
      'moveProcessToContainerCgroupSync',
      'newDefault',
      'newSystemdManager',
      'parseCgroupFile',
      'setCgroupManager',
    ],
  ],
  [
    () => require('./systemd'),
    [
      'DEFAULT_JOB_TIMEOUT_MS',
      'SystemdBus',
      'rangeToBits',
      'sharedBus',
      'systemdRunningAt',
      'systemdSupportsAllowedCPUs',
    ],
  ],
  [
    () => require('./collector'),
    [
      'ChildWatcher',
      'TreeWatcher',
      'FIELD',
      'FIELDS',
      'FIELD_COUNT',
      'LAYOUT_VERSION',
      'RATE_FIELDS',
      'ROW_STATUS',
      'StatsCollector',
      'Sweep',
      'IO_COLUMNS',
      'NETWORK_COLUMNS',
      'KeyTable',
      'VectorStore',
    ],
  ],
  [
    () => require('./exporter'),
    [
      'CONTENT_TYPE',
      'FAMILIES',
      'createMetricsServer',
      'familyName',
      'negotiateFormat',
      'promClientCollector',
      'renderMetrics',
      'ExpositionRenderer',
      'FAMILY_GROUPS',
      'selectFamilies',
    ],
  ],
  [
    () => require('./kubernetes'),
    [
      'CriClient',
      'CriError',
      'KubernetesCollector',
      'NameCache',
      'createKubernetesCollector',
      'parseCgroupIdentity',
      'resolveRuntimeEndpoint',
    ],
  ],
];

// An ES-module import (`import { StatsCollector } from 'cgmgr'`) learns a CommonJS module's names by reading its source
// for `exports.NAME =` (cjs-module-lexer), not by running it: these placeholders make the lazy names visible to it, and
// the getters below replace them at once. Such an import reads every name, so it loads every part; a hook that wants
// less requires the package (CommonJS) or a subpath.
exports.listCgroups =
  exports.memLimitGivenSystem =
  exports.verifyMemoryIsEnough =
  exports.base =
  exports.clean =
  exports.dir =
  exports.expandSlice =
  exports.join =
  exports.Cgroup =
  exports.CgroupContext =
  exports.cpuMaxValue =
  exports.isSystemdRunning =
  exports.sharesToWeight =
  exports.CGROUP_MEMORY_PATH_V1 =
  exports.CGROUP_MEMORY_PATH_V2 =
  exports.CRIO_PREFIX =
  exports.DEFAULT_CGROUP_MANAGER =
  exports.CgroupfsManager =
  exports.LruCache =
  exports.SystemdManager =
  exports.libctrManager =
  exports.moveProcessToContainerCgroup =
  exports.moveProcessToContainerCgroupSync =
  exports.newDefault =
  exports.newSystemdManager =
  exports.parseCgroupFile =
  exports.setCgroupManager =
  exports.DEFAULT_JOB_TIMEOUT_MS =
  exports.SystemdBus =
  exports.rangeToBits =
  exports.sharedBus =
  exports.systemdRunningAt =
  exports.systemdSupportsAllowedCPUs =
  exports.ChildWatcher =
  exports.TreeWatcher =
  exports.FIELD =
  exports.FIELDS =
  exports.FIELD_COUNT =
  exports.LAYOUT_VERSION =
  exports.RATE_FIELDS =
  exports.ROW_STATUS =
  exports.StatsCollector =
  exports.Sweep =
  exports.CONTENT_TYPE =
  exports.FAMILIES =
  exports.createMetricsServer =
  exports.familyName =
  exports.negotiateFormat =
  exports.promClientCollector =
  exports.renderMetrics =
  exports.ExpositionRenderer =
  exports.FAMILY_GROUPS =
  exports.selectFamilies =
  exports.CriClient =
  exports.CriError =
  exports.KubernetesCollector =
  exports.NameCache =
  exports.createKubernetesCollector =
  exports.parseCgroupIdentity =
  exports.resolveRuntimeEndpoint =
    undefined;

for (const [load, names] of LAZY) {
  let mod: Record<string, unknown> | undefined;
  for (const name of names) {
    Object.defineProperty(exports, name, {
      enumerable: true,
      configurable: false,
      get: () => (mod ??= load())[name],
    });
  }
}
