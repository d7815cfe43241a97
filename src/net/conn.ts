// A stream connection (Go's net.Conn, shaped like Deno's Conn): read gives
// null at EOF, write writes everything or fails, deadlines per direction,
// web streams and a Node Duplex on top. Errors are OpErrors.
import type { ErrorWrapper, FD } from '../fd/fd.ts';
import { rawConnOf, type RawConn } from '../fd/raw-conn.ts';
import { Netpoll } from '../netpoll/netpoll.ts';
import { NetClosingError } from '../netpoll/errors.ts';
import type { DeadlineInput } from '../netpoll/deadline.ts';
import { debug } from '../netpoll/debug.ts';
import { C } from '../sys/constants.ts';
import { decodeSockaddr } from '../sys/sockaddr.ts';
import { Addr, type Network } from './addr.ts';
import { OpError, wrapError } from './errors.ts';
import { ControlMessageError, checkSendOob, readMsgOn, span, writeMsgStream, type ReadMsgResult } from './msg-io.ts';
import { adoptSocket, dupForDetach, type AdoptOptions } from './file.ts';
import { unpackPeer, type PackedPeer } from './peer.ts';
import type { NodeSocket, SocketIO } from './node-socket.ts';
import { keepAliveSecs, MAX_KEEP_ALIVE, newFD } from './sock.ts';
import { toNodeStream, webStreams, type DuplexIO, type StreamOptions, type WebStreams } from './streams.ts';

const connStreams = new WeakMap<Conn, WebStreams>();

export class Conn implements DuplexIO, AsyncDisposable, ErrorWrapper {
  /** The network this connection was made on ('tcp', 'tcp4', 'tcp6', 'unix'). */
  readonly network: Network;
  /** The descriptor underneath (Go's netFD.pfd), for setsockopt and the like. */
  readonly fd: FD;
  private isClosed = false;
  private local: Addr | null;
  private peer: PackedPeer;

  /** localAddr null: asked of the kernel (getsockname) on first use. */
  constructor(fd: FD, network: Network, localAddr: Addr | null, remoteAddr: PackedPeer) {
    this.fd = fd;
    this.network = network;
    this.local = localAddr;
    this.peer = remoteAddr;
    // The FD rejects with OpErrors itself: no wrapping promise per read or write.
    fd.errorWrapper = this;
  }

  /**
   * Adopts a connected TCP or Unix stream socket (Go's net.FileConn): the
   * network and both addresses are asked of the kernel. The Conn owns the
   * descriptor from now on (closes it on close()); with `dup: true` it
   * works on a duplicate and the caller keeps its own, as Go does. A pipe
   * (ENOTSOCK), a listening or datagram socket (SocketKindError) is refused
   * with an OpError and the descriptor is left as it was.
   *
   * @example
   * // in a worker thread, with a descriptor another thread detached
   * parentPort.on('message', (fd: number) => void serve(Conn.fromFd(fd)));
   */
  static fromFd(fd: number, opts: AdoptOptions & { netpoll?: Netpoll; noDelay?: boolean } = {}): Conn {
    const a = adoptSocket(fd, 'conn', opts);
    try {
      const conn = new Conn(newFD(a.sysfd, Netpoll.of(opts.netpoll)), a.network as Network, a.local, a.peer!);
      if (a.network !== 'unix' && (opts.noDelay ?? true)) conn.setNoDelay(true);
      return conn;
    } catch (e) {
      throw new OpError({ op: 'file', net: 'file+net', cause: e });
    }
  }

  /** The remote end (Go's RemoteAddr). */
  get remoteAddr(): Addr {
    const p = this.peer;
    return typeof p === 'number' ? (this.peer = unpackPeer(p)) : p;
  }

  /** The local end (Go's LocalAddr). */
  get localAddr(): Addr {
    if (this.local === null) {
      try {
        this.local = Addr.fromSockaddr(decodeSockaddr(this.fd.getsockname()));
      } catch {
        // Closed before anyone asked: all that is known is the family.
        this.local = this.network === 'unix' ? Addr.unix('') : Addr.tcp(null, 0);
      }
    }
    return this.local;
  }

  /** True once close() was called, or the streams closed the connection when done. */
  get closed(): boolean { return this.isClosed || this.fd.closed; }

  /** The local address for an error message, if it can still be known. */
  private get source(): Addr | null {
    return this.local ?? (this.fd.closed ? null : this.localAddr);
  }

  /** @internal Also the FD's error hook: its read and write errors become OpErrors with no promise in between. */
  wrapError(op: string, e: unknown, signal?: AbortSignal): unknown {
    return wrapError(e, { op, net: this.network, source: this.source, addr: this.remoteAddr }, signal);
  }

  private closedError(op: string): OpError {
    return new OpError({ op, net: this.network, source: this.source, addr: this.remoteAddr, cause: new NetClosingError() });
  }

  /** Reads what is there (at most `length` bytes into buf at offset; any ArrayBufferView, in bytes): the count, or null at EOF. */
  read(buf: ArrayBufferView, offset?: number, length?: number, signal?: AbortSignal): Promise<number | null> {
    return this.fd.read(buf, offset, length, signal);
  }

  /**
   * Waits for data, then reads at most maxBytes (default 64 KiB) of it into
   * a buffer made for this call: the chunk is yours, or null at EOF. While it
   * waits the connection holds no buffer, so idle connections cost little.
   */
  readChunk(maxBytes?: number, signal?: AbortSignal): Promise<Uint8Array | null> {
    return this.fd.readChunk(maxBytes, signal);
  }

  /** Writes all of it; on failure the OpError's bytesWritten says how much went. */
  write(buf: ArrayBufferView, offset?: number, length?: number, signal?: AbortSignal): Promise<number> {
    return this.fd.write(buf, offset, length, signal);
  }

  /** Writes every buffer, in order, with as few writev calls as the kernel allows. */
  writev(bufs: readonly ArrayBufferView[], signal?: AbortSignal): Promise<number> {
    return this.fd.writev(bufs, signal);
  }

  /**
   * Reads with control data on a Unix connection (Go's ReadMsgUnix): oob's
   * length is the room for control messages; passed descriptors arrive
   * close-on-exec (parseUnixRights(oob, oobn) lists them). n 0 is the end.
   *
   * @example
   * const oob = new Uint8Array(cmsgSpace(4));
   * const { n, oobn } = await conn.readMsg(buf, oob);
   * const [fd] = parseUnixRights(oob, oobn);
   */
  async readMsg(buf: Uint8Array, oob: Uint8Array | null, signal?: AbortSignal): Promise<ReadMsgResult> {
    try {
      this.unixOnly();
      const [off, len] = span(buf, 0, undefined);
      return await readMsgOn(this.fd, buf, off, len, oob, false, signal);
    } catch (e) {
      throw this.wrapError('read', e, signal);
    }
  }

  /**
   * Writes all of buf with control data oob sent along with its first
   * bytes (Go's WriteMsgUnix), e.g. unixRights(fd) to pass a descriptor.
   *
   * @example
   * await conn.writeMsg(new Uint8Array([0]), unixRights(accepted.fd.sysfd));
   */
  async writeMsg(buf: Uint8Array, oob: Uint8Array | null, signal?: AbortSignal): Promise<number> {
    try {
      this.unixOnly();
      const [off, len] = span(buf, 0, undefined);
      return await writeMsgStream(this.fd, buf, off, len, checkSendOob(oob, true), signal);
    } catch (e) {
      throw this.wrapError('write', e, signal);
    }
  }

  private unixOnly(): void {
    if (this.network !== 'unix') throw new ControlMessageError(`readMsg and writeMsg need a unix connection, not ${this.network}`);
  }

  /**
   * Closes the connection: parked reads and writes fail with the closed
   * error at once; the promise settles (never rejects) once the descriptor
   * is released. A second close throws the closed error, as Go's does.
   */
  close(): Promise<void> {
    if (this.isClosed) throw this.closedError('close');
    this.isClosed = true;
    return this.fd.close().catch((e: unknown) => { debug('net: close fd %d: %o', this.fd.sysfd, e); });
  }

  /**
   * Lets the socket go without closing it, for another thread or process to
   * adopt (Conn.fromFd): resolves with a descriptor for the same socket (a
   * close-on-exec duplicate, as Go's conn.File() gives; the one this Conn
   * used is closed). Parked reads and writes fail with the closed error.
   *
   * @example
   * const fd = await conn.detach();
   * worker.postMessage(fd);         // the worker calls Conn.fromFd(fd)
   */
  async detach(): Promise<number> {
    if (this.isClosed) throw this.closedError('detach');
    let fd: number;
    try {
      fd = this.fd.rawControl(dupForDetach);
    } catch (e) {
      throw this.wrapError('detach', e);
    }
    await this.close();
    return fd;
  }

  /**
   * Go's SyscallConn: your own system calls on the socket under the poller
   * (recvmsg with flags, ioctl, setsockopt of any kind).
   *
   * @example
   * let n = 0;
   * await conn.syscallConn().read((fd) => (n = recv(fd, buf, buf.length, MSG_PEEK)) !== -EAGAIN);
   */
  syscallConn(): RawConn {
    return rawConnOf(this.fd, (op, e, signal) => this.wrapError(op, e, signal));
  }

  /** Half-close: the peer reads EOF; our later writes fail. Reads go on. */
  closeWrite(): void {
    if (this.isClosed) throw this.closedError('close');
    try {
      this.fd.shutdown('w');
    } catch (e) {
      throw this.wrapError('close', e);
    }
  }

  /** Half-close the reading side: later reads fail. */
  closeRead(): void {
    if (this.isClosed) throw this.closedError('close');
    try {
      this.fd.shutdown('r');
    } catch (e) {
      throw this.wrapError('close', e);
    }
  }

  /** Both deadlines; a Date or epoch milliseconds; null or 0 clears; a past one fails waiting operations at once. */
  setDeadline(d: DeadlineInput): void { this.deadline(d, 'rw'); }
  setReadDeadline(d: DeadlineInput): void { this.deadline(d, 'r'); }
  setWriteDeadline(d: DeadlineInput): void { this.deadline(d, 'w'); }

  // Called before every read in Go's usual pattern: no closure per call.
  private deadline(d: DeadlineInput, mode: 'r' | 'w' | 'rw'): void {
    if (this.isClosed) throw this.closedError('set');
    try {
      if (mode === 'r') this.fd.setReadDeadline(d ?? null);
      else if (mode === 'w') this.fd.setWriteDeadline(d ?? null);
      else this.fd.setDeadline(d ?? null);
    } catch (e) {
      throw this.wrapError('set', e);
    }
  }

  /** TCP_NODELAY (on by default, as Go sets it). A no-op on Unix sockets. */
  setNoDelay(on = true): void {
    if (this.network === 'unix') return;
    this.setter(() => this.fd.setsockoptInt(C.IPPROTO_TCP, C.TCP_NODELAY, on ? 1 : 0));
  }

  /** SO_KEEPALIVE, and with delayMs the idle time and probe interval (rounded up to seconds). No-op on Unix sockets. */
  setKeepAlive(on: boolean, delayMs?: number): void {
    if (this.network === 'unix') return;
    this.setter(() => setKeepAlive(this.fd, on, delayMs));
  }

  /**
   * Go's SetLinger: what close() does with unsent data. sec < 0 (the
   * default): send it in the background; 0: discard it and reset the
   * connection (RST); > 0: linger that many seconds. No-op on Unix sockets.
   */
  setLinger(sec: number): void {
    if (!Number.isInteger(sec)) throw new TypeError(`netpoll: linger must be an integer number of seconds, got ${String(sec)}`);
    if (this.network === 'unix') return;
    this.setter(() => this.fd.setLinger(sec));
  }

  /** A read or write waiting on this connection keeps the process alive (the default), as a ref'd Node socket. */
  ref(): void { this.fd.setRef(true); }
  /** A read or write waiting on this connection no longer keeps the process alive. */
  unref(): void { this.fd.setRef(false); }

  private setter(f: () => void): void {
    if (this.isClosed) throw this.closedError('set');
    try {
      f();
    } catch (e) {
      throw this.wrapError('set', e);
    }
  }

  /** A web ReadableStream of what arrives; it ends at EOF, and cancelling it closes the connection. */
  get readable(): ReadableStream<Uint8Array> { return this.webStreams().readable; }
  /** A web WritableStream; its close() half-closes, abort() closes. */
  get writable(): WritableStream<Uint8Array> { return this.webStreams().writable; }

  // In a side table, not a field: most connections never ask for them.
  private webStreams(): WebStreams {
    let s = connStreams.get(this);
    if (s === undefined) connStreams.set(this, s = webStreams(this.streamIO()));
    return s;
  }

  /**
   * A net.Socket-shaped Duplex (addresses, setTimeout, setNoDelay,
   * setKeepAlive, ref/unref, byte counts) for http, tls, ws and pipeline();
   * end() half-closes, destroy() closes.
   */
  toNodeStream(opts?: StreamOptions): NodeSocket { return toNodeStream(this.streamIO(), opts); }

  /**
   * The streams close the descriptor when both halves are done; that does
   * not count as the user's close(), which may still follow without throwing.
   */
  private streamIO(): SocketIO {
    const conn = this;
    return {
      read: (b, o, l, sig) => this.read(b, o, l, sig),
      readChunk: (max, sig) => this.readChunk(max, sig),
      write: (b, o, l, sig) => this.write(b, o, l, sig),
      tryWrite: (b, o, l) => this.fd.tryWrite(b, o, l),
      writev: (bufs, sig) => this.writev(bufs, sig),
      closeWrite: () => this.closeWrite(),
      close: () => {
        if (!this.closed) void this.fd.close().catch((e: unknown) => { debug('net: close fd: %o', e); });
      },
      network: this.network,
      get remoteAddr() { return conn.remoteAddr; },
      get localAddr() { return conn.localAddr; },
      setNoDelay: (on) => this.setNoDelay(on),
      setKeepAlive: (on, ms) => this.setKeepAlive(on, ms),
      setLinger: (sec) => this.setLinger(sec),
      ref: () => this.ref(),
      unref: () => this.unref(),
    };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.isClosed) await this.close();
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Conn<${this.network} ${String(this.source ?? '?')}->${this.remoteAddr.toString()}${this.isClosed ? ' closed' : ''}>`;
  }
}

/**
 * Go's setKeepAlive + setKeepAlivePeriod (idle time and interval both set
 * to the period). A period the kernel would refuse is a RangeError before
 * anything changes.
 */
export function setKeepAlive(fd: FD, on: boolean, delayMs?: number): void {
  if (on && delayMs !== undefined && (typeof delayMs !== 'number' || !(delayMs > 0) || delayMs > MAX_KEEP_ALIVE)) {
    throw new RangeError(`netpoll: keep-alive delay must be > 0 and at most ${MAX_KEEP_ALIVE} ms, got ${String(delayMs)}`);
  }
  fd.setsockoptInt(C.SOL_SOCKET, C.SO_KEEPALIVE, on ? 1 : 0);
  if (!on || delayMs === undefined) return;
  const secs = keepAliveSecs(delayMs);
  if (C.TCP_KEEPIDLE !== 0) fd.setsockoptInt(C.IPPROTO_TCP, C.TCP_KEEPIDLE, secs);
  if (C.TCP_KEEPINTVL !== 0) fd.setsockoptInt(C.IPPROTO_TCP, C.TCP_KEEPINTVL, secs);
}
