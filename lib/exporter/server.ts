/**
 * A tiny metrics server (node:http): `GET /metrics` sweeps the collector (collectAsync) and answers with the
 * exposition, OpenMetrics when the Accept header asks for `application/openmetrics-text`, Prometheus text 0.0.4
 * otherwise; `HEAD /metrics` the same without a body; any other path 404, any other method on /metrics 405.
 * Listens on loopback unless told otherwise. Concurrent scrapes share one sweep.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { StatsCollector, type CollectorOptions } from '../collector/collector';
import type { Labels, Sweep } from '../collector/sweep';
import type { WatchOptions } from '../collector/watch';
import { invalidArg } from '../errors';
import { CONTENT_TYPE, renderMetrics, type ExpositionFormat } from './render';
import { appendExposition, renderSelfMetrics, type SelfMetric } from './self-metrics';

export interface MetricsServerOptions extends CollectorOptions {
  /** Port (0 = any free one). Default 9101. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Serve this collector (its owner closes it) instead of one the server makes from the options. */
  collector?: StatsCollector;
  /** Cgroups to register (paths relative to the root), with optional labels. */
  paths?: ReadonlyArray<string | { path: string; labels?: Labels }>;
  /** Parents whose children are registered and followed (inotify). */
  watch?: ReadonlyArray<string | { parent: string; options?: WatchOptions }>;
  /** Constant labels on every series. */
  labels?: Labels;
  /** The URL path of the metrics. Default /metrics. */
  path?: string;
  /** Expose cgmgr's own metrics (cgmgr_sweep_duration_seconds, cgmgr_cgroups, cgmgr_scrape_errors_total, and
   * extraMetrics) after the cgroups' families. Default false (`cgmgr serve` turns them on). */
  selfMetrics?: boolean;
  /** More own metrics (read at each scrape), e.g. the Kubernetes agent's runtime errors. */
  extraMetrics?: () => readonly SelfMetric[];
}

export interface MetricsServer {
  /** `http://host:port/metrics`. */
  url: string;
  port: number;
  collector: StatsCollector;
  /** Stops listening, and closes the collector when the server made it. */
  close(): Promise<void>;
}

/** The exposition format an Accept header asks for. */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  return accept !== undefined && /application\/openmetrics-text/i.test(accept) ? 'openmetrics' : 'prometheus';
}

export async function createMetricsServer(options: MetricsServerOptions = {}): Promise<MetricsServer> {
  const port = options.port ?? 9101;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalidArg('port', port, 'must be an integer in [0, 65535]');
  const host = options.host ?? '127.0.0.1';
  const urlPath = options.path ?? '/metrics';
  const owned = options.collector === undefined;
  const collector = options.collector ?? new StatsCollector(options);
  try {
    for (const p of options.paths ?? []) {
      if (typeof p === 'string') collector.add(p);
      else collector.add(p.path, p.labels);
    }
    for (const w of options.watch ?? []) {
      if (typeof w === 'string') collector.watch(w);
      else collector.watch(w.parent, w.options);
    }
  } catch (err) {
    if (owned) collector.close();
    throw err;
  }
  if (owned) collector.on('error', () => undefined); // watcher errors must not crash the server; rows say what is gone
  let pending: Promise<Sweep> | undefined;
  let sweepSeconds = NaN;
  let scrapeErrors = 0;
  const sweep = (): Promise<Sweep> => {
    const start = process.hrtime.bigint();
    pending ??= collector.collectAsync().then((s) => {
      sweepSeconds = Number(process.hrtime.bigint() - start) / 1e9;
      return s;
    }).finally(() => {
      pending = undefined;
    });
    return pending;
  };
  const own = (format: ExpositionFormat): string => {
    if (options.selfMetrics !== true) return '';
    return renderSelfMetrics([
      { name: 'cgmgr_sweep_duration_seconds', help: 'Duration of the last sweep of every registered cgroup.', type: 'gauge', value: sweepSeconds },
      { name: 'cgmgr_cgroups', help: 'Cgroups registered (one series set each).', type: 'gauge', value: collector.size },
      { name: 'cgmgr_scrape_errors_total', help: 'Scrapes answered with an error.', type: 'counter', value: scrapeErrors },
      ...(options.extraMetrics?.() ?? []),
    ], format);
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/healthz' && urlPath !== '/healthz') {
      // Liveness: the process serves. (A runtime that is down does not make the agent unhealthy: series keep flowing.)
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(req.method === 'HEAD' ? undefined : 'ok\n');
      return;
    }
    if (url.pathname !== urlPath) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    const format = negotiateFormat(req.headers.accept);
    sweep().then((s) => {
      const body = appendExposition(renderMetrics(s, { format, ...(options.labels ? { labels: options.labels } : {}) }), own(format), format);
      res.writeHead(200, { 'content-type': CONTENT_TYPE[format], 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    }, (err: Error) => {
      scrapeErrors++;
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`${err.message}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err) => {
    if (owned) collector.close();
    throw err;
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shownHost}:${addr.port}${urlPath}`,
    port: addr.port,
    collector,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
      if (owned) collector.close();
    }),
  };
}
