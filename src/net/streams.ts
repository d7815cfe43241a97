// Web streams (like Deno's conn.readable / conn.writable) and a Node Duplex
// over anything with read/write/closeWrite/close. A read lands in a chunk
// nobody else holds: a buffer shared across reads would be overwritten while
// the consumer still looks at it.
import { Duplex } from 'node:stream';
import { isClosedError } from './errors.ts';

export interface DuplexIO {
  read(buf: Uint8Array, offset?: number, length?: number, signal?: AbortSignal): Promise<number | null>;
  /** When present (Conn has it), reads go through it: the stream holds no buffer between reads. */
  readChunk?(maxBytes: number, signal?: AbortSignal): Promise<Uint8Array | null>;
  write(buf: Uint8Array, offset?: number, length?: number, signal?: AbortSignal): Promise<number>;
  closeWrite(): void;
  close(): void;
}

export interface StreamOptions {
  /** Bytes asked of the kernel per read (default 64 KiB). */
  chunkSize?: number;
}

const DEFAULT_CHUNK = 64 * 1024;

/**
 * The io's own readChunk() where it has one. Otherwise reads into a scratch
 * buffer of its own; a short read is copied out so the scratch can be
 * reused, a long one hands the scratch over and a new one is made.
 */
class ChunkReader {
  private scratch: Uint8Array | null = null;
  constructor(private readonly io: DuplexIO, private readonly size: number) {}

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

/** Closes the whole connection once both halves are done with. */
class HalfTracker {
  private readDone = false;
  private writeDone = false;
  constructor(private readonly io: DuplexIO) {}
  read(): void { this.readDone = true; this.check(); }
  write(): void { this.writeDone = true; this.check(); }
  private check(): void { if (this.readDone && this.writeDone) safeClose(this.io); }
}

function safeClose(io: DuplexIO): void {
  try { io.close(); } catch { /* already closed */ }
}

export interface WebStreams {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
}

/**
 * `readable` ends at EOF; cancelling it closes the connection. `writable`'s
 * close() half-closes (closeWrite), abort() closes. When the readable has
 * ended and the writable is closed, the connection is closed.
 */
export function webStreams(io: DuplexIO, opts: StreamOptions = {}): WebStreams {
  const reader = new ChunkReader(io, opts.chunkSize ?? DEFAULT_CHUNK);
  const halves = new HalfTracker(io);
  const readable = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const chunk = await reader.next();
        if (chunk === null) {
          controller.close();
          halves.read();
        } else {
          controller.enqueue(chunk);
        }
      } catch (e) {
        // Closed under us after a cancel: the stream is already done.
        if (isClosedError(e)) { try { controller.close(); } catch { /* cancelled */ } halves.read(); return; }
        controller.error(e);
        halves.read();
      }
    },
    cancel() {
      safeClose(io);
    },
  }, { highWaterMark: 0 });

  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      if (!(chunk instanceof Uint8Array)) throw new TypeError('netpoll: the writable takes Uint8Array chunks');
      await io.write(chunk, 0, chunk.length);
    },
    close() {
      try { io.closeWrite(); } catch (e) { if (!isClosedError(e)) throw e; }
      halves.write();
    },
    abort() {
      safeClose(io);
    },
  }, { highWaterMark: 1 });

  return { readable, writable };
}

/**
 * A Node Duplex for pipeline(), zlib and http parsers. end() half-closes
 * (closeWrite), destroy() closes. One kernel read per _read call, so the
 * readable side's highWaterMark bounds what is buffered.
 */
export function toNodeStream(io: DuplexIO, opts: StreamOptions = {}): Duplex {
  const reader = new ChunkReader(io, opts.chunkSize ?? DEFAULT_CHUNK);
  let reading = false;
  let closed = false;
  const close = (): void => { if (!closed) { closed = true; safeClose(io); } };
  const duplex = new Duplex({
    allowHalfOpen: true,
    read() {
      if (reading) return;
      reading = true;
      reader.next().then((chunk) => {
        reading = false;
        if (duplex.destroyed) return;
        if (chunk === null) { duplex.push(null); return; }
        duplex.push(chunk);
      }, (e: unknown) => {
        reading = false;
        if (duplex.destroyed) return;
        if (closed && isClosedError(e)) { duplex.push(null); return; }
        duplex.destroy(e as Error);
      });
    },
    write(chunk: Uint8Array, _encoding, cb) {
      io.write(chunk, 0, chunk.length).then(() => cb(), (e: unknown) => cb(e as Error));
    },
    writev(chunks: { chunk: Uint8Array }[], cb) {
      // Coalesce what the writable side has buffered into one write.
      let total = 0;
      for (const c of chunks) total += c.chunk.length;
      const all = new Uint8Array(total);
      let off = 0;
      for (const c of chunks) { all.set(c.chunk, off); off += c.chunk.length; }
      io.write(all, 0, total).then(() => cb(), (e: unknown) => cb(e as Error));
    },
    final(cb) {
      try { io.closeWrite(); cb(); } catch (e) { cb(isClosedError(e) ? null : e as Error); }
    },
    destroy(err, cb) {
      close();
      cb(err);
    },
  });
  // autoDestroy closes the descriptor once both sides have finished.
  return duplex;
}
