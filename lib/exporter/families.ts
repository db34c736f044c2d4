/**
 * The metric families the exporter exposes: cAdvisor's names, types, units and help (google/cadvisor
 * metrics/prometheus.go; ../shared/ECOSYSTEM.md §8), each fed by columns of the collector's layout.
 *
 * Deviations (docs/exporter.md lists every family with its source per version), for a valid exposition (promtool
 * check metrics), for want of a source, or to say more than cAdvisor:
 *  - cAdvisor's `container_memory_failcnt` is a counter without `_total`: exposed as `container_memory_failcnt_total`
 *    (what cAdvisor's client emits in OpenMetrics anyway);
 *  - io is per device only (`container_fs_{reads,writes}{_bytes,}_total{device}`, as cAdvisor): the per-row totals
 *    (the io_* columns) are not exposed, so no name is exposed both with and without `device`; a device with no
 *    /sys/dev/block entry is `device="<major>:<minor>"` (cAdvisor: empty);
 *  - network is per pod-level cgroup (the collector's `network` option), from /proc/<pid>/net/dev of a pod process;
 *  - ours, not cAdvisor's: `container_memory_{shmem,slab,slab_reclaimable,slab_unreclaimable,sock}_bytes` (v2
 *    memory.stat; v1 has only total_shmem);
 *  - `container_last_seen` is the time the row was read (the sweep's sample time), not the time of the scrape;
 *  - the cfs counters are written for every cgroup that has them, not only for those with a quota (cAdvisor's
 *    condition `Quota != 0`);
 *  - v1 `container_memory_failures_total` has the hierarchy scope only; v2's reservation is memory.low (cAdvisor:
 *    memory.min); `container_processes` counts the cgroup's own cgroup.procs (cAdvisor walks /proc);
 *  - not exposed (no source in a sweep): per-CPU usage, ulimits;
 *  - `container_file_descriptors` and `container_sockets` only from a collector with `processMetrics` (cAdvisor's
 *    opt-in `process` metrics); `container_threads` is pids.current, as cAdvisor's (setThreadsStats).
 */
import { FIELD } from '../collector/layout';
import { IO_COLUMNS, NETWORK_COLUMNS } from '../collector/vectors';

export type MetricType = 'counter' | 'gauge';

/** How a column's value becomes a sample value. */
export type Transform =
  /** value / divisor */
  | 'divide'
  /** cAdvisor's spec limits: unlimited (Infinity, or above 2^62) is 0 */
  | 'specLimit'
  /** cAdvisor's threads_max: unlimited is 0 */
  | 'zeroIfUnlimited'
  /** only finite positive values (cpu quota: none when unlimited) */
  | 'finitePositive'
  /** ms since the epoch -> whole seconds (cAdvisor's `float64(t.Unix())`) */
  | 'unixSeconds';

/** A sample per entry of one of the sweep's vector stores (sweep.io, sweep.network), labelled with the entry's key. */
export interface VectorSample {
  store: 'io' | 'network';
  /** The column in that store (IO_COLUMNS, NETWORK_COLUMNS). */
  column: number;
  /** The label the entry's key is the value of (the store's KeyTable label). */
  label: 'device' | 'interface';
}

export interface SampleSpec {
  /** The column of a fixed sample; -1 for a vector sample. */
  field: number;
  /** Set for samples per device or interface: `field` is then unused. */
  vector?: VectorSample;
  /** The sample is value / divisor (ns -> s: 1e9; dividing, not multiplying by 1e-9, keeps 0.43 from printing as
   * 0.43000000000000005). */
  divisor?: number;
  transform?: Transform;
  /** Labels of this sample beside the cgroup's (`cpu="total"`, `failure_type`, ...). */
  labels?: Readonly<Record<string, string>>;
  /** Only on these cgroup versions. */
  versions?: readonly (1 | 2)[];
}

/**
 * The groups families are switched on and off by (`cgmgr serve --disable_metrics`), cAdvisor's where it has them
 * (`cpu`, `memory`, `diskIO`, `network`, `process`, `oom_event`, `pressure`); `spec` (limits and settings) is ours:
 * cAdvisor always writes its spec families.
 */
export const FAMILY_GROUPS = [
  'cpu',
  'memory',
  'diskIO',
  'network',
  'process',
  'oom_event',
  'pressure',
  'spec',
] as const;
export type FamilyGroup = (typeof FAMILY_GROUPS)[number];

export interface Family {
  /** The sample name (counters end in `_total`). */
  name: string;
  /** The group it is switched with. */
  group: FamilyGroup;
  help: string;
  type: MetricType;
  /** OpenMetrics unit (the name then ends in `_<unit>`, before `_total`). */
  unit?: 'seconds' | 'bytes';
  samples: readonly SampleSpec[];
}

const NS = 1e9;
const US = 1e6;

/** The group of a family by its name. */
function groupOf(name: string): FamilyGroup {
  if (name.startsWith('container_spec_') || name === 'container_start_time_seconds' || name === 'container_last_seen')
    return 'spec';
  if (name.startsWith('container_pressure_')) return 'pressure';
  if (name.startsWith('container_cpu_')) return 'cpu';
  if (name.startsWith('container_memory_')) return 'memory';
  if (name.startsWith('container_fs_')) return 'diskIO';
  if (name.startsWith('container_network_')) return 'network';
  if (name === 'container_oom_events_total') return 'oom_event';
  return 'process';
}

const counter = (name: string, help: string, samples: SampleSpec[], unit?: Family['unit']): Family => ({
  name,
  group: groupOf(name),
  help,
  type: 'counter',
  samples,
  ...(unit ? { unit } : {}),
});
const gauge = (name: string, help: string, samples: SampleSpec[], unit?: Family['unit']): Family => ({
  name,
  group: groupOf(name),
  help,
  type: 'gauge',
  samples,
  ...(unit ? { unit } : {}),
});
const one = (field: number, more: Omit<SampleSpec, 'field'> = {}): SampleSpec[] => [{ field, ...more }];
const perDevice = (column: (typeof IO_COLUMNS)[number]): SampleSpec[] => [
  { field: -1, vector: { store: 'io', column: IO_COLUMNS.indexOf(column), label: 'device' } },
];
const perInterface = (column: (typeof NETWORK_COLUMNS)[number]): SampleSpec[] => [
  { field: -1, vector: { store: 'network', column: NETWORK_COLUMNS.indexOf(column), label: 'interface' } },
];

const network = (dir: 'receive' | 'transmit', verb: string, while_: string): Family[] => [
  counter(
    `container_network_${dir}_bytes_total`,
    `Cumulative count of bytes ${verb}`,
    perInterface(`${dir}_bytes`),
    'bytes',
  ),
  counter(
    `container_network_${dir}_packets_total`,
    `Cumulative count of packets ${verb}`,
    perInterface(`${dir}_packets`),
  ),
  counter(
    `container_network_${dir}_packets_dropped_total`,
    `Cumulative count of packets dropped while ${while_}`,
    perInterface(`${dir}_dropped`),
  ),
  counter(
    `container_network_${dir}_errors_total`,
    `Cumulative count of errors encountered while ${while_}`,
    perInterface(`${dir}_errors`),
  ),
];

const pressure = (resource: 'cpu' | 'memory' | 'io', some: number, full: number): Family[] => [
  counter(
    `container_pressure_${resource}_waiting_seconds_total`,
    `Total time duration tasks in the container have waited due to ${resource} congestion.`,
    one(some, { divisor: US }),
    'seconds',
  ),
  counter(
    `container_pressure_${resource}_stalled_seconds_total`,
    `Total time duration no tasks in the container could make progress due to ${resource} congestion.`,
    one(full, { divisor: US }),
    'seconds',
  ),
];

export const FAMILIES: readonly Family[] = [
  counter(
    'container_cpu_usage_seconds_total',
    'Cumulative cpu time consumed in seconds.',
    one(FIELD.cpu_usage_ns, { divisor: NS, labels: { cpu: 'total' } }),
    'seconds',
  ),
  counter(
    'container_cpu_user_seconds_total',
    'Cumulative user cpu time consumed in seconds.',
    one(FIELD.cpu_user_ns, { divisor: NS }),
    'seconds',
  ),
  counter(
    'container_cpu_system_seconds_total',
    'Cumulative system cpu time consumed in seconds.',
    one(FIELD.cpu_system_ns, { divisor: NS }),
    'seconds',
  ),
  counter('container_cpu_cfs_periods_total', 'Number of elapsed enforcement period intervals.', one(FIELD.cpu_periods)),
  counter(
    'container_cpu_cfs_throttled_periods_total',
    'Number of throttled period intervals.',
    one(FIELD.cpu_throttled_periods),
  ),
  counter(
    'container_cpu_cfs_throttled_seconds_total',
    'Total time duration the container has been throttled.',
    one(FIELD.cpu_throttled_ns, { divisor: NS }),
    'seconds',
  ),
  gauge(
    'container_memory_usage_bytes',
    'Current memory usage in bytes, including all memory regardless of when it was accessed',
    one(FIELD.memory_usage_bytes),
    'bytes',
  ),
  gauge(
    'container_memory_working_set_bytes',
    'Current working set in bytes.',
    one(FIELD.memory_working_set_bytes),
    'bytes',
  ),
  gauge('container_memory_rss', 'Size of RSS in bytes.', one(FIELD.memory_rss_bytes)),
  gauge('container_memory_cache', 'Number of bytes of page cache memory.', one(FIELD.memory_cache_bytes)),
  gauge('container_memory_swap', 'Container swap usage in bytes.', one(FIELD.memory_swap_bytes)),
  gauge('container_memory_mapped_file', 'Size of memory mapped files in bytes.', one(FIELD.memory_mapped_file_bytes)),
  gauge('container_memory_kernel_usage', 'Size of kernel memory allocated in bytes.', one(FIELD.memory_kernel_bytes)),
  gauge(
    'container_memory_max_usage_bytes',
    'Maximum memory usage recorded in bytes',
    one(FIELD.memory_max_usage_bytes),
    'bytes',
  ),
  counter('container_memory_failcnt_total', 'Number of memory usage hits limits', one(FIELD.memory_failcnt)),
  counter('container_memory_failures_total', 'Cumulative count of memory allocation failures.', [
    // v1 reads the hierarchical total_pg*; on v2 memory.stat is the cgroup's own and hierarchical at once.
    { field: FIELD.memory_pgfault, labels: { failure_type: 'pgfault', scope: 'container' }, versions: [2] },
    { field: FIELD.memory_pgmajfault, labels: { failure_type: 'pgmajfault', scope: 'container' }, versions: [2] },
    { field: FIELD.memory_pgfault, labels: { failure_type: 'pgfault', scope: 'hierarchy' } },
    { field: FIELD.memory_pgmajfault, labels: { failure_type: 'pgmajfault', scope: 'hierarchy' } },
  ]),
  gauge(
    'container_memory_total_active_file_bytes',
    'Current total active file in bytes.',
    one(FIELD.memory_active_file_bytes),
    'bytes',
  ),
  gauge(
    'container_memory_total_inactive_file_bytes',
    'Current total inactive file in bytes.',
    one(FIELD.memory_inactive_file_bytes),
    'bytes',
  ),
  // memory.stat detail: cAdvisor's names (v2 memory.stat; v1 total_dirty/total_writeback/total_workingset_refault_*)...
  gauge(
    'container_memory_file_dirty_bytes',
    'Number of bytes of file cache that has been modified but not yet written back to disk.',
    one(FIELD.memory_dirty_bytes),
    'bytes',
  ),
  gauge(
    'container_memory_file_writeback_bytes',
    'Number of bytes of file cache that is currently being written back to disk.',
    one(FIELD.memory_writeback_bytes),
    'bytes',
  ),
  counter(
    'container_memory_pgscan_total',
    'Cumulative number of pages scanned by the page reclaim algorithm.',
    one(FIELD.memory_pgscan),
  ),
  counter(
    'container_memory_pgsteal_total',
    'Cumulative number of pages reclaimed by the page reclaim algorithm.',
    one(FIELD.memory_pgsteal),
  ),
  counter(
    'container_memory_workingset_refault_anon_total',
    'Cumulative number of refaults of previously evicted anonymous pages.',
    one(FIELD.memory_workingset_refault_anon),
  ),
  counter(
    'container_memory_workingset_refault_file_total',
    'Cumulative number of refaults of previously evicted file pages.',
    one(FIELD.memory_workingset_refault_file),
  ),
  // ... and ours, where cAdvisor has none (deviation: not cAdvisor families).
  gauge(
    'container_memory_shmem_bytes',
    'Number of bytes of shared memory (tmpfs, shm segments, shared anonymous mappings).',
    one(FIELD.memory_shmem_bytes),
    'bytes',
  ),
  gauge(
    'container_memory_slab_bytes',
    'Number of bytes of kernel slab memory (reclaimable and unreclaimable).',
    one(FIELD.memory_slab_bytes),
    'bytes',
  ),
  gauge(
    'container_memory_slab_reclaimable_bytes',
    'Number of bytes of kernel slab memory that might be reclaimed (dentries, inodes).',
    one(FIELD.memory_slab_reclaimable_bytes),
    'bytes',
  ),
  gauge(
    'container_memory_slab_unreclaimable_bytes',
    'Number of bytes of kernel slab memory that cannot be reclaimed under memory pressure.',
    one(FIELD.memory_slab_unreclaimable_bytes),
    'bytes',
  ),
  gauge(
    'container_memory_sock_bytes',
    'Number of bytes of memory used in network transmission buffers.',
    one(FIELD.memory_sock_bytes),
    'bytes',
  ),
  counter(
    'container_memory_events_high_total',
    'Number of times processes of the cgroup were throttled and routed to perform direct memory reclaim (memory.high).',
    one(FIELD.memory_events_high),
  ),
  counter(
    'container_memory_events_max_total',
    'Number of times the cgroup memory usage was about to go over memory.max.',
    one(FIELD.memory_events_max),
  ),
  counter(
    'container_oom_events_total',
    'Count of out of memory events observed for the container',
    one(FIELD.oom_kill),
  ),
  gauge('container_threads', 'Number of threads running inside the container', one(FIELD.pids_current)),
  gauge(
    'container_threads_max',
    'Maximum number of threads allowed inside the container, infinity if value is zero',
    one(FIELD.pids_limit, { transform: 'zeroIfUnlimited' }),
  ),
  gauge('container_processes', 'Number of processes running inside the container.', one(FIELD.processes)),
  // Only with the collector's processMetrics (the /proc scan; absent otherwise, so no series).
  gauge(
    'container_file_descriptors',
    'Number of open file descriptors for the container.',
    one(FIELD.file_descriptors),
  ),
  gauge('container_sockets', 'Number of open sockets for the container.', one(FIELD.sockets)),
  // Per device only, as cAdvisor (the io_* columns' per-row totals are not exposed: one name, one label set).
  counter('container_fs_reads_bytes_total', 'Cumulative count of bytes read', perDevice('read_bytes'), 'bytes'),
  counter('container_fs_writes_bytes_total', 'Cumulative count of bytes written', perDevice('write_bytes'), 'bytes'),
  counter('container_fs_reads_total', 'Cumulative count of reads completed', perDevice('read_ops')),
  counter('container_fs_writes_total', 'Cumulative count of writes completed', perDevice('write_ops')),
  ...network('receive', 'received', 'receiving'),
  ...network('transmit', 'transmitted', 'transmitting'),
  ...pressure('cpu', FIELD.psi_cpu_some_us, FIELD.psi_cpu_full_us),
  ...pressure('memory', FIELD.psi_memory_some_us, FIELD.psi_memory_full_us),
  ...pressure('io', FIELD.psi_io_some_us, FIELD.psi_io_full_us),
  gauge(
    'container_spec_memory_limit_bytes',
    'Memory limit for the container.',
    one(FIELD.memory_limit_bytes, { transform: 'specLimit' }),
    'bytes',
  ),
  gauge(
    'container_spec_memory_swap_limit_bytes',
    'Memory swap limit for the container.',
    one(FIELD.memory_swap_limit_bytes, { transform: 'specLimit' }),
    'bytes',
  ),
  gauge(
    'container_spec_memory_reservation_limit_bytes',
    'Memory reservation limit for the container.',
    one(FIELD.memory_reservation_bytes, { transform: 'specLimit' }),
    'bytes',
  ),
  gauge('container_spec_cpu_shares', 'CPU share of the container.', one(FIELD.cpu_shares)),
  gauge(
    'container_spec_cpu_quota',
    'CPU quota of the container.',
    one(FIELD.cpu_quota_us, { transform: 'finitePositive' }),
  ),
  gauge('container_spec_cpu_period', 'CPU period of the container.', one(FIELD.cpu_period_us)),
  gauge(
    'container_start_time_seconds',
    'Start time of the container since unix epoch in seconds.',
    one(FIELD.start_time_ms, { transform: 'unixSeconds' }),
    'seconds',
  ),
  gauge(
    'container_last_seen',
    'Last time a container was seen by the exporter',
    one(FIELD.last_seen_ms, { transform: 'unixSeconds' }),
  ),
];

/** OpenMetrics family name: the sample name without `_total` for counters. */
export function familyName(f: Family): string {
  return f.type === 'counter' && f.name.endsWith('_total') ? f.name.slice(0, -'_total'.length) : f.name;
}
