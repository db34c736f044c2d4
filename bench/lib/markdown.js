'use strict';
// Markdown rendering shared by the benchmark reports: number formats, the per-N column header and the ratio table.

/** Milliseconds with 3 significant-ish digits; '–' for a value that is not a number. */
const fmtMs = (ms) => (!Number.isFinite(ms) ? '–' : ms >= 100 ? ms.toFixed(1) : ms >= 10 ? ms.toFixed(2) : ms.toFixed(3));
/** A ratio as "1.23×"; '–' for a value that is not a number. */
const fmtX = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '–');

/** The two header lines of a table with the given leading columns and one column per N. */
function headerPerN(lead, sizes) {
  return [
    `| ${lead.join(' | ')} | ${sizes.map((n) => `N=${n}`).join(' | ')} |`,
    `|${lead.map(() => '---').join('|')}|${sizes.map(() => '---').join('|')}|`,
  ];
}

/** One row per variant ("label ‡" when sharded), one column per N: cell(variant, n) renders a cell. */
function variantTable(variants, sizes, cell) {
  const lines = headerPerN(['implementation'], sizes);
  for (const v of variants) lines.push(`| ${v.label}${v.sharded ? ' ‡' : ''} | ${sizes.map((n) => cell(v, n)).join(' | ')} |`);
  return lines;
}

/** The ratio table: one row per { label, target, check, perN }, a ✓/✗ verdict where a check (x, n) is given. */
function ratioTable(ratios, sizes) {
  const lines = headerPerN(['ratio', 'target'], sizes);
  for (const r of ratios) {
    lines.push(`| ${r.label} | ${r.target || '–'} | ${sizes.map((n) => {
      const x = r.perN[n];
      if (!Number.isFinite(x)) return '–';
      return `${fmtX(x)}${r.check ? (r.check(x, n) ? ' ✓' : ' ✗') : ''}`;
    }).join(' | ')} |`);
  }
  return lines;
}

module.exports = { fmtMs, fmtX, headerPerN, variantTable, ratioTable };
