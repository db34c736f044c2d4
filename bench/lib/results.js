'use strict';
// What the benchmark scripts do with their results alike: the machine line of the report, the per-N cell of a
// variant (median over rounds), the ratios between cells, and the final output (Markdown, failures, --json).

const fs = require('node:fs');
const os = require('node:os');
const { median } = require('./stats');

const loadAverage = () => os.loadavg().map((x) => +x.toFixed(2));

/** The machine and run fields of a report's meta (loadavg.end is set by finishRun). */
function runMeta(nofile) {
  return { date: new Date().toISOString(), kernel: os.release(), node: process.version, cpus: os.cpus().length, nofile, loadavg: { start: loadAverage() } };
}

/** Sets a variant's cell at N from its rounds: ms = median over rounds, usPerCg = µs per cgroup. */
function settleCell(r, n) {
  r.ms = median(r.rounds);
  r.usPerCg = (r.ms * 1000) / n;
}

/**
 * ratio(label, target, check, f): adds { label, target, check, perN: f(n) for every size } to results.ratios;
 * ms(id, n): a variant's cell (NaN when it has none).
 */
function ratioBuilder(results, sizes) {
  const ms = (id, n) => (results.variants[id].perN[n] ? results.variants[id].perN[n].ms : NaN);
  const ratio = (label, target, check, f) => {
    const perN = {};
    for (const n of sizes) perN[n] = f(n);
    results.ratios.push({ label, target, check, perN });
  };
  return { ms, ratio };
}

/** Closes meta (total time, load average at the end). */
function closeMeta(meta, startedMs, nowMs) {
  meta.totalSeconds = (nowMs - startedMs) / 1000;
  meta.loadavg.end = loadAverage();
}

/** Prints the report, the total time and the failures; writes results (+ the Markdown) to jsonFile when given. */
function finishRun(results, meta, md, jsonFile) {
  process.stdout.write(md + '\n');
  process.stdout.write(`\ntotal ${meta.totalSeconds.toFixed(1)} s\n`);
  if (results.failures.length) {
    process.stdout.write(`\nfailures:\n${results.failures.map((f) => `- N=${f.n} ${f.variant}: ${f.error}`).join('\n')}\n`);
  }
  if (jsonFile) {
    const json = { ...results, ratios: results.ratios.map(({ check, ...r }) => r), markdown: md };
    fs.writeFileSync(jsonFile, JSON.stringify(json, null, 2) + '\n');
  }
}

/** The variants in the order of one round: rotated every round, so no variant always runs first or after another. */
function roundOrder(variants, round) {
  return variants.map((_, i) => variants[(i + round * 3) % variants.length]);
}

module.exports = { runMeta, settleCell, ratioBuilder, closeMeta, finishRun, roundOrder };
