// Web streams (like Deno's conn.readable / conn.writable) and a Node Duplex
// over anything with read/write/closeWrite/close. A read lands in a chunk
// nobody else holds: a buffer shared across reads would be overwritten while
// the consumer still looks at it.
import { ChunkReader, DEFAULT_CHUNK } from './chunk-reader.ts';
import { isClosedError } from './errors.ts';
import { NodeSocket, type SocketIO } from './node-socket.ts';
import type { DuplexIO, StreamOptions } from './stream-io.ts';

export type { DuplexIO, StreamOptions } from './stream-io.ts';

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
 * `readable` is a byte stream (type 'bytes'): a BYOB reader's view is read
 * into by the kernel directly. It ends at EOF; cancelling it closes the connection. `writable`'s
 * close() half-closes (closeWrite), abort() closes. When the readable has
 * ended and the writable is closed, the connection is closed.
 */
export function webStreams(io: DuplexIO, opts: StreamOptions = {}): WebStreams {
  const reader = new ChunkReader(io, opts.chunkSize ?? DEFAULT_CHUNK);
  const halves = new HalfTracker(io);
  const done = (controller: ReadableByteStreamController): void => {
    try { controller.close(); } catch { /* cancelled */ }
    // A BYOB reader still waits on its view: answer it with nothing (the stream has ended).
    controller.byobRequest?.respond(0);
    halves.read();
  };
  const readable = new ReadableStream({
    type: 'bytes',
    async pull(controller) {
      try {
        const req = controller.byobRequest;
        if (req !== null && req.view !== null) {
          // A BYOB read: the kernel writes straight into the caller's view.
          const v = req.view;
          const n = await io.read(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
          if (n === null) done(controller); else req.respond(n);
          return;
        }
        const chunk = await reader.next();
        if (chunk === null) { done(controller); return; }
        // A byte stream takes the chunk's whole ArrayBuffer: a chunk that shares
        // one (a pool slab) is copied so nothing else is detached with it.
        const own = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength && chunk.buffer instanceof ArrayBuffer;
        controller.enqueue((own ? chunk : chunk.slice()) as Uint8Array<ArrayBuffer>);
      } catch (e) {
        // Closed under us after a cancel: the stream is already done.
        if (isClosedError(e)) { done(controller); return; }
        controller.error(e);
        halves.read();
      }
    },
    cancel() {
      safeClose(io);
    },
  }) as ReadableStream<Uint8Array>;

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
 * A net.Socket-shaped Node Duplex (NodeSocket) for pipeline(), zlib, http
 * and tls. end() half-closes (closeWrite), destroy() closes. One kernel read
 * per _read call, so the readable side's highWaterMark bounds what is
 * buffered. Over a Conn it has the socket's addresses, timeouts and options;
 * over a plain DuplexIO only the I/O.
 */
export function toNodeStream(io: SocketIO, opts: StreamOptions = {}): NodeSocket {
  return new NodeSocket(io, opts);
}
