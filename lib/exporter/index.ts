/**
 * The exporter (issue 6): cAdvisor's metric families from collector sweeps, as OpenMetrics / Prometheus text
 * (renderMetrics), as prom-client metrics (promClientCollector; prom-client is an optional peer), and as a tiny HTTP
 * server (createMetricsServer: GET /metrics, loopback by default). docs/exporter.md.
 *
 *   const text = renderMetrics(await collector.collectAsync(), { format: 'openmetrics', labels: { instance: 'n1' } });
 *   promClientCollector(collector, { registry });              // registry.metrics() then includes the families
 *   const srv = await createMetricsServer({ port: 9101, watch: ['/kubepods'] }); srv.url; await srv.close();
 */
export { CONTENT_TYPE, renderMetrics, type ExpositionFormat, type RenderOptions } from './render';
export { FAMILIES, familyName, type Family, type MetricType, type SampleSpec } from './families';
export { promClientCollector, type PromClientMetric, type PromClientOptions, type RegistryLike } from './prom-client';
export { createMetricsServer, negotiateFormat, type MetricsServer, type MetricsServerOptions } from './server';
export { renderSelfMetrics, type SelfMetric } from './self-metrics';
