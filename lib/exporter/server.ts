/**
 * A small metrics server (node:http) that no request can bring down: `GET /metrics` answers with the exposition of
 * the collector's latest sweep (OpenMetrics when the Accept header asks for `application/openmetrics-text`,
 * Prometheus text 0.0.4 otherwise; gzip when Accept-Encoding allows it), `HEAD /metrics` the same without a body.
 * `GET /healthz` answers `ok` (liveness: the process serves). Any other path 404, any other method on /metrics 405, a target that is not a valid origin-form or absolute-form
 * request target 400, more than `maxRequests` scrapes at once 503. Headers and whole requests have deadlines, idle
 * connections are closed, connections are capped. Listens on loopback unless a non-empty host is asked for.
 * Concurrent scrapes share one sweep and one rendered body (scrape-cache.ts). A body still being rendered (and
 * compressed) is sent with chunked transfer as it is made; a complete one with its content-length.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StatsCollector, CollectorOptions } from '../collector/collector';
import type { Labels } from '../collector/sweep';
import type { WatchOptions } from '../collector/watch';
import { invalidArg } from '../errors';
import { CONTENT_TYPE, type ExpositionFormat } from './render';
import type { Body, Encoding } from './body';
import { ScrapeCache, type ScrapeCounts } from './scrape-cache';
import type { Selection } from './selection';
import { collectorFor } from './controllers';
import { renderSelfMetrics, type SelfMetric } from './self-metrics';

export interface MetricsServerOptions extends CollectorOptions, Selection {
  /** Port (0 = any free one). Default 9101. */
  port?: number;
  /** Default (also for '') 127.0.0.1. */
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
  /** A finished sweep is served for this long (ms) before a scrape sweeps again. Default 1000. */
  maxAgeMs?: number;
  /** zlib level of gzip responses (1..9). Default 1. */
  gzipLevel?: number;
  /** Deflate parts of a gzip body compressed at once on the thread pool (1..16; 1 = one zlib stream). Default 1:
   * parts in parallel did not pay on the 2 shared cores measured (docs/exporter.md). */
  gzipParallel?: number;
  /** Reuse the deflate bytes of families unchanged since the previous gzip body (not rendered nor compressed
   * again; each family is deflated on its own: ~1–2% larger bodies). Default true. */
  gzipReuse?: boolean;
  /** Scrapes in progress at once; more get 503. Default 128. */
  maxRequests?: number;
  /** Open connections at once; more are closed on arrival. Default 256. */
  maxConnections?: number;
  /** Time to receive a request's headers (ms). Default 10000. */
  headersTimeoutMs?: number;
  /** Time to receive a whole request (ms). Default 30000. */
  requestTimeoutMs?: number;
  /** A connection with no traffic for this long is closed (ms): a client that stops reading. Default 60000. */
  idleTimeoutMs?: number;
  /** Expose cgmgr's own metrics (cgmgr_sweep_duration_seconds, cgmgr_cgroups, cgmgr_scrape_errors_total, and
   * extraMetrics) after the cgroups' families. Default false (`cgmgr serve` turns them on). */
  selfMetrics?: boolean;
  /** More own metrics (read when a body is rendered), e.g. the Kubernetes agent's runtime errors. */
  extraMetrics?: () => readonly SelfMetric[];
}

export interface MetricsServerCounts extends ScrapeCounts {
  /** Scrapes being answered now. */
  inFlight: number;
  /** Scrapes refused with 503. */
  refused: number;
  /** Chunks of plain text taken from the pool and not given back (bodies held, renders in progress). */
  readonly chunksOut: number;
}

export interface MetricsServer {
  /** `http://host:port/metrics`. */
  url: string;
  port: number;
  collector: StatsCollector;
  /** Work done so far (sweeps, renders, compressions, gzip families reused / deflated) and scrapes in flight or
   * refused. */
  readonly counts: MetricsServerCounts;
  /** Stops listening, and closes the collector when the server made it. */
  close(): Promise<void>;
}

/** The exposition format an Accept header asks for. */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  return accept !== undefined && /application\/openmetrics-text/i.test(accept) ? 'openmetrics' : 'prometheus';
}

/** Whether an Accept-Encoding header allows gzip (`gzip` or `*` with a q above 0). */
export function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  let star = false;
  for (const part of header.split(',')) {
    const [token = '', ...params] = part.trim().split(';');
    const q = params.map((p) => p.trim()).find((p) => /^q=/i.test(p));
    const ok = q === undefined || Number(q.slice(2)) > 0;
    const t = token.trim().toLowerCase();
    if (t === 'gzip' || t === 'x-gzip') return ok;
    if (t === '*') star = ok;
  }
  return star;
}

/**
 * The path of a request target, or undefined when it is not a valid one: origin-form (`/p?q`, not starting with
 * `//`, which RFC 3986 does not allow for a path) or absolute-form (`http://host/p`, parsed by WHATWG URL).
 */
export function targetPath(target: string | undefined): string | undefined {
  if (target === undefined || target.length === 0) return undefined;
  if (target.startsWith('/')) {
    if (target.startsWith('//')) return undefined;
    const end = target.search(/[?#]/);
    return end === -1 ? target : target.slice(0, end);
  }
  if (!/^https?:\/\//i.test(target)) return undefined;
  try {
    return new URL(target).pathname;
  } catch {
    return undefined;
  }
}

function positiveInt(name: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isSafeInteger(v) || (v as number) < 1) throw invalidArg(name, v, 'must be a positive integer');
  return v as number;
}

function nonNegative(name: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw invalidArg(name, v, 'must be a finite number ≥ 0');
  return v;
}

const TEXT = { 'content-type': 'text/plain; charset=utf-8' };

export async function createMetricsServer(options: MetricsServerOptions = {}): Promise<MetricsServer> {
  const port = options.port ?? 9101;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw invalidArg('port', port, 'must be an integer in [0, 65535]');
  if (options.host !== undefined && typeof options.host !== 'string')
    throw invalidArg('host', options.host, 'must be a string');
  const host = options.host === undefined || options.host === '' ? '127.0.0.1' : options.host;
  const urlPath = options.path ?? '/metrics';
  if (typeof urlPath !== 'string' || !urlPath.startsWith('/') || urlPath.startsWith('//'))
    throw invalidArg('path', urlPath, "must start with a single '/'");
  const maxRequests = positiveInt('maxRequests', options.maxRequests, 128);
  const maxConnections = positiveInt('maxConnections', options.maxConnections, 256);
  const headersTimeout = positiveInt('headersTimeoutMs', options.headersTimeoutMs, 10_000);
  const requestTimeout = positiveInt('requestTimeoutMs', options.requestTimeoutMs, 30_000);
  if (requestTimeout < headersTimeout)
    throw invalidArg('requestTimeoutMs', requestTimeout, 'must not be below headersTimeoutMs');
  const idleTimeout = positiveInt('idleTimeoutMs', options.idleTimeoutMs, 60_000);
  const maxAgeMs = nonNegative('maxAgeMs', options.maxAgeMs, 1000);
  const gzipLevel = options.gzipLevel ?? 1;
  if (!Number.isInteger(gzipLevel) || gzipLevel < 1 || gzipLevel > 9)
    throw invalidArg('gzipLevel', gzipLevel, 'must be an integer in [1, 9]');

  const gzipParallel = options.gzipParallel;
  if (gzipParallel !== undefined && (!Number.isInteger(gzipParallel) || gzipParallel < 1 || gzipParallel > 16))
    throw invalidArg('gzipParallel', gzipParallel, 'must be an integer in [1, 16]');

  if (options.gzipReuse !== undefined && typeof options.gzipReuse !== 'boolean')
    throw invalidArg('gzipReuse', options.gzipReuse, 'must be a boolean');

  const owned = options.collector === undefined;
  // Its own collector reads no controller no served family needs (controllers.ts).
  const collector = options.collector ?? collectorFor(options, options);
  let cache: ScrapeCache;
  let scrapeErrors = 0;
  const own = (format: ExpositionFormat): string => {
    if (options.selfMetrics !== true) return '';
    return renderSelfMetrics(
      [
        {
          name: 'cgmgr_sweep_duration_seconds',
          help: 'Duration of the last sweep of every registered cgroup.',
          type: 'gauge',
          value: cache.lastSweepSeconds,
        },
        {
          name: 'cgmgr_cgroups',
          help: 'Cgroups registered (one series set each).',
          type: 'gauge',
          value: collector.size,
        },
        {
          name: 'cgmgr_scrape_errors_total',
          help: 'Scrapes answered with an error.',
          type: 'counter',
          value: scrapeErrors,
        },
        ...(options.extraMetrics?.() ?? []),
      ],
      format,
    );
  };
  try {
    cache = new ScrapeCache(collector, {
      maxAgeMs,
      gzipLevel,
      ...(gzipParallel === undefined ? {} : { gzipParallel }),
      ...(options.gzipReuse === undefined ? {} : { gzipReuse: options.gzipReuse }),
      trailer: own,
      ...(options.labels ? { labels: options.labels } : {}),
      ...(options.families ? { families: options.families } : {}),
      ...(options.enable ? { enable: options.enable } : {}),
      ...(options.disable ? { disable: options.disable } : {}),
      ...(options.labelAllow ? { labelAllow: options.labelAllow } : {}),
      ...(options.labelDeny ? { labelDeny: options.labelDeny } : {}),
    });
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

  const counts: MetricsServerCounts = Object.defineProperties({ inFlight: 0, refused: 0 } as MetricsServerCounts, {
    sweeps: { get: () => cache.counts.sweeps, enumerable: true },
    renders: { get: () => cache.counts.renders, enumerable: true },
    compressions: { get: () => cache.counts.compressions, enumerable: true },
    sectionsReused: { get: () => cache.counts.sectionsReused, enumerable: true },
    sectionsDeflated: { get: () => cache.counts.sectionsDeflated, enumerable: true },
    chunksOut: { get: () => cache.pool.out, enumerable: true },
  });

  const send = (
    res: http.ServerResponse,
    status: number,
    text: string,
    headers: http.OutgoingHttpHeaders = {},
  ): void => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(status, { ...TEXT, ...headers, 'content-length': Buffer.byteLength(text) }).end(text);
  };

  const scrape = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const format = negotiateFormat(req.headers.accept);
    const encoding: Encoding = acceptsGzip(req.headers['accept-encoding']) ? 'gzip' : 'identity';
    counts.inFlight++;
    let body: Body | undefined;
    let done = false;
    res.once('close', () => {
      done = true;
      counts.inFlight--;
      if (body !== undefined) cache.release(body);
    });
    cache
      .acquire(format, encoding)
      .then((b) => {
        if (done) {
          cache.release(b); // the client went away while the sweep was made
          return;
        }
        body = b;
        const headers: http.OutgoingHttpHeaders = {
          'content-type': CONTENT_TYPE[format],
          vary: 'Accept, Accept-Encoding',
        };
        if (encoding === 'gzip') headers['content-encoding'] = 'gzip';
        if (req.method === 'HEAD' || (b.complete && b.error === undefined)) {
          // The whole body is there (or, for HEAD, wait for it): its length is known.
          void b.done.then((err) => {
            if (done) return;
            if (err !== undefined) {
              scrapeErrors++;
              send(res, 500, `${err.message}\n`);
              return;
            }
            res.writeHead(200, { ...headers, 'content-length': b.length });
            if (req.method === 'HEAD') {
              res.end();
              return;
            }
            res.cork();
            for (const c of b.chunks) res.write(c);
            res.end();
            res.uncork();
          });
          return;
        }
        if (b.complete) {
          scrapeErrors++;
          send(res, 500, `${b.error!.message}\n`);
          return;
        }
        // Still being rendered: chunked transfer, each chunk sent as it is made.
        res.writeHead(200, headers);
        const stop = b.follow(
          (c) => res.write(c),
          (err) => {
            if (err === undefined) {
              res.end();
              return;
            }
            scrapeErrors++;
            res.destroy(); // the status line is out: a cut-off body is how the client learns
          },
        );
        res.once('close', stop);
      })
      .catch((err: Error) => {
        scrapeErrors++;
        if (!done) send(res, 500, `${err.message}\n`);
      });
  };

  const server = http.createServer(
    {
      headersTimeout: headersTimeout,
      requestTimeout: requestTimeout,
      connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(headersTimeout / 2))),
      keepAliveTimeout: 5000,
    },
    (req, res) => {
      try {
        const p = targetPath(req.url);
        if (p === undefined) {
          send(res, 400, 'bad request target\n', { connection: 'close' });
          return;
        }
        if (p === '/healthz' && urlPath !== '/healthz') {
          // Liveness: the process serves. (A runtime that is down does not make the agent unhealthy: series keep flowing.)
          if (req.method !== 'GET' && req.method !== 'HEAD')
            send(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
          else if (req.method === 'HEAD') res.writeHead(200, { ...TEXT, 'content-length': 3 }).end();
          else send(res, 200, 'ok\n');
          return;
        }
        if (p !== urlPath) {
          send(res, 404, 'not found\n');
          return;
        }
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          send(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
          return;
        }
        if (counts.inFlight >= maxRequests) {
          counts.refused++;
          send(res, 503, 'too many scrapes at once\n', { 'retry-after': '1' });
          return;
        }
        scrape(req, res);
      } catch (err) {
        // Nothing above should throw; if it does, this request fails alone.
        try {
          send(res, 500, `${(err as Error).message}\n`);
        } catch {
          res.destroy();
        }
      }
    },
  );
  server.maxConnections = maxConnections;
  server.timeout = idleTimeout; // no 'timeout' listener: an idle socket is destroyed
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // Node's answer, without the default's reliance on the socket still being writable.
    // A response in progress on this connection (a bad pipelined request): a status line now would corrupt it.
    const busy = (socket as { _httpMessage?: unknown })._httpMessage != null;
    if (busy || !socket.writable || (err as { code?: string }).code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const status =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? '431 Request Header Fields Too Large'
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? '408 Request Timeout'
          : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err) => {
    cache.close();
    if (owned) collector.close();
    throw err;
  });
  server.on('error', () => undefined); // after listening: per-connection errors are the sockets' own
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shownHost}:${addr.port}${urlPath}`,
    port: addr.port,
    collector,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        cache.close();
        if (owned) collector.close();
      }),
  };
}
