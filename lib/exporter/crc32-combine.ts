/**
 * crc32Combine: the CRC-32 (gzip's, zlib.crc32) of A followed by B from crc(A), crc(B) and B's length, without B's
 * bytes — zlib's crc32_combine (multiplication modulo the CRC polynomial by x^(8·len)), which node:zlib does not
 * export. A gzip body made of reused deflate sections (section-gzip.ts) needs it: the bytes of a reused section are
 * not there to run zlib.crc32 over.
 */

/** The reflected CRC-32 polynomial. */
const POLY = 0xedb88320;

/** a × b modulo the polynomial (both reflected: bit 31 is x^0). */
function multModP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if ((a & m) !== 0) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** X2N[k] = x^(2^k) modulo the polynomial. */
const X2N = new Uint32Array(32);
{
  let p = 0x40000000; // x^1
  X2N[0] = p;
  for (let k = 1; k < 32; k++) X2N[k] = p = multModP(p, p);
}

/** x^(n·2^k) modulo the polynomial. */
function x2nModP(n: number, k: number): number {
  let p = 0x80000000; // x^0
  while (n > 0) {
    if (n % 2 === 1) p = multModP(X2N[k & 31]!, p);
    n = Math.floor(n / 2);
    k++;
  }
  return p;
}

/** The CRC-32 of A then B, from crcA, crcB and B's length in bytes (a safe integer ≥ 0). */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  return (multModP(x2nModP(lengthB, 3), crcA >>> 0) ^ (crcB >>> 0)) >>> 0;
}
