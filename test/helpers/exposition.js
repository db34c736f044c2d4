'use strict';
// Validators of an exposition: `promtool check metrics` (Debian's prometheus package) for the Prometheus text format,
// and the OpenMetrics parser of python3-prometheus-client (Debian) for OpenMetrics. Each says why it cannot run.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

// On PATH, or where .ci/fetch-promtool.sh puts it (extracted from Debian's prometheus package).
const fetched = path.join(__dirname, '..', '..', '.ci', 'tools', 'bin', 'promtool');
const promtool = which('promtool') ?? (fs.existsSync(fetched) ? fetched : undefined);
const promtoolSkip = promtool ? undefined : 'promtool not available (run .ci/fetch-promtool.sh)';

/** { ok, output } of promtool check metrics on a Prometheus text exposition. */
function promtoolCheck(text) {
  const r = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}`.trim() };
}

// The system python (not a pyenv shim) has Debian's python3-prometheus-client.
const PY = '/usr/bin/python3';
const OM_SCRIPT = `
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
fams = list(text_string_to_metric_families(sys.stdin.read()))
print(len(fams), sum(len(f.samples) for f in fams))
`;
const pyOk = fs.existsSync(PY) && spawnSync(PY, ['-c', 'import prometheus_client.openmetrics.parser'], { encoding: 'utf8' }).status === 0;
const openMetricsSkip = pyOk ? undefined : 'python3-prometheus-client not installed (apt-get install python3-prometheus-client)';

/** { ok, families, samples, output } of the strict OpenMetrics parser. */
function openMetricsCheck(text) {
  const r = spawnSync(PY, ['-c', OM_SCRIPT], { input: text, encoding: 'utf8' });
  const [families, samples] = r.stdout.trim().split(' ').map(Number);
  return { ok: r.status === 0, families, samples, output: `${r.stdout}${r.stderr}`.trim() };
}

module.exports = { promtoolSkip, promtoolCheck, openMetricsSkip, openMetricsCheck };
