// Go's internal/poll.FD (fd_unix.go, fd_poll_runtime.go): a descriptor, its
// fdMutex and its poll descriptor. Every operation is an Op (ops.ts) run in
// Go's order: lock, prepare, try the system call, and park on the poll
// descriptor only on EAGAIN. When the call succeeds at once the operation
// returns an already-settled promise; a read or write without a signal that
// has to wait reuses the FD's one record for it. Between operations an FD
// holds no promise, no closure and no buffer of its own.
import { Netpoll, NetClosingError, NotPollableError, type PollDesc } from '../netpoll/index.ts';
import type { DeadlineInput } from '../netpoll/deadline.ts';
import { checkFd, checkRange } from '../sys/bounds.ts';
import { C } from '../sys/constants.ts';
import * as sock from '../sys/socket.ts';
import { check, SyscallError } from '../sys/syscall-error.ts';
import { NoDeadlineError, withBytesWritten } from './errors.ts';
import { FdMutex, LOCKED } from './fd-mutex.ts';
import { EAGAIN, MAX_RW, release, sockname, stop, writeSome } from './io.ts';
import { spend } from '../netpoll/budget.ts';
import {
  AcceptOp, asBytes, ConnectOp, inRange, RawOp, ReadOp, readOps, WaitOp, WriteOp, writeOps, WritevOp, type Accepted,
} from './op-kinds.ts';
import { ACCEPT_RUN_SHIFT, BLOCKING, EOF_ON_ZERO, SHORT_DRAINS, STREAM, USE_WRITE, type ErrorWrapper, type OpHost } from './ops.ts';
import { MAX_CHUNK, SCRATCH_SIZE } from './scratch.ts';
import { optionsBag, restOf } from '../sys/args.ts';
import { own } from '../sys/thread-end.ts';

export { MAX_RW, rwChunk } from './io.ts';
export type { Accepted } from './op-kinds.ts';
export type { ErrorWrapper } from './ops.ts';

const intOut = new Int32Array(1);
const DONE: Promise<void> = Promise.resolve();

export interface FDOptions {
  /** The Netpoll to register with; Netpoll.current() by default. */
  netpoll?: Netpoll;
  /** SOCK_STREAM (or a pipe): reads and writes capped at MAX_RW. Default true. */
  isStream?: boolean;
  /** A 0-byte read is end of stream (not for datagrams). Default true. */
  zeroReadIsEOF?: boolean;
  /** false: never register; the FD stays in blocking mode. Default true. */
  pollable?: boolean;
  /**
   * A stream socket: a read that returns less than it asked for took all
   * there was, so the next read parks at once unless readiness came since
   * (no EAGAIN read per message). Not for pipes, terminals or record
   * sockets, where a short read proves nothing. Default false.
   */
  shortReadDrains?: boolean;
}

type Shut = 'r' | 'w' | 'rw';

/**
 * A non-blocking descriptor in the poller: Go's internal/poll.FD.
 *
 * @example
 * const fd = new FD(sysfd);                 // registers with Netpoll.current()
 * const n = await fd.read(buf);             // bytes, or null at end of stream
 * await fd.write(new TextEncoder().encode('hi'));
 * await fd.close();
 */
export class FD extends FdMutex implements OpHost {
  private fd: number;
  private pd: PollDesc | null;
  /** @internal STREAM | EOF_ON_ZERO | USE_WRITE | SHORT_DRAINS | DRAINED | BLOCKING, for the ops. */
  ioFlags: number;
  /** Settles the pending close() once destroy() has run. */
  private closeResolve: (() => void) | null = null;
  /** Set by the owner (Conn) to wrap read and write errors. */
  errorWrapper: ErrorWrapper | null = null;

  /** Go's FD.Init: registers with the Netpoll; a NotPollableError leaves the FD in blocking mode. */
  constructor(sysfd: number, options?: FDOptions) {
    super();
    checkFd(sysfd, 'sysfd');
    const opts = optionsBag(options, 'FD');
    this.fd = sysfd;
    this.ioFlags = (opts.isStream ?? true ? STREAM : 0) | (opts.zeroReadIsEOF ?? true ? EOF_ON_ZERO : 0)
      | (C.MSG_NOSIGNAL === 0 ? USE_WRITE : 0) | (opts.shortReadDrains === true ? SHORT_DRAINS : 0);
    this.pd = null;
    if (opts.pollable === false) {
      this.ioFlags |= BLOCKING;
    } else {
      const np = Netpoll.of(opts.netpoll);
      try {
        this.pd = np.open(sysfd);
      } catch (e) {
        if (!(e instanceof NotPollableError)) throw e;
        this.ioFlags |= BLOCKING;
      }
    }
    own(sysfd); // closed by this FD, or at a worker thread's end (destroy disowns it)
  }

  /** @internal Accepts in a row, for AcceptOp's budget: kept above ioFlags' bits (only a listener counts them). */
  get acceptRun(): number { return this.ioFlags >>> ACCEPT_RUN_SHIFT; }
  set acceptRun(n: number) { this.ioFlags = (this.ioFlags & ((1 << ACCEPT_RUN_SHIFT) - 1)) | (n << ACCEPT_RUN_SHIFT); }

  /**
   * @internal The read and write locks and the reference count (ops take
   * them): the FD itself, as Go embeds fdMutex in poll.FD (one object less
   * per connection). `closed` is the mutex's.
   */
  get mu(): FdMutex { return this; }

  /** The descriptor; -1 once it was closed. */
  get sysfd(): number { return this.fd; }
  /** Not in the poller: operations block the thread, deadlines are refused, close does not wait. */
  get isBlocking(): boolean { return (this.ioFlags & BLOCKING) !== 0; }
  /** @internal The poll descriptor; null in blocking mode or once released. */
  get pollDesc(): PollDesc | null { return this.pd; }

  /** Whether an operation parked on this FD keeps the process alive (Node's ref/unref); default true. */
  setRef(on: boolean): void { this.pd?.setRef(on); }

  // ---- read and write ------------------------------------------------------

  /**
   * Reads what is there into buf (at most length bytes at offset): the
   * count, or null at end of stream. Any ArrayBufferView: offset and length
   * count bytes.
   */
  read(view: ArrayBufferView, offset = 0, length?: number, signal?: AbortSignal): Promise<number | null> {
    const buf = asBytes(view) as Uint8Array;
    if (length === undefined) length = restOf(buf, offset);
    const bad = inRange(buf, offset, length) ? null : rangeError(buf, offset, length);
    if (bad !== null) return Promise.reject(bad);
    return this.readOp(signal).set(buf, offset, length, signal).run() as Promise<number | null>;
  }

  /**
   * Waits until data is there, then reads at most maxBytes of it (and at
   * most MAX_CHUNK) into a buffer made for this call: an idle FD holds no
   * buffer while it waits. Resolves with the chunk (yours to keep), or null
   * at end of stream.
   */
  readChunk(maxBytes = SCRATCH_SIZE, signal?: AbortSignal): Promise<Uint8Array | null> {
    if (!Number.isInteger(maxBytes) || maxBytes < 1 || maxBytes > MAX_RW) {
      return Promise.reject(new RangeError(`netpoll: maxBytes must be an integer from 1 to ${MAX_RW}, got ${String(maxBytes)}`));
    }
    return this.readOp(signal).set(null, 0, Math.min(maxBytes, MAX_CHUNK), signal).run() as Promise<Uint8Array | null>;
  }

  // A spare record for one operation (OpPool); one with a signal may be
  // abandoned in the budget's queue after an abort, so it gets its own.
  private readOp(signal: AbortSignal | undefined): ReadOp {
    return signal === undefined ? readOps.take(this) : new ReadOp(this);
  }

  /**
   * Writes all of it (length bytes at offset); on failure the error's
   * bytesWritten says how much went. Any ArrayBufferView: offset and length
   * count bytes.
   */
  write(view: ArrayBufferView, offset = 0, length?: number, signal?: AbortSignal): Promise<number> {
    const buf = asBytes(view) as Uint8Array;
    if (length === undefined) length = restOf(buf, offset);
    const bad = inRange(buf, offset, length) ? null : rangeError(buf, offset, length);
    if (bad !== null) return Promise.reject(bad);
    const op = signal === undefined ? writeOps.take(this) : new WriteOp(this);
    return op.set(buf, offset, length, signal).run();
  }

  /**
   * @internal One write tried now, for a caller that completes its own
   * writes (NodeSocket, whose Writable then calls back synchronously, as
   * net.Socket's does after a write libuv finished at once): the bytes the
   * kernel took, all of them or fewer (0 on EAGAIN: write() the rest), or
   * -1 when it was not tried or failed before a byte went (another write
   * holds the lock, the turn's budget is spent, the descriptor is closing,
   * past its deadline or outside the poller, an error): write() then does
   * it the ordinary way and says why. No promise, no op record.
   */
  tryWrite(buf: Uint8Array, offset: number, length: number): number {
    if (!inRange(buf, offset, length)) checkRange(buf, offset, length); // throws: never past the buffer's end
    const pd = this.pd;
    if (pd === null || (this.ioFlags & USE_WRITE) !== 0 || length === 0) return -1;
    if (this.tryRWLock(false) !== LOCKED) return -1;
    try {
      if (!spend() || pd.prepare('w') !== null) return -1;
      const nn = writeSome(this.fd, buf, offset, length, 0, (this.ioFlags & STREAM) !== 0, false);
      return stop === 0 || stop === EAGAIN || nn > 0 ? nn : -1;
    } finally {
      this.unlock(false);
    }
  }

  /** writev(2) until every byte of bufs (any ArrayBufferViews) is written; one syscall per round. */
  writev(bufs: readonly ArrayBufferView[], signal?: AbortSignal): Promise<number> {
    let total = 0;
    const bad = (): Promise<number> => {
      const e = withBytesWritten(new TypeError('netpoll: writev takes an array of Uint8Array, Buffer or other ArrayBufferView'), 0);
      return Promise.reject(this.errorWrapper === null ? e : this.errorWrapper.wrapError('write', e, signal));
    };
    if (!Array.isArray(bufs)) return bad();
    const v: Uint8Array[] = new Array<Uint8Array>(bufs.length);
    for (let i = 0; i < bufs.length; i++) {
      const b = asBytes(bufs[i]);
      if (!(b instanceof Uint8Array)) return bad();
      v[i] = b;
      total += b.byteLength;
    }
    return new WritevOp(this, v, total, signal).run();
  }

  // ---- accept, connect, readiness --------------------------------------------

  /** accept4(SOCK_NONBLOCK|SOCK_CLOEXEC); ECONNABORTED and EINTR are retried silently. */
  accept(signal?: AbortSignal): Promise<Accepted> {
    return new AcceptOp(this, signal).run();
  }

  /**
   * Go's netFD.connect: EINPROGRESS, EALREADY or EINTR → wait writable → SO_ERROR.
   * An abort rejects with the signal's reason; the FD stays usable (to close).
   */
  connect(sockaddr: Uint8Array, length: number, signal?: AbortSignal): Promise<void> {
    try {
      checkRange(sockaddr, 0, length);
    } catch (e) {
      return Promise.reject(e);
    }
    return new ConnectOp(this, sockaddr, length, signal).run();
  }

  /** Resolves when the descriptor is readable (Go's RawRead wait): the kernel is asked first. */
  waitRead(signal?: AbortSignal): Promise<void> { return new WaitOp(this, true, signal).run(); }
  /** Resolves when the descriptor is writable (WaitWrite). */
  waitWrite(signal?: AbortSignal): Promise<void> { return new WaitOp(this, false, signal).run(); }

// ---- raw access (Go's RawRead, RawWrite, RawControl) -------------------

  /**
   * Go's FD.RawRead: under the read lock, calls fn with the descriptor until
   * it returns true, parking until the descriptor is readable each time it
   * returns false (fn's own syscall said EAGAIN). Resolves when fn returned
   * true; rejects with what fn threw, the closed error, the read deadline's
   * timeout or the signal's reason. fn must not keep the descriptor number:
   * it is valid only during the call.
   *
   * @example
   * const buf = new Uint8Array(1500);
   * let n = 0;
   * await fd.rawRead((sysfd) => {
   *   n = recv(sysfd, buf);           // your own syscall, -errno on failure
   *   return n !== -EAGAIN;           // false: wait for readability, then call again
   * });
   */
  rawRead(fn: (sysfd: number) => boolean, signal?: AbortSignal): Promise<void> {
    return this.raw(true, fn, signal);
  }

  /**
   * Go's FD.RawWrite: as rawRead, under the write lock, waiting for
   * writability and honouring the write deadline.
   *
   * @example
   * await fd.rawWrite((sysfd) => sendto(sysfd, datagram, addr) !== -EAGAIN);
   */
  rawWrite(fn: (sysfd: number) => boolean, signal?: AbortSignal): Promise<void> {
    return this.raw(false, fn, signal);
  }

  /**
   * Go's FD.RawControl: calls fn with the descriptor while holding a
   * reference (no lock, no wait), so the descriptor stays open during the
   * call; returns what fn returns. Throws NetClosingError once closed.
   *
   * @example
   * const nonblocking = fd.rawControl((sysfd) => (fcntl(sysfd, F_GETFL, 0) & O_NONBLOCK) !== 0);
   */
  rawControl<T>(fn: (sysfd: number) => T): T {
    if (typeof fn !== 'function') throw new TypeError('netpoll: rawControl takes a function');
    this.hold();
    try {
      return fn(this.fd);
    } finally {
      this.letGo();
    }
  }

  private raw(read: boolean, fn: (sysfd: number) => boolean, signal: AbortSignal | undefined): Promise<void> {
    if (typeof fn !== 'function') return Promise.reject(new TypeError(`netpoll: ${read ? 'rawRead' : 'rawWrite'} takes a function`));
    return new RawOp(this, read, fn, signal).run();
  }

  // ---- locks ----------------------------------------------------------------

  /** @internal Lets go of the read (write) lock; the last reference of a closed FD releases it. */
  unlock(read: boolean): void {
    if (this.mu.rwunlock(read)) this.destroy();
  }

  // ---- deadlines and other incref'd operations --------------------------

  setDeadline(d: DeadlineInput): void { this.setDeadlineMode(d, 'rw'); }
  setReadDeadline(d: DeadlineInput): void { this.setDeadlineMode(d, 'r'); }
  setWriteDeadline(d: DeadlineInput): void { this.setDeadlineMode(d, 'w'); }

  private setDeadlineMode(d: DeadlineInput, mode: 'r' | 'w' | 'rw'): void {
    this.hold();
    try {
      if (this.pd === null) throw new NoDeadlineError();
      this.pd.setDeadline(d, mode);
    } finally {
      this.letGo();
    }
  }

  shutdown(how: Shut): void {
    const h = how === 'r' ? C.SHUT_RD : how === 'w' ? C.SHUT_WR : how === 'rw' ? C.SHUT_RDWR : -1;
    if (h < 0) throw new RangeError(`netpoll: shutdown takes 'r', 'w' or 'rw', got ${JSON.stringify(how)}`);
    this.hold();
    try {
      check('shutdown', sock.shutdown(this.fd, h));
    } finally {
      this.letGo();
    }
  }

  setsockoptInt(level: number, name: number, value: number): void {
    this.hold();
    try {
      check('setsockopt', sock.setsockoptInt(this.fd, level, name, value));
    } finally {
      this.letGo();
    }
  }

  /** SO_LINGER (struct linger): sec < 0 off, else on with that many seconds. */
  setLinger(sec: number): void {
    this.hold();
    try {
      check('setsockopt', sock.setLinger(this.fd, sec));
    } finally {
      this.letGo();
    }
  }

  getsockoptInt(level: number, name: number): number {
    this.hold();
    try {
      check('getsockopt', sock.getsockoptInt(this.fd, level, name, intOut));
      return intOut[0]!;
    } finally {
      this.letGo();
    }
  }

  getsockname(): Uint8Array { return this.sockname(false); }
  getpeername(): Uint8Array { return this.sockname(true); }

  private sockname(peer: boolean): Uint8Array {
    this.hold();
    try {
      const r = sockname(this.fd, peer);
      if (typeof r === 'number') throw new SyscallError(peer ? 'getpeername' : 'getsockname', -r);
      return r;
    } finally {
      this.letGo();
    }
  }

  /** A reference for a misc operation, or the closed error. */
  private hold(): void {
    if (!this.incref()) throw new NetClosingError();
  }

  private letGo(): void {
    if (this.decref()) this.destroy();
  }

  // ---- close --------------------------------------------------------------

  /**
   * Go's FD.Close: mark closing, wake every parked and queued operation with
   * the closed error, and close(2) once the last operation in flight has let
   * go, after the poller forgot the descriptor. Resolves then (at once for a
   * blocking-mode FD).
   */
  close(): Promise<void> {
    if (!this.mu.increfAndClose()) return Promise.reject(new NetClosingError());
    this.pd?.unblock();
    if (this.mu.decref()) {
      const e = this.destroy();
      return e ? Promise.reject(e) : DONE;
    }
    if ((this.ioFlags & BLOCKING) !== 0) return DONE;
    return new Promise<void>((resolve) => { this.closeResolve = resolve; });
  }

  /** Go's destroy: pollClose (disarm), then close(2), exactly once. */
  private destroy(): SyscallError | null {
    const r = release(this.pd, this.fd);
    this.pd = null;
    this.fd = -1;
    // One microtask later, so the operation that let go settles before close() does.
    const resolve = this.closeResolve;
    this.closeResolve = null;
    if (resolve !== null) queueMicrotask(resolve);
    return r < 0 ? new SyscallError('close', -r) : null;
  }
}

/** checkRange's error, or null: for arguments inRange()'s fast check refused, the full check decides. */
function rangeError(buf: Uint8Array, offset: number, length: number): unknown {
  try {
    checkRange(buf, offset, length);
  } catch (e) {
    return e;
  }
  return null;
}
