/**
 * The collector as prom-client metrics (prom-client is an optional peer, required lazily): one custom metric object
 * per family, registered with `registry.registerMetric` (prom-client duck-types `{ name, help, type, get() }`), so
 * counters stay counters (prom-client's Counter cannot be set). A scrape calls every family's get() at once; they
 * share one collectAsync() sweep (and reuse a finished one younger than `maxAgeMs`).
 */
import type { StatsCollector } from '../collector/collector';
import type { Sweep, Labels } from '../collector/sweep';
import { CgroupError } from '../errors';
import { familyName, type Family } from './families';
import { labelFilter, selectFamilies, type Selection } from './selection';
import { readRow, sampleNumber, seriesLabels } from './series';

/** The part of a prom-client Registry this uses. */
export interface RegistryLike {
  registerMetric(metric: unknown): void;
  removeSingleMetric(name: string): void;
  /** prom-client's Registry#contentType: OpenMetrics renders counter families without `_total`. */
  readonly contentType?: string;
}

export interface PromClientOptions extends Selection {
  /** Default: prom-client's global `register`. */
  registry?: RegistryLike;
  /** Constant labels on every series. */
  labels?: Labels;
  /** Reuse a sweep this young (ms) instead of sweeping again; default 0 (one sweep per scrape). */
  maxAgeMs?: number;
}

export interface PromClientMetric {
  name: string;
  help: string;
  type: Family['type'];
  aggregator: 'sum';
  get(): Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: 'sum';
    values: Array<{ labels: Record<string, string>; value: number }>;
  }>;
  reset(): void;
}

const NO_LABELS: Labels = Object.freeze({});

function loadPromClient(): { register: RegistryLike } {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('prom-client') as { register: RegistryLike };
  } catch (err) {
    throw new CgroupError(
      `promClientCollector needs the optional peer dependency prom-client (npm install prom-client): ${(err as Error).message}`,
      {
        code: 'ERR_MODULE_NOT_FOUND',
      },
    );
  }
}

/**
 * Registers the collector's families with a prom-client registry. Returns the metric objects and `unregister()`.
 */
export function promClientCollector(
  collector: StatsCollector,
  options: PromClientOptions = {},
): { metrics: PromClientMetric[]; unregister(): void } {
  const registry = options.registry ?? loadPromClient().register;
  const maxAge = options.maxAgeMs ?? 0;
  const constant = options.labels ?? {};
  const keep = labelFilter(options);
  const families = selectFamilies(options);
  let pending: Promise<Sweep> | undefined;
  let last: { sweep: Sweep; at: number } | undefined;
  const sweep = (): Promise<Sweep> => {
    if (pending !== undefined) return pending;
    // maxAgeMs 0: never reuse (a scrape in the same millisecond as the last one sweeps again).
    if (last !== undefined && Date.now() - last.at < maxAge) return Promise.resolve(last.sweep);
    pending = collector
      .collectAsync()
      .then((s) => {
        last = { sweep: s, at: Date.now() };
        return s;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
  // Each row's label object, kept between scrapes while the row's path and labels object are unchanged (as the
  // renderer's label texts): building it is most of the work per series. prom-client copies before it changes one.
  const rowLabels = new Map<string, { source: Labels; labels: Record<string, string> }>();
  const labelsOf = (s: Sweep, row: number): Record<string, string> => {
    const path = s.paths[row]!;
    const source = s.labels[row] ?? NO_LABELS;
    let e = rowLabels.get(path);
    if (e === undefined || e.source !== source) {
      e = { source, labels: Object.fromEntries(seriesLabels(s, row, constant, keep)) };
      rowLabels.set(path, e);
      if (rowLabels.size > 2 * s.rows + 64) {
        const live = new Set(s.paths);
        for (const k of rowLabels.keys()) if (!live.has(k)) rowLabels.delete(k);
      }
    }
    return e.labels;
  };
  const metrics = families.map((f): PromClientMetric => {
    const m: PromClientMetric = {
      // prom-client's OpenMetrics rendering assigns the stripped counter name to the object; the name stays the sample
      // name (what the registry is keyed by), and get() answers with what the registry's current format wants.
      get name() {
        return f.name;
      },
      set name(_ignored: string) {},
      help: f.help,
      type: f.type,
      aggregator: 'sum',
      async get() {
        const s = await sweep();
        const values: Array<{ labels: Record<string, string>; value: number }> = [];
        for (const spec of f.samples) {
          const vec = spec.vector;
          if (vec !== undefined) {
            // One value per device or interface of the row: the row's labels, then the entry's (which wins).
            const store = s[vec.store];
            for (let row = 0; row < s.rows; row++) {
              if (!readRow(s, row)) continue;
              for (let e = store.from(row); e < store.to(row); e++) {
                const v = store.values[e * store.width + vec.column]!;
                if (Number.isNaN(v)) continue;
                values.push({
                  labels: { ...labelsOf(s, row), [vec.label]: store.keys.names[store.key[e]!]! },
                  value: v,
                });
              }
            }
            continue;
          }
          for (let row = 0; row < s.rows; row++) {
            const v = sampleNumber(s, row, spec);
            if (v === undefined) continue;
            const labels = labelsOf(s, row);
            values.push({ labels: spec.labels === undefined ? labels : { ...labels, ...spec.labels }, value: v });
          }
        }
        const om = registry.contentType?.startsWith('application/openmetrics-text') === true;
        return { name: om ? familyName(f) : f.name, help: f.help, type: f.type, aggregator: 'sum', values };
      },
      reset() {},
    };
    return m;
  });
  for (const m of metrics) registry.registerMetric(m);
  return {
    metrics,
    unregister() {
      for (const m of metrics) registry.removeSingleMetric(m.name);
    },
  };
}
