/**
 * The exporter (issue 6): cAdvisor's metric families from collector sweeps, as OpenMetrics / Prometheus text
 * (renderMetrics), as prom-client metrics (promClientCollector; prom-client is an optional peer), and as a tiny HTTP
 * server (createMetricsServer: GET /metrics, loopback by default). docs/exporter.md.
 *
 *   const text = renderMetrics(await collector.collectAsync(), { format: 'openmetrics', labels: { instance: 'n1' } });
 *   promClientCollector(collector, { registry });              // registry.metrics() then includes the families
 *   const srv = await createMetricsServer({ port: 9101, watch: ['/kubepods'] }); srv.url; await srv.close();
 */
export {
  CONTENT_TYPE,
  ExpositionRenderer,
  renderMetrics,
  type ExpositionFormat,
  type RenderCounts,
  type RenderOptions,
} from './render';
export {
  FAMILIES,
  FAMILY_GROUPS,
  familyName,
  type Family,
  type FamilyGroup,
  type MetricType,
  type SampleSpec,
} from './families';
export { selectFamilies, type Selection } from './selection';
export { collectorFor, controllersOptionFor } from './controllers';
export { ChunkPool } from './chunks';
export { promClientCollector, type PromClientMetric, type PromClientOptions, type RegistryLike } from './prom-client';
export {
  acceptsGzip,
  createMetricsServer,
  negotiateFormat,
  targetPath,
  type MetricsServer,
  type MetricsServerCounts,
  type MetricsServerOptions,
} from './server';
export { renderSelfMetrics, type SelfMetric } from './self-metrics';
