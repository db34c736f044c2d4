/**
 * The frame of one gzip member (RFC 1952) around a raw deflate stream made elsewhere: its header and its trailer,
 * for both gzip streams of the exporter (parallel-gzip.ts, section-gzip.ts).
 */

/** The gzip header: deflate, no flags, no mtime, XFL 4 (fastest), OS 3 (Unix) — what zlib writes at level 1. */
const HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x03]);

/** A copy of the header (the caller's to keep). */
export function gzipHeader(): Buffer {
  return Buffer.from(HEADER);
}

/** The trailer: the CRC-32 of the whole text and its length mod 2^32, little-endian. */
export function gzipTrailer(crc: number, size: number): Buffer {
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(size % 2 ** 32, 4);
  return trailer;
}
