'use strict';
// The renderer's byte path (bytes.ts): a number sweep's lines are written as bytes straight into the chunk, the
// value's digits without a string. Its numbers are exactly formatValue()'s (String(x) with Go's special values) for
// chosen edge cases and 200,000 random values of every kind, and a number sweep renders byte for byte as a bigint
// sweep of the same integers does (that one goes through the string path: sampleValue, BigInt's toString).
const t = require('tap');
const crypto = require('node:crypto');
const { Sweep, FIELD_COUNT } = require('../../dist/collector');
const { ExpositionRenderer, renderMetrics } = require('../../dist/exporter');
const { writeNumber, writeBytes } = require('../../dist/exporter/bytes');
const { formatValue } = require('../../dist/exporter/series');

const buf = Buffer.alloc(64);
const asWritten = (x) => buf.toString('latin1', 0, writeNumber(buf, 0, x));

t.test('writeNumber writes formatValue(x) for edge cases', async (t) => {
  const cases = [0, -0, 1, -1, 9, 10, 11, 99, 100, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 99999999, 1e8, 1e8 + 1, 123456789012,
    2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e21, 1e22, -1e21, 1.5, -1.5, 0.1 + 0.2, 1e-7, 5e-324,
    Number.MAX_VALUE, -Number.MAX_VALUE, Infinity, -Infinity, NaN, 18446744073709551615, 9223372036854775807];
  for (const x of cases) t.equal(asWritten(x), formatValue(x), `${formatValue(x)}`);
});

t.test('writeNumber writes formatValue(x) for 200,000 random values', async (t) => {
  const bits = new Float64Array(crypto.randomBytes(8 * 50000).buffer);
  const kinds = [
    (i) => Math.floor(Math.random() * 10 ** (i % 17)), // integers of every length below 2^53
    (i) => -Math.floor(Math.random() * 10 ** (i % 17)),
    (i) => Math.random() * 10 ** ((i % 40) - 20), // fractions of every magnitude
    (i) => bits[i % bits.length], // any double, NaNs and infinities among them
  ];
  let bad = 0;
  let first;
  for (let i = 0; i < 200000; i++) {
    const x = kinds[i % kinds.length](i);
    if (asWritten(x) !== formatValue(x)) {
      bad++;
      first ??= x;
    }
  }
  t.equal(bad, 0, bad === 0 ? 'every value as formatValue writes it' : `first difference: ${first}`);
});

t.test('writeBytes copies short and long runs', async (t) => {
  const dst = Buffer.alloc(200, 0x2e);
  const long = Buffer.from('x'.repeat(100));
  let off = writeBytes(dst, 3, Buffer.from('ab'));
  off = writeBytes(dst, off, long);
  t.equal(off, 105);
  t.equal(dst.toString('latin1', 0, 107), `...ab${'x'.repeat(100)}..`);
});

/** The same random integer values (below 2^53) in a number sweep and in a bigint sweep, kubelet-style labels. */
function sweeps(rows) {
  const n = new Sweep(rows, false);
  const b = new Sweep(rows, true);
  const paths = [];
  const labels = [];
  for (let r = 0; r < rows; r++) {
    paths.push(`/kubepods/pod${r >> 2}/crio-${r}`);
    labels.push({ name: `crio-${r}`, pod: `pod-${r >> 2}`, image: r === 3 ? 'ü-image' : 'app:v1' });
    for (let f = 0; f < FIELD_COUNT; f++) {
      const i = r * FIELD_COUNT + f;
      const present = (r + f) % 7 !== 0;
      const x = Math.floor(Math.random() * 10 ** ((r + f) % 16));
      n.values[i] = x;
      b.values[i] = BigInt(x);
      n.present[i] = b.present[i] = present ? 1 : 0;
    }
  }
  for (const s of [n, b]) Object.assign(s, { rows, version: 1, paths, labels });
  return { n, b };
}

t.test('a number sweep renders as a bigint sweep of the same values (byte path = string path)', async (t) => {
  const { n, b } = sweeps(300);
  for (const format of ['prometheus', 'openmetrics']) {
    const viaBytes = renderMetrics(n, { format, labels: { instance: 'n1' } });
    const viaStrings = renderMetrics(b, { format, labels: { instance: 'n1' } });
    t.ok(viaBytes.length > 100000, `${format}: ${viaBytes.length} characters`);
    t.equal(viaBytes, viaStrings, `${format}: identical`);
    const r = new ExpositionRenderer({ format, labels: { instance: 'n1' } });
    t.equal(Buffer.concat(await r.render(n, { sliceMs: 0 })).toString('utf8'), viaStrings, `${format}: async in slices too`);
  }
});
