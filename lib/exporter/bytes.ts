/**
 * Writing exposition text as bytes straight into a chunk, without an intermediate string: a sample value (the same
 * characters formatValue() gives: integers below 2^53 digit by digit, anything else through it) and short byte runs.
 */
import { formatValue } from './series';

const TWO_53 = 9007199254740992;
const digits = new Uint8Array(24);

/** Writes formatValue(x) at off (room for 25 bytes is the caller's); returns the offset after it. */
export function writeNumber(dst: Buffer, off: number, x: number): number {
  if (Number.isInteger(x) && x > -TWO_53 && x < TWO_53) {
    if (x < 0) {
      dst[off++] = 45; // '-'
      x = -x;
    }
    if (x < 10) {
      dst[off] = 48 + x; // also -0, as String(-0) = '0'
      return off + 1;
    }
    let n = 0;
    while (x >= 1e8) {
      // Exact: x < 2^53, so q * 1e8 and the rest are exact doubles.
      const q = Math.floor(x / 1e8);
      let lo = x - q * 1e8;
      for (let k = 0; k < 8; k++) {
        digits[n++] = 48 + (lo % 10);
        lo = (lo / 10) | 0;
      }
      x = q;
    }
    let v = x | 0;
    while (v > 0) {
      digits[n++] = 48 + (v % 10);
      v = (v / 10) | 0;
    }
    while (n > 0) dst[off++] = digits[--n]!;
    return off;
  }
  return off + dst.write(formatValue(x), off, 'latin1');
}

/** Copies src to dst at off (a loop for short runs, TypedArray.set for long ones); returns the offset after it. */
export function writeBytes(dst: Buffer, off: number, src: Uint8Array): number {
  const n = src.length;
  if (n > 12) {
    dst.set(src, off);
    return off + n;
  }
  for (let j = 0; j < n; j++) dst[off + j] = src[j]!;
  return off + n;
}
