/**
 * The collector's row layout: a fixed, versioned list of columns (FIELDS), each in the unit its name says (`_ns`,
 * `_bytes`, `_us`, `_ms` — wall clock, ms since the epoch —, plain counts). A column that has no source on a cgroup (file or key missing, controller not read,
 * not on this cgroup version) is *absent*: NaN in a Float64Array sweep, and `present = 0` in either mode — never 0.
 * "max"/unlimited is Infinity (2^64−1 in a bigint sweep).
 *
 * Bump LAYOUT_VERSION whenever a column is added, removed or moved; columns are only ever appended.
 */

export const LAYOUT_VERSION = 2;

export const FIELDS = [
  // CPU (counters)
  'cpu_usage_ns',
  'cpu_user_ns',
  'cpu_system_ns',
  'cpu_periods',
  'cpu_throttled_periods',
  'cpu_throttled_ns',
  // Memory (gauges, bytes; failcnt/pgfault/pgmajfault are counters)
  'memory_usage_bytes',
  'memory_working_set_bytes',
  'memory_rss_bytes',
  'memory_cache_bytes',
  'memory_swap_bytes',
  'memory_mapped_file_bytes',
  'memory_kernel_bytes',
  'memory_max_usage_bytes',
  'memory_failcnt',
  'memory_pgfault',
  'memory_pgmajfault',
  'memory_active_file_bytes',
  'memory_inactive_file_bytes',
  // Tasks (pids.current counts threads; processes is the line count of the cgroup's own cgroup.procs)
  'pids_current',
  'pids_limit',
  'processes',
  // IO totals over all devices (counters)
  'io_read_bytes',
  'io_write_bytes',
  'io_read_ops',
  'io_write_ops',
  // PSI totals (counters, µs)
  'psi_cpu_some_us',
  'psi_cpu_full_us',
  'psi_memory_some_us',
  'psi_memory_full_us',
  'psi_io_some_us',
  'psi_io_full_us',
  // Memory events (counters): v2 memory.events high/max/oom_kill; v1 memory.oom_control oom_kill
  'memory_events_high',
  'memory_events_max',
  'oom_kill',
  // Spec (limits and settings)
  'memory_limit_bytes',
  'memory_swap_limit_bytes',
  'memory_reservation_bytes',
  'cpu_shares',
  'cpu_quota_us',
  'cpu_period_us',
  // Layout 2. memory.stat detail (v2 keys; v1 the hierarchical total_* keys where v1 has them): gauges in bytes...
  'memory_dirty_bytes',
  'memory_writeback_bytes',
  'memory_shmem_bytes',
  'memory_slab_bytes',
  'memory_slab_reclaimable_bytes',
  'memory_slab_unreclaimable_bytes',
  'memory_sock_bytes',
  // ... and counters (pages)
  'memory_pgscan',
  'memory_pgsteal',
  'memory_workingset_refault_anon',
  'memory_workingset_refault_file',
  // Lifetime: when the cgroup was created (as cAdvisor estimates it, read once when it is added) and when the row was
  // read (the sweep's sampleMs).
  'start_time_ms',
  'last_seen_ms',
  // Process figures (opt-in `processMetrics`: a /proc scan of the pids of the cgroup's own cgroup.procs; absent
  // otherwise): open descriptors (entries of /proc/<pid>/fd) and those that are sockets
  'file_descriptors',
  'sockets',
] as const;

export type FieldName = (typeof FIELDS)[number];

/** Column index by name: `sweep.values[row * FIELD_COUNT + FIELD.memory_usage_bytes]`. */
export const FIELD: Readonly<Record<FieldName, number>> = Object.freeze(
  Object.fromEntries(FIELDS.map((name, i) => [name, i])) as Record<FieldName, number>,
);

export const FIELD_COUNT = FIELDS.length;

/** Per row status of a sweep. */
export const ROW_STATUS = {
  /** Read. Individual columns may still be absent. */
  ok: 0,
  /** The cgroup vanished (removed, or re-created at the same path: another identity); the row was dropped. */
  gone: 1,
  /** Not read: the handle was closed (remove() during an async sweep). */
  closed: 2,
  /**
   * Read, but a file failed with an error other than "does not exist" (EMFILE, EACCES, a malformed file): the columns
   * it feeds are absent, the others hold values; `sweep.error(row)` says what failed.
   */
  error: 3,
  /**
   * The cgroup is gone; the row holds its last sample, read when it emptied (v2 cgroup.events `populated 0`, or its
   * last process's exit on v1) before it was removed (lib/collector/last-sample.ts). It is in one sweep only.
   */
  final: 4,
} as const;
