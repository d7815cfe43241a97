// One read buffer for the whole thread, for reads whose bytes are copied
// out (or handed over) before anything else can run: readChunk() and
// serve(). An idle connection then holds no buffer at all. Sharing is safe
// only because nothing runs between the read(2) and the copy: a buffer
// shared by reads that resume on later microtasks crosses connections.

/** The default size, and so the largest chunk a default readChunk() returns. */
export const SCRATCH_SIZE = 64 * 1024;

let scratch: Uint8Array | null = null;

/** The shared buffer, at least `size` bytes long. Valid until the next takeChunk() that hands it over. */
export function scratchBuffer(size = SCRATCH_SIZE): Uint8Array {
  let s = scratch;
  if (s === null || s.byteLength < size) s = scratch = new Uint8Array(Math.max(size, SCRATCH_SIZE));
  return s;
}

/**
 * The first n bytes of the scratch buffer as a chunk the caller owns: a copy
 * when it is small; the buffer itself when it is at least half full (a new
 * scratch is made on next use), so a bulk transfer copies nothing.
 */
export function takeChunk(n: number): Uint8Array {
  const s = scratch!;
  if (n * 2 < s.byteLength) return s.slice(0, n);
  scratch = null;
  return n === s.byteLength ? s : s.subarray(0, n);
}
