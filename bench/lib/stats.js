'use strict';
// Small statistics of the benchmarks: medians of per-round and per-sweep values, and summaries of lists of records.

/** The median of a list of numbers (NaN for an empty list). */
function median(a) {
  if (a.length === 0) return NaN;
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** One record of the field-wise medians of a list of records with the same numeric fields. */
function medianRecord(list) {
  return Object.fromEntries(Object.keys(list[0]).map((k) => [k, median(list.map((o) => o[k]))]));
}

module.exports = { median, medianRecord };
