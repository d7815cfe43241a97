// What the stream adapters (web streams, NodeSocket, ChunkReader) need of a
// connection, in a file of its own so that they all import it from below
// and none of them imports another for a type.

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
  /** toNodeStream: keep writing after the peer's EOF (default true). */
  allowHalfOpen?: boolean;
  /** toNodeStream: the Duplex's high-water marks in bytes. */
  highWaterMark?: number;
}

