'use strict';
// The raw stats' exact u64s (lib/stats/raw.ts U64: a number up to 2^53−1, a bigint above): the arithmetic the readers
// and the converter use is Go's u64 arithmetic (or its clamped form) on every mix of forms, compared with plain bigint
// arithmetic at the boundaries where doubles stop being exact; results are in the normal form.
const t = require('tap');
const { addWrap, subWrap, subClamp, mulExact, normal, toBig, toNum, wrap } = require('../../dist/stats/raw');

const MAX_SAFE = 2n ** 53n - 1n;
const U64 = 2n ** 64n;
const VALUES = [0n, 1n, 2n, 1000n, 2n ** 32n - 1n, 2n ** 32n, MAX_SAFE - 1n, MAX_SAFE, MAX_SAFE + 1n, MAX_SAFE + 2n,
  2n ** 63n, U64 - 2n, U64 - 1n];
/** Both forms of a value: the normal one, and the bigint one (a raw a caller built from bigints). */
const forms = (v) => (v <= MAX_SAFE ? [Number(v), v] : [v]);
const isNormal = (x) => (typeof x === 'number' ? Number.isSafeInteger(x) && x >= 0 : x > MAX_SAFE);

t.test('normal(): a number exactly when the value is a safe integer', async (t) => {
  for (const v of VALUES) {
    const n = normal(v);
    t.ok(isNormal(n), `${v}`);
    t.equal(toBig(n), v, `${v} round trip`);
  }
  t.equal(normal(-5n), -5, 'a small negative value (a float slot) is a number too');
});

t.test('addWrap / subWrap: Go u64 arithmetic on every mix of forms', async (t) => {
  for (const a of VALUES) for (const b of VALUES) {
    for (const x of forms(a)) for (const y of forms(b)) {
      const sum = addWrap(x, y);
      t.equal(toBig(sum), (a + b) % U64, `${a} + ${b}`);
      t.ok(isNormal(sum), `${a} + ${b} normal`);
      const diff = subWrap(x, y);
      t.equal(toBig(diff), ((a - b) % U64 + U64) % U64, `${a} - ${b}`);
      t.ok(isNormal(diff), `${a} - ${b} normal`);
    }
  }
});

t.test('subClamp: a − b clamped at 0; two numbers give a number, two bigints a bigint', async (t) => {
  for (const a of VALUES) for (const b of VALUES) {
    const want = a > b ? a - b : 0n;
    for (const x of forms(a)) for (const y of forms(b)) t.equal(toBig(subClamp(x, y)), want, `${a} - ${b}`);
    if (a <= MAX_SAFE && b <= MAX_SAFE) t.equal(typeof subClamp(Number(a), Number(b)), 'number');
    t.equal(typeof subClamp(a, b), 'bigint', 'bigint operands: a bigint (the collector\'s bigint columns)');
  }
});

t.test('mulExact: exact products (no wrap-around), normal form', async (t) => {
  for (const a of VALUES) for (const k of [1, 1000, 10_000_000]) {
    for (const x of forms(a)) {
      const p = mulExact(x, k);
      t.equal(toBig(p), a * BigInt(k), `${a} × ${k}`);
      t.ok(isNormal(p), `${a} × ${k} normal`);
    }
  }
  // The product that first leaves the safe range in doubles must not be rounded.
  const a = 900719925474100; // (2^53 − 1) / 10, rounded up
  t.equal(toBig(mulExact(a, 10)), 9007199254741000n);
});

t.test('toNum: Number() of the exact value (rounded once); wrap(): modulo 2^64, normal', async (t) => {
  for (const v of VALUES) for (const x of forms(v)) t.equal(toNum(x), Number(v), `${v}`);
  t.equal(wrap(-1n), U64 - 1n);
  t.equal(wrap(5n), 5);
});
