// One read buffer for the whole thread, for reads whose bytes are copied
// out (or handed over) before anything else can run: readChunk() and
// serve(). An idle connection then holds no buffer at all. Sharing is safe
// only because nothing runs between the read(2) and the copy: a buffer
// shared by reads that resume on later microtasks crosses connections.
//
// Small chunks are copied into a pool slab, as Node's Buffer pool does:
// a fresh small typed array lives on V8's heap, and the FFI would have to
// move it off the heap (a malloc and a copy) the moment it is written out.
// Larger buffers are taken uninitialised (no memset: a bulk transfer spent
// a tenth of its time zeroing), so a chunk is never a view into bytes the
// kernel did not write: the scratch is handed over only when full.
import { Buffer } from 'node:buffer';
import { markAsUntransferable } from 'node:worker_threads';

/** The default size, and so the largest chunk a default readChunk() returns. */
export const SCRATCH_SIZE = 64 * 1024;
/** The largest chunk one readChunk() returns, whatever it asks: the scratch never grows past it. */
export const MAX_CHUNK = 1 << 20;

/** Bytes per pool slab; chunks up to POOL_MAX bytes are carved from it. */
export const POOL_SIZE = 16 * 1024;
const POOL_MAX = POOL_SIZE >>> 2;

let scratch: Uint8Array | null = null;
let pool: Uint8Array | null = null;
let poolOffset = 0;
// 32-bit views of the scratch and the slab, for copyWords.
const NO_WORDS = new Int32Array(0);
let scratchWords: Int32Array<ArrayBufferLike> = NO_WORDS;
let poolWords: Int32Array<ArrayBufferLike> = NO_WORDS;

/**
 * Chunks up to this size are copied by copyWords: a small echo's copy then
 * makes no temporary view (subarray() was a tenth of all the bytes a
 * readChunk() loop allocated per round trip).
 */
const WORD_COPY_MAX = 256;

/**
 * Copies the scratch s's first n bytes into chunk c, which starts at
 * poolOffset in the slab (8-aligned): whole words, then the tail bytes.
 * scratchWords is s's, as scratchBuffer() runs before every takeChunk().
 */
function copyWords(s: Uint8Array, c: Uint8Array, n: number): void {
  const from = scratchWords, to = poolWords, base = poolOffset >>> 2, words = n >>> 2;
  for (let i = 0; i < words; i++) to[base + i] = from[i]!;
  for (let i = words << 2; i < n; i++) c[i] = s[i]!;
}

/**
 * A fresh pool slab. Its ArrayBuffer is marked untransferable, as Node marks
 * its Buffer pool: a user who puts a chunk's .buffer in a transfer list
 * (postMessage, structuredClone) gets a copy instead of detaching the slab
 * under every other chunk and every later readChunk().
 */
function newSlab(): Uint8Array {
  const slab = new Uint8Array(POOL_SIZE);
  markAsUntransferable(slab.buffer);
  poolOffset = 0;
  poolWords = new Int32Array(slab.buffer, slab.byteOffset, POOL_SIZE >>> 2);
  return slab;
}

/** size bytes of memory nobody else sees, not zeroed, as a plain Uint8Array. */
function uninitialized(size: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(size);
  return new Uint8Array(b.buffer, b.byteOffset, size);
}

/** The shared buffer, at least `size` bytes long. Valid until the next takeChunk() that hands it over. */
export function scratchBuffer(size = SCRATCH_SIZE): Uint8Array {
  let s = scratch;
  if (s === null || s.byteLength < size) {
    s = scratch = uninitialized(Math.max(size, SCRATCH_SIZE));
    scratchWords = new Int32Array(s.buffer, s.byteOffset, s.byteLength >>> 2);
  }
  return s;
}

/**
 * The first n bytes of the scratch buffer as a chunk the caller owns: a
 * copy in a pool slab when small (the slab lives as long as any chunk of
 * it), a copy of its own otherwise, and the buffer itself when the read
 * filled it (a new scratch is made on next use), so a bulk transfer copies
 * nothing.
 */
export function takeChunk(n: number): Uint8Array {
  const s = scratch!;
  if (n <= POOL_MAX) {
    // Zeroed: a chunk's .buffer shows its slab, and stale heap memory must not be in it.
    // A slab found detached (ArrayBuffer.prototype.transfer, where it exists) is replaced.
    if (pool === null || poolOffset + n > POOL_SIZE || pool.byteLength === 0) pool = newSlab();
    const c = new Uint8Array(pool.buffer, pool.byteOffset + poolOffset, n);
    if (n <= WORD_COPY_MAX) copyWords(s, c, n);
    else c.set(s.subarray(0, n));
    poolOffset = (poolOffset + n + 7) & ~7; // 8-aligned, as Node's pool
    return c;
  }
  if (n < s.byteLength) {
    const c = uninitialized(n);
    c.set(s.subarray(0, n));
    return c;
  }
  scratch = null;
  scratchWords = NO_WORDS; // the caller's now: keep no view of it
  return s;
}
