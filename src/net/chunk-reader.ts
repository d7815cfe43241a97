// One kernel read at a time into a chunk nobody else holds, for the stream
// adapters: a buffer shared across reads would be overwritten while the
// consumer still looks at it.
import type { DuplexIO } from './stream-io.ts';

export const DEFAULT_CHUNK = 64 * 1024;

/**
 * The io's own readChunk() where it has one. Otherwise reads into a scratch
 * buffer of its own; a short read is copied out so the scratch can be
 * reused, a long one hands the scratch over and a new one is made.
 */
export class ChunkReader {
  private scratch: Uint8Array | null = null;
  constructor(private readonly io: DuplexIO, private readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`netpoll: chunkSize must be a positive integer, got ${String(size)}`);
  }

  async next(signal?: AbortSignal): Promise<Uint8Array | null> {
    if (this.io.readChunk !== undefined) return this.io.readChunk(this.size, signal);
    const buf = this.scratch ??= new Uint8Array(this.size);
    const n = await this.io.read(buf, 0, buf.length, signal);
    if (n === null) return null;
    if (n * 2 < buf.length) return buf.slice(0, n);
    this.scratch = null;
    return n === buf.length ? buf : buf.subarray(0, n);
  }
}
