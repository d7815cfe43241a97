// A Duplex shaped like net.Socket over a netpoll connection, so Node's own
// http, tls and the packages written against net.Socket (ws, Agent pools,
// loggers reading remoteAddress) take it as they take a socket. What they
// read of a socket is here: the address fields, setTimeout's idle timer,
// setNoDelay/setKeepAlive, ref/unref, byte counters, readyState, the
// connecting state of a socket returned before its dial completes.
import { Buffer } from 'node:buffer';
import { Duplex } from 'node:stream';
import type { Addr, Network } from './addr.ts';
import { ChunkReader, DEFAULT_CHUNK } from './chunk-reader.ts';
import { isClosedError } from './errors.ts';
import { byteLen, bytesOf, gather, gatherSlab, GATHER_MAX, type WriteChunk } from './write-gather.ts';
import type { DuplexIO } from './stream-io.ts';

/** What a NodeSocket uses of a connection; a Conn has all of it, a plain DuplexIO only the I/O. */
export interface SocketIO extends DuplexIO {
  writev?(bufs: readonly Uint8Array[], signal?: AbortSignal): Promise<number>;
  /**
   * One write tried at once: the bytes the kernel took (fewer, even 0: write()
   * the rest), or -1 when not tried (write() does it and reports any error).
   */
  tryWrite?(buf: Uint8Array, offset: number, length: number): number;
  readonly network?: Network;
  readonly remoteAddr?: Addr;
  readonly localAddr?: Addr;
  setNoDelay?(on: boolean): void;
  setKeepAlive?(on: boolean, delayMs?: number): void;
  setLinger?(sec: number): void;
  ref?(): void;
  unref?(): void;
}

export interface NodeSocketOptions {
  /** Bytes asked of the kernel per read (default 64 KiB). */
  chunkSize?: number;
  /** Keep writing after the peer's EOF (default true: Node's http and tls end the socket themselves). */
  allowHalfOpen?: boolean;
  /** The readable and writable sides' high-water marks in bytes (Node's default otherwise). */
  highWaterMark?: number;
}

/** A descriptor whose pending operations may or may not keep the process alive (an FD). */
export interface RefHandle { setRef(on: boolean): void }

/** net.Socket's readyState values. */
export type ReadyState = 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed';

/** The largest delay a Node timer takes (as net.Socket clamps). */
const TIMEOUT_MAX = 2 ** 31 - 1;

function family(a: Addr | undefined): 'IPv4' | 'IPv6' | undefined {
  if (a === undefined || a.network !== 'tcp') return undefined;
  return a.family === 'inet6' ? 'IPv6' : 'IPv4';
}

function ipText(a: Addr | undefined): string | undefined {
  return a === undefined || a.network !== 'tcp' ? undefined : a.address;
}

/** The fields of Readable's (undocumented, stable) state that the direct 'data' path reads. */
interface ReadableStateView {
  readonly flowing: boolean | null;
  readonly length: number;
  readonly decoder: unknown;
  readonly awaitDrainWriters: unknown;
  readonly ended: boolean;
  readonly highWaterMark: number;
  /** readableDidRead (and stream.isDisturbed) read it; push() sets it when it emits. */
  dataEmitted: boolean;
}

/** A chunk as the Buffer Readable would make of it (a view, no copy). */
function asBuffer(c: Uint8Array): Buffer {
  return Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
}

/** Runs f on a connection that may be closing; a closed one has nothing left to set. */
function quietly(f: () => void): void {
  try { f(); } catch (e) { if (!isClosedError(e)) throw e; }
}

/**
 * A net.Socket-shaped Duplex over a connection. end() half-closes,
 * destroy() closes, resetAndDestroy() closes with RST. Made by
 * `conn.toNodeStream()`, or by `NodeSocket.connecting(dialer)` for a socket
 * returned at once that connects later (as net.connect's does).
 *
 * @example
 * const sock = conn.toNodeStream();
 * sock.setTimeout(5_000, () => sock.end());
 * console.log(sock.remoteAddress, sock.remotePort);
 */
export class NodeSocket extends Duplex {
  /** net.Socket's: true until a dialing socket's connection is made. */
  connecting = false;
  /** The idle timeout set by setTimeout(), in ms (0: none), as net.Socket's. */
  timeout = 0;
  #io: SocketIO | null;
  #reader: ChunkReader | null;
  readonly #chunkSize: number;
  #reading = false;
  #wantRead = false;
  #closed = false;
  /** The idle timer, kept across setTimeout calls (see setTimeout); its delay is #timerMs. */
  #timer: NodeJS.Timeout | null = null;
  #timerMs = 0;
  /** The write callback of the _write or _writev in flight (a Writable has one at a time). */
  #writeCb: ((e?: Error | null) => void) | null = null;
  #bytesRead = 0;
  #bytesWritten = 0;
  #refed = true;
  #noDelay: boolean | undefined = undefined;
  #keepAlive: [boolean, number] | undefined = undefined;
  /** A write, writev or final waiting for the dial. */
  #pending: (() => void) | null = null;
  #resetting = false;
  #abortDial: AbortController | null = null;
  /** The descriptor being dialled, while connecting: ref() and unref() reach its pending connect. */
  #dialing: RefHandle | null = null;

  constructor(io: SocketIO | null, opts: NodeSocketOptions = {}) {
    const hwm = opts.highWaterMark;
    // Strings come through as they are (net.Socket's decodeStrings: false): a small
    // response head is encoded straight into the gathered write.
    super({ allowHalfOpen: opts.allowHalfOpen ?? true, decodeStrings: false, ...(hwm === undefined ? {} : { highWaterMark: hwm }) });
    this.#chunkSize = opts.chunkSize ?? DEFAULT_CHUNK;
    this.#io = io;
    this.#reader = io === null ? null : new ChunkReader(io, this.#chunkSize);
    if (io === null) this.connecting = true;
  }

  /**
   * A socket returned at once whose connection `dialer` makes: it is
   * `pending` and `connecting` until then, emits 'connect' and 'ready' when
   * connected, and is destroyed with the dial's error if it fails. Writes
   * made meanwhile go out once connected; destroying it aborts the dial.
   */
  static connecting(dialer: (signal: AbortSignal, dialing: (h: RefHandle) => void) => Promise<SocketIO>, opts?: NodeSocketOptions): NodeSocket {
    const s = new NodeSocket(null, opts);
    const ac = s.#abortDial = new AbortController();
    // Each descriptor the dial tries is told the socket's ref state: an unref'd
    // connecting socket does not keep the process alive (net.Socket's neither).
    const dialing = (h: RefHandle): void => {
      s.#dialing = h;
      if (!s.#refed) h.setRef(false);
    };
    dialer(ac.signal, dialing).then((io) => s.#attach(io), (e: unknown) => {
      s.#dialing = null;
      s.#abortDial = null;
      if (!s.destroyed) s.destroy(e as Error);
    });
    return s;
  }

  #attach(io: SocketIO): void {
    this.#abortDial = null;
    this.#dialing = null;
    if (this.destroyed) { quietly(() => io.close()); return; }
    this.#io = io;
    this.#reader = new ChunkReader(io, this.#chunkSize);
    this.connecting = false;
    try {
      if (this.#noDelay !== undefined) io.setNoDelay?.(this.#noDelay);
      if (this.#keepAlive !== undefined) io.setKeepAlive?.(this.#keepAlive[0], this.#keepAlive[1] || undefined);
      if (!this.#refed) io.unref?.();
    } catch (e) {
      this.destroy(e as Error);
      return;
    }
    this.emit('connect');
    this.emit('ready');
    const p = this.#pending;
    this.#pending = null;
    if (p !== null) p();
    if (this.#wantRead) { this.#wantRead = false; this._read(); }
  }

  // ---- addresses (undefined for a Unix socket, or before connecting) ----

  get remoteAddress(): string | undefined { return ipText(this.#io?.remoteAddr); }
  get remotePort(): number | undefined { const a = this.#io?.remoteAddr; return a?.network === 'tcp' ? a.port : undefined; }
  get remoteFamily(): 'IPv4' | 'IPv6' | undefined { return family(this.#io?.remoteAddr); }
  get localAddress(): string | undefined { return ipText(this.#local()); }
  get localPort(): number | undefined { const a = this.#local(); return a?.network === 'tcp' ? a.port : undefined; }
  get localFamily(): 'IPv4' | 'IPv6' | undefined { return family(this.#local()); }

  #local(): Addr | undefined {
    return this.#io?.localAddr;
  }

  /** net.Socket's address(): the local end, or {} where there is none. */
  address(): { address: string; family: string; port: number } | Record<string, never> {
    const a = this.#local();
    if (a === undefined || a.network !== 'tcp') return {};
    return { address: a.address, family: family(a)!, port: a.port };
  }

  // ---- state ----

  /** True until connected (net.Socket's: no handle yet, or still connecting). */
  get pending(): boolean { return this.#io === null || this.connecting; }
  get readyState(): ReadyState {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable) return 'readOnly';
    if (this.writable) return 'writeOnly';
    return 'closed';
  }
  /** Bytes received so far. */
  get bytesRead(): number { return this.#bytesRead; }
  /** Bytes handed to the kernel or waiting for it (as net.Socket counts). */
  get bytesWritten(): number { return this.#bytesWritten; }

  // ---- options ----

  /**
   * net.Socket's idle timeout: after `ms` without reads or writes the socket
   * emits 'timeout' (once, until the next activity) and stays open: the
   * listener decides. 0 turns it off (and removes `cb`). One unref'd timer,
   * refreshed on activity.
   */
  setTimeout(ms: number, cb?: () => void): this {
    if (typeof ms !== 'number' || Number.isNaN(ms)) throw new TypeError(`netpoll: setTimeout takes milliseconds, got ${String(ms)}`);
    if (ms < 0) throw new RangeError(`netpoll: timeout must be >= 0 ms, got ${ms}`);
    if (cb !== undefined && typeof cb !== 'function') throw new TypeError('netpoll: setTimeout callback must be a function');
    const d = Math.min(ms, TIMEOUT_MAX);
    this.timeout = d;
    if (d === 0) {
      // Off, lazily: http turns the timeout off at each request and on again after
      // the response, so the timer stays where it is and fires into nothing.
      if (cb !== undefined) this.removeListener('timeout', cb);
      return this;
    }
    if (this.destroyed) return this;
    if (this.#timer !== null && this.#timerMs === d) {
      // The same delay again (every keep-alive response): one refresh, no new timer.
      this.#timer.refresh();
    } else {
      if (this.#timer !== null) clearTimeout(this.#timer);
      this.#timer = setTimeout(this.#onTimeout, d);
      this.#timer.unref();
      this.#timerMs = d;
    }
    if (cb !== undefined) this.once('timeout', cb);
    return this;
  }

  readonly #onTimeout = (): void => { if (this.timeout !== 0 && !this.destroyed) this.emit('timeout'); };

  /** Activity: pushes the idle timer back, if one is on. */
  #touch(): void {
    const t = this.#timer;
    if (t !== null && this.timeout !== 0) t.refresh();
  }

  /** @internal net.Socket's name for "activity: push the idle timer back" (http calls it). */
  _unrefTimer(): void { this.#touch(); }

  /** TCP_NODELAY (already on by default for netpoll connections). */
  setNoDelay(noDelay = true): this {
    const on = Boolean(noDelay);
    if (this.#io === null) { this.#noDelay = on; return this; }
    if (!this.#closed) quietly(() => this.#io!.setNoDelay?.(on));
    return this;
  }

  /** SO_KEEPALIVE; a positive initialDelay (ms) sets the idle time before probes. */
  setKeepAlive(enable = false, initialDelay = 0): this {
    const on = Boolean(enable);
    const delay = Number.isFinite(initialDelay) && initialDelay > 0 ? initialDelay : 0;
    if (this.#io === null) { this.#keepAlive = [on, delay]; return this; }
    if (!this.#closed) quietly(() => this.#io!.setKeepAlive?.(on, delay > 0 ? delay : undefined));
    return this;
  }

  /** This socket's waiting reads and writes keep the process alive (the default). */
  ref(): this {
    this.#refed = true;
    if (this.#io === null) this.#dialing?.setRef(true);
    if (this.#io !== null && !this.#closed) quietly(() => this.#io!.ref?.());
    return this;
  }

  /** An idle connection no longer keeps the process alive (its idle timer never does). */
  unref(): this {
    this.#refed = false;
    if (this.#io === null) this.#dialing?.setRef(false);
    if (this.#io !== null && !this.#closed) quietly(() => this.#io!.unref?.());
    return this;
  }

  /** net.Socket's: end the writing side, then destroy once it has finished. */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  /** Closes with a TCP RST (SO_LINGER 0) instead of a FIN; unsent data is dropped. */
  resetAndDestroy(): this {
    const net = this.#io?.network;
    if (net === 'unix') {
      throw Object.assign(new TypeError('netpoll: resetAndDestroy needs a TCP socket'), { code: 'ERR_INVALID_HANDLE_TYPE' });
    }
    this.#resetting = true;
    if (this.connecting) this.once('connect', () => this.destroy());
    else this.destroy();
    return this;
  }

  // ---- Duplex ----

  override _read(): void {
    if (this.#reading) return;
    if (this.#io === null) { this.#wantRead = true; return; }
    this.#startRead();
  }

  #startRead(): void {
    this.#reading = true;
    const io = this.#io!;
    // A Conn reads its own chunks: no wrapper promise in between.
    (io.readChunk !== undefined ? io.readChunk(this.#chunkSize) : this.#reader!.next()).then(this.#onChunk, this.#onReadError);
  }

  readonly #onChunk = (chunk: Uint8Array | null): void => {
    this.#reading = false;
    if (this.destroyed) return;
    if (chunk === null) { this.push(null); return; }
    this.#bytesRead += chunk.length;
    this.#touch();
    // Flowing with nothing buffered (http's 'data' listener, pipe()): the chunk
    // goes to the listeners at once and the next read starts here, as
    // Readable would after push() one tick later. Readable still counts this
    // read as in flight, so it does not start one of its own meanwhile.
    const rs = (this as unknown as { _readableState: ReadableStateView })._readableState;
    if (rs.flowing === true && rs.length === 0 && rs.decoder === null && rs.awaitDrainWriters === null && !rs.ended) {
      if (!rs.dataEmitted) rs.dataEmitted = true;
      this.emit('data', asBuffer(chunk));
      // Paused by a listener: one more read, which push() then buffers (Readable
      // would read ahead the same way, its buffer being empty).
      if (!this.destroyed && !this.#reading && (rs.flowing === true || rs.highWaterMark > 0)) this.#startRead();
      return;
    }
    this.push(chunk);
  };

  readonly #onReadError = (e: unknown): void => {
    this.#reading = false;
    if (this.destroyed) return;
    if (this.#closed && isClosedError(e)) { this.push(null); return; }
    this.destroy(e as Error);
  };

  override _write(chunk: Uint8Array | string, encoding: BufferEncoding | 'buffer', cb: (e?: Error | null) => void): void {
    const io = this.#io;
    if (io === null) { this.#pending = () => this._write(chunk, encoding, cb); return; }
    if (typeof chunk === 'string') { this._writev([{ chunk, encoding }], cb); return; }
    this.#bytesWritten += chunk.length;
    this.#touch();
    this.#send(io, chunk, 0, chunk.length, cb);
  }

  /**
   * Writes buf[off, off+len): tried at once, and when the kernel took it all
   * the callback runs now, as net.Socket's does after a write libuv finished
   * synchronously (Writable defers what follows to the next tick). Whatever
   * is left goes through the connection's write and calls back when done.
   */
  #send(io: SocketIO, buf: Uint8Array, off: number, len: number, cb: (e?: Error | null) => void): void {
    const n = io.tryWrite === undefined ? -1 : io.tryWrite(buf, off, len);
    if (n === len) { cb(); return; }
    this.#writeCb = cb;
    if (n > 0) { off += n; len -= n; }
    io.write(buf, off, len).then(this.#onWritten, this.#onWriteError);
  }

  override _writev(chunks: WriteChunk[], cb: (e?: Error | null) => void): void {
    const io = this.#io;
    if (io === null) { this.#pending = () => this._writev(chunks, cb); return; }
    const n = chunks.length;
    let total = 0;
    for (let i = 0; i < n; i++) { const c = chunks[i]!; total += byteLen(c.chunk, c.encoding); }
    this.#bytesWritten += total;
    this.#touch();
    if (total <= GATHER_MAX) {
      // Small (a corked http response): one write(2) of the chunks copied together.
      const off = gather(chunks, total);
      this.#send(io, gatherSlab(), off, total, cb);
      return;
    }
    this.#writeCb = cb;
    const bufs = new Array<Uint8Array>(n);
    for (let i = 0; i < n; i++) { const c = chunks[i]!; bufs[i] = bytesOf(c.chunk, c.encoding); }
    if (io.writev !== undefined) { io.writev(bufs).then(this.#onWritten, this.#onWriteError); return; }
    // No vectored write underneath: one write of the buffers joined.
    const all = new Uint8Array(total);
    let off = 0;
    for (const b of bufs) { all.set(b, off); off += b.length; }
    io.write(all, 0, total).then(this.#onWritten, this.#onWriteError);
  }

  readonly #onWritten = (): void => {
    const cb = this.#writeCb!;
    this.#writeCb = null;
    this.#touch();
    cb();
  };

  readonly #onWriteError = (e: unknown): void => {
    const cb = this.#writeCb!;
    this.#writeCb = null;
    cb(e as Error);
  };

  override _final(cb: (e?: Error | null) => void): void {
    const io = this.#io;
    if (io === null) { this.#pending = () => this._final(cb); return; }
    try {
      io.closeWrite();
      cb();
    } catch (e) {
      cb(isClosedError(e) ? null : e as Error);
    }
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    if (this.#timer !== null) { clearTimeout(this.#timer); this.#timer = null; }
    this.#abortDial?.abort();
    this.#abortDial = null;
    this.connecting = false;
    const io = this.#io;
    if (io !== null && !this.#closed) {
      if (this.#resetting) { try { io.setLinger?.(0); } catch { /* closing anyway */ } }
      this.#closed = true;
      try { io.close(); } catch { /* already closed */ }
    }
    cb(err);
  }
}
