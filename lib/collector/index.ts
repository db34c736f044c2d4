/**
 * The batch API for metrics agents (issue 6): StatsCollector and its sweeps.
 *
 *   const c = new StatsCollector({ bigint: false });      // own engine (held descriptors under maxOpenFiles)
 *   c.add('/kubepods/pod1/crio-abc', { name: 'abc' });    // or c.watch('/kubepods/pod1') for its children
 *   c.on('oom', (e) => ...);                              // { path, labels, identity, count, delta, timeMs }
 *   c.on('final', (e) => ...);                            // a cgroup emptied: { path, labels, identity, timeMs, values }
 *   const s = await c.collectAsync({ into: previous });   // or c.collect() on the calling thread
 *   for (let r = 0; r < s.rows; r++) {
 *     if (!s.ok(r)) continue;                             // ROW_STATUS.gone rows are dropped from the collector
 *     s.values[r * FIELD_COUNT + FIELD.memory_working_set_bytes];   // NaN = absent (s.present[...] === 0)
 *     s.rates(r)?.cpuCores; s.stats(r);                   // built only when asked
 *   }
 *   c.close();
 *
 * Layout: FIELDS / FIELD / FIELD_COUNT / LAYOUT_VERSION (lib/collector/layout.ts); io per device and network per
 * interface in s.io / s.network (VectorStore: IO_COLUMNS, NETWORK_COLUMNS). docs/collector.md.
 */
export {
  StatsCollector,
  type CollectOptions,
  type CollectorEvents,
  type CollectorOptions,
  type FinalEvent,
  type NetworkMode,
} from './collector';
export { FIELD, FIELD_COUNT, FIELDS, LAYOUT_VERSION, ROW_STATUS, type FieldName } from './layout';
export { RATE_FIELDS, Sweep, type Labels, type Rates } from './sweep';
export type { OomEvent } from './oom';
export { scanProcessFigures, type ProcessFigures } from './process-figures';
export { IO_COLUMNS, KeyTable, NETWORK_COLUMNS, VectorStore, type IoColumn, type NetworkColumn } from './vectors';
export { ChildWatcher, TreeWatcher, type TreeWatchOptions, type WatchOptions } from './watch';
