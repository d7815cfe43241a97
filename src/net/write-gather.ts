// Small writes gathered into one buffer for one write(2). node:http corks a
// response and hands over its head (a string) and body together; passing
// them as an iovec array costs more than the system call itself saves over
// copying a few hundred bytes, so what is small is copied into a slab and
// written as one. Large writes keep their buffers (one writev, no copy).
import { Buffer } from 'node:buffer';

/** A chunk as a Writable with decodeStrings: false hands it over. */
export interface WriteChunk { chunk: Uint8Array | string; encoding: BufferEncoding | 'buffer' }

/** Gathered writes are at most this many bytes; larger ones go out as they are. */
export const GATHER_MAX = 4 * 1024;
/** Slab size: each gathered write takes its own region, never reused (a parked write still holds it). */
const SLAB_SIZE = 32 * 1024;

let slab: Buffer | null = null;
let slabOff = 0;

/** Bytes a chunk puts on the wire. */
export function byteLen(c: Uint8Array | string, encoding: BufferEncoding | 'buffer'): number {
  if (typeof c !== 'string') return c.byteLength;
  return encoding === 'latin1' || encoding === 'binary' || encoding === 'ascii' ? c.length : Buffer.byteLength(c, encoding as BufferEncoding);
}

/** The chunk's bytes (a string encoded; a buffer as it is). */
export function bytesOf(c: Uint8Array | string, encoding: BufferEncoding | 'buffer'): Uint8Array {
  return typeof c === 'string' ? Buffer.from(c, encoding === 'buffer' ? 'utf8' : encoding) : c;
}

/**
 * Copies chunks (total bytes in all, at most GATHER_MAX) into a region of
 * the current slab (off-heap, as Node's Buffer pool) and returns its offset
 * in gatherSlab(). The region belongs to the caller from then on.
 */
export function gather(chunks: readonly WriteChunk[], total: number): number {
  let s = slab;
  if (s === null || slabOff + total > SLAB_SIZE) { s = slab = Buffer.allocUnsafeSlow(SLAB_SIZE); slabOff = 0; }
  const start = slabOff;
  let off = start;
  for (let i = 0; i < chunks.length; i++) {
    const { chunk, encoding } = chunks[i]!;
    if (typeof chunk === 'string') off += s.write(chunk, off, encoding === 'buffer' ? 'utf8' : encoding);
    else { s.set(chunk, off); off += chunk.byteLength; }
  }
  slabOff = (off + 7) & ~7; // 8-aligned, as Node's pool
  return start;
}

/** The slab the last gather() wrote into. */
export function gatherSlab(): Buffer { return slab!; }
