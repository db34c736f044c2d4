/**
 * cgmgr's own metrics, rendered as the trailer of each exposition body of the metrics server (before OpenMetrics'
 * `# EOF`): how long the last sweep took, how many cgroups are registered, failed scrapes, plus whatever the caller
 * adds (the Kubernetes agent's runtime errors).
 */
import type { ExpositionFormat } from './render';

export interface SelfMetric {
  /** The sample name (counters end in `_total`). */
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  value: number;
}

/** The text of some self metrics in a format (OpenMetrics: the counter's family name without `_total`). */
export function renderSelfMetrics(metrics: readonly SelfMetric[], format: ExpositionFormat): string {
  const out: string[] = [];
  for (const m of metrics) {
    const family =
      format === 'openmetrics' && m.type === 'counter' && m.name.endsWith('_total')
        ? m.name.slice(0, -'_total'.length)
        : m.name;
    out.push(
      `# HELP ${family} ${m.help}`,
      `# TYPE ${family} ${m.type}`,
      `${m.name} ${Number.isFinite(m.value) ? String(m.value) : 'NaN'}`,
    );
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
